"""Follow-ups by slots (reader.followups): hand-written cases for each slot kind, subjects and bounds."""

from __future__ import annotations

import pytest

from reader.followups import MAX_RESOLVED_CHARS, Turn, is_followup, resolve, subject

SP3_RB = "次级方案 3 的 2024 年拟议经常预算资源是多少？"


@pytest.mark.parametrize(
    ("follow_up", "expected"),
    [
        ("那次级方案 2 呢？", "次级方案 2 的 2024 年拟议经常预算资源是多少？"),
        ("2023年呢？", "次级方案 3 的 2023 年拟议经常预算资源是多少？"),
        ("预算外呢？", "次级方案 3 的 2024 年拟议预算外资源是多少？"),
        ("员额呢？", "次级方案 3 的 2024 年拟议经常预算员额是多少？"),
        ("那核定呢？", "次级方案 3 的 2024 年核定经常预算资源是多少？"),
    ],
)
def test_each_slot_is_swapped_and_nothing_else(follow_up: str, expected: str) -> None:
    assert resolve(follow_up, Turn(SP3_RB, ["4.103"])).question == expected


def test_english_slots() -> None:
    prev = Turn("What are the regular budget resources for programme support in 2024?", ["4.111"])
    assert resolve("And the extrabudgetary ones?", prev).question == (
        "What are the extrabudgetary resources for programme support in 2024?"
    )
    assert resolve("And for subprogramme 4?", Turn("What are subprogramme 1's resources?", [])).question == (
        "What are subprogramme 4's resources?"
    )


def test_a_slot_the_previous_question_lacks_is_added() -> None:
    r = resolve("预算外呢？", Turn("次级方案 3 的资源是多少？", []))
    assert r.question == "次级方案 3 的预算外资源是多少？"


def test_a_new_ask_about_the_same_subject_keeps_the_subject_words_not_its_ask() -> None:
    r = resolve("该会议在哪里举行？", Turn("生物武器公约第九次审议大会是什么时候开幕的？", ["4.20"]))
    assert r.question.startswith("生物武器公约第九次审议大会")
    assert "什么时候" not in r.question
    assert r.question.endswith("该会议在哪里举行？")


@pytest.mark.parametrize(
    "question",
    [
        "联合国秘书长是谁？",
        "会议在哪里举行？",
        "Who is the Secretary-General?",
        "What is the budget of UNICEF?",
        "前言是谁署名的？",
    ],
)
def test_a_question_without_a_cue_is_answered_alone_however_short(question: str) -> None:
    assert not is_followup(question)
    assert resolve(question, Turn("2025年的拟议资源是多少？", [])).question == question


@pytest.mark.parametrize(
    "question",
    [
        "它在哪里举行？",
        "其中员额多少？",
        "那次级方案 3 呢？",
        "员额呢？",
        "And in 2022?",
        "What about subprogramme 4?",
        "比 2023 年增加了多少？",
        "How much of it is for posts?",
        "出处？",
        "Which paragraph?",
    ],
)
def test_a_cue_makes_a_follow_up(question: str) -> None:
    assert is_followup(question)


def test_a_part_swapped_into_a_total_narrows_it() -> None:
    r = resolve("那次级方案3呢？", Turn("2024年拟议经常预算资源总额是多少？", []))
    assert r.question == "2024年拟议次级方案3经常预算资源是多少？"
    en = resolve("And for subprogramme 3?", Turn("What is the total proposed regular budget for 2024?", []))
    assert "total" not in en.question and "subprogramme 3" in en.question


def test_a_question_that_names_its_own_passage_starts_afresh() -> None:
    assert (
        resolve("附件三讲的是什么？", Turn(SP3_RB, ["4.103"]), names_a_passage=True).question
        == "附件三讲的是什么？"
    )
    assert not is_followup("表 4.24 的标题是什么？", names_a_passage=True)


def test_the_resolved_question_never_grows_turn_after_turn() -> None:
    turn = Turn(SP3_RB, [])
    for _ in range(60):
        r = resolve("and what about " + "x" * 1985, turn)
        assert len(r.question) <= MAX_RESOLVED_CHARS
        turn = Turn(r.question, [])


def test_subject_drops_the_question_words() -> None:
    assert subject("青年促进裁军倡议是哪一年启动的？") == "青年促进裁军倡议 一年启动的"
    # The unit asked is no question word: a part of an amount in thousands is in thousands too.
    assert subject("预算外资源总额为多少千美元？") == "预算外资源总额为 千美元"
    assert (
        subject("What are the resources in thousands of dollars?") == "the resources in thousands of dollars"
    )


def test_a_question_of_one_or_two_slots_only_asks_the_last_one_again() -> None:
    prev = Turn("2022 年提前至少两星期购买机票的遵守率是多少？", ["表4.29"])
    assert is_followup("2024 年的计划是多少？")
    assert (
        resolve("2024 年的计划是多少？", prev).question == "2024 年提前至少两星期购买机票的遵守率计划是多少？"
    )
    assert not is_followup("2024 年拟议经常预算资源是多少？")  # four slots: a question of its own


def test_a_question_that_starts_by_comparing_leans_back() -> None:
    assert is_followup("比 2023 年批款增加了多少？")


def test_a_new_ask_swaps_the_slots_it_names_in_the_subject() -> None:
    prev = Turn("次级方案 2 在 2022 年为培训课程实际安排了多少天？", [])
    r = resolve("那 2024 年计划是多少天？", prev)
    assert "2022" not in r.question and "实际" not in r.question
    assert r.question.startswith("次级方案 2 在 2024 年为培训课程计划安排了")


def test_a_comparison_keeps_the_subject_and_names_its_base() -> None:
    r = resolve("比 2023 年批款增加了多少？", Turn("2024 年拟议经常预算总额（重计费用前）是多少？", []))
    assert r.question.startswith("2024 年拟议经常预算总额") and r.question.endswith(
        "比 2023 年批款增加了多少？"
    )


def test_a_part_of_what_came_before_leans_back_however_long() -> None:
    assert is_followup("How much of it pays for the two posts and general temporary assistance?")
    assert not is_followup(
        "How much is the UNIDIR subvention for the two posts and general temporary assistance?"
    )


def test_a_part_or_property_of_the_answer_looks_in_its_passage_first() -> None:
    prev = Turn("次级方案 3 为执行第 77/71 号决议增加了多少经费？", ["4.88(b)㈠"])
    for question in ("其中咨询人项下是多少？", "这笔钱用来做什么？", "How much of that is for consultants?"):
        assert resolve(question, prev).within == ("4.88(b)㈠",), question
    # Another slot, or another question about the same subject, is looked for anywhere.
    for question in ("那次级方案 2 呢？", "它的目标是什么？", "What about 2023?"):
        assert resolve(question, prev).within == (), question


def test_a_line_of_spending_is_a_slot() -> None:
    prev = Turn("2024 年工作人员差旅项下的估计数是多少千美元？", ["表4.21"])
    assert resolve("订约承办事务呢？", prev).question == "2024 年订约承办事务项下的估计数是多少千美元？"
    en = Turn("How much is proposed for travel of staff in 2024?", ["表4.21"])
    assert (
        resolve("And contractual services?", en).question
        == "How much is proposed for contractual services in 2024?"
    )
    # 专家 inside 专家组 is a group, not the line of spending.
    assert "专家组" in resolve("咨询人呢？", Turn("政府专家组开了几次会？", [])).question
