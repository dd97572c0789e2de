"""What facts look like in the document's text (reader.facts), on hand-written spans."""

from __future__ import annotations

import pytest

from reader.facts import has_type, is_specific


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("2024 年拟议资源总额为 15 232 800 美元。", "money", True),
        ("本次级方案将支持会员国。", "money", False),
        ("3. 常规武器 | 1 392.0 | 1 156.7", "money", True),  # a table row: figures without a unit
        ("2024 年估计", "money", False),  # a header line names a year, not an amount
        ("共收到 6 515 份申请。", "count", True),
        ("遵守率为 68%。", "percent", True),
        ("大会于 2022 年 11 月 28 日开幕。", "date", True),
        ("会议在日内瓦举行。", "place", True),
        ("减少的原因是技术调整。", "reason", True),
        ("本方案的经验教训是，需要一个结构化的培训。", "reason", True),  # the template's reason for a change
        ("增加的经费用于支助专家组。", "purpose", True),
        ("本次级方案促进实现的目标是推进谈判。", "objective", True),
    ],
)
def test_has_type(text: str, kind: str, expected: bool) -> None:
    row = " | " in text or text == "2024 年估计"
    assert has_type(text, kind, places=["日内瓦"], table_row=row) is expected


def test_only_specific_types_can_be_missing() -> None:
    assert is_specific("money") and is_specific("date")
    assert not is_specific("definition") and not is_specific("text")


def test_only_a_signature_names_a_person() -> None:
    assert has_type("副秘书长兼裁军事务高级代表中满泉(签名)", "person")
    assert not has_type("维也纳联络处负责与维也纳各机构联络。", "person")


def test_pointers_to_paragraphs_answer_where_questions() -> None:
    assert has_type("第 4.87 (b)、4.88 (a)和 4.89 段解释了拟议减少该数额的原因。", "where_cited")
    assert not has_type("2024 年拟议经常预算资源为 1 908 200 美元。", "where_cited")


def test_an_ordinal_is_not_a_count() -> None:
    assert not has_type("第四次审查会议", "count")
    assert has_type("举行四次会议", "count")


def test_an_article_is_not_a_count() -> None:
    assert not has_type("本次级方案将启动一个培训方案。", "count")
    assert has_type("每个区域 15 名研究员。", "count")


def test_totals_by_how_much_they_add_up() -> None:
    from reader.facts import total_level

    assert total_level("共计") == 1.0 and total_level("小计(1)") == 0.8 and total_level("小计(C)") == 0.5
    assert total_level("3. 常规武器") == 0.0
