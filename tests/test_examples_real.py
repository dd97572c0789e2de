"""The worked examples of the issues on answering exactly what was asked and on English, through the real app on
the real document: each answers right or abstains with its reason."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .answers import ask_ok

pytestmark = pytest.mark.e2e


def _conversation(client: TestClient, *questions: str) -> dict:
    cid = None
    body: dict = {}
    for q in questions:
        body = ask_ok(client, q, cid)
        cid = body["conversation_id"]
    return body


@pytest.mark.parametrize(
    ("question", "key", "cited"),
    [
        # The whole, not a part: the section total of 4.86, not the policymaking organs' 9 200.
        ("2024年拟议经常预算资源总额是多少？", "15 232 800", "4.86"),
        # Posts asked: a number of posts, not the figure's thousands of dollars.
        ("How many posts are proposed for subprogramme 3 in 2024?", "7", "图4.十一"),
        # New posts are the established ones, for the section: table 4.22's line of them (table 4.25's column of
        # new and expanded mandates says it too), not the line of 2024's 66 posts beside it.
        ("How many new posts are proposed in 2024?", "设立 5", "表4.22"),
        # The same fact in both languages.
        ("2024年拟议的经常预算员额一共多少个？", "66", None),
        ("How many regular budget posts are proposed for 2024?", "66", None),
    ],
)
def test_a_figure_of_the_measure_and_scope_asked(
    real_client: TestClient, question: str, key: str, cited: str | None
) -> None:
    body = ask_ok(real_client, question)
    assert not body["abstained"], body["answer"]
    assert key.replace(" ", "") in body["answer"].replace(" ", "")
    if cited:
        assert body["citations"][0]["id"] == cited


@pytest.mark.parametrize(
    ("question", "says"),
    [
        # The body's meetings are counted, never costed.
        ("《特定常规武器公约》缔约方会议2024年的经费是多少？", "会议次数"),
        # No donor is named with a figure.
        ("德国为裁军厅提供了多少预算外捐款？", "德国"),
        # The Eleventh Review Conference has a year in the document, not a place.
        ("不扩散核武器条约第十一次审议大会在哪里举行？", "地点"),
        ("2025年的拟议资源是多少？", "2025"),
        ("In which year will the Twelfth Review Conference of the NPT take place?", "Twelfth"),
    ],
)
def test_what_the_document_lacks_is_said(real_client: TestClient, question: str, says: str) -> None:
    body = ask_ok(real_client, question)
    assert body["abstained"]
    assert says in body["abstain_reason"] and body["abstain_reason"] in body["answer"]
    assert body["citations"], "an abstention still lists the nearest passages"


def test_a_list_gives_its_items(real_client: TestClient) -> None:
    for question in ("区域中心有哪些？", "What are the three regional centres?"):
        body = ask_ok(real_client, question)
        assert not body["abstained"]
        for centre in ("非洲区域中心", "亚洲及太平洋区域中心", "拉丁美洲和加勒比区域中心"):
            assert centre in body["answer"], question


def test_a_lead_in_comes_with_its_items(real_client: TestClient) -> None:
    body = ask_ok(real_client, "2022 年完成的哪些评价指导了 2024 年拟议方案计划的拟定？")
    assert "：(a)" in body["answer"].replace(" ", "") and "(c)" in body["answer"]


def test_english_answers_are_framed_in_english(real_client: TestClient) -> None:
    body = ask_ok(real_client, "How many regular budget posts are proposed for 2024?")
    frame = body["answer"].split(":", 1)[0]
    assert frame.isascii(), body["answer"]  # "Table 4.23, Total, 2024 proposed" — no Chinese label left in it
    assert ask_ok(real_client, "What does figure 4.9 show?")["answer"].startswith("Figure 4.IX")


def test_an_unrelated_short_question_is_not_a_follow_up(real_client: TestClient) -> None:
    body = _conversation(real_client, "2025年的拟议资源是多少？", "联合国秘书长是谁？")
    assert body["resolved_question"] is None
    assert body["understood"]["question"] == "联合国秘书长是谁？"


def test_a_part_after_a_total_narrows_it(real_client: TestClient) -> None:
    body = _conversation(real_client, "2024年拟议经常预算资源总额是多少？", "那次级方案3呢？")
    assert body["resolved_question"] == "2024年拟议次级方案3经常预算资源是多少？"
    assert "2 768 900" in body["answer"] and "15 232 800" not in body["answer"]


def test_an_answer_says_what_it_was_checked_against(real_client: TestClient) -> None:
    body = ask_ok(real_client, "2024年拟议经常预算资源总额是多少？")
    assert body["understood"]["unit"] == "美元" and "2024 年" in body["understood"]["scope"]
    assert {"2024 年", "拟议", "经常预算"} <= set(body["matched"])


def test_two_parts_get_two_answers(real_client: TestClient) -> None:
    body = ask_ok(real_client, "2024 年预算外资源估计为多少千美元？其中次级方案 1 有多少？")
    assert body["answer"].startswith("（1）") and "（2）" in body["answer"]
