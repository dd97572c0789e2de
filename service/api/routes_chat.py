"""OpenAI-compatible chat completions, so the chat clients delegates already use can point here.

Citations travel in the message text as `[4.86]` markers, in a short "Sources:" footer appended to the content
(clients that drop unknown fields still show the quotes and links; `citeqa_sources: false` or
CITEQA_CHAT_SOURCES=false turns it off) and, structured, in a `citations` field.
The conversation is the message list itself: earlier user turns resolve follow-ups, nothing is stored.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, StrictBool

from reader.question import language

from ..runtime.limits import BadInput, clean_text, off_loop
from . import present
from .deps import DocDep, StateDep
from .routes_documents import NO_DOCUMENT
from .schemas import Answer, Citation, ErrorOut, JsonInt

router = APIRouter(tags=["chat"], responses={422: {"model": ErrorOut}, 503: {"model": ErrorOut}})
MODEL_NAME = "citeqa"
_MARKER = re.compile(r"\[([^\[\]\s]+)\]")
# The footer's first line in each language; an assistant message sent back in the history is cut there, so the
# ids a footer lists are not taken for what the answer cited.
FOOTER_TITLE = {"zh": "来源：", "en": "Sources:"}
NEAREST_TITLE = {"zh": "最接近的段落：", "en": "Nearest passages:"}
_FOOTER_START = re.compile(r"\n\n(?:" + "|".join(re.escape(t) for t in (*FOOTER_TITLE.values(), *NEAREST_TITLE.values()))
                           + r")\n")
FOOTER_QUOTE_CHARS = 160
# Usage is an estimate, said so in the response: counting the e5 tokenizer's pieces would need the model's
# tokenizer in the service, and no model here generates text token by token anyway.
USAGE_UNIT = "estimated tokens: 1 per hanzi, 1 per 4 Latin letters, 1 per 3 digits, 1 per other symbol"
_ESTIMATE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[A-Za-z]+|\d+|[^\sA-Za-z\d]")


class ContentPart(BaseModel):
    """One part of a message sent as a list (`[{"type": "text", "text": "…"}]`). Only text is read, and the schema
    says so: an image or audio part is refused with a 422 that names the type it got."""

    type: Literal["text"]
    text: str | None = None


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if self.content is None or isinstance(self.content, str):
            return self.content or ""
        other = sorted({p.type for p in self.content if p.type != "text"})
        if other:
            raise BadInput(f"a {self.role} message has content parts of type {', '.join(other)}; only "
                           "'text' parts are read: send the question as text")
        return "".join(p.text or "" for p in self.content)


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class StreamOptions(BaseModel):
    include_usage: StrictBool = False


class ChatRequest(BaseModel):
    model: str = MODEL_NAME
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: StrictBool = False
    stream_options: StreamOptions | None = None
    top_k: JsonInt = Field(5, ge=1, le=50)
    citeqa_sources: StrictBool | None = Field(None, description=(
        "append a Sources footer (id, quote, link) to the message content; default: CITEQA_CHAT_SOURCES (on)"))


class ChatChoice(BaseModel):
    index: int
    message: AssistantMessage
    finish_reason: str


class Usage(BaseModel):
    prompt_tokens: int = Field(description="estimated, see `unit`: every message's content sent")
    completion_tokens: int = Field(description="estimated, see `unit`: the reply's content")
    total_tokens: int
    unit: str = USAGE_UNIT


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    citations: list[Citation]
    abstained: bool


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


@router.get("/v1/models", response_model=ModelList)
def models() -> ModelList:
    return ModelList(data=[ModelCard(id=MODEL_NAME, created=0, owned_by="citeqa")])


def estimate_tokens(text: str) -> int:
    total = 0
    for m in _ESTIMATE.finditer(text):
        piece = m.group(0)
        total += -(-len(piece) // 4) if piece.isascii() and piece.isalpha() else -(-len(piece) // 3) if piece.isdigit() else 1
    return total


def sources_footer(answer: Answer, lang: str) -> str:
    """"Sources:" and one line per cited passage: its copy-ready citation, the quote, the document's link.

    Chat clients (LangChain, `llm` when streaming) drop the structured `citations` field; this is what their
    users see of the evidence."""
    cited = set(_MARKER.findall(answer.answer))
    shown = [c for c in answer.citations if c.id in cited] if not answer.abstained else answer.citations[:3]
    if not shown:
        return ""
    lines = [(NEAREST_TITLE if answer.abstained else FOOTER_TITLE)[lang]]
    for c in shown:
        quote = c.quote if len(c.quote) <= FOOTER_QUOTE_CHARS else c.quote[:FOOTER_QUOTE_CHARS] + "…"
        name = (c.cite_zh if lang == "zh" else c.cite_en) or c.id
        quoted = f"「{quote}」" if lang == "zh" else f"\u201c{quote}\u201d"
        lines.append(f"[{c.id}] {name}: {quoted}" + (f" {c.source_url}" if c.source_url else ""))
    return "\n\n" + "\n".join(lines)


def without_footer(content: str) -> str:
    return _FOOTER_START.split(content, maxsplit=1)[0]


def _history(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, list[str]]]]:
    """The last user question, and each earlier user question with the ids its reply cited.

    System and developer messages are the client's instructions to a model; here they are context only: counted
    in usage, never taken for the question."""
    texts = [m.text() for m in messages]
    users = [i for i, m in enumerate(messages) if m.role == "user" and texts[i].strip()]
    if not users:
        raise BadInput("messages hold no user message with content; add one with role 'user'")
    turns = []
    for n, i in enumerate(users[:-1]):
        upto = users[n + 1]
        reply = next((without_footer(texts[j]) for j in range(i + 1, upto) if messages[j].role == "assistant"), "")
        turns.append((texts[i], _MARKER.findall(reply)))
    return texts[users[-1]], turns


@router.post("/v1/chat/completions", response_model=ChatCompletion, responses=NO_DOCUMENT)
async def chat(req: ChatRequest, state: StateDep, doc: DocDep) -> ChatCompletion | StreamingResponse:
    for m in req.messages:  # every user turn feeds the follow-up, so each is held to the question limits
        if m.role == "user" and m.text().strip():
            clean_text(m.text(), state.settings)
    raw, earlier = _history(req.messages)
    question = clean_text(raw, state.settings)
    loaded = state.loaded

    def reply() -> Answer:
        previous = loaded.answerer(doc).replay(earlier)
        replied = loaded.answerer_for(doc, question, previous).ask(question, req.top_k, previous)
        return present.answer(replied, "", 0.0)

    answer = await off_loop(state.settings, reply)
    state.metrics.answers.labels(str(answer.abstained).lower()).inc()
    with_sources = state.settings.chat_sources if req.citeqa_sources is None else req.citeqa_sources
    content = answer.answer + (sources_footer(answer, language(question)) if with_sources else "")
    prompt = sum(estimate_tokens(m.text()) for m in req.messages)
    completion_tokens = estimate_tokens(content)
    completion = ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex[:24]}", created=int(time.time()), model=req.model,
        choices=[ChatChoice(index=0, message=AssistantMessage(content=content), finish_reason="stop")],
        usage=Usage(prompt_tokens=prompt, completion_tokens=completion_tokens, total_tokens=prompt + completion_tokens),
        citations=answer.citations, abstained=answer.abstained,
    )
    if not req.stream:
        return completion
    include_usage = bool(req.stream_options and req.stream_options.include_usage)
    return StreamingResponse(_stream(completion, include_usage), media_type="text/event-stream")


def _stream(completion: ChatCompletion, include_usage: bool) -> Iterator[str]:
    """Server-sent events in OpenAI's chunk format; citations ride on the last chunk with a choice, and usage,
    when asked for with `stream_options.include_usage`, on one more chunk with no choices (as OpenAI sends it)."""
    text = completion.choices[0].message.content
    base = {"id": completion.id, "object": "chat.completion.chunk", "created": completion.created,
            "model": completion.model}
    yield _event({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                       "finish_reason": None}]})
    for start in range(0, len(text), 24):
        yield _event({**base, "choices": [{"index": 0, "delta": {"content": text[start : start + 24]},
                                           "finish_reason": None}]})
    yield _event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                  "citations": [c.model_dump() for c in completion.citations],
                  "abstained": completion.abstained})
    if include_usage:
        yield _event({**base, "choices": [], "usage": completion.usage.model_dump()})
    yield "data: [DONE]\n\n"


def _event(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
