"""Question analysis (reader.question): answer types and constraints on hand-written questions, both languages."""

from __future__ import annotations

import pytest

from corpus.model import Passage
from reader.question import analyse
from reader.template import Template, section_of

TEMPLATE = Template.from_passages(
    [
        Passage(
            "9.1", "A/78/6 (Sect. 9)", "paragraph", "…", heading=["A. 方案", "次级方案 3 常规武器", "目标"]
        ),
        Passage(
            "9.2", "A/78/6 (Sect. 9)", "paragraph", "…", heading=["A. 方案", "次级方案 5 区域裁军", "战略"]
        ),
    ]
)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("2024 年拟议资源总额是多少？", "money"),
        ("员额费用估计为多少千美元？", "money"),
        ("How much is the 2024 subvention to UNIDIR?", "money"),
        ("有多少个员额？", "count"),
        ("How many posts are proposed?", "count"),
        ("遵守率是多少？", "percent"),
        ("What percentage was achieved?", "percent"),
        ("大会是哪天开幕的？", "date"),
        ("When does the programme end?", "date"),
        ("会议在哪里举行？", "place"),
        ("为什么减少？", "reason"),
        ("这笔资源用于什么？", "purpose"),
        ("次级方案 4 的目标是什么？", "objective"),
        ("前言是谁署名的？", "body"),
        ("哪些段落引用了 77/71？", "where_cited"),
        ("4.88 (b) 说了什么？", "whole"),
        ("What does paragraph 4.88 say?", "whole"),
        # A list is asked in the plural; one thing in the singular.
        ("区域中心有哪些？", "list"),
        ("Which regional centres does the Office run?", "list"),
        ("Which countries host a centre?", "list"),
        ("还有哪次会议通过了最后文件？", "text"),
        ("Which resolution set up the working group?", "text"),
        ("Which process was delayed?", "text"),
        # Posts' money is an amount, wherever 多少 stands.
        ("员额费用是多少？", "money"),
        ("新员额的相关非员额资源共计多少？", "money"),
        ("次级方案 3 的员额有几个？", "count"),
        ("为新员额在员额项下编了多少钱？", "money"),
        # A figure the question states is what it asks about; what money is for is a purpose.
        ("What will the 12,300 dollars for travel pay for?", "purpose"),
        ("How many experts would it pay for?", "count"),
        ("下次会议定在哪两年？", "date"),
        ("这 5 000 美元用于什么？", "purpose"),
        ("What are the resources under the second component for?", "purpose"),
        ("What are the resources for 2024?", "money"),
        ("Which unit handles human resources?", "text"),
        ("Who handles human resources and finance?", "body"),
        # "Why" asks when it opens the question or a clause of it, not inside one.
        ("What book helps children understand why disarmament matters?", "text"),
        ("Mainly why?", "reason"),
        ("And why?", "reason"),
    ],
)
def test_answer_type(question: str, kind: str) -> None:
    assert analyse(question, TEMPLATE).answer_type == kind


def test_constraints_in_chinese() -> None:
    q = analyse("次级方案 3 的 2024 年预算外资源（重计费用后）是多少？", TEMPLATE)
    assert (q.lang, q.years, q.subprogrammes, q.funding, q.recosting, q.measure) == (
        "zh",
        ("2024",),
        ("3",),
        "extrabudgetary",
        "after",
        "resources",
    )


def test_constraints_in_english() -> None:
    q = analyse(
        "How many regular budget P-4 posts does regional disarmament have in 2023 (approved)?", TEMPLATE
    )
    assert (q.lang, q.years, q.subprogrammes, q.funding, q.states, q.measure, q.grades) == (
        "en",
        ("2023",),
        ("5",),
        "regular",
        ("approved",),
        "posts",
        ("P-4",),
    )
    assert "员额" in q.translations


def test_subprogramme_by_name_and_grade_next_to_hanzi() -> None:
    q = analyse("常规武器次级方案2024年拟议员额中有几个P-4？", TEMPLATE)
    assert q.subprogrammes == ("3",) and q.grades == ("P-4",) and q.states == ("proposed",)


def test_plan_and_actual_are_told_apart() -> None:
    assert analyse("2022 年实际提供了多少次会议服务？").states == ("actual",)
    assert analyse("2024 年计划提供多少次？").states == ("plan",)


def test_ids_symbols_and_unknown_names() -> None:
    q = analyse("Which paragraphs cite resolution 77/71 and what does 4.88 (b) say?")
    assert q.ids == ("4.88(b)",) and q.symbols == ("77/71",)
    assert analyse("What is the budget of the World Health Organization for 2024?").unknown_names


def test_sections_of_the_template() -> None:
    assert analyse("次级方案 4 的战略是什么？").sections == ("战略",)
    assert analyse("What are the lessons learned of subprogramme 2?").sections == ("经验教训",)
    p = Passage("9.1", "d", "paragraph", "…", heading=["A. 方案", "次级方案 3 常规武器", "目标"])
    assert section_of(p) == "目标"
    assert section_of(Passage("9.9", "d", "paragraph", "…", heading=["B. 资源", "概述"])) == "资源"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("维也纳联络处的负责人是谁？", "person"),
        ("联合国和平与裁军非洲区域中心的主任叫什么名字？", "person"),
        ("Who heads the Implementation Support Unit?", "person"),
    ],
)
def test_person_questions(question: str, kind: str) -> None:
    assert analyse(question).answer_type == kind


def test_a_question_says_whether_it_wants_a_change_or_a_level() -> None:
    assert analyse("次级方案 2 的预算外资源增加了多少美元？").change
    assert analyse("How much did the regular budget increase?").change
    assert not analyse("次级方案 2 的预算外资源是多少？").change


def test_a_question_says_whether_it_wants_a_total() -> None:
    assert analyse("How many regular budget posts are proposed for 2024 in total?").total
    assert analyse("2024 年拟议资源总额是多少？").total
    assert not analyse("次级方案 3 的员额是多少？").total


def test_an_amount_about_posts_is_a_question_about_resources() -> None:
    assert analyse("2024 年员额费用估计为多少千美元？").measure == "resources"
    assert analyse("2024 年拟议员额有多少个？").measure == "posts"


def test_a_subprogrammes_name_inside_a_title_is_the_titles() -> None:
    template = Template(subprogrammes={"3": "常规武器", "1": "多边谈判"}, headings={})
    assert template.named_in("常规武器方面的简报") == {"3"}
    assert template.named_in("《特定常规武器公约》缔约方会议") == set()
    assert template.named_in("次级方案 1 和《特定常规武器公约》") == {"1"}
