"""Mechanical check of an evaluation set (JSON Lines) against the parsed document.

Usage: ``python -m eval.check_set [SET.jsonl]`` (default: eval/questions.jsonl next to this file).
Prints one line per problem and exits non-zero when there are any.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corpus.model import Passage
from eval.metrics import is_within, normalize_id

DEFAULT_SET = Path(__file__).with_name("questions.jsonl")

KINDS = frozenset({"fact_zh", "number", "citation", "en", "unanswerable", "followup"})
LANGS = frozenset({"zh", "en"})
REQUIRED: dict[str, type] = {
    "id": str,
    "question": str,
    "lang": str,
    "kind": str,
    "gold": list,
    "answer": str,
}
OPTIONAL: dict[str, type] = {"history": list, "split": str}
# dev: tune and calibrate on it; test: no constant, rule, threshold or glossary entry is chosen on it.
SPLITS = frozenset({"dev", "test"})
# The language a kind implies, where it implies one.
KIND_LANG = {"fact_zh": "zh", "en": "en"}
ID_PATTERN = re.compile(r"^q\d{3,}$")


def _squash(text: str) -> str:
    return "".join(text.split())


def _squash_passage(text: str) -> str:
    """Passage text as compared with keys: whitespace and the parser's table-cell separator ``|`` removed.

    The document itself never contains ``|``; the parser writes table rows as ``label | cell | cell``.
    """
    return _squash(text).replace("|", "")


def _passage_texts(passages: Sequence[Passage]) -> dict[str, str]:
    """Each passage id -> its text plus the text of every passage inside it.

    A paragraph contains its items, so an answer printed in ``4.88(b)㈠`` is in ``4.88``
    whether or not the parser repeats item text in the paragraph's own text.
    """
    by_id = {p.id: p for p in passages}
    out: dict[str, str] = {}
    for pid, p in by_id.items():
        parts = [p.text]
        for other in passages:
            if other.id != pid and is_within(other.id, pid):
                parts.append(other.text)
        for child in p.children:
            if child in by_id and not is_within(child, pid):
                parts.append(by_id[child].text)
        out[pid] = _squash_passage("\n".join(parts))
    return out


def _check_record(rec: dict[str, Any], where: str, texts: dict[str, str]) -> list[str]:
    problems: list[str] = []
    for name, typ in REQUIRED.items():
        if name not in rec:
            problems.append(f"{where}: missing field {name!r}")
        elif not isinstance(rec[name], typ):
            problems.append(f"{where}: field {name!r} must be {typ.__name__}")
    for name, typ in OPTIONAL.items():
        if name in rec and not isinstance(rec[name], typ):
            problems.append(f"{where}: field {name!r} must be {typ.__name__}")
    extra = set(rec) - set(REQUIRED) - set(OPTIONAL)
    if extra:
        problems.append(f"{where}: unknown field(s) {sorted(extra)}")
    if problems:
        return problems

    qid, kind, lang, gold, answer = rec["id"], rec["kind"], rec["lang"], rec["gold"], rec["answer"]
    if not ID_PATTERN.match(qid):
        problems.append(f"{where}: id {qid!r} is not of the form q001")
    if not rec["question"].strip():
        problems.append(f"{where}: empty question")
    if kind not in KINDS:
        problems.append(f"{where}: unknown kind {kind!r}")
    if "split" in rec and rec["split"] not in SPLITS:
        problems.append(f"{where}: unknown split {rec['split']!r}")
    if lang not in LANGS:
        problems.append(f"{where}: unknown lang {lang!r}")
    elif kind in KIND_LANG and lang != KIND_LANG[kind]:
        problems.append(f"{where}: kind {kind!r} needs lang {KIND_LANG[kind]!r}, got {lang!r}")

    history = rec.get("history")
    if history is not None:
        if not history or not all(isinstance(h, str) and h.strip() for h in history):
            problems.append(f"{where}: history must be a non-empty list of non-empty strings")
        if kind != "followup":
            problems.append(f"{where}: history given but kind is {kind!r}, not 'followup'")
    elif kind == "followup":
        problems.append(f"{where}: kind 'followup' needs a history")

    if not all(isinstance(g, str) for g in gold):
        problems.append(f"{where}: gold must be a list of strings")
        return problems
    if len(set(gold)) != len(gold):
        problems.append(f"{where}: duplicate gold ids")
    if kind == "unanswerable":
        if gold or answer:
            problems.append(f"{where}: unanswerable question must have empty gold and answer")
    elif not gold:
        problems.append(f"{where}: gold is empty but kind is {kind!r}")
    elif not answer:
        problems.append(f"{where}: answer key is empty but gold is not")

    for g in gold:
        if g != normalize_id(g):
            problems.append(f"{where}: gold id {g!r} contains whitespace")
        if g not in texts:
            problems.append(f"{where}: gold id {g!r} is not a passage")
    key = _squash(answer)
    if key and gold:
        if not any(key in texts.get(g, "") for g in gold):
            problems.append(f"{where}: answer {answer!r} not found in gold {gold}")
    return problems


def check(path: str | Path, passages: Sequence[Passage]) -> list[str]:
    """Problems found in the set at ``path``; an empty list means the set is sound."""
    texts = _passage_texts(passages)
    problems: list[str] = []
    seen: dict[str, int] = {}
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for lineno, line in enumerate(lines, start=1):
        where = f"{path}:{lineno}"
        if not line.strip():
            problems.append(f"{where}: blank line")
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: invalid JSON ({exc.msg})")
            continue
        if not isinstance(rec, dict):
            problems.append(f"{where}: not a JSON object")
            continue
        qid = rec.get("id")
        if isinstance(qid, str):
            where = f"{where} [{qid}]"
            if qid in seen:
                problems.append(f"{where}: duplicate id (first on line {seen[qid]})")
            else:
                seen[qid] = lineno
        problems.extend(_check_record(rec, where, texts))
    if not seen and not problems:
        problems.append(f"{path}: no questions")
    return problems


def summary(path: str | Path) -> str:
    """Counts per kind and per language (records that parse as JSON objects)."""
    kinds: Counter[str] = Counter()
    langs: Counter[str] = Counter()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict):
            kinds[str(rec.get("kind"))] += 1
            langs[str(rec.get("lang"))] += 1
    total = sum(kinds.values())
    by_kind = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
    by_lang = ", ".join(f"{k} {n}" for k, n in sorted(langs.items()))
    return f"{total} questions; kinds: {by_kind}; langs: {by_lang}"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    path = Path(args[0]) if args else DEFAULT_SET
    from corpus.parser import load_document  # the parser is imported only when checking for real

    problems = check(path, load_document())
    for problem in problems:
        print(problem)
    print(summary(path), file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
