"""Unit tests for eval.metrics; every expected value is worked out by hand in the comments."""

from __future__ import annotations

import pytest

from eval.metrics import (
    abstention_precision_recall,
    answer_match,
    answer_precision,
    coverage,
    first_text_rank,
    hit_at_k,
    hit_at_rank,
    id_matches,
    id_path,
    is_within,
    median,
    normalize_text,
    p95,
    percentile,
    reciprocal_rank,
    rr_at_rank,
    strict_answer_match,
    strict_answers_match,
    twin_agreement,
    twin_facts,
)

# ---------------------------------------------------------------- id grammar


@pytest.mark.parametrize(
    ("passage_id", "path"),
    [
        ("4.88", ("4.88",)),
        ("4.88(b)", ("4.88", "b")),
        ("4.88(b)㈠", ("4.88", "b", "㈠")),
        ("4.88 (b)㈠", ("4.88", "b", "㈠")),  # whitespace as printed in the document is ignored
        ("表4.24", None),
        ("图4.七", None),
        ("前言", None),
        ("附件三", None),
        ("4.88㈠", None),  # a sub-item needs its lettered item
    ],
)
def test_id_path(passage_id: str, path: tuple[str, ...] | None) -> None:
    assert id_path(passage_id) == path


@pytest.mark.parametrize(
    ("cited", "gold", "expected"),
    [
        ("4.88", "4.88", True),  # equal
        ("4.88(b)", "4.88", True),  # item cited, paragraph is gold
        ("4.88", "4.88(b)㈠", True),  # paragraph cited, sub-item is gold
        ("4.88(b)㈠", "4.88(b)", True),  # sub-item within item
        ("4.88 (b)", "4.88(b)", True),  # spacing as printed
        ("4.8", "4.88", False),  # paragraph numbers compare whole: 4.8 is not a prefix of 4.88
        ("4.88", "4.8", False),
        ("4.88(a)", "4.88(b)", False),  # siblings
        ("4.88(b)㈠", "4.88(b)㈡", False),
        ("4.88(a)", "4.88(b)㈠", False),  # the sub-item's item is (b), not (a)
        ("表4.24", "表4.24", True),  # tables match exactly ...
        ("表4.2", "表4.24", False),  # ... and never by prefix
        ("表4.24", "4.86", False),  # a table is not part of the paragraph that cites it
        ("图4.七", "图4.七", True),
        ("附件三", "附件三", True),
        ("前言", "4.1", False),
    ],
)
def test_id_matches(cited: str, gold: str, expected: bool) -> None:
    assert id_matches(cited, gold) is expected
    assert id_matches(gold, cited) is expected  # the relation is symmetric


def test_is_within_is_directional() -> None:
    assert is_within("4.88(b)㈠", "4.88")
    assert not is_within("4.88", "4.88(b)㈠")


# ---------------------------------------------------------------- retrieval


def test_hit_at_k() -> None:
    ranked = ["4.87", "表4.24", "4.88(b)㈠", "4.89"]
    gold = ["4.88"]
    # The first match is 4.88(b)㈠ at rank 3 (it lies within gold 4.88).
    # k=2 sees ranks 1-2 only -> 0.0; k=3 reaches rank 3 -> 1.0; k=10 past the list end -> 1.0.
    assert hit_at_k(ranked, gold, 2) == 0.0
    assert hit_at_k(ranked, gold, 3) == 1.0
    assert hit_at_k(ranked, gold, 10) == 1.0


def test_hit_at_k_any_of_several_gold() -> None:
    # Gold lists both the table and the paragraph; the table at rank 1 suffices -> 1.0.
    assert hit_at_k(["表4.24", "4.1"], ["4.86", "表4.24"], 1) == 1.0
    # "4.8" is not an ancestor of "4.88", so nothing matches -> 0.0.
    assert hit_at_k(["4.8", "4.80"], ["4.88"], 2) == 0.0


def test_hit_at_k_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        hit_at_k(["4.1"], ["4.1"], 0)
    with pytest.raises(ValueError):
        hit_at_k(["4.1"], [], 1)  # unanswerable questions have no retrieval target


def test_reciprocal_rank() -> None:
    # First match at rank 3 -> 1/3.
    assert reciprocal_rank(["4.87", "表4.24", "4.88(b)㈠"], ["4.88"]) == pytest.approx(1 / 3)
    # First match at rank 1 -> 1/1 = 1.0 (the later match at rank 2 does not count).
    assert reciprocal_rank(["4.88", "4.88(a)"], ["4.88(a)"]) == 1.0
    # No match -> 0.0; an empty ranking -> 0.0.
    assert reciprocal_rank(["4.1", "4.2"], ["4.3"]) == 0.0
    assert reciprocal_rank([], ["4.3"]) == 0.0


def test_mean_reciprocal_rank_by_hand() -> None:
    # Three questions with first hits at ranks 1, 2 and none: (1 + 1/2 + 0) / 3 = 0.5.
    runs = [
        (["4.86"], ["4.86"]),
        (["4.1", "表4.24"], ["表4.24"]),
        (["4.1"], ["4.99"]),
    ]
    rrs = [reciprocal_rank(r, g) for r, g in runs]
    assert sum(rrs) / len(rrs) == pytest.approx(0.5)


# ---------------------------------------------------------------- answers


@pytest.mark.parametrize(
    ("answer", "key", "expected"),
    [
        ("2024 年拟议资源为 15 232 800 美元。", "15 232 800", True),
        ("资源为15232800美元", "15 232 800", True),  # spacing differs -> still contains 15232800
        ("The total is 15,232,800 dollars", "15 232 800", True),  # digit-group commas dropped
        ("次级方案 3 为 1 392.0 千美元", "1 392.0", True),
        ("次级方案 3 为 1 392 千美元", "1 392.0", False),  # "1392" does not contain "1392.0"
        ("会议于 2022年11月28日 开幕", "2022 年 11 月 28 日", True),
        ("减少（8.3）%", "(8.3)", True),  # full-width brackets normalised by NFKC
        ("报告编号 ied-18-007", "IED-18-007", True),  # casefolded
        ("在纽约举行", "日内瓦", False),
        ("", "", True),  # unanswerable question, system abstained
        ("  ", "", True),  # whitespace only counts as no answer
        ("15 232 800", "", False),  # unanswerable question, system answered anyway
        ("", "日内瓦", False),  # answerable question, system abstained
    ],
)
def test_answer_match(answer: str, key: str, expected: bool) -> None:
    assert answer_match(answer, key) is expected


def test_normalize_text() -> None:
    # NFKC: "１ ３９７，０００" -> "1 397,000"; whitespace removed -> "1397,000"; digit comma -> "1397000".
    assert normalize_text("１ ３９７，０００") == "1397000"
    # A comma not between digits stays: "a, b" -> "a,b".
    assert normalize_text("a, b") == "a,b"
    # A Chinese comma between two figures is punctuation, not a thousands separator: "61，2021" stays two figures.
    assert normalize_text("61，2021 年") == "61,2021年"
    assert not answer_match("61，2021 年", "612021")


# ---------------------------------------------------------------- abstention


def test_abstention_precision_recall() -> None:
    abstained = [True, True, False, False, True]
    should = [True, False, True, False, True]
    # Correct abstentions: items 0 and 4 -> 2. Abstentions: items 0, 1, 4 -> 3. Unanswerable: 0, 2, 4 -> 3.
    # precision = 2/3, recall = 2/3.
    p, r = abstention_precision_recall(abstained, should)
    assert p == pytest.approx(2 / 3)
    assert r == pytest.approx(2 / 3)


def test_abstention_zero_denominators() -> None:
    # Never abstains on a set with 2 unanswerable items: precision vacuous -> 1.0, recall 0/2 = 0.0.
    assert abstention_precision_recall([False, False, False], [True, True, False]) == (1.0, 0.0)
    # Abstains once where nothing was unanswerable: precision 0/1 = 0.0, recall vacuous -> 1.0.
    assert abstention_precision_recall([True, False], [False, False]) == (0.0, 1.0)


def test_abstention_length_mismatch() -> None:
    with pytest.raises(ValueError):
        abstention_precision_recall([True], [True, False])


# ---------------------------------------------------------------- latency statistics


def test_median() -> None:
    # Odd count: sorted [1, 3, 7] -> middle 3.
    assert median([7, 1, 3]) == 3
    # Even count: sorted [1, 2, 4, 10] -> (2 + 4) / 2 = 3.0.
    assert median([10, 2, 4, 1]) == 3.0


def test_p95() -> None:
    # 1..20: position (20 - 1) * 0.95 = 18.05 -> between 19 (index 18) and 20 (index 19):
    # 19 + (20 - 19) * 0.05 = 19.05.
    assert p95(range(1, 21)) == pytest.approx(19.05)
    # 0, 10, ..., 100 (11 values): position 10 * 0.95 = 9.5 -> 90 + (100 - 90) * 0.5 = 95.0.
    assert p95([100, 0, 50, 10, 90, 20, 80, 30, 70, 40, 60]) == pytest.approx(95.0)
    # A single value is every percentile.
    assert p95([0.25]) == 0.25


def test_percentile_bounds() -> None:
    # q=0 is the minimum, q=100 the maximum.
    assert percentile([5, 1, 9], 0) == 1
    assert percentile([5, 1, 9], 100) == 9
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


# ---------------------------------------------------------------- ranks shared by the report


def test_rank_helpers_by_hand() -> None:
    assert (hit_at_rank(None, 5), hit_at_rank(3, 2), hit_at_rank(3, 3)) == (0.0, 0.0, 1.0)
    assert (rr_at_rank(None), rr_at_rank(4)) == (0.0, 0.25)
    # The key "15 232 800" spans a line break in the second chunk: whitespace is ignored, so rank 2.
    assert first_text_rank(["无关", "总额为 15 232\n800 美元"], "15 232 800") == 2
    assert first_text_rank(["无关"], "15 232 800") is None
    with pytest.raises(ValueError):
        first_text_rank(["x"], "  ")


# ---------------------------------------------------------------- the strict (cell, not row) check

ROW = "实质性会议服务(3 小时会议次数) | 190 | 222 | 171 | 189 [表4.6]"
CELL = "222（表4.6，实质性会议服务(3 小时会议次数)，2022 年实际）"
WRONG = ["190", "171", "189"]


@pytest.mark.parametrize(
    ("answer", "key", "wrong", "expected"),
    [
        (CELL, "222", WRONG, True),  # the labels hold 3, 4.6 and 2022, none a whole wrong figure
        (ROW, "222", WRONG, False),  # the whole row: 190 is there (so are 171 and 189)
        ("190 222 171 189", "222", WRONG, False),  # row without separators: 190 still stands alone first
        ("2022 年实际为 222 次。", "222", [], True),  # no wrong strings: the key is enough
        ("共 18 个员额", "8", [], False),  # 8 inside 18 is not the figure 8 (answer_match would say yes)
        ("8.3%", "8", [], False),  # nor inside 8.3
        ("8 个员额", "8", ["18"], True),
        ("15 232.8 千美元", "15 232.8", ["15", "232.8"], True),  # the key blanked first: no wrong figure left
        ("15 232.8 千美元，另 15 个。", "15 232.8", ["16"], True),
        ("10 456.2 与 10 160.3", "10 914.5", [], False),  # the key itself missing
        ("减少 (109.1)，另有 52.9", "109.1", ["52.9"], False),
        ("１９０ 与 ２２２", "222", ["190"], False),  # full-width digits are NFKC-normalised first
        ("1,397,000 美元", "1 397 000", ["10.1"], True),  # commas between digits equal spaces
        ("", "", ["190"], True),  # unanswerable: only no answer is right, as in answer_match
        ("某个答案", "", [], False),
        # A row's numbering in the labels is no figure of the row; a figure 5 still is.
        ("6（表4.20，5. 教育项目，2022 年实际）", "6", ["4", "5"], True),
        ("Table 4.20, 5. Education projects, 2022 actual: 6", "6", ["5"], True),
        ("6（表4.20，教育项目）与 5 个", "6", ["5"], False),
        ("6 与 5.0", "6", ["5.0"], False),
    ],
)
def test_strict_answer_match(answer: str, key: str, wrong: list[str], expected: bool) -> None:
    assert strict_answer_match(answer, key, wrong) is expected


def test_strict_trailing_wrong_counts_when_it_stands_alone() -> None:
    # "15 232.8 千美元，另 15 个" with wrong ["15"]: after blanking the key, "另 15 个" holds 15 as a whole figure.
    assert strict_answer_match("15 232.8 千美元，另 15 个", "15 232.8", ["15"]) is False
    # ...but 15 at the head of the key's own thousands group is not a wrong figure.
    assert strict_answer_match("15 232.8 千美元", "15 232.8", ["15"]) is True


# ---------------------------------------------------------------- several keys (two-part and list questions)


@pytest.mark.parametrize(
    ("answer", "keys", "wrong", "expected"),
    [
        ("总额 15 232 800 美元，其中次级方案 3 为 2 768 900 美元。", ["15 232 800", "2 768 900"], [], True),
        ("总额 15 232 800 美元。", ["15 232 800", "2 768 900"], [], False),  # one part of two is not right
        ("2019 年启动，计划 2024 年评价。", ["2019 年", "2024 年"], [], True),
        ("2020 年 61，2021 年 24。", ["61", "24"], ["39"], True),  # both keys blanked; no 39 left
        ("2020 年 61，2021 年 24，2022 年 39。", ["61", "24"], ["39"], False),  # the row's third cell too
        ("15 232.8 千美元", ["15 232.8", "232"], [], False),  # 232 only inside the first key is not a figure
        ("222（2022 年实际）", ["222"], ["190"], True),  # one key: strict_answer_match
    ],
)
def test_strict_answers_match(answer: str, keys: list[str], wrong: list[str], expected: bool) -> None:
    assert strict_answers_match(answer, keys, wrong) is expected


def test_strict_answers_match_refuses_an_empty_key_among_several() -> None:
    with pytest.raises(ValueError):
        strict_answers_match("x", ["1", " "], [])


# ---------------------------------------------------------------- precision and coverage


def test_answer_precision_by_hand() -> None:
    # Five items: the first three answered, of which only the first is right (the third is an answer to an
    # unanswerable question, right=False); the fifth abstained and "right" is ignored. 1 right / 3 given.
    assert answer_precision(
        [True, True, True, False, False], [True, False, False, False, True]
    ) == pytest.approx(1 / 3)
    assert answer_precision([False, False], [False, True]) is None  # nothing given: no precision
    assert answer_precision([True], [True]) == 1.0
    with pytest.raises(ValueError):
        answer_precision([True], [True, False])


def test_coverage_by_hand() -> None:
    # Four answerable items, three answered: 0.75.
    assert coverage([True, False, True, True]) == 0.75
    assert coverage([]) is None


# ---------------------------------------------------------------- twins


def test_twin_agreement_by_hand() -> None:
    items = [
        ("f1", "zh", True, "4.86"),
        ("f1", "en", True, "4.86"),  # agree
        ("f2", "zh", True, "4.88(b)"),
        ("f2", "en", True, "4.88"),  # both right, but first citations differ
        ("f3", "zh", True, "4.1"),
        ("f3", "en", False, "4.1"),  # same citation, one wrong
        ("f4", "zh", True, "4.2"),  # asked in one language only: not a twin
        ("f5", "zh", True, None),
        ("f5", "en", True, None),  # unanswerable, both abstained: agree
        ("f6", "zh", True, "4.88 (b)"),
        ("f6", "en", True, "4.88(b)"),  # ids compared without spaces: agree
    ]
    # Twins f1, f2, f3, f5, f6; agreeing f1, f5, f6: 3/5.
    assert twin_agreement(items) == pytest.approx(0.6)
    assert [f[0][0] for f in twin_facts(items)] == ["f1", "f2", "f3", "f5", "f6"]
    assert twin_agreement([("f1", "zh", True, "4.1"), ("f2", "en", True, "4.1")]) is None
