"""The parser on the real document (no model), and on a tiny synthetic section that is not section 4."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from corpus.ids import try_parse_id
from corpus.model import Passage, Symbol
from corpus.parser import DEFAULT_SOURCE, DEFAULT_SYMBOL, Parsed, parse_document
from corpus.tables import split_cells

HANZI = re.compile(r"[\u4e00-\u9fff]")
FURNITURE = ["23-05904", "第 4 款  裁军", "第二编", "https://"]
TOP_LEVEL = {
    "paragraph",
    "table",
    "figure",
    "foreword",
    "annex",
}  # items are children, inside their paragraph


@pytest.fixture(scope="module")
def raw() -> str:
    return DEFAULT_SOURCE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def parsed(raw: str) -> Parsed:
    return parse_document(raw)


@pytest.fixture(scope="module")
def by_id(parsed: Parsed) -> dict[str, Passage]:
    return {p.id: p for p in parsed.passages}


def _hanzi(texts: list[str]) -> Counter[str]:
    return Counter(HANZI.findall("".join(texts)))


# ---------------------------------------------------------------- the whole document


def _without_table_heads(p: Passage) -> str:
    """A passage's text less the column-head line a table with heads writes before each part's first row (the
    header block's own lines are counted among the headings; a group head is named again for each column). The
    total across parts (`(1)+(2) 共计`) is printed under the last part's heads, with none of its own."""
    if p.table is None or not p.table.columns:
        return p.text
    printed = set(p.text.split("\n"))
    firsts: dict[str | None, int] = {}
    for r in p.table.rows:
        if r.part is None or r.part in printed:
            firsts.setdefault(r.part, r.start)
    ends = {start - 1 for start in firsts.values()}
    out, pos = [], 0
    for line in p.text.split("\n"):
        if pos + len(line) not in ends:
            out.append(line)
        pos += len(line) + 1
    return "\n".join(out)


def test_every_hanzi_lands_in_exactly_one_place(raw: str, parsed: Parsed) -> None:
    # Compared character by character (a Counter), not just in total: nothing dropped, nothing duplicated.
    units = [_without_table_heads(p) for p in parsed.passages if p.kind in TOP_LEVEL]
    assert _hanzi([raw]) == _hanzi(parsed.furniture) + _hanzi(parsed.headings) + _hanzi(units)


def test_ids_are_unique_and_canonical(parsed: Parsed) -> None:
    ids = [p.id for p in parsed.passages]
    assert len(ids) == len(set(ids))
    assert all(try_parse_id(i) == i for i in ids)
    assert {p.doc for p in parsed.passages} == {DEFAULT_SYMBOL}


def test_paragraphs_tables_and_unnumbered_parts(parsed: Parsed) -> None:
    def of(*kinds: str) -> list[str]:
        return [p.id for p in parsed.passages if p.kind in kinds]

    assert of("paragraph") == [f"4.{n}" for n in range(1, 112)]
    assert of("table") == [f"表4.{n}" for n in range(1, 37)]
    assert of("foreword") == ["前言"]
    assert of("annex") == ["附件一", "附件二", "附件三"]


def test_no_unit_text_holds_page_furniture(parsed: Parsed) -> None:
    leaks = [(p.id, f) for p in parsed.passages for f in FURNITURE if f in p.text]
    assert leaks == []


def test_no_stray_space_between_hanzi_in_paragraphs(raw: str, parsed: Parsed) -> None:
    # Joining wrapped lines must not put a space between two hanzi. The only such spaces are printed on a
    # single source line (the mandate list of 4.12: "第 73/546 号决定 召开…"); each is found there.
    lines = [line.strip() for line in raw.splitlines()]
    found: dict[str, list[str]] = {}
    for p in parsed.passages:
        if p.kind == "paragraph":
            for m in re.finditer(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", p.text):
                window = p.text[max(0, m.start() - 2) : m.end() + 2]
                assert any(window in line for line in lines), (p.id, window)
                found.setdefault(p.id, []).append(window)
    assert list(found) == ["4.12"]


def test_items_are_substrings_of_their_parent_and_linked_both_ways(by_id: dict[str, Passage]) -> None:
    for p in by_id.values():
        for child in p.children:
            assert by_id[child].parent == p.id
        if p.kind == "item":
            assert p.parent is not None and p.id in by_id[p.parent].children
            assert p.text in by_id[p.parent].text


# ---------------------------------------------------------------- hard cases, pinned by content


def test_cross_reference_at_line_start_is_not_a_paragraph(by_id: dict[str, Passage]) -> None:
    # Source line 3829 starts with "4.88 (a)和 4.89 段解释了…" inside 4.101.
    assert "4.88 (a)和 4.89 段解释了拟议减少该数额的原因" in by_id["4.101"].text
    assert by_id["4.102"].text.startswith("本次级方案的预算外资源为 5 648 600 美元")


def test_items_and_sub_items_of_4_88(by_id: dict[str, Passage]) -> None:
    para = by_id["4.88"]
    assert para.children == ["4.88(a)", "4.88(b)", "4.88(c)", "4.88(d)"]
    assert by_id["4.88(b)"].children == ["4.88(b)㈠", "4.88(b)㈡"]
    assert by_id["4.88(b)㈠"].parent == "4.88(b)"
    for iid in ["4.88(a)", "4.88(b)", "4.88(b)㈠", "4.88(b)㈡", "4.88(c)", "4.88(d)"]:
        assert by_id[iid].text in para.text
    assert by_id["4.88(a)"].text.startswith("(a) 次级方案 2，大规模毁灭性武器")
    assert by_id["4.88(b)㈠"].text.startswith("㈠ 增加 1 491 100")
    # (b) holds its sub-items; ㈠ stops where ㈡ starts.
    assert by_id["4.88(b)㈡"].text in by_id["4.88(b)"].text
    assert "㈡" not in by_id["4.88(b)㈠"].text


def test_inline_letters_are_not_items(by_id: dict[str, Passage]) -> None:
    # 4.20 lists "(a) …；" inline, and "(b) …" then starts a source line: prose, not an item.
    assert "；(b) 与《公约》有关的科学和技术发展；(c) 建立信任和透明度" in by_id["4.20"].text
    assert by_id["4.20"].children == []


def test_table_row_keeps_its_cells_on_one_line(by_id: dict[str, Passage]) -> None:
    rows = [r for r in by_id["表4.24"].text.split("\n") if r.startswith("3. 常规武器")]
    # The regular-budget row: 2022 expenditure 1 392.0 … 2024 estimate 2 768.9, cells separated by " | ".
    assert rows[0] == "3. 常规武器 | 1 392.0 | 1 156.7 | — | 1 612.2 | — | 1 612.2 | 139.4 | 2 768.9"


@pytest.mark.parametrize(
    ("line", "label", "cells"),
    [
        ("3. 常规武器 1 392.0 1 156.7 —", "3. 常规武器", ["1 392.0", "1 156.7", "—"]),
        ("财政资源分配 691.3", "财政资源分配", ["691.3"]),
        ("P-4 5", "P-4", ["5"]),  # a post count after a grade is a cell
        ("100 100 100", "", ["100", "100", "100"]),  # bare integers are never grouped
        ("号决议，宣布 3 月 5", "号决议，宣布 3 月 5", []),  # a date cut by the line wrap
        ("第 7 条和第 8", "第 7 条和第 8", []),  # an ordinal waiting for its noun
    ],
)
def test_split_cells(line: str, label: str, cells: list[str]) -> None:
    assert split_cells(line) == (label, cells)


@pytest.mark.parametrize(
    ("table", "wrapped"),
    [("表4.19", "宣布 3 月 5"), ("表4.6", "第 7 条和第 8")],  # a sentence wrapped after a bare number
)
def test_number_ending_a_wrapped_sentence_is_not_a_cell(
    by_id: dict[str, Passage], table: str, wrapped: str
) -> None:
    rows = by_id[table].text.split("\n")
    # The wrapped sentence reads on (an aligned table joins it on one line; an unaligned one keeps the break).
    assert any(wrapped in r for r in rows)
    assert not any(r.endswith(wrapped[:-2] + " | " + wrapped[-1]) for r in rows)


def test_paragraph_over_a_page_break_reads_continuously(by_id: dict[str, Passage]) -> None:
    # 4.44(f) ends on page 20/55; the footer, header and link block come before (g) on the next page.
    para = by_id["4.44"]
    assert {"4.44(f)", "4.44(g)"} <= set(para.children)
    start, end = para.text.index("(f) 与联合国系统各实体的合作"), para.text.index("(g) 支持、实施")
    assert start < end
    assert "全系统发展办法；(g) 支持、实施" in para.text
    between = para.text[start:end]
    assert not any(f in between for f in [*FURNITURE, "20/55", "政治事务"])


def test_heading_path(by_id: dict[str, Passage]) -> None:
    assert by_id["4.44"].heading == [
        "A. 2024 年拟议方案计划和 2022 年方案执行情况",
        "次级方案 3 常规武器",
        "战略",
    ]
    assert by_id["4.44(g)"].heading == by_id["4.44"].heading


def test_cited_symbols_carry_their_links(by_id: dict[str, Passage]) -> None:
    assert Symbol("77/71", "https://undocs.org/ch/A/RES/77/71") in by_id["4.88"].symbols
    assert Symbol("S-10/2", "https://undocs.org/ch/A/RES/S-10/2") in by_id["4.1"].symbols


def test_tables_hang_from_the_paragraph_that_introduces_them(by_id: dict[str, Passage]) -> None:
    # 4.85: "关于 2024 年拟议资源分配的其他详情见表 4.24 至 4.26 和图 4.七。"
    assert by_id["表4.24"].parent == "4.85"
    assert {"表4.24", "图4.七"} <= set(by_id["4.85"].children)
    assert re.search(r"表\s*4\.24", by_id["4.85"].text)
    # The table is its own unit: the paragraph does not repeat its rows.
    assert "1 392.0" not in by_id["4.85"].text


def test_a_table_named_in_a_range_hangs_from_that_paragraph(by_id: dict[str, Passage]) -> None:
    assert by_id["表4.26"].parent == "4.85"


# ---------------------------------------------------------------- a synthetic section 7

SECTION_7 = """\
 前言 \n\n 本款说明外层空间事务厅 2024 年的工作。 \n
  A. 2024 年拟议方案计划 \n
  总方向 \n
  任务和背景 \n
 7.1 本方案负责支持和平利用外层空间，任务源自大会第 77/121 号决议，并在各区域
https://undocs.org/ch/A/RES/77/121

第 7 款  外层空间事务 \n \n3/9 23-99999 \n \n开展能力建设活动。 \n
  战略 \n
 7.2 为实现这一目标，本方案将： \n
(a) 协助会员国执行各项条约； \n
(b) 提供下列服务： \n
㈠ 技术咨询； \n
㈡ 培训。 \n
 7.3 所需资源见表 7.1。 \n
  表 7.1 \n
类别 2023 年 2024 年 \n
1. 员额 120.5 130.0 \n
2. 非员额 15.0 16.2 \n
"""


@pytest.fixture(scope="module")
def section_7() -> dict[str, Passage]:
    return {p.id: p for p in parse_document(SECTION_7, "A/78/6 (Sect. 7)").passages}


def test_synthetic_section_units(section_7: dict[str, Passage]) -> None:
    assert list(section_7) == [
        "前言",
        "7.1",
        "7.2",
        "7.2(a)",
        "7.2(b)",
        "7.2(b)㈠",
        "7.2(b)㈡",
        "7.3",
        "表7.1",
    ]
    assert {p.doc for p in section_7.values()} == {"A/78/6 (Sect. 7)"}


def test_synthetic_section_joins_over_its_page_break(section_7: dict[str, Passage]) -> None:
    p = section_7["7.1"]
    assert (
        p.text == "本方案负责支持和平利用外层空间，任务源自大会第 77/121 号决议，并在各区域开展能力建设活动。"
    )
    assert p.symbols == [Symbol("77/121", "https://undocs.org/ch/A/RES/77/121")]
    assert p.heading == ["A. 2024 年拟议方案计划", "总方向", "任务和背景"]


def test_synthetic_section_items_headings_and_table(section_7: dict[str, Passage]) -> None:
    assert section_7["7.2"].heading == ["A. 2024 年拟议方案计划", "总方向", "战略"]
    assert section_7["7.2(b)"].children == ["7.2(b)㈠", "7.2(b)㈡"]
    assert section_7["7.2(b)㈡"].text == "㈡ 培训。"
    table = section_7["表7.1"]
    assert table.parent == "7.3" and section_7["7.3"].children == ["表7.1"]
    assert table.text.split("\n")[1:] == ["1. 员额 | 120.5 | 130.0", "2. 非员额 | 15.0 | 16.2"]


def test_headings_before_the_first_paragraph_without_a_foreword() -> None:
    raw = SECTION_7.split(" 前言 \n\n 本款说明外层空间事务厅 2024 年的工作。 \n", 1)[1]
    by = {p.id: p for p in parse_document(raw, "A/78/6 (Sect. 7)").passages}
    assert by["7.1"].heading == ["A. 2024 年拟议方案计划", "总方向", "任务和背景"]


def test_sub_items_directly_under_a_paragraph_get_ids_that_resolve() -> None:
    raw = " 7.1 本方案将： \n㈠ 技术咨询； \n㈡ 培训。 \n"
    ids = [p.id for p in parse_document(raw, "A/78/6 (Sect. 7)").passages]
    assert ids[1:] and all(try_parse_id(i) == i for i in ids)
