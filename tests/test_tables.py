"""Tables as grids: every table of A/78/6 (Sect. 4) checked for alignment, and cell values worked out by hand from
the raw text (corpus/data/A-78-6-Sect4.zh.txt) — each expected figure below is read off the source line quoted
beside it, not produced by the parser. The API on tables is in tests/test_table_api.py."""

from __future__ import annotations

import logging

import pytest

from corpus.model import Passage
from corpus.parser import DEFAULT_SOURCE, load_document, parse_document
from corpus.table_grid import build_table
from corpus.table_model import Cell, Row, Table
from corpus.tables import parse_value

TABLE_IDS = [f"表4.{n}" for n in range(1, 37)]
# Performance tables whose year cells hold several paragraphs: the extraction marks where a paragraph ends but
# not where a column does, so they keep their text (checked below), as do the two tables with text columns.
UNALIGNED = {
    "表4.4": "text blocks",
    "表4.5": "text blocks",
    "表4.7": "text blocks",
    "表4.8": "text blocks",
    "表4.9": "text blocks",
    "表4.10": "text blocks",
    "表4.12": "text blocks",
    "表4.19": "text blocks",
    "表4.22": "has figures",
    "表4.27": "cells",
}


@pytest.fixture(scope="module")
def by_id() -> dict[str, Passage]:
    return {p.id: p for p in load_document()}


def _table(by_id: dict[str, Passage], tid: str) -> Table:
    table = by_id[tid].table
    assert table is not None
    return table


def _row(table: Table, label: str, part: str | None = None, nth: int = 0) -> Row:
    rows = [r for r in table.rows if r.label.startswith(label) and (part is None or r.part == part)]
    assert rows, f"no row {label!r} in {table.id}"
    return rows[nth]


def _cell(table: Table, label: str, path: list[str], part: str | None = None) -> Cell:
    row = _row(table, label, part)
    cols = [
        c.index for c in table.columns if c.path[len(c.path) - len(path) :] == path and c.part == row.part
    ]
    assert len(cols) == 1, f"{path} names {len(cols)} columns of {table.id} {row.part}"
    return next(c for c in row.cells if c.col == cols[0])


def _value(
    by_id: dict[str, Passage], tid: str, label: str, *path: str, part: str | None = None
) -> float | None:
    return _cell(_table(by_id, tid), label, list(path), part).value


# ---------------------------------------------------------------- every table


@pytest.mark.parametrize("tid", TABLE_IDS)
def test_every_data_row_has_one_cell_per_column(by_id: dict[str, Passage], tid: str) -> None:
    p = by_id[tid]
    table = _table(by_id, tid)
    if tid in UNALIGNED:
        assert not table.aligned and table.reason and UNALIGNED[tid] in table.reason
        assert all(r.cells == [] and r.kind == "text" for r in table.rows)
        # Every row is a line of text (a whole paragraph where the columns are known), quoted verbatim.
        assert all(p.text[r.start : r.end] == r.label for r in table.rows)
        # The heads are kept where they were read: the years of a performance table.
        assert bool(table.columns) == (UNALIGNED[tid] == "text blocks")
        return
    assert table.aligned and table.reason is None
    data = [r for r in table.rows if r.kind == "data"]
    assert data
    for r in data:
        part_cols = [c.index for c in table.columns if c.part == r.part]
        assert [c.col for c in r.cells] == part_cols, r.label
    for r in table.rows:
        line = p.text[r.start : r.end]
        assert "\n" not in line and (r.label in line)
        for c in r.cells:
            assert p.text[c.start : c.end] == c.raw
            assert c.id == f"{r.id}/c{c.col}" and r.id == f"{tid}/r{r.index}"
    assert all(c.path and all(c.path) for c in table.columns)


def test_which_tables_are_aligned(by_id: dict[str, Passage]) -> None:
    aligned = [t for t in TABLE_IDS if _table(by_id, t).aligned]
    assert len(aligned) == 26 and set(TABLE_IDS) - set(aligned) == set(UNALIGNED)


def test_unaligned_tables_are_named_in_the_build_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="corpus.table_grid"):
        parse_document(DEFAULT_SOURCE.read_text(encoding="utf-8"))
    unaligned = {
        rec.args[0] for rec in caplog.records if isinstance(rec.args, tuple) and "not aligned" in rec.msg
    }
    assert unaligned == set(UNALIGNED)
    # 表4.14 prints "— — — —" alone before its page break: kept as a row, and said.
    assert any(
        "without a label" in rec.msg and isinstance(rec.args, tuple) and rec.args[0] == "表4.14"
        for rec in caplog.records
    )


# ---------------------------------------------------------------- hand-checked cells


def test_deliverables_4_6(by_id: dict[str, Passage]) -> None:
    # "实质性会议服务(3 小时会议次数) 190 222 171 189": 2022 planned, 2022 actual, 2023 planned, 2024 planned.
    assert _value(by_id, "表4.6", "实质性会议服务", "2022 年", "实际") == 222
    assert _value(by_id, "表4.6", "实质性会议服务", "2024 年", "计划") == 189
    assert _cell(_table(by_id, "表4.6"), "实质性会议服务", ["2022 年", "实际"]).unit == "3 小时会议次数"
    # "2. 秘书长提交给大会的关于…方案的报告 1 1 — 1": 2023 planned is a dash.
    dash = _cell(_table(by_id, "表4.6"), "2. 秘书长提交给大会", ["2023 年", "计划"])
    assert dash.raw == "—" and dash.value is None
    # "6. 《特定常规武器公约》…" wraps over three lines, its figures "45 37 35 40" on a fourth.
    assert _value(by_id, "表4.6", "6. 《特定常规武器公约》", "2024 年", "计划") == 40
    # "会议文件服务(千页) 10.6 12.8 10.6 10.6"
    assert _value(by_id, "表4.6", "会议文件服务", "2022 年", "实际") == 12.8
    assert _cell(_table(by_id, "表4.6"), "20. 本次级方案", ["2022 年", "实际"]).unit == "千页"


def test_year_columns_say_plan_or_actual(by_id: dict[str, Passage]) -> None:
    # "2022 年 / 计划 / 2022 年 / 实际 / 2023 年 / 计划 / 2024 年 / 计划"
    assert [(c.year, c.qualifier) for c in _table(by_id, "表4.6").columns] == [
        (2022, "计划"),
        (2022, "实际"),
        (2023, "计划"),
        (2024, "计划"),
    ]
    # "2022 年 / 支出 / 2023 年 / 批款 技术调整 / … / 2024 年估计 / (重计费用前)": the change columns have no year.
    assert [c.label for c in _table(by_id, "表4.6").columns][:2] == ["2022 年计划", "2022 年实际"]
    cols = [c for c in _table(by_id, "表4.24").columns if c.part == "(1) 经常预算"]
    assert [c.label for c in cols][2:4] == ["变动 技术调整", "变动 新的/扩大的任务"]
    assert [(c.year, c.qualifier) for c in cols] == [(2022, "支出"), (2023, "批款")] + [(None, None)] * 5 + [
        (2024, "估计")
    ]


def test_deliverables_rows_know_their_place(by_id: dict[str, Passage]) -> None:
    table = _table(by_id, "表4.6")
    a, docs, item = _row(table, "A. 协助"), _row(table, "议事机构文件"), _row(table, "1. 裁军谈判会议的文件")
    assert (a.kind, a.level, a.parent) == ("section", 1, None)
    assert (docs.level, docs.parent) == (2, a.id)
    assert (item.level, item.parent) == (3, docs.id)
    assert _row(table, "数据库和实质性数字材料").kind == "text"
    # The header block repeated after the page break is no row, and is written once.
    assert [line for line in by_id["表4.6"].text.split("\n") if line.startswith("类别和次类别")] == [
        "类别和次类别 | 2022 年 计划 | 2022 年 实际 | 2023 年 计划 | 2024 年 计划"
    ]
    assert (
        _value(by_id, "表4.6", "11. 《关于禁止发展", "2024 年", "计划") == 36
    )  # "— 42 — 36", after the break


def test_deliverables_4_14_after_its_page_break(by_id: dict[str, Passage]) -> None:
    # "10. 《从各个方面…》…第四次 / 审查会议 / — — — 20", printed after the repeated header block.
    assert _value(by_id, "表4.14", "10. 《从各个方面", "2024 年", "计划") == 20
    assert _value(by_id, "表4.14", "研讨会、讲习班和培训活动", "2024 年", "计划") == 90


def test_resources_4_24_both_parts_and_the_change_columns(by_id: dict[str, Passage]) -> None:
    regular, extra = "(1) 经常预算", "(2) 预算外"
    # "3. 常规武器 1 392.0 1 156.7 — 1 612.2 — 1 612.2 139.4 2 768.9"
    assert _value(by_id, "表4.24", "3. 常规武器", "2022 年", "支出", part=regular) == 1392.0
    assert _value(by_id, "表4.24", "3. 常规武器", "变动", "新的/扩大的任务", part=regular) == 1612.2
    assert _value(by_id, "表4.24", "3. 常规武器", "变动", "技术调整", part=regular) is None
    assert _value(by_id, "表4.24", "3. 常规武器", "变动", "百分比", part=regular) == 139.4
    assert _cell(_table(by_id, "表4.24"), "3. 常规武器", ["变动", "百分比"], regular).unit == "%"
    # "2. 大规模毁灭性武器 1 754.1 2 066.1 (52.9) 4.1 (109.1) (157.9) (7.6) 1 908.2"
    assert _value(by_id, "表4.24", "2. 大规模毁灭性武器", "变动", "技术调整", part=regular) == -52.9
    assert _value(by_id, "表4.24", "2. 大规模毁灭性武器", "变动", "其他", part=regular) == -109.1
    # "1. 裁军和军备限制问题多边 / 谈判和审议 / 3 037.3 3 337.6 (278.2) — — (278.2) (8.3) 3 059.4"
    assert (
        _value(
            by_id, "表4.24", "1. 裁军和军备限制问题多边谈判和审议", "2024 年估计(重计费用前)", part=regular
        )
        == 3059.4
    )
    # "5. 区域裁军 2 533.2 2 625.0    879.4 33.5 3 504.4" (extrabudgetary: change, percentage, 2024 estimate)
    assert _value(by_id, "表4.24", "5. 区域裁军", "变动", part=extra) == 879.4
    assert _value(by_id, "表4.24", "5. 区域裁军", "百分比", part=extra) == 33.5
    assert _value(by_id, "表4.24", "5. 区域裁军", "2024 年", "估计", part=extra) == 3504.4
    # "共计 32 140.9 33 337.0    3 602.0 10.8 36 939.0": regular plus extrabudgetary, printed under part (2)'s
    # heads; a part of its own, not part (2)'s (13 883.6 + 18 257.2 = 32 140.9; 15 232.8 + 21 706.2 = 36 939.0).
    both = "(1)+(2) 共计"
    assert _value(by_id, "表4.24", "共计", "2024 年", "估计", part=both) == 36939.0
    assert _value(by_id, "表4.24", "共计", "2022 年", "支出", part=both) == 32140.9
    table = _table(by_id, "表4.24")
    assert _row(table, "小计(C)", regular).parent == _row(table, "C. 工作方案", regular).id
    assert _row(table, "小计(1)").level == 1 and _row(table, "共计").parent is None
    assert [r.label for r in table.rows if r.part == extra][-1] == "小计(2)"
    assert list(dict.fromkeys(c.part for c in table.columns)) == [regular, extra, both]
    # The total's columns are part (2)'s heads under its own part.
    assert [c.path[1:] for c in table.columns if c.part == both] == [
        c.path[1:] for c in table.columns if c.part == extra
    ]


def test_posts_4_25_both_parts(by_id: dict[str, Passage]) -> None:
    regular, extra = "(1) 经常预算", "(2) 预算外"
    # "3. 常规武器  6 — 1 — 1 7" (the doubled space is an empty layout column, dropped)
    assert _value(by_id, "表4.25", "3. 常规武器", "2023 年", "核定", part=regular) == 6
    assert _value(by_id, "表4.25", "3. 常规武器", "变动", "新的/扩大的任务", part=regular) == 1
    assert _value(by_id, "表4.25", "3. 常规武器", "2024 年", "拟议", part=regular) == 7
    # "3. 常规武器  6    (2) 4"
    assert _value(by_id, "表4.25", "3. 常规武器", "变动", part=extra) == -2
    assert _value(by_id, "表4.25", "3. 常规武器", "2024 年", "估计", part=extra) == 4
    # "1. 裁军和军备限制问题多边谈判 / 和审议 / 11    7 18"
    assert _value(by_id, "表4.25", "1. 裁军和军备限制问题多边谈判和审议", "2024 年", "估计", part=extra) == 18
    assert _cell(_table(by_id, "表4.25"), "5. 区域裁军", ["2024 年", "拟议"], regular).unit == "员额数目"
    # " 共计  97    14 111": 61 + 36 posts in 2023, 66 + 45 in 2024.
    assert _row(_table(by_id, "表4.25"), "共计").part == "(1)+(2) 共计"
    assert _value(by_id, "表4.25", "共计", "2024 年", "估计", part="(1)+(2) 共计") == 111


def test_compliance_4_29(by_id: dict[str, Passage]) -> None:
    # "在旅行开始前提前至少两星期购买机票 61 24 39 100 100"
    assert _value(by_id, "表4.29", "在旅行开始前", "2021 年", "实际") == 24
    assert _value(by_id, "表4.29", "在旅行开始前", "2022 年", "实际") == 39
    assert _value(by_id, "表4.29", "在旅行开始前", "2024 年", "计划") == 100
    assert _cell(_table(by_id, "表4.29"), "及时提交材料", ["2020 年", "实际"]).unit == "%"


def test_object_of_expenditure_4_21(by_id: dict[str, Passage]) -> None:
    # "专家 475.4 875.2 (278.2) 111.1 (109.1) (276.2) (31.6) 599.0"
    assert _value(by_id, "表4.21", "专家", "变动", "百分比") == -31.6
    assert _value(by_id, "表4.21", "专家", "2024 年估计(重计费用前)") == 599.0
    assert _value(by_id, "表4.21", "赠款和捐助款", "2023 年", "批款") == 1576.6


def test_posts_by_grade_4_23(by_id: dict[str, Passage]) -> None:
    # "P-4  9 — 1 — 1 10", "NPO  — — 3 — 3 3"
    assert _value(by_id, "表4.23", "P-4", "2023 年", "核定") == 9
    assert _value(by_id, "表4.23", "P-4", "2024 年", "拟议") == 10
    assert _value(by_id, "表4.23", "NPO", "变动", "新的/扩大的任务") == 3
    table = _table(by_id, "表4.23")
    assert _row(table, "P-4").parent == _row(table, "专业及以上职类").id


def test_financial_and_post_blocks_4_26(by_id: dict[str, Passage]) -> None:
    # "专业及以上职类  40 — 1 — 1 2.5 44": no 2022 expenditure for posts (an empty cell), then 40 … 44.
    empty = _cell(_table(by_id, "表4.26"), "专业及以上职类", ["2022 年", "支出"])
    assert empty.raw == "" and empty.value is None
    posts = _cell(_table(by_id, "表4.26"), "专业及以上职类", ["2023 年", "批款"])
    assert (posts.value, posts.unit) == (40, "员额数目")
    assert _value(by_id, "表4.26", "专业及以上职类", "2024 年估计(重计费用前)") == 44
    money = _cell(_table(by_id, "表4.26"), "非员额", ["2024 年估计(重计费用前)"])
    assert (money.value, money.unit) == (4776.6, "千美元")


def test_a_figure_pushed_wide_4_33(by_id: dict[str, Passage]) -> None:
    # "非员额 352.3 104.5 — 1 492.5 — 1 492.5  1 428.2 1 597.0": the doubled space before 1 428.2 is no cell.
    assert _value(by_id, "表4.33", "非员额", "变动", "百分比") == 1428.2
    assert _value(by_id, "表4.33", "非员额", "2024 年估计(重计费用前)") == 1597.0


def test_performance_tables_with_one_block_per_year(by_id: dict[str, Passage]) -> None:
    # 表4.18: "— — 在若干国家小武器问题国家协调机 / 制内任命性别平等问题协调人"
    t18 = _table(by_id, "表4.18")
    assert [c.path for c in t18.columns] == [["2020", "实际"], ["2021", "实际"], ["2022", "实际"]]
    assert [c.raw for c in t18.rows[0].cells] == [
        "—",
        "—",
        "在若干国家小武器问题国家协调机制内任命性别平等问题协调人",
    ]
    # 表4.3: 2024 (计划) is the last block.
    assert (
        t18.rows[0].label == ""
        and _table(by_id, "表4.3").rows[0].cells[4].raw
        == "联合国裁军研究金方案的参与者可以获得更多的培训资源，包括该方案的强制性在线介绍部分"
    )


def test_an_unaligned_table_keeps_its_figures_whole(by_id: dict[str, Passage]) -> None:
    # 表4.12's 2022 result, "另有 3 个国家开展 / 自愿上缴运动并销 / 毁 262 815 件武器、 / 弹药和爆炸物": one
    # paragraph, whole, though which year it is under is not known (2021 and 2022 each hold two paragraphs).
    table = _table(by_id, "表4.12")
    assert not table.aligned
    assert [c.path[0] for c in table.columns] == ["2020", "2021", "2022", "2023", "2024"]
    assert "另有 3 个国家开展自愿上缴运动并销毁 262 815 件武器、弹药和爆炸物" in [r.label for r in table.rows]


def test_units_from_the_caption(by_id: dict[str, Passage]) -> None:
    assert _table(by_id, "表4.24").unit == "千美元"
    assert _table(by_id, "表4.25").unit == "员额数目"
    assert _table(by_id, "表4.30").unit == "千美元/员额数目"
    assert _table(by_id, "表4.6").unit is None


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1 392.0", 1392.0),
        ("(278.2)", -278.2),
        ("—", None),
        ("-", None),
        ("2.9", 2.9),
        ("100", 100.0),
        ("", None),
        ("(2)", -2.0),
        ("联合国", None),
    ],
)
def test_parse_value(raw: str, value: float | None) -> None:
    assert parse_value(raw) == value


def test_the_grid_survives_serialisation(by_id: dict[str, Passage]) -> None:
    p = by_id["表4.24"]
    assert Passage.from_dict(p.to_dict()) == p


def test_a_block_without_a_layout_line_falls_back() -> None:
    text, table, heads = build_table("表7.1", ["类别 2023 年 2024 年 ", "1. 员额 120.5 130.0 "])
    assert not table.aligned and table.reason and "layout" in table.reason
    assert text.split("\n")[1:] == ["1. 员额 | 120.5 | 130.0"] and heads == []


def test_paragraphs_of_an_unaligned_table_say_which_columns_they_may_be_under(
    by_id: dict[str, Passage],
) -> None:
    # 表4.19: "— — 大会通过了第 77/51 / 号决议…": 2020 and 2021 are dashes, so the resolution is 2022's for sure.
    rows = _table(by_id, "表4.19").rows
    assert [r.cols for r in rows[:3]] == [[1], [2], [3]] and rows[2].label.startswith(
        "大会通过了第 77/51 号决议"
    )
    # 表4.12: seven paragraphs over five years: the first is 2020's, the last 2024's, the one with 262 815 is
    # 2022's, 2023's or 2024's as far as the extraction tells.
    rows = _table(by_id, "表4.12").rows
    assert rows[0].cols == [1] and rows[-1].cols == [5]
    assert next(r.cols for r in rows if "262 815" in r.label) == [3, 4, 5]


# ---------------------------------------------------------------- the layout rules on a block written by hand

_BLOCK = [
    "总表：示例 ",
    "(千美元/员额数目) ",
    "   变动  ",
    " ",  # group band, then a blank stub head
    "2022 年 ",
    "支出 ",
    "2023 年 ",
    "批款 技术调整 ",
    "新的/ ",
    "扩大的任务 共计 ",
    "2024 年估计 ",
    "(重计费用前) ",
    "       ",  # seven layout columns: the stub and six
    "按主要支出类别列示的财政资源       ",
    "员额 1 234.5 2 345.6 — 11.1 11.1 2 356.7 ",
    "按职类列示的员额资源       ",
    "专业及以上职类  40 — 1 1 41 ",  # no 2022 expenditure for posts: an empty cell
]


def test_layout_rules_on_a_hand_written_block() -> None:
    text, table, heads = build_table("表9.9", _BLOCK)
    assert table.aligned and table.stub == ""
    assert [c.path for c in table.columns] == [
        ["2022 年", "支出"],
        ["2023 年", "批款"],
        ["变动", "技术调整"],
        ["变动", "新的/扩大的任务"],
        ["变动", "共计"],
        ["2024 年估计(重计费用前)"],
    ]
    assert [r.kind for r in table.rows] == ["section", "data", "section", "data"]
    assert _cell(table, "员额", ["2023 年", "批款"]).value == 2345.6
    assert _cell(table, "员额", ["2023 年", "批款"]).unit == "千美元"
    assert _cell(table, "专业及以上职类", ["2022 年", "支出"]).raw == ""
    posts = _cell(table, "专业及以上职类", ["2024 年估计(重计费用前)"])
    assert (posts.value, posts.unit) == (41, "员额数目")
    assert "专业及以上职类 |  | 40 | — | 1 | 1 | 41" in text.split("\n")
    assert heads[:2] == ["变动", "2022 年"]


def test_a_row_short_of_cells_makes_the_table_fall_back() -> None:
    _, table, heads = build_table("表9.9", [*_BLOCK, "非员额 1.0 2.0 "])
    assert not table.aligned and table.reason and "'非员额'" in table.reason and heads == []
