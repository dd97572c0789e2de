"""The id grammar of docs/DESIGN.md §1: every form a user may type resolves to the canonical id."""

from __future__ import annotations

import pytest

from corpus.ids import (
    InvalidId,
    TableRef,
    ancestors,
    find_ids,
    hanzi_number,
    parse_id,
    parse_table_ref,
    roman_number,
    try_parse_id,
)


@pytest.mark.parametrize(
    ("form", "canonical"),
    [
        # numbered paragraph
        ("4.88", "4.88"),
        ("第4.88段", "4.88"),
        ("para 4.88", "4.88"),
        ("paragraph 4.88", "4.88"),
        ("4 .88", "4.88"),
        ("４．８８", "4.88"),  # full-width digits and point, as an IME types them
        # lettered item
        ("4.88 (b)", "4.88(b)"),
        ("4.88（b）", "4.88(b)"),
        ("第4.88(b)段", "4.88(b)"),
        ("4.88b", "4.88(b)"),
        # sub-item: circled, hanzi and roman numerals are one number
        ("4.88 (b)㈠", "4.88(b)㈠"),
        ("4.88(b)(一)", "4.88(b)㈠"),
        ("4.88(b)(i)", "4.88(b)㈠"),
        ("4.88(b)(ii)", "4.88(b)㈡"),
        # table and figure
        ("表 4.24", "表4.24"),
        ("table 4.24", "表4.24"),
        ("Table 4.24", "表4.24"),
        ("图 4.七", "图4.七"),
        ("figure 4.七", "图4.七"),
        ("figure 4.14", "图4.十四"),  # the document numbers figures in hanzi
        # un-numbered parts
        ("foreword", "前言"),
        ("前言", "前言"),
        ("annex I", "附件一"),
        ("Annex II", "附件二"),
        ("附件三", "附件三"),
    ],
)
def test_every_form_resolves_to_its_canonical_id(form: str, canonical: str) -> None:
    assert parse_id(form) == canonical


@pytest.mark.parametrize("canonical", ["4.88", "4.88(b)", "4.88(b)㈠", "表4.24", "图4.七", "前言", "附件一"])
def test_canonical_ids_are_fixed_points(canonical: str) -> None:
    assert parse_id(canonical) == canonical


@pytest.mark.parametrize("text", ["", "   ", "hello", "4.", "表4", "附件六", "图4.", "4.88(bb)"])
def test_invalid_input_raises_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidId) as info:
        parse_id(text)
    message = str(info.value)
    assert repr(text) in message
    assert "4.88(b)㈠" in message and "表4.24" in message  # it says which forms are accepted
    assert try_parse_id(text) is None


def test_out_of_range_sub_item_message_says_what_is_accepted() -> None:
    with pytest.raises(InvalidId, match="4.88"):
        parse_id("4.88(b)(xi)")


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("4.88 (b)㈠ 段说了什么", ["4.88(b)㈠"]),
        ("what does table 4.24 say", ["表4.24"]),
        ("第 4.87 (b)、 4.88 (a)和 4.89 段", ["4.87(b)", "4.88(a)", "4.89"]),  # in order of mention
        ("表 4.24 和图 4.七，再看表4.24", ["表4.24", "图4.七"]),  # no repeats
        ("annex II, then Annex I and 附件三", ["附件二", "附件一", "附件三"]),
        ("版本 1.2.3 没有段落号", []),  # a dotted version is not a paragraph
        ("裁军事务厅的任务是什么", []),
    ],
)
def test_find_ids_picks_ids_out_of_free_text(text: str, ids: list[str]) -> None:
    assert find_ids(text) == ids


@pytest.mark.parametrize(
    ("canonical", "expected"),
    [
        ("4.88(b)㈠", ["4.88(b)", "4.88"]),  # nearest first
        ("4.88(b)", ["4.88"]),
        ("4.88", []),
        ("表4.24", []),
        ("前言", []),
    ],
)
def test_ancestors(canonical: str, expected: list[str]) -> None:
    assert ancestors(canonical) == expected


@pytest.mark.parametrize(
    ("n", "hanzi"), [(1, "一"), (7, "七"), (10, "十"), (14, "十四"), (20, "二十"), (21, "二十一")]
)
def test_hanzi_number(n: int, hanzi: str) -> None:
    assert hanzi_number(n) == hanzi


# ---------------------------------------------------------------- table rows, cells and parts; roman figures


@pytest.mark.parametrize(
    ("form", "canonical"),
    [
        ("表4.6/r1/c2", "表4.6/r1/c2"),
        ("table 4.6/r1/c2", "表4.6/r1/c2"),
        ("Table 4.6 / r1 / c2", "表4.6/r1/c2"),
        ("表 4.6/r1", "表4.6/r1"),
        ("table 4.6/row3/col2", "表4.6/r3/c2"),
        ("表４.６/ｒ１/ｃ２", "表4.6/r1/c2"),  # full-width, as an IME types it
        ("表 4.24 (1)", "表4.24"),  # part (1) of a table names the table passage
        ("table 4.24(2)", "表4.24"),
        ("Figure 4.VII", "图4.七"),
        ("figure 4.vii", "图4.七"),
        ("figure 4.7", "图4.七"),
        ("fig. 4.XIV", "图4.十四"),
        ("Figure 4.IX", "图4.九"),
    ],
)
def test_table_and_figure_forms(form: str, canonical: str) -> None:
    assert parse_id(form) == canonical


@pytest.mark.parametrize(
    ("form", "ref"),
    [
        ("表4.6/r1/c2", TableRef("表4.6", None, 1, 2)),
        ("表 4.24 (1)", TableRef("表4.24", 1, None, None)),
        ("table 4.24 (2)/r14", TableRef("表4.24", 2, 14, None)),
        ("表4.24", TableRef("表4.24")),
    ],
)
def test_table_refs_say_what_they_name(form: str, ref: TableRef) -> None:
    assert parse_table_ref(form) == ref
    assert parse_id(ref.id) == ref.id  # canonical ids are fixed points


@pytest.mark.parametrize("text", ["4.88", "图4.七", "表4.6/c2", "表4.6/r", "表4.6/r1/c"])
def test_what_is_no_table_ref(text: str) -> None:
    assert parse_table_ref(text) is None


def test_roman_numbers() -> None:
    assert [roman_number(t) for t in ["i", "iv", "vii", "ix", "xiv", "xl"]] == [1, 4, 7, 9, 14, 40]


def test_mentions_of_roman_figures_and_table_parts() -> None:
    assert find_ids("see Figure 4.VII and 表 4.24 (1)") == ["图4.七", "表4.24"]
