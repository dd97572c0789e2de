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
FIRST_NEW = 293  # q293 on: written before the reader and table work, for the test split (issues 9 and 10)


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


def _new(split: str) -> list[dict[str, object]]:
    return [r for r in _records() if int(str(r["id"])[1:]) >= FIRST_NEW and r["split"] == split]


def test_every_question_has_a_split_and_both_splits_have_every_kind() -> None:
    records = _records()
    assert all(r.get("split") in ("dev", "test") for r in records)
    for split in ("dev", "test"):
        kinds = {r["kind"] for r in records if r["split"] == split}
        assert kinds == KINDS, f"{split} lacks {sorted(KINDS - kinds)}"


def test_new_test_part_has_the_promised_sizes() -> None:
    new = _new("test")
    alone = [r for r in new if "conversation" not in r]
    english = [r for r in alone if r["kind"] == "en"]
    tables = [r for r in alone if r["kind"] == "table"]
    unanswerable = [r for r in alone if r["kind"] == "unanswerable"]
    assert len(english) >= 45
    assert len(tables) >= 45
    assert sum(1 for r in tables if r["lang"] == "en") >= 15
    assert len({g for r in tables for g in r["gold"] if str(g).startswith("表")}) >= 15  # type: ignore[attr-defined]
    assert all(r.get("wrong") for r in tables), "every table-cell question lists the cells a vague answer holds"
    assert len(unanswerable) >= 20 and {r["lang"] for r in unanswerable} == {"zh", "en"}


def test_new_conversations() -> None:
    new = _new("test")
    conversations: dict[object, list[dict[str, object]]] = {}
    for r in new:
        if "conversation" in r:
            conversations.setdefault(r["conversation"], []).append(r)
    assert len(conversations) >= 45
    assert all(2 <= len(turns) <= 4 for turns in conversations.values())
    assert {turns[0]["lang"] for turns in conversations.values()} == {"zh", "en"}
    later = [r for turns in conversations.values() for r in turns if r["turn"] != 1]
    assert all(r["kind"] == "followup" and r["history"] for r in later)
    # follow-ups the document cannot answer (a year it does not cover, after recosting): empty gold and key
    assert sum(1 for r in later if not r["gold"]) >= 8


def test_dev_part_has_new_kinds_to_tune_on() -> None:
    new = _new("dev")
    assert len([r for r in new if r["kind"] in ("table", "en", "followup") or "conversation" in r]) >= 20


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
        _q("q006", kind="table", gold=["表4.24"], answer="1 392.0", wrong=["1 392"], split="test"),
        _q("q007", question="次级方案 3 增加多少？", conversation="c001", turn=1, split="dev"),
        _q("q008", kind="followup", question="2025 年呢？", gold=[], answer="", history=["次级方案 3 增加多少？"],
           conversation="c001", turn=2, split="dev"),
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
        (_q("q001", split="train"), "unknown split"),
        (_q("q001", kind="table"), "needs a table"),
        (_q("q001", wrong=["9 999"]), "not in gold"),
        (_q("q001", wrong=["1 612 200"]), "the key itself"),
        (_q("q001", turn=1), "give both or neither"),
        (_q("q001", conversation="c001", turn=2), "earlier turn(s) in history"),
        (_q("q001", conversation="x1", turn=1), "not of the form c001"),
        (_q("q001", turn=True, conversation="c001"), "must be int"),
        (_q("q001", kind="followup", history=["上一问"], gold=[]), "answer key given but gold is empty"),
    ],
)
def test_check_reports_problem(tmp_path: Path, record: object, fragment: str) -> None:
    problems = check(_write(tmp_path, record), TOY)
    assert any(fragment in p for p in problems), problems


def test_check_reports_duplicate_ids(tmp_path: Path) -> None:
    problems = check(_write(tmp_path, _q("q001"), _q("q001")), TOY)
    assert any("duplicate id" in p for p in problems), problems


def test_check_reports_inconsistent_conversation(tmp_path: Path) -> None:
    first = _q("q001", conversation="c001", turn=1)
    second = _q("q002", kind="followup", history=["另一个问题？"], conversation="c001", turn=2)
    lone = _q("q003", conversation="c002", turn=1)
    problems = check(_write(tmp_path, first, second, lone), TOY)
    assert any("not the conversation's earlier turns" in p for p in problems), problems
    assert any("c002: only one turn" in p for p in problems), problems


def test_runner_loads_any_design_format_file(tmp_path: Path) -> None:
    """The runner takes any DESIGN-format file: unknown extra fields and kinds pass, structural errors do not."""
    from eval.schema import SetError, load_questions

    path = _write(tmp_path, _q("x1", kind="trivia", source="elsewhere"), _q("x2", wrong=["190"], split="test"))
    questions = load_questions(path)
    assert [q.id for q in questions] == ["x1", "x2"] and questions[1].wrong == ["190"]
    with pytest.raises(SetError, match=r"set.jsonl:2: field 'gold' must be list"):
        load_questions(_write(tmp_path, _q("x1"), _q("x2", gold="4.88")))
    with pytest.raises(SetError, match="duplicate id"):
        load_questions(_write(tmp_path, _q("x1"), _q("x1")))
