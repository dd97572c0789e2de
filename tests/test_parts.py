"""Questions of several parts, and answers that run to the end of what they start: pure functions on
hand-written text."""

from __future__ import annotations

import pytest

from reader.parts import join, split
from reader.replies import extent


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "预算外资源总额是多少？其中次级方案 1 有多少？",
            ["预算外资源总额是多少？", "其中次级方案 1 有多少？"],
        ),
        ("经费增加了多少；主要原因是什么？", ["经费增加了多少？", "主要原因是什么？"]),
        (
            "When does the cycle begin, and in which year is the conference?",
            ["When does the cycle begin?", "In which year is the conference?"],
        ),
        ("By how much do resources rise, and mainly why?", ["By how much do resources rise?", "Mainly why?"]),
        # One question, however many "and"s or question marks it ends with.
        ("What are the planned and actual figures?", ["What are the planned and actual figures?"]),
        ("2024 年拟议资源是多少？？", ["2024 年拟议资源是多少？？"]),
        ("资源是多少？好？", ["资源是多少？好？"]),  # a part too short to ask anything
    ],
)
def test_split(question: str, parts: list[str]) -> None:
    assert split(question) == parts


def test_join_numbers_the_parts() -> None:
    assert join(["一", "二"], "zh") == "（1）一\n（2）二"
    assert join(["one", "two"], "en") == "(1) one\n(2) two"
    assert join(["only"], "en") == "only"


def test_a_lead_in_runs_on_through_its_items() -> None:
    text = "预计将取得下列成果：(a) 增加支持；(b) 更加知情。"
    end = text.index("：") + 1
    assert text[: extent(text, 0, end)] == text


def test_a_wrapped_line_of_a_table_of_text_runs_on_to_its_end() -> None:
    text = "成员：65 名政府官员，包括 5 个核\n武器国家的官员\n2024 年会议数量：1 次"
    end = text.index("\n")
    assert text[: extent(text, 0, end)] == "成员：65 名政府官员，包括 5 个核\n武器国家的官员"
    # A sentence that ends where its line ends stays as it is.
    whole = "本方案支持会员国。\n下一行。"
    assert extent(whole, 0, whole.index("\n")) == whole.index("\n")
