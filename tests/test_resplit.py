"""The re-split by fact (eval.resplit) on hand-made records, and the committed set it was applied to."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from eval.resplit import DEFAULT_SET, fact_groups, majority_split, resplit


def _r(
    qid: str, split: str | None = None, gold: list[str] | None = None, answer: str = "", **extra: object
) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": qid,
        "question": "？",
        "lang": "zh",
        "kind": "number",
        "gold": gold if gold is not None else [],
        "answer": answer,
        **extra,
    }
    if split is not None:
        rec["split"] = split
    return rec


def _groups(records: list[dict[str, Any]]) -> list[list[str]]:
    return [[records[i]["id"] for i in g] for g in fact_groups(records)]


def test_twins_without_a_fact_field_are_one_group_by_gold_and_key() -> None:
    # The same gold set in another order and the key with other spacing: the same fact. A different key is not.
    records = [
        _r("zh", "dev", ["4.86", "表4.24"], "15 232 800"),
        _r("en", "test", ["表4.24", "4.86"], "15232800", lang="en"),
        _r("other", "dev", ["4.86"], "15 232 800"),
        _r("u1", "test"),
        _r("u2", "test"),  # two unanswerable records share no key: separate facts
    ]
    assert _groups(records) == [["zh", "en"], ["other"], ["u1"], ["u2"]]


def test_explicit_facts_and_conversations_join_transitively() -> None:
    records = [
        _r("a", gold=["4.1"], answer="甲", fact="f001"),
        _r("b", gold=["4.2"], answer="乙", fact="f001", lang="en"),
        _r("c", gold=["4.2"], answer="乙", conversation="c001", turn=1),  # same gold and key as b
        _r("d", gold=["4.9"], answer="丁", conversation="c001", turn=2),
        _r("e", gold=["4.9"], answer="戊"),
    ]
    assert _groups(records) == [["a", "b", "c", "d"], ["e"]]


def test_majority_keeps_history_and_a_tie_goes_to_test() -> None:
    assert majority_split(["dev", "dev", "test"]) == "dev"
    assert majority_split(["dev", "test"]) == "test"
    assert majority_split(["test"]) == "test"


def test_a_group_gets_its_majority_and_moves_are_counted() -> None:
    records = [
        _r("q1", "dev", ["4.1"], "甲"),
        _r("q2", "dev", ["4.1"], "甲", lang="en"),
        _r("q3", "test", ["4.1"], "甲"),  # outvoted: moves to dev
        _r("q4", "dev", ["4.2"], "乙"),
        _r("q5", "test", ["4.2"], "乙"),  # a tie: q4 moves to test
        _r("q6", None, ["4.1"], "甲"),  # new, but asks an old fact: takes that fact's split
    ]
    out = resplit(records)
    assert [r["split"] for r in out.records] == ["dev", "dev", "dev", "test", "test", "dev"]
    assert (out.moved, out.assigned, out.counts, out.new_counts) == (2, 1, {"dev": 4, "test": 2}, {"dev": 1})
    # Every other field is kept, in order, and the input is not changed.
    assert list(out.records[5]) == ["id", "question", "lang", "kind", "gold", "answer", "split"]
    assert "split" not in records[5]


def test_new_groups_fill_test_to_the_share_deterministically() -> None:
    # Ten new facts of two questions each: with a share of 0.6, groups go to test while test holds less than 60 %
    # of what has been assigned so far including the group, so 6 facts (12 questions) end in test.
    records = [
        _r(f"q{i}{lang}", None, [f"4.{i}"], str(i), lang=lang) for i in range(10) for lang in ("zh", "en")
    ]
    out = resplit(records, test_share=0.6)
    assert out.new_counts == {"test": 12, "dev": 8}
    by_fact: dict[str, set[str]] = {}
    for r in out.records:
        by_fact.setdefault(r["gold"][0], set()).add(r["split"])
    assert all(len(s) == 1 for s in by_fact.values())  # twins never straddle
    assert resplit(list(reversed(records)), test_share=0.6).new_counts == out.new_counts
    again = resplit(records, test_share=0.6)
    assert [r["split"] for r in again.records] == [r["split"] for r in out.records]  # deterministic


def test_resplit_is_idempotent() -> None:
    records = [
        _r("q1", "dev", ["4.1"], "甲"),
        _r("q2", "test", ["4.1"], "甲"),
        _r("q3", None, ["4.3"], "丙", fact="f001"),
        _r("q4", None, ["4.4"], "丁", fact="f001", lang="en"),
        _r("q5", None, conversation="c001", turn=1),
    ]
    once = resplit(records)
    twice = resplit(once.records)
    assert twice.records == once.records
    assert (twice.moved, twice.assigned) == (0, 0)


def test_committed_set_never_splits_a_fact() -> None:
    """On eval/questions.jsonl: twins, same-key questions and conversations each sit in one split, so the re-split
    moves nothing."""
    records = [json.loads(line) for line in Path(DEFAULT_SET).read_text(encoding="utf-8").splitlines()]
    straddling = [
        [records[i]["id"] for i in g]
        for g in fact_groups(records)
        if len({records[i]["split"] for i in g}) > 1
    ]
    assert straddling == []
    out = resplit(records)
    assert (out.moved, out.assigned) == (0, 0)
    facts: dict[str, Counter[str]] = {}
    for r in records:
        if "fact" in r:
            facts.setdefault(r["fact"], Counter())[r["split"]] += 1
    assert facts and all(len(c) == 1 for c in facts.values())


def test_new_groups_of_uneven_sizes_still_leave_the_share_in_test() -> None:
    # Conversations of 1 to 5 turns: whatever the hash order, test ends with at least 60 % of the new questions
    # (a group goes to dev only when test already holds 60 % with it counted).
    records = [
        _r(f"c{c}t{t}", None, [f"4.{c}"], f"{c}-{t}", conversation=f"c{c:03d}", turn=t)
        for c, size in enumerate([3, 1, 2, 5, 1, 1, 4, 2])
        for t in range(1, size + 1)
    ]
    out = resplit(records, test_share=0.6)
    assert out.new_counts["test"] >= 0.6 * len(records) and out.new_counts.get("dev", 0) > 0
