"""/v1/chat/completions (docs/DESIGN.md §2) through the real app on the tiny document and keyword embedder of
tests/tiny.py: the Sources footer, content parts, follow-ups, usage and streaming."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from service.settings import Settings
from tests.tiny import TINY_DOC, tiny_client

ASK_BUDGET = "次级方案 1 的 2024 年拟议经常预算资源是多少？"


# ---------------------------------------------------------------- /v1/chat/completions


def _chat(client: TestClient, messages: list[dict], **extra: object) -> dict:
    r = client.post("/v1/chat/completions", json={"model": "citeqa", "messages": messages, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def test_chat_content_carries_a_sources_footer(client: TestClient) -> None:
    body = _chat(client, [{"role": "user", "content": ASK_BUDGET}])
    content = body["choices"][0]["message"]["content"]
    answer, _, footer = content.partition("\n\n来源：\n")
    assert answer.endswith("[9.3]") and "1 234 500" in answer
    quote = body["citations"][0]["quote"]
    assert footer == f"[9.3] {TINY_DOC}，第 9.3 段: 「{quote}」 https://undocs.org/ch/A/78/6(Sect.9)"


def test_chat_sources_footer_can_be_switched_off(client: TestClient, settings: Settings) -> None:
    plain = _chat(client, [{"role": "user", "content": ASK_BUDGET}], citeqa_sources=False)
    assert plain["choices"][0]["message"]["content"].endswith("[9.3]")
    with tiny_client(settings.model_copy(update={"chat_sources": False})) as off:
        assert _chat(off, [{"role": "user", "content": ASK_BUDGET}])["choices"][0]["message"][
            "content"
        ].endswith("[9.3]")
        assert (
            "来源"
            in _chat(off, [{"role": "user", "content": ASK_BUDGET}], citeqa_sources=True)["choices"][0][
                "message"
            ]["content"]
        )


def test_chat_english_footer(client: TestClient) -> None:
    content = _chat(client, [{"role": "user", "content": "What does paragraph 9.6 say?"}])["choices"][0][
        "message"
    ]["content"]
    assert "\n\nSources:\n[9.6] A/78/6 (Sect. 9), para. 9.6: \u201c" in content


def test_chat_accepts_content_as_text_parts_and_a_system_message(client: TestClient) -> None:
    parts = [
        {"type": "text", "text": "次级方案 1 的 2024 年拟议经常预算"},
        {"type": "text", "text": "资源是多少？"},
    ]
    body = _chat(
        client,
        [
            {"role": "system", "content": [{"type": "text", "text": "You are a helpful assistant."}]},
            {"role": "user", "content": parts},
        ],
    )
    assert body["choices"][0]["message"]["content"].startswith("2024 年拟议经常预算资源为 1 234 500 美元")
    r = client.post(
        "/v1/chat/completions",
        json={
            "messages": [
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}
            ]
        },
    )
    assert r.status_code == 422 and "image_url" in r.json()["detail"]


def test_chat_follow_up_ignores_the_footer_of_the_previous_reply(client: TestClient) -> None:
    first = _chat(client, [{"role": "user", "content": ASK_BUDGET}])["choices"][0]["message"]["content"]
    body = _chat(
        client,
        [
            {"role": "user", "content": ASK_BUDGET},
            {"role": "assistant", "content": first},
            {"role": "user", "content": "它在哪一段？"},
        ],
        citeqa_sources=False,
    )
    assert body["choices"][0]["message"]["content"] == "上一个回答出自第 9.3 段。[9.3]"


def test_chat_usage_is_estimated_tokens_and_says_so(client: TestClient) -> None:
    usage = _chat(client, [{"role": "user", "content": "深海"}])["usage"]
    assert usage["unit"].startswith("estimated tokens")
    assert usage["prompt_tokens"] == 2  # one per hanzi
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 2


def test_chat_stream_with_usage(client: TestClient) -> None:
    r = client.post(
        "/v1/chat/completions",
        json={
            "messages": [{"role": "user", "content": ASK_BUDGET}],
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    events = [line[len("data: ") :] for line in r.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    content = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert (
        content
        == _chat(client, [{"role": "user", "content": ASK_BUDGET}])["choices"][0]["message"]["content"]
    )
    plain = client.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": ASK_BUDGET}], "stream": True}
    )
    assert all(
        json.loads(line[6:]).get("usage") is None
        for line in plain.text.splitlines()
        if line.startswith("data: {")
    )


def test_chat_abstention_lists_the_nearest_passages_not_as_sources(client: TestClient) -> None:
    body = _chat(client, [{"role": "user", "content": "What is the capital of France?"}])
    content = body["choices"][0]["message"]["content"]
    assert body["abstained"] is True and len(body["citations"]) >= 3
    answer, title, footer = content.partition("\n\nNearest passages:\n")
    assert title and "[" not in answer and "Sources:" not in content
    assert [line.split("]")[0][1:] for line in footer.splitlines()] == [
        c["id"] for c in body["citations"][:3]
    ]


def test_chat_with_an_empty_last_user_message_is_a_422(client: TestClient) -> None:
    # Skipping it would answer the earlier question again, as if it were this turn's.
    messages = [
        {"role": "user", "content": "深海研究金在哪里？"},
        {"role": "assistant", "content": "日内瓦 [9.6]"},
        {"role": "user", "content": "  "},
    ]
    r = client.post("/v1/chat/completions", json={"messages": messages})
    assert r.status_code == 422 and "last user message is empty" in r.json()["detail"], r.text
