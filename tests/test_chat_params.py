"""Chat parameters honoured or refused, never silently ignored (routes_chat.py), through the real app on the tiny
document: max_tokens, stop, n, tools, response_format, model, the no-effect parameters, and the footer's
"Understood as" line for a follow-up."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from service.api.routes_chat import NO_EFFECT, REFUSED, cut_to_tokens, estimate_tokens, without_footer

BUDGET = "2024 年拟议经常预算资源是多少？"
USER = [{"role": "user", "content": BUDGET}]


def _post(client: TestClient, **body: object) -> dict:
    r = client.post("/v1/chat/completions", json={"messages": USER, **body})
    assert r.status_code == 200, r.text
    return r.json()


def _stream(client: TestClient, **body: object) -> tuple[str, list[dict]]:
    r = client.post("/v1/chat/completions", json={"messages": USER, "stream": True, **body})
    assert r.status_code == 200, r.text
    chunks = [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: {")]
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]), chunks


@pytest.mark.parametrize("name", ["max_tokens", "max_completion_tokens"])
def test_max_tokens_cuts_the_content_and_says_length(client: TestClient, name: str) -> None:
    whole = _post(client)["choices"][0]["message"]["content"]
    body = _post(client, **{name: 7})
    content = body["choices"][0]["message"]["content"]
    assert body["choices"][0]["finish_reason"] == "length"
    assert (
        whole.startswith(content) and content == "2024 年拟议经常"
    )  # 2024: 2 tokens (1 per 3 digits), 5 hanzi
    assert body["usage"]["completion_tokens"] == estimate_tokens(content) <= 7


def test_max_tokens_streaming_too(client: TestClient) -> None:
    content, chunks = _stream(client, max_tokens=7)
    assert content == _post(client, max_tokens=7)["choices"][0]["message"]["content"]
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "length"


def test_a_budget_the_content_fits_changes_nothing(client: TestClient) -> None:
    whole = _post(client)
    fits = _post(client, max_tokens=estimate_tokens(whole["choices"][0]["message"]["content"]))
    assert fits["choices"][0] == whole["choices"][0] and fits["choices"][0]["finish_reason"] == "stop"


def test_with_both_budgets_the_smaller_wins(client: TestClient) -> None:
    body = _post(client, max_tokens=50, max_completion_tokens=3)
    assert body["usage"]["completion_tokens"] <= 3 and body["choices"][0]["finish_reason"] == "length"


def test_cut_to_tokens_never_splits_a_word_or_a_figure() -> None:
    assert cut_to_tokens("According to paragraph 4.86", 4) == "According to"  # 3 + 1, then 3 more
    assert cut_to_tokens("共 15 232 800 美元", 3) == "共"  # the figure costs 3: kept whole or not at all
    assert cut_to_tokens("共 15 232 800 美元", 4) == "共 15 232 800"
    assert cut_to_tokens("abc", 100) == "abc"


def test_stop_ends_the_content_before_the_sequence(client: TestClient) -> None:
    body = _post(client, stop=["美元", "nothing-like-this"])
    assert body["choices"][0]["message"]["content"] == "2024 年拟议经常预算资源为 1 234 500 "
    assert body["choices"][0]["finish_reason"] == "stop"
    assert _post(client, stop="资源")["choices"][0]["message"]["content"] == "2024 年拟议经常预算"


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"n": 2}, "n=2"),
        ({"n": 0}, "n=0"),
        ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools"),
        ({"tool_choice": "auto"}, "tool_choice"),
        ({"functions": [{"name": "f"}]}, "functions"),
        ({"function_call": "auto"}, "function_call"),
        ({"response_format": {"type": "json_schema", "json_schema": {"name": "x"}}}, "response_format"),
        ({"logprobs": True}, "logprobs"),
        ({"top_logprobs": 3}, "top_logprobs"),
        ({"modalities": ["text", "audio"]}, "modalities"),
        ({"modalities": ["audio"]}, "modalities"),
    ],
)
def test_what_needs_a_generative_model_is_refused_by_name(
    client: TestClient, extra: dict, named: str
) -> None:
    r = client.post("/v1/chat/completions", json={"messages": USER, **extra})
    assert r.status_code == 400, r.text
    assert named in r.json()["detail"]
    # OpenAI's error shape too: the SDKs show `error.message` and set `param`.
    error = r.json()["error"]
    assert error["message"] == r.json()["detail"] and error["param"] == next(iter(extra))
    assert error["type"] == "invalid_request_error"


def test_the_refused_list_is_what_the_request_refuses(client: TestClient) -> None:
    for name in REFUSED:
        r = client.post("/v1/chat/completions", json={"messages": USER, name: {"any": "thing"}})
        assert r.status_code in (400, 422) and name in r.json()["detail"], name


def test_n_1_logprobs_false_and_empty_tools_are_accepted(client: TestClient) -> None:
    body = _post(client, n=1, logprobs=False, tools=[], modalities=["text"], response_format={"type": "text"})
    assert body["choices"][0]["message"]["content"].startswith("2024 年拟议经常预算资源为 1 234 500 美元")
    assert body["ignored_parameters"] == []


def test_json_object_returns_the_documented_shape(client: TestClient) -> None:
    body = _post(client, response_format={"type": "json_object"})
    data = json.loads(body["choices"][0]["message"]["content"])
    assert set(data) == {"answer", "abstained", "resolved_question", "abstain_reason", "citations"}
    assert data["answer"].endswith("[9.3]") and data["abstained"] is False
    assert data["citations"][0] == {
        "id": "9.3",
        "cite": "A/78/6 (Sect. 9)，第 9.3 段",
        "cited": True,
        "quote": body["citations"][0]["quote"],
        "source_url": "https://undocs.org/ch/A/78/6(Sect.9)",
    }
    assert all(c["cited"] is False for c in data["citations"][1:])


def test_the_model_reported_is_always_citeqa(client: TestClient) -> None:
    assert _post(client, model="gpt-4o")["model"] == "citeqa"
    _, chunks = _stream(client, model="gpt-4o")
    assert {c["model"] for c in chunks} == {"citeqa"}


def test_no_effect_parameters_are_accepted_and_named(client: TestClient) -> None:
    sent = dict.fromkeys(NO_EFFECT, 0.5) | {"user": "u1", "metadata": {"a": "b"}, "citeqa_unknown": 1}
    body = _post(client, **sent)
    assert body["ignored_parameters"] == sorted(sent)
    assert body["choices"][0]["message"]["content"] == _post(client)["choices"][0]["message"]["content"]
    _, chunks = _stream(client, temperature=0)
    assert [c for c in chunks if c["choices"]][-1]["ignored_parameters"] == ["temperature"]
    assert _post(client, temperature=None)["ignored_parameters"] == []  # null is not sending it


def test_a_follow_up_says_how_it_was_understood(client: TestClient) -> None:
    first = _post(client)["choices"][0]["message"]["content"]
    body = _post(
        client,
        messages=[
            *USER,
            {"role": "assistant", "content": first},
            {"role": "user", "content": "那 2023 年呢？"},
        ],
    )
    resolved = body["resolved_question"]
    assert resolved and resolved != "那 2023 年呢？"
    content = body["choices"][0]["message"]["content"]
    assert f"\n\n理解为：{resolved}\n\n来源：\n" in content or content.endswith(f"\n\n理解为：{resolved}")
    # Sent back as history, the footer (with its understood line) is not read as the answer.
    assert "理解为" not in without_footer(content)
    _, chunks = _stream(
        client,
        messages=[
            *USER,
            {"role": "assistant", "content": first},
            {"role": "user", "content": "那 2023 年呢？"},
        ],
    )
    assert [c for c in chunks if c["choices"]][-1]["resolved_question"] == resolved
    assert _post(client)["resolved_question"] is None  # a first question is read as sent


def test_an_abstention_carries_its_reason_field(client: TestClient) -> None:
    body = _post(client, messages=[{"role": "user", "content": "法国的首都是哪里？"}])
    assert body["abstained"] is True and "abstain_reason" in body


def test_malformed_parameters_are_a_422(client: TestClient) -> None:
    for extra in ({"stop": ["a", "b", "c", "d", "e"]}, {"max_tokens": 0}, {"max_tokens": "7"}, {"n": "1"}):
        r = client.post("/v1/chat/completions", json={"messages": USER, **extra})
        assert r.status_code == 422 and next(iter(extra)) in r.json()["detail"], extra
