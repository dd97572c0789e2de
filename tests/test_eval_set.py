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
FIRST_NEW, LAST_NEW = (
    293,
    586,
)  # written before the reader and table work, for the test split (issues 9 and 10)


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
    return [r for r in _records() if FIRST_NEW <= int(str(r["id"])[1:]) <= LAST_NEW and r["split"] == split]


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
    assert all(r.get("wrong") for r in tables), (
        "every table-cell question lists the cells a vague answer holds"
    )
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
    # From q293 on, whatever batch: the re-split by fact (eval/resplit.py) moved some of that batch's dev records to
    # test along with their twins, and later batches fill dev again.
    dev = [r for r in _records() if int(str(r["id"])[1:]) >= FIRST_NEW and r["split"] == "dev"]
    assert len([r for r in dev if r["kind"] in ("table", "en", "followup") or "conversation" in r]) >= 20


FIRST_FACTS = 587  # q587 on: written by fact, each asked in Chinese and in English (`fact`), re-split by fact


def _by_fact() -> list[list[dict[str, object]]]:
    facts: dict[object, list[dict[str, object]]] = {}
    for r in _records():
        if int(str(r["id"])[1:]) >= FIRST_FACTS and "fact" in r:
            facts.setdefault(r["fact"], []).append(r)
    return list(facts.values())


def test_fact_batch_asks_every_fact_in_both_languages() -> None:
    new = [r for r in _records() if int(str(r["id"])[1:]) >= FIRST_FACTS]
    facts = _by_fact()
    assert len(new) >= 200
    # Every single-turn question of the batch belongs to a fact, and a fact is one Chinese and one English question.
    assert all("fact" in r for r in new if "conversation" not in r)
    assert all(sorted(str(r["lang"]) for r in f) == ["en", "zh"] for f in facts)
    assert all(len({r["kind"] == "unanswerable" for r in f}) == 1 for f in facts)
    answerable = [f for f in facts if f[0]["gold"] and f[0]["kind"] != "two_part"]
    assert len(answerable) >= 60
    assert sum(1 for f in facts if f[0]["kind"] == "two_part") >= 12
    assert sum(1 for f in facts if f[0]["kind"] == "unanswerable") >= 20
    # Half of the new questions at least are held out.
    assert sum(1 for r in new if r["split"] == "test") * 2 >= len(new)


def test_fact_batch_near_misses_say_what_the_document_has_instead() -> None:
    new = [r for r in _records() if int(str(r["id"])[1:]) >= FIRST_FACTS]
    assert all(str(r.get("near_miss", "")).strip() for r in new if not r["gold"])


def test_fact_batch_conversations() -> None:
    turns: dict[object, list[dict[str, object]]] = {}
    for r in _records():
        if int(str(r["id"])[1:]) >= FIRST_FACTS and "conversation" in r:
            turns.setdefault(r["conversation"], []).append(r)
    assert len(turns) >= 15
    assert {t[0]["lang"] for t in turns.values()} == {"zh", "en"}
    standalone = [r for t in turns.values() for r in t if r.get("standalone")]
    assert {r["lang"] for r in standalone} == {"zh", "en"}
    # A turn right after an abstention that the document does answer: the abstention is not inherited.
    after_abstention = [
        t[i] for t in turns.values() for i in range(1, len(t)) if not t[i - 1]["gold"] and t[i]["gold"]
    ]
    assert len(after_abstention) >= 3


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
        _q(
            "q008",
            kind="followup",
            question="2025 年呢？",
            gold=[],
            answer="",
            history=["次级方案 3 增加多少？"],
            conversation="c001",
            turn=2,
            split="dev",
        ),
        _q("q009", kind="two_part", answers=["1612200", "1 837 200"], fact="f001"),
        _q(
            "q010",
            kind="two_part",
            lang="en",
            question="How much, and of which?",
            answers=["1612200", "1 837 200"],
            fact="f001",
        ),
        _q("q011", kind="unanswerable", gold=[], answer="", near_miss="2024 only, not 2025", fact="f002"),
        _q(
            "q012",
            question="表 4.24 呢？",
            kind="followup",
            gold=["表4.24"],
            answer="1 392.0",
            standalone=True,
            history=["次级方案 3 增加多少？"],
            conversation="c002",
            turn=2,
        ),
        _q("q013", conversation="c002", turn=1),
        _q("q014", answers=["1612200", "1 837 200"]),  # a list question: every item a key
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
        (_q("q001", kind="two_part"), "needs answers"),
        (_q("q001", answers=["1612200"]), "two or more"),
        (_q("q001", answers=["1 837 200", "1612200"]), "answer must repeat the first"),
        (_q("q001", kind="two_part", answers=["1612200", "9 999"]), "'9 999' not found in gold"),
        (_q("q001", answers=["1612200", 5]), "answers must be a list of strings"),
        (_q("q001", answers=["1612200", "1 837 200"], wrong=["1 837 200"]), "the key itself"),
        (
            _q("q001", kind="unanswerable", gold=[], answer="", answers=["a", "b"]),
            "answers given but gold is empty",
        ),
        (_q("q001", standalone=True), "standalone given on a question without history"),
        (_q("q001", standalone="yes"), "field 'standalone' must be bool"),
        (_q("q001", near_miss="2024 only"), "near_miss is for questions the document does not answer"),
        (_q("q001", kind="unanswerable", gold=[], answer="", near_miss=" "), "near_miss must not be empty"),
        (_q("q001", fact="fact-1"), "not of the form f001"),
        (_q("q001", fact=" "), "fact must not be empty"),
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

    path = _write(
        tmp_path, _q("x1", kind="trivia", source="elsewhere"), _q("x2", wrong=["190"], split="test")
    )
    questions = load_questions(path)
    assert [q.id for q in questions] == ["x1", "x2"] and questions[1].wrong == ["190"]
    with pytest.raises(SetError, match=r"set.jsonl:2: field 'gold' must be list"):
        load_questions(_write(tmp_path, _q("x1"), _q("x2", gold="4.88")))
    with pytest.raises(SetError, match="duplicate id"):
        load_questions(_write(tmp_path, _q("x1"), _q("x1")))


def test_question_carries_the_new_fields() -> None:
    from eval.schema import Question

    q = Question.from_dict(_q("q1", kind="two_part", answers=["1612200", "1 837 200"], fact="f001"))
    assert (q.fact, q.answers, q.keys, q.standalone, q.near_miss) == (
        "f001",
        ["1612200", "1 837 200"],
        ["1612200", "1 837 200"],
        False,
        None,
    )
    # Without answers, the one key is the only key.
    assert Question.from_dict(_q("q2")).keys == ["1612200"]
    turn = Question.from_dict(_q("q3", kind="followup", history=["上一问"], standalone=True))
    assert turn.standalone is True


def test_dev_only_passes_dev_records_and_refuses_any_other() -> None:
    from eval.schema import Question, SetError, dev_only

    dev = [_q("q1", split="dev"), _q("q2", split="dev")]
    assert dev_only(dev) == dev
    assert dev_only(iter(dev)) == dev  # a generator is read once and returned as a list
    with pytest.raises(SetError, match="q3: split 'test'"):
        dev_only([*dev, _q("q3", split="test")])
    with pytest.raises(SetError, match="q4: split None"):
        dev_only([_q("q4")])  # a record without a split is not known to be dev
    with pytest.raises(SetError, match="q5"):
        dev_only([Question.from_dict(_q("q5", split="test"))])
