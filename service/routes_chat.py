"""OpenAI-compatible chat completions, so the chat clients delegates already use can point here.

Citations travel in the message text as `[4.86]` markers and, structured, in a `citations` field.
The conversation is the message list itself: earlier user turns resolve follow-ups, nothing is stored.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, StrictBool

from .conversations import Turn, resolve
from .limits import clean_text, off_loop
from .schemas import Answer, Citation, ErrorOut, JsonInt
from .state import StateDep

router = APIRouter(tags=["chat"], responses={422: {"model": ErrorOut}, 503: {"model": ErrorOut}})
MODEL_NAME = "citeqa"
_MARKER = re.compile(r"\[([^\[\]\s]+)\]")


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | None = None


class ChatRequest(BaseModel):
    model: str = MODEL_NAME
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: StrictBool = False
    top_k: JsonInt = Field(5, ge=1, le=50)


class ChatChoice(BaseModel):
    index: int
    message: ChatMessage
    finish_reason: str


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


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


def _history(messages: list[ChatMessage]) -> tuple[str, Turn | None]:
    """The last user question, and the turn before it rebuilt from the earlier messages."""
    users = [i for i, m in enumerate(messages) if m.role == "user" and (m.content or "").strip()]
    if not users:
        from .errors import BadInput

        raise BadInput("messages hold no user message with content; add one with role 'user'")
    last = users[-1]
    previous: Turn | None = None
    for i in users[:-1]:
        question = messages[i].content or ""
        resolved = resolve(question, previous)
        reply = next((m.content or "" for m in messages[i + 1 : last] if m.role == "assistant"), "")
        previous = Turn(resolved.question, _MARKER.findall(reply)[:1])
    return messages[last].content or "", previous


@router.post("/v1/chat/completions", response_model=ChatCompletion)
async def chat(req: ChatRequest, state: StateDep) -> ChatCompletion | StreamingResponse:
    for m in req.messages:  # every user turn feeds the follow-up, so each is held to the question limits
        if m.role == "user" and (m.content or "").strip():
            clean_text(m.content or "", state.settings)
    raw, previous = _history(req.messages)
    question = clean_text(raw, state.settings)
    resolved = resolve(question, previous)
    answer: Answer = await off_loop(state.settings, lambda: state.answerer.ask(question, req.top_k, resolved))
    state.metrics.answers.labels(str(answer.abstained).lower()).inc()
    completion = ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex[:24]}", created=int(time.time()), model=req.model,
        choices=[ChatChoice(index=0, message=ChatMessage(role="assistant", content=answer.answer),
                            finish_reason="stop")],
        usage=Usage(prompt_tokens=len(question), completion_tokens=len(answer.answer),
                    total_tokens=len(question) + len(answer.answer)),
        citations=answer.citations, abstained=answer.abstained,
    )
    if not req.stream:
        return completion
    return StreamingResponse(_stream(completion), media_type="text/event-stream")


def _stream(completion: ChatCompletion) -> Iterator[str]:
    """Server-sent events in OpenAI's chunk format; citations ride on the last chunk."""
    text = completion.choices[0].message.content or ""
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
    yield "data: [DONE]\n\n"


def _event(payload: dict) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
