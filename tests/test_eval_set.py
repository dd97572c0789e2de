"""The evaluation set is well formed and agrees with the parsed document."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from corpus.model import Passage
from eval.check_set import DEFAULT_SET, KINDS, check

MIN_QUESTIONS = 200
MIN_PER_KIND = 20


def _records() -> list[dict[str, object]]:
    return [json.loads(line) for line in DEFAULT_SET.read_text(encoding="utf-8").splitlines()]


def test_set_matches_document() -> None:
    from corpus.parser import load_document  # needs the real parser

    problems = check(DEFAULT_SET, load_document())
    assert problems == [], "\n".join(problems)


def test_set_counts() -> None:
    records = _records()
    kinds = Counter(str(r["kind"]) for r in records)
    langs = Counter(str(r["lang"]) for r in records)
    assert len(records) >= MIN_QUESTIONS
    for kind in KINDS:
        assert kinds[kind] >= MIN_PER_KIND, f"only {kinds[kind]} questions of kind {kind!r}"
    assert langs["en"] >= MIN_PER_KIND


# ---------------------------------------------------------------- check() itself, on a toy document

TOY = [
    Passage(id="4.8", doc="toy", kind="paragraph", text="4.8 第 74/144 号决议"),
    Passage(id="4.88", doc="toy", kind="paragraph", text="4.88 资源变动反映增加 1 837 200 美元。"),
    Passage(id="4.88(b)", doc="toy", kind="item", text="(b) 次级方案 3。增加 1 612 200 美元", parent="4.88"),
    Passage(id="表4.24", doc="toy", kind="table", text="表 4.24 3. 常规武器 1 392.0"),
]


def _write(tmp_path: Path, *records: object) -> Path:
    path = tmp_path / "set.jsonl"
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _q(qid: str, **fields: object) -> dict[str, object]:
    rec: dict[str, object] = {
        "id": qid,
        "question": "次级方案 3 增加多少？",
        "lang": "zh",
        "kind": "number",
        "gold": ["4.88"],
        "answer": "1612200",
    }
    rec.update(fields)
    return rec


def test_check_accepts_good_set(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        _q("q001"),  # key only in the item 4.88(b), which lies within gold 4.88
        _q("q002", gold=["表4.24"], answer="1 392.0"),
        _q("q003", kind="unanswerable", gold=[], answer=""),
        _q("q004", kind="followup", history=["次级方案 2 呢？"], question="那次级方案 3 呢？"),
        _q("q005", kind="en", lang="en", question="What is the increase?", answer="1 837 200"),
    )
    assert check(path, TOY) == []


@pytest.mark.parametrize(
    ("record", "fragment"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "not a JSON object"),
        (_q("q001", kind="trivia"), "unknown kind"),
        (_q("q001", lang="fr"), "unknown lang"),
        (_q("q001", kind="en"), "needs lang 'en'"),
        (_q("q001", gold="4.88"), "field 'gold' must be list"),
        (_q("q001", extra=1), "unknown field"),
        ({"id": "q001", "question": "x"}, "missing field"),
        (_q("q001", gold=["4.99"]), "not a passage"),
        (_q("q001", gold=["4.88 (b)"]), "contains whitespace"),
        (_q("q001", gold=["4.8"]), "not found in gold"),  # 4.8 is not an ancestor of 4.88(b)
        (_q("q001", answer="9 999"), "not found in gold"),
        (_q("q001", kind="unanswerable"), "must have empty gold and answer"),
        (_q("q001", gold=[]), "gold is empty"),
        (_q("q001", answer=""), "answer key is empty"),
        (_q("q001", kind="followup"), "needs a history"),
        (_q("q001", history=["上一问"]), "history given"),
        (_q("1"), "not of the form q001"),
    ],
)
def test_check_reports_problem(tmp_path: Path, record: object, fragment: str) -> None:
    problems = check(_write(tmp_path, record), TOY)
    assert any(fragment in p for p in problems), problems


def test_check_reports_duplicate_ids(tmp_path: Path) -> None:
    problems = check(_write(tmp_path, _q("q001"), _q("q001")), TOY)
    assert any("duplicate id" in p for p in problems), problems
