"""`citeqa feedback export`: reviewed feedback as lines of the evaluation set (docs/DESIGN.md §3, `eval/schema.py`),
so a maintainer can add real users' questions to the dev split.

Which feedback becomes a question, and how (each line keeps to the schema's known fields, so `eval.check_set`
accepts it as it is):

| feedback | line |
|---|---|
| 👍 on an answer | `gold`: the passages the answer marks (`[4.86]`); `answer`: the longest figure of the answer found in a gold passage, else the longest stretch of the answer's text found there (at most 40 characters) |
| 👍 on an abstention | `kind` `unanswerable`, `gold` and `answer` empty |
| 👎 naming the right passage | `gold`: that passage; `answer`: the longest figure of the comment found in the passage, else the comment itself when the passage holds it |
| anything else | skipped, with the reason on stderr (👎 without a passage: nothing to test against) |

`question`: the question as understood (a follow-up stands alone with its resolved question), `lang` its language;
`kind`: `unanswerable`, else `table` when a gold passage is a table, `en` for an English question, `number` when
the key is a figure, `fact_zh` otherwise; `split`: `dev`; `id`: `q` and a number, continuing the set's numbering
(after the highest id of `--set`), so the lines can be appended to eval/questions.jsonl as they are. Each line is
checked as `eval.check_set` checks the set (one it finds fault with is skipped, with its words). A question
already in the set, or exported twice, is written once.
"""

from __future__ import annotations

import difflib
import json
import re
import sqlite3
import sys
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from corpus.model import Passage

_FIGURE = re.compile(r"\d(?:[\d,.]|\s(?=\d))*\d|\d")
_MARKER = re.compile(r"\[[^\[\]\n]{1,120}\]")
_ID = re.compile(r"^q(\d+)$")
KEY_CHARS = 40
PAGE = 500


def _squash(text: str) -> str:
    return "".join(text.split()).replace("|", "")


def gold_texts(passages: Sequence[Passage]) -> dict[str, str]:
    """Each passage id -> its text with the texts of the passages inside it, squashed as `eval.check_set` compares."""
    from eval.metrics import is_within

    by_id = {p.id: p for p in passages}
    out: dict[str, str] = {}
    for pid, p in by_id.items():
        parts = [p.text] + [o.text for o in passages if o.id != pid and is_within(o.id, pid)]
        parts += [by_id[c].text for c in p.children if c in by_id and not is_within(c, pid)]
        out[pid] = _squash("\n".join(parts))
    return out


def _figure_key(text: str, gold: str) -> str | None:
    """The longest figure (by digits) of `text` that the gold text holds."""
    figures = sorted(
        {m.group(0).strip(",.") for m in _FIGURE.finditer(_MARKER.sub(" ", text))},
        key=lambda f: (-sum(c.isdigit() for c in f), f),
    )
    return next((f for f in figures if len(f) > 1 and _squash(f) in gold), None)


def _stretch_key(answer: str, gold: str) -> str | None:
    """The longest stretch of the answer's text the gold text holds, cut to whole figures and KEY_CHARS."""
    text = _squash(_MARKER.sub(" ", answer))
    m = difflib.SequenceMatcher(None, text, gold, autojunk=False).find_longest_match(
        0, len(text), 0, len(gold)
    )
    key = text[m.a : m.a + min(m.size, KEY_CHARS)]
    # A stretch must not start or end inside a figure: "15232" of "15232800" would not match the answer strictly.
    key = key.strip("0123456789.,")
    return key if len(key) >= 2 else None


def to_record(
    item: dict[str, Any], texts: dict[str, str], language: Callable[[str], str]
) -> dict[str, Any] | str:
    """The evaluation line for one feedback item (without its id), or why it is skipped."""
    from eval.metrics import strict_answer_match

    question = item.get("resolved_question") or item["question"]
    rec: dict[str, Any] = {"question": question, "lang": language(question)}
    if item["verdict"] == "up" and item["abstained"]:
        return {**rec, "kind": "unanswerable", "gold": [], "answer": "", "split": "dev"}
    if item["verdict"] == "up":
        gold = [g for g in item["cited"] if g in texts]
        if not gold:
            return "👍 on an answer that marks no passage of this document"
        joined = "".join(texts[g] for g in gold)
        key = _figure_key(item["answer"], joined) or _stretch_key(item["answer"], joined)
        if not key or not strict_answer_match(item["answer"], key, []):
            return "👍 on an answer with nothing in common with its passages"
    elif item.get("passage"):
        gold = [item["passage"]]
        if item["passage"] not in texts:
            return f"passage {item['passage']} is not in this document"
        comment = item.get("comment") or ""
        key = _figure_key(comment, texts[item["passage"]])
        if (
            not key
            and comment.strip()
            and len(comment) <= 2 * KEY_CHARS
            and _squash(comment) in texts[item["passage"]]
        ):
            key = comment.strip()
        if not key:
            return (
                f"👎 naming {item['passage']} without the answer: a comment with the passage's words or figure "
                "would make it a question"
            )
    else:
        return "👎 without the right passage: nothing to test against"
    if any(g.startswith("表") for g in gold):
        kind = "table"
    elif rec["lang"] == "en":
        kind = "en"
    elif _FIGURE.fullmatch(key):
        kind = "number"
    else:
        kind = "fact_zh"
    return {**rec, "kind": kind, "gold": gold, "answer": key, "split": "dev"}


def next_number(set_path: Path | None) -> int:
    """One above the highest `qNNN` id of the set (1 without one)."""
    highest = 0
    if set_path is not None and set_path.exists():
        for line in set_path.read_text(encoding="utf-8").splitlines():
            try:
                m = _ID.match(str(json.loads(line).get("id", ""))) if line.strip() else None
            except (json.JSONDecodeError, AttributeError):
                m = None
            if m:
                highest = max(highest, int(m.group(1)))
    return highest + 1


def _asked(set_path: Path | None) -> set[str]:
    if set_path is None or not set_path.exists():
        return set()
    out = set()
    for line in set_path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and isinstance(rec.get("question"), str):
            out.add(_squash(rec["question"]))
    return out


def export(
    items: Iterable[dict[str, Any]],
    passages: Sequence[Passage],
    set_path: Path | None,
    first: int | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """The evaluation lines for `items` and one line per item skipped (why)."""
    from reader.question import language

    texts = gold_texts(passages)
    number = next_number(set_path) if first is None else first
    width = max(3, len(str(number)))
    seen = _asked(set_path)
    lines: list[dict[str, Any]] = []
    skipped: list[str] = []
    for item in items:
        rec = to_record(item, texts, language)
        if isinstance(rec, str):
            skipped.append(f"feedback {item['id']}: {rec}")
            continue
        if _squash(rec["question"]) in seen:
            skipped.append(f"feedback {item['id']}: the question is in the set already")
            continue
        seen.add(_squash(rec["question"]))
        lines.append({"id": f"q{number:0{width}d}", **rec, "_row": item["id"]})
        number += 1
    return _checked(lines, passages, skipped)


def _checked(
    lines: list[dict[str, Any]], passages: Sequence[Passage], skipped: list[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The lines `eval.check_set` finds nothing wrong with (as the set's own lines are checked); the others are
    skipped with the checker's words. The ids are numbered again, without gaps."""
    import tempfile

    from eval.check_set import check

    if not lines:
        return [], skipped
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.jsonl"
        path.write_text(
            "".join(
                json.dumps({k: v for k, v in rec.items() if k != "_row"}, ensure_ascii=False) + "\n"
                for rec in lines
            ),
            encoding="utf-8",
        )
        bad: dict[int, str] = {}
        for problem in check(path, passages):
            where, _, why = problem.partition(": ")
            at = where.removeprefix(f"{path}:").split(" ")[0]
            if at.isdigit():
                bad.setdefault(int(at), why)
    kept: list[dict[str, Any]] = []
    number = min(int(rec["id"][1:]) for rec in lines)
    width = len(lines[0]["id"]) - 1
    for lineno, rec in enumerate(lines, start=1):
        row = rec.pop("_row")
        if lineno in bad:
            skipped.append(f"feedback {row}: {bad[lineno]}")
            continue
        kept.append({"id": f"q{number:0{width}d}", **{k: v for k, v in rec.items() if k != "id"}})
        number += 1
    return kept, skipped


class FeedbackDbError(Exception):
    """The feedback database cannot be read; the message says which file and why, in one line."""


def stored_items(db: Path) -> list[dict[str, Any]]:
    """Every feedback row of a local database file (CITEQA_FEEDBACK_DB), oldest first. Opened read-only: an
    export never creates, migrates or writes the service's file (nor its WAL)."""
    from service.runtime.feedback import COLUMNS, row_out

    if not db.exists():
        raise FileNotFoundError(f"no feedback database at {db}")
    try:
        with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)) as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id").fetchall()
            return [row_out(dict(r)) for r in rows]
    except sqlite3.Error as exc:
        raise FeedbackDbError(f"cannot read the feedback database {db}: {exc}") from None


def served_items(url: str, admin_key: str | None) -> list[dict[str, Any]]:
    """Every feedback row from the service at `url` (GET /feedback, paged; the admin key in X-Admin-Key)."""
    from . import remote

    items: list[dict[str, Any]] = []
    while True:
        page = remote.get_json(
            url,
            f"/feedback?offset={len(items)}&limit={PAGE}",
            {"X-Admin-Key": admin_key} if admin_key else {},
        )
        items += page["items"]
        if not page["items"] or len(items) >= page["total"]:
            return items


def write(lines: list[dict[str, Any]], out: Path | None) -> None:
    text = "".join(json.dumps(rec, ensure_ascii=False) + "\n" for rec in lines)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
