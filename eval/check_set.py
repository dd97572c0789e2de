"""Mechanical check of an evaluation set (JSON Lines) against the parsed document.

Usage: ``python -m eval.check_set [SET.jsonl]`` (default: eval/questions.jsonl next to this file).
Prints one line per problem and exits non-zero when there are any; prints the counts by split, kind and
language. The format itself is `eval.schema`'s; this adds what needs the document and this project's kinds.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from corpus.model import Passage
from eval.metrics import is_within, normalize_id, normalize_text
from eval.schema import record_problems

DEFAULT_SET = Path(__file__).with_name("questions.jsonl")

# table: the answer is one cell of a table (name a row and a column); followup: a turn with history; two_part: a
# question asking two things at once ("…是多少？其中…多少？"), every part keyed in `answers`.
KINDS = frozenset({"fact_zh", "number", "citation", "en", "unanswerable", "followup", "table", "two_part"})
LANGS = frozenset({"zh", "en"})
# The language a kind implies, where it implies one.
KIND_LANG = {"fact_zh": "zh", "en": "en"}
ID_PATTERN = re.compile(r"^q\d{3,}$")
CONVERSATION_PATTERN = re.compile(r"^c\d{3,}$")
FACT_PATTERN = re.compile(r"^f\d{3,}$")


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
    problems = [f"{where}: {p}" for p in record_problems(rec, known_fields_only=True)]
    if problems:
        return problems

    qid, kind, lang, gold, answer = rec["id"], rec["kind"], rec["lang"], rec["gold"], rec["answer"]
    if not ID_PATTERN.match(qid):
        problems.append(f"{where}: id {qid!r} is not of the form q001")
    if not rec["question"].strip():
        problems.append(f"{where}: empty question")
    if kind not in KINDS:
        problems.append(f"{where}: unknown kind {kind!r}")
    if lang not in LANGS:
        problems.append(f"{where}: unknown lang {lang!r}")
    elif kind in KIND_LANG and lang != KIND_LANG[kind]:
        problems.append(f"{where}: kind {kind!r} needs lang {KIND_LANG[kind]!r}, got {lang!r}")

    history = rec.get("history")
    if history is not None:
        if not history or not all(h.strip() for h in history):
            problems.append(f"{where}: history must be a non-empty list of non-empty strings")
        if kind != "followup":
            problems.append(f"{where}: history given but kind is {kind!r}, not 'followup'")
    elif kind == "followup":
        problems.append(f"{where}: kind 'followup' needs a history")
    if rec.get("standalone") is not None and history is None:
        # Standalone marks a turn that must not be read as a follow-up; a first turn has nothing to follow.
        problems.append(f"{where}: standalone given on a question without history")
    fact = rec.get("fact")
    if fact is not None and not FACT_PATTERN.match(fact):
        problems.append(f"{where}: fact {fact!r} is not of the form f001")
    conversation, turn = rec.get("conversation"), rec.get("turn")
    if conversation is not None:
        if not CONVERSATION_PATTERN.match(conversation):
            problems.append(f"{where}: conversation {conversation!r} is not of the form c001")
        if turn != len(history or []) + 1:
            problems.append(f"{where}: turn {turn} but {len(history or [])} earlier turn(s) in history")

    if len(set(gold)) != len(gold):
        problems.append(f"{where}: duplicate gold ids")
    if kind == "unanswerable":
        if gold or answer:
            problems.append(f"{where}: unanswerable question must have empty gold and answer")
    elif not gold and kind != "followup":  # a follow-up the document cannot answer has empty gold and key
        problems.append(f"{where}: gold is empty but kind is {kind!r}")
    elif not gold and answer:
        problems.append(f"{where}: answer key given but gold is empty")
    if kind == "table" and not any(g.startswith("表") for g in gold):
        problems.append(f"{where}: kind 'table' needs a table (表…) among the gold ids")

    for g in gold:
        if g != normalize_id(g):
            problems.append(f"{where}: gold id {g!r} contains whitespace")
        if g not in texts:
            problems.append(f"{where}: gold id {g!r} is not a passage")
    for key_text in [answer, *(rec.get("answers") or [])[1:]]:
        key = _squash(key_text)
        if key and gold and not any(key in texts.get(g, "") for g in gold):
            problems.append(f"{where}: answer {key_text!r} not found in gold {gold}")
    for w in rec.get("wrong") or []:
        if not gold:
            problems.append(f"{where}: 'wrong' given for a question without gold")
            break
        if not w.strip() or normalize_text(w) in {
            normalize_text(k) for k in [answer, *(rec.get("answers") or [])]
        }:
            problems.append(f"{where}: wrong string {w!r} is empty or the key itself")
        elif not any(_squash(w) in texts.get(g, "") for g in gold):
            problems.append(
                f"{where}: wrong string {w!r} is not in gold {gold} (it should be a real other cell)"
            )
    return problems


def _check_conversations(recs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Turns of one conversation agree: numbered 1..n, one split and language, history = the earlier turns."""
    problems: list[str] = []
    by_conv: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for where, rec in recs:
        if isinstance(rec.get("conversation"), str) and isinstance(rec.get("turn"), int):
            by_conv[rec["conversation"]].append((where, rec))
    for conv, turns in by_conv.items():
        turns.sort(key=lambda t: t[1]["turn"])
        numbers = [r["turn"] for _, r in turns]
        if numbers != list(range(1, len(turns) + 1)):
            problems.append(f"conversation {conv}: turns {numbers}, want 1..{len(turns)}")
            continue
        if len(turns) < 2:
            problems.append(f"conversation {conv}: only one turn")
        for name in ("split", "lang"):
            if len({r.get(name) for _, r in turns}) > 1:
                problems.append(f"conversation {conv}: turns differ in {name}")
        questions = [r["question"] for _, r in turns]
        for where, r in turns:
            if list(r.get("history") or []) != questions[: r["turn"] - 1]:
                problems.append(f"{where}: history is not the conversation's earlier turns")
    return problems


def check(path: str | Path, passages: Sequence[Passage]) -> list[str]:
    """Problems found in the set at ``path``; an empty list means the set is sound."""
    texts = _passage_texts(passages)
    problems: list[str] = []
    seen: dict[str, int] = {}
    good: list[tuple[str, dict[str, Any]]] = []
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
        found = _check_record(rec, where, texts)
        problems.extend(found)
        if not found:
            good.append((where, rec))
    problems.extend(_check_conversations(good))
    if not seen and not problems:
        problems.append(f"{path}: no questions")
    return problems


def counts(path: str | Path) -> Counter[tuple[str, str, str]]:
    """(split, kind, lang) -> number of records, over the records that parse as JSON objects."""
    out: Counter[tuple[str, str, str]] = Counter()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict):
            out[(str(rec.get("split", "-")), str(rec.get("kind")), str(rec.get("lang")))] += 1
    return out


def summary(path: str | Path) -> str:
    """Counts per split × kind × language, one line each, then the totals."""
    c = counts(path)
    lines = [f"{split:5} {kind:13} {lang:3} {n:4}" for (split, kind, lang), n in sorted(c.items())]
    kinds: Counter[str] = Counter()
    splits: Counter[str] = Counter()
    for (split, kind, _), n in c.items():
        kinds[kind] += n
        splits[split] += n
    lines.append(
        f"{sum(c.values())} questions; splits: "
        + ", ".join(f"{k} {n}" for k, n in sorted(splits.items()))
        + "; kinds: "
        + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.check_set",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "set", nargs="?", default=str(DEFAULT_SET), help="the set to check (default: %(default)s)"
    )
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    path = Path(args.set)
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
