"""The real service under uvicorn, spoken to with the `openai` client library: chat completions with citations."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai import DefaultHttpxClient, OpenAI

from eval.server import running_server

pytestmark = pytest.mark.e2e

QUESTION = "2024 年拟议资源总额在重计费用前是多少？"
READY_TIMEOUT_S = 180


@pytest.fixture(scope="module")
def base_url(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEQA_")}
    env.update({"CITEQA_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    with running_server(tmp_path_factory.mktemp("uvicorn") / "server.log", env, READY_TIMEOUT_S) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[OpenAI]:
    http = DefaultHttpxClient(trust_env=False, timeout=60)
    with OpenAI(base_url=f"{base_url}/v1", api_key="unused", http_client=http, max_retries=0) as openai:
        yield openai


def test_models(client: OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["citeqa"]


def test_chat_completion_with_citations(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model="citeqa", messages=[{"role": "user", "content": QUESTION}]
    )
    content = completion.choices[0].message.content or ""
    assert "[4.86]" in content
    assert "15 232 800" in content
    assert completion.choices[0].finish_reason == "stop"
    extra = completion.model_extra or {}
    assert extra["abstained"] is False
    citations = extra["citations"]
    assert citations[0]["id"] == "4.86"
    assert citations[0]["quote"] in citations[0]["text"]
    assert citations[0]["doc"] == "A/78/6 (Sect. 4)"


def test_streamed_chat_completion_with_citations(client: OpenAI) -> None:
    stream = client.chat.completions.create(
        model="citeqa", messages=[{"role": "user", "content": QUESTION}], stream=True
    )
    chunks = list(stream)
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "[4.86]" in content
    assert "15 232 800" in content
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    citations = (last.model_extra or {})["citations"]
    assert citations[0]["id"] == "4.86"
    # The same answer as without streaming.
    plain = client.chat.completions.create(model="citeqa", messages=[{"role": "user", "content": QUESTION}])
    assert content == plain.choices[0].message.content


def test_follow_up_from_the_message_history(client: OpenAI) -> None:
    first = "次级方案 1 的 2024 年拟议经常预算资源是多少？"
    reply = client.chat.completions.create(model="citeqa", messages=[{"role": "user", "content": first}])
    completion = client.chat.completions.create(
        model="citeqa",
        messages=[
            {"role": "user", "content": first},
            {"role": "assistant", "content": reply.choices[0].message.content or ""},
            {"role": "user", "content": "那次级方案 3 呢？"},
        ],
    )
    content = completion.choices[0].message.content or ""
    assert "2 768 900" in content
    assert "[4.103]" in content


# ---------------------------------------------------------------- issue 12: what chat clients show

SOURCE = "https://undocs.org/ch/A/78/6(Sect.4)"


def _footer(content: str) -> str:
    answer, title, footer = content.partition("\n\n来源：\n")
    assert title, f"no sources footer in {content!r}"
    assert "[4.86]" in answer
    return footer


def test_the_content_carries_a_sources_footer(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model="citeqa", messages=[{"role": "user", "content": QUESTION}]
    )
    footer = _footer(completion.choices[0].message.content or "")
    quote = (completion.model_extra or {})["citations"][0]["quote"]
    assert footer.splitlines()[0] == f"[4.86] A/78/6 (Sect. 4)，第 4.86 段: 「{quote}」 {SOURCE}"


def test_the_footer_can_be_switched_off_per_request(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model="citeqa", messages=[{"role": "user", "content": QUESTION}], extra_body={"citeqa_sources": False}
    )
    content = completion.choices[0].message.content or ""
    assert content.endswith("[4.86]") and "来源" not in content


def test_content_as_text_parts_with_a_system_message(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model="citeqa",
        messages=[
            {"role": "system", "content": "You answer from the document."},
            {"role": "user", "content": [{"type": "text", "text": QUESTION}]},
        ],
    )
    assert "15 232 800" in _footer(completion.choices[0].message.content or "")


def test_stream_with_usage(client: OpenAI) -> None:
    stream = client.chat.completions.create(
        model="citeqa",
        messages=[{"role": "user", "content": QUESTION}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    _footer(content)
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    usage = chunks[-1].usage
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens > 0
    assert (usage.model_extra or {})["unit"].startswith("estimated tokens")


@pytest.fixture(scope="module")
def langchain(base_url: str) -> object:
    from langchain_openai import ChatOpenAI

    # stream_usage: LangChain asks for `stream_options.include_usage` only when told to, with a custom base_url.
    return ChatOpenAI(
        base_url=f"{base_url}/v1",
        api_key="unused",
        model="citeqa",
        max_retries=0,
        timeout=60,
        stream_usage=True,
        http_client=httpx.Client(trust_env=False, timeout=60),
    )


def test_langchain_sees_the_sources(langchain: object) -> None:
    from langchain_core.messages import HumanMessage, SystemMessage

    chat = langchain  # ChatOpenAI drops the `citations` field: the footer is what its users get
    reply = chat.invoke([SystemMessage("Answer from the document."), HumanMessage(QUESTION)])  # type: ignore[attr-defined]
    assert SOURCE in _footer(str(reply.content))
    parts = chat.invoke([HumanMessage(content=[{"type": "text", "text": QUESTION}])])  # type: ignore[attr-defined]
    assert parts.content == reply.content


def test_langchain_streaming_sees_the_sources(langchain: object) -> None:
    chunks = list(langchain.stream(QUESTION))  # type: ignore[attr-defined]
    content = "".join(str(c.content) for c in chunks)
    assert SOURCE in _footer(content)
    usage = [c.usage_metadata for c in chunks if getattr(c, "usage_metadata", None)]
    assert usage and usage[-1]["total_tokens"] > 0


# ---------------------------------------------------------------- parameters honoured or refused, by name

FOLLOW_UP: list[Any] = [
    {"role": "user", "content": "次级方案 1 的 2024 年拟议经常预算资源是多少？"},
    {"role": "assistant", "content": "…"},
    {"role": "user", "content": "那次级方案 3 呢？"},
]


def test_max_tokens_cuts_the_content(client: OpenAI) -> None:
    whole = client.chat.completions.create(model="citeqa", messages=[{"role": "user", "content": QUESTION}])
    cut = client.chat.completions.create(
        model="citeqa", messages=[{"role": "user", "content": QUESTION}], max_tokens=12
    )
    content = cut.choices[0].message.content or ""
    assert cut.choices[0].finish_reason == "length" and cut.usage is not None
    assert 0 < cut.usage.completion_tokens <= 12 and (whole.choices[0].message.content or "").startswith(
        content
    )
    stream = client.chat.completions.create(
        model="citeqa",
        messages=[{"role": "user", "content": QUESTION}],
        max_completion_tokens=12,
        stream=True,
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == content
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"


def test_n_above_one_is_a_400_that_says_why(client: OpenAI) -> None:
    from openai import BadRequestError

    with pytest.raises(BadRequestError, match="n=2"):
        client.chat.completions.create(model="citeqa", messages=[{"role": "user", "content": QUESTION}], n=2)
    one = client.chat.completions.create(
        model="citeqa", messages=[{"role": "user", "content": QUESTION}], n=1
    )
    assert len(one.choices) == 1


def test_response_format(client: OpenAI) -> None:
    import json

    from openai import BadRequestError

    completion = client.chat.completions.create(
        model="citeqa",
        messages=[{"role": "user", "content": QUESTION}],
        response_format={"type": "json_object"},
    )
    data = json.loads(completion.choices[0].message.content or "")
    assert (
        "15 232 800" in data["answer"]
        and data["citations"][0]["id"] == "4.86"
        and data["citations"][0]["cited"]
    )
    with pytest.raises(BadRequestError, match="response_format"):
        client.chat.completions.create(
            model="citeqa",
            messages=[{"role": "user", "content": QUESTION}],
            response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": {}}},
        )
    with pytest.raises(BadRequestError, match="tools"):
        client.chat.completions.create(
            model="citeqa",
            messages=[{"role": "user", "content": QUESTION}],
            tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}],
        )


def test_resolved_question_and_the_model_served(client: OpenAI) -> None:
    completion = client.chat.completions.create(model="gpt-4o", messages=FOLLOW_UP, temperature=0.3, seed=7)
    extra = completion.model_extra or {}
    assert completion.model == "citeqa"
    assert extra["resolved_question"] and extra["resolved_question"] != "那次级方案 3 呢？"
    assert f"\n\n理解为：{extra['resolved_question']}" in (completion.choices[0].message.content or "")
    assert extra["ignored_parameters"] == ["seed", "temperature"] and extra["answer_id"]
    first = client.chat.completions.create(model="citeqa", messages=[{"role": "user", "content": QUESTION}])
    assert (first.model_extra or {})["resolved_question"] is None


def test_langchain_parameters(base_url: str) -> None:
    import json

    import openai
    from langchain_core.messages import AIMessage, HumanMessage
    from langchain_openai import ChatOpenAI

    with httpx.Client(trust_env=False, timeout=60) as http:

        def chat(**kwargs: object) -> ChatOpenAI:
            return ChatOpenAI(
                base_url=f"{base_url}/v1",
                api_key="unused",
                model="citeqa",
                max_retries=0,
                timeout=60,
                http_client=http,
                **kwargs,
            )

        cut = chat(max_tokens=12).invoke(QUESTION)  # LangChain sends it as max_completion_tokens
        assert cut.response_metadata["finish_reason"] == "length" and cut.usage_metadata is not None
        assert 0 < cut.usage_metadata["output_tokens"] <= 12
        with pytest.raises(openai.BadRequestError, match="n=2"):
            chat(n=2).invoke(QUESTION)
        data = chat().bind(response_format={"type": "json_object"}).invoke(QUESTION)
        assert "15 232 800" in json.loads(str(data.content))["answer"]
        with pytest.raises(openai.BadRequestError, match="response_format"):
            chat().bind(
                response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": {}}}
            ).invoke(QUESTION)
        # LangChain drops the extra fields; the footer says how a follow-up was understood.
        reply = chat().invoke(
            [HumanMessage(FOLLOW_UP[0]["content"]), AIMessage("…"), HumanMessage(FOLLOW_UP[2]["content"])]
        )
        assert "\n\n理解为：" in str(reply.content)
