"""OpenAI-compatible chat completions, so the chat clients delegates already use can point here.

Citations travel in the message text as `[4.86]` markers, in a short "Sources:" footer appended to the content
(clients that drop unknown fields still show the quotes and links; `citeqa_sources: false` or
CITEQA_CHAT_SOURCES=false turns it off) and, structured, in a `citations` field. A follow-up's footer starts with
the question as understood ("Understood as: …"), also in `resolved_question`.
The conversation is the message list itself: earlier user turns resolve follow-ups, nothing is stored.

Every OpenAI parameter is honoured, refused or named (never silently ignored; `REFUSED`, `NO_EFFECT`):
- honoured: `messages`, `stream`, `stream_options.include_usage`, `max_tokens` / `max_completion_tokens` (the
  content is cut to that many estimated tokens, `finish_reason: "length"`), `stop` (cut before the first stop
  sequence), `n` = 1, `response_format` `text` or `json_object` (the content is then one JSON object, `JSON_SHAPE`);
  `model` is accepted whatever it names and the response always reports the served model, `citeqa`;
- refused with a 400 that names the parameter: what would need a generative model (`n` ≠ 1, `tools`, `tool_choice`,
  `functions`, `function_call`, `logprobs`, `top_logprobs`, `audio`, non-text `modalities`, `prediction`,
  `response_format` `json_schema`);
- accepted with no effect, and listed in the response's `ignored_parameters`: the sampling parameters (the answer
  is read from the document and is the same every time: `temperature`, `top_p`, `seed`, `presence_penalty`,
  `frequency_penalty`, `logit_bias`, …), `user`, `store`, `metadata`, `service_tier`, and any other field.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from reader.question import language

from ..runtime.limits import BadInput, clean_text, off_loop
from . import present
from .deps import DocDep, StateDep
from .routes_documents import NO_DOCUMENT
from .routes_feedback import cited_ids, remember
from .schemas import Answer, Citation, ErrorOut, JsonInt, PositiveJsonInt

router = APIRouter(
    tags=["chat"], responses={400: {"model": ErrorOut}, 422: {"model": ErrorOut}, 503: {"model": ErrorOut}}
)
MODEL_NAME = "citeqa"
_MARKER = re.compile(r"\[([^\[\]\s]+)\]")
# The footer's first line in each language; an assistant message sent back in the history is cut there, so the
# ids a footer lists are not taken for what the answer cited.
FOOTER_TITLE = {"zh": "来源：", "en": "Sources:"}
NEAREST_TITLE = {"zh": "最接近的段落：", "en": "Nearest passages:"}
UNDERSTOOD_TITLE = {"zh": "理解为：", "en": "Understood as: "}
_FOOTER_START = re.compile(
    r"\n\n(?:(?:"
    + "|".join(re.escape(t) for t in (*FOOTER_TITLE.values(), *NEAREST_TITLE.values()))
    + r")\n|"
    + "|".join(re.escape(t) for t in UNDERSTOOD_TITLE.values())
    + ")"
)
FOOTER_QUOTE_CHARS = 160
# Usage is an estimate, said so in the response: counting the e5 tokenizer's pieces would need the model's
# tokenizer in the service, and no model here generates text token by token anyway.
USAGE_UNIT = "estimated tokens: 1 per hanzi, 1 per 4 Latin letters, 1 per 3 digits, 1 per other symbol"
_ESTIMATE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[A-Za-z]+|\d+|[^\sA-Za-z\d]")
# What `max_tokens` cuts between: a figure with its digit groups (`15 232 800`, `1,392.0`), else an estimate's piece.
_CUT_UNIT = re.compile(r"\d(?:[\d,.]|[ \u00a0](?=\d))*\d|" + _ESTIMATE.pattern)


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
            raise BadInput(
                f"a {self.role} message has content parts of type {', '.join(other)}; only "
                "'text' parts are read: send the question as text"
            )
        return "".join(p.text or "" for p in self.content)


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class StreamOptions(BaseModel):
    include_usage: StrictBool = False


# Parameters refused (400): honouring them would need a generative model. A null (or empty list) is no request.
REFUSED = {
    "tools": "citeqa calls no tools: it answers from the document only; remove `tools`",
    "tool_choice": "citeqa calls no tools; remove `tool_choice`",
    "functions": "citeqa calls no functions; remove `functions`",
    "function_call": "citeqa calls no functions; remove `function_call`",
    "top_logprobs": "citeqa generates no tokens, so it has no log-probabilities; remove `top_logprobs`",
    "audio": "citeqa answers in text only; remove `audio`",
    "prediction": "citeqa generates no tokens to predict; remove `prediction`",
}
# Accepted with no effect (and listed in `ignored_parameters`): the answer is read from the document, the same
# every time, so sampling has nothing to act on. Any field not named anywhere here is treated the same way.
NO_EFFECT = (
    "temperature",
    "top_p",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "user",
    "store",
    "metadata",
    "service_tier",
    "parallel_tool_calls",
    "reasoning_effort",
    "verbosity",
)
# The content of a `response_format: {"type": "json_object"}` reply: one JSON object, these keys; each citation is
# {"id", "cite" (copy-ready, in the question's language), "cited" (the answer marks it), "quote", "source_url"}.
JSON_SHAPE = ("answer", "abstained", "resolved_question", "abstain_reason", "citations")


def _only(**schema: Any) -> dict[str, Any]:
    """JSON Schema keywords the schema publishes for a parameter accepted only so far: the model itself takes any
    value, so that the route refuses the others with a 400 that names the parameter instead of a generic 422."""
    return schema


class ResponseFormat(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str = Field(json_schema_extra=_only(enum=["text", "json_object"]))


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # named in `ignored_parameters`, never dropped unsaid

    model: str = Field(
        MODEL_NAME, description="any name is accepted; the response reports the served model, citeqa"
    )
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: StrictBool = False
    stream_options: StreamOptions | None = None
    top_k: JsonInt = Field(5, ge=1, le=50)
    citeqa_sources: StrictBool | None = Field(
        None,
        description=(
            "append a Sources footer (id, quote, link) to the message content; default: CITEQA_CHAT_SOURCES (on)"
        ),
    )
    max_tokens: PositiveJsonInt | None = Field(
        None,
        description=(
            "cut the content to this many estimated tokens (see `usage.unit`), finish_reason `length`"
        ),
    )
    max_completion_tokens: PositiveJsonInt | None = Field(
        None, description="as `max_tokens`; with both, the smaller"
    )
    stop: str | Annotated[list[str], Field(max_length=4)] | None = Field(
        None, description="up to 4 strings: the content ends before the first"
    )
    # What is refused is published as such in the schema (`_only`), and answered with a 400 naming the parameter.
    n: JsonInt | None = Field(
        None,
        description="1 only: one answer per request (400 otherwise)",
        json_schema_extra=_only(minimum=1, maximum=1),
    )
    response_format: ResponseFormat | None = Field(
        None,
        description=(
            "`text` (default) or `json_object`: the content is then one JSON object with "
            + ", ".join(JSON_SHAPE)
        ),
    )
    logprobs: StrictBool | None = Field(
        None,
        description="false only: no tokens are generated (400 for true)",
        json_schema_extra=_only(enum=[False, None]),
    )
    modalities: list[str] | None = Field(
        None, description='["text"] only (400 otherwise)', json_schema_extra=_only(items={"enum": ["text"]})
    )
    tools: list[Any] | None = Field(
        None, description="not supported (400)", json_schema_extra=_only(maxItems=0)
    )
    tool_choice: Any = Field(None, description="not supported (400)", json_schema_extra=_only(type="null"))
    functions: list[Any] | None = Field(
        None, description="not supported (400)", json_schema_extra=_only(maxItems=0)
    )
    function_call: Any = Field(None, description="not supported (400)", json_schema_extra=_only(type="null"))
    top_logprobs: Any = Field(None, description="not supported (400)", json_schema_extra=_only(type="null"))
    audio: Any = Field(None, description="not supported (400)", json_schema_extra=_only(type="null"))
    prediction: Any = Field(None, description="not supported (400)", json_schema_extra=_only(type="null"))

    def refusal(self) -> tuple[str, str] | None:
        """The parameter this request asks for what the service cannot do with, and why; None when there is none."""
        if self.n is not None and self.n != 1:
            return "n", f"n={self.n}: citeqa returns one answer per request; send n=1 or leave it out"
        for name, why in REFUSED.items():
            if getattr(self, name) not in (None, [], {}):
                return name, f"{name} is not supported: {why}"
        if self.logprobs:
            return "logprobs", (
                "logprobs is not supported: citeqa generates no tokens, so it has none; send false "
                "or leave it out"
            )
        if any(m != "text" for m in self.modalities or []):
            return "modalities", 'modalities is not supported beyond ["text"]: citeqa answers in text only'
        if self.response_format is not None and self.response_format.type not in ("text", "json_object"):
            return "response_format", (
                f"response_format of type {self.response_format.type!r} is not supported: send 'text' or "
                f"'json_object' (the content is then one JSON object with {', '.join(JSON_SHAPE)})"
            )
        return None

    @property
    def token_budget(self) -> int | None:
        given = [v for v in (self.max_tokens, self.max_completion_tokens) if v is not None]
        return min(given) if given else None

    @property
    def stops(self) -> list[str]:
        stops = [self.stop] if isinstance(self.stop, str) else list(self.stop or [])
        return [x for x in stops if x]

    def ignored(self) -> list[str]:
        """The parameters sent that change nothing: the no-effect ones and any field not known here."""
        return sorted(k for k, v in (self.model_extra or {}).items() if v is not None)


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
    model: str = Field(description="always the served model, `citeqa`, whatever the request named")
    choices: list[ChatChoice]
    usage: Usage
    citations: list[Citation]
    abstained: bool
    resolved_question: str | None = Field(
        None, description="the question as understood, when a follow-up changed it"
    )
    abstain_reason: str | None = Field(None, description="for an abstention: why")
    answer_id: str = Field("", description="names this answer for `POST /feedback`")
    ignored_parameters: list[str] = Field(
        default_factory=list,
        description=(
            "parameters sent that have no effect here (sampling, `user`, unknown fields): named, not silently dropped"
        ),
    )


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
        total += (
            -(-len(piece) // 4)
            if piece.isascii() and piece.isalpha()
            else -(-len(piece) // 3)
            if piece.isdigit()
            else 1
        )
    return total


def sources_footer(answer: Answer, lang: str) -> str:
    """ "Sources:" and one line per cited passage: its copy-ready citation, the quote, the document's link.

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
    asked = [i for i, m in enumerate(messages) if m.role == "user"]
    if asked and not texts[asked[-1]].strip():
        # Skipping it would answer an earlier question again, as if it were this turn's.
        raise BadInput("the last user message is empty; put the question in it")
    users = [i for i in asked if texts[i].strip()]
    if not users:
        raise BadInput("messages hold no user message with content; add one with role 'user'")
    turns = []
    for n, i in enumerate(users[:-1]):
        upto = users[n + 1]
        reply = next(
            (without_footer(texts[j]) for j in range(i + 1, upto) if messages[j].role == "assistant"), ""
        )
        turns.append((texts[i], _MARKER.findall(reply)))
    return texts[users[-1]], turns


def cut_to_tokens(text: str, budget: int) -> str:
    """The longest start of `text` whose estimated tokens (`estimate_tokens`) fit in `budget`, cut between pieces;
    a figure is one piece (`15 232 800` is kept whole or not at all: `15 232` would be another figure)."""
    used = 0
    for m in _CUT_UNIT.finditer(text):
        used += estimate_tokens(m.group(0))
        if used > budget:
            return text[: m.start()].rstrip()
    return text


def shape_content(content: str, req: ChatRequest) -> tuple[str, str]:
    """The content as the request's `stop` and token budget leave it, and the finish reason."""
    for stop in req.stops:
        at = content.find(stop)
        if at >= 0:
            content = content[:at]
    budget = req.token_budget
    if budget is not None:
        cut = cut_to_tokens(content, budget)
        if cut != content:
            return cut, "length"
    return content, "stop"


def understood_line(answer: Answer, lang: str) -> str:
    """ "Understood as: …" when a follow-up was read as another question than the one sent."""
    return f"\n\n{UNDERSTOOD_TITLE[lang]}{answer.resolved_question}" if answer.resolved_question else ""


def json_content(answer: Answer, lang: str) -> str:
    """The reply as one JSON object (`response_format: json_object`): the answer text and the evidence, each
    citation with `cited` true when the answer marks it (the others are related passages)."""
    cited = set(cited_ids(answer.answer, {c.id for c in answer.citations}))
    return json.dumps(
        {
            "answer": answer.answer,
            "abstained": answer.abstained,
            "resolved_question": answer.resolved_question,
            "abstain_reason": answer.abstain_reason,
            "citations": [
                {
                    "id": c.id,
                    "cite": (c.cite_zh if lang == "zh" else c.cite_en) or c.id,
                    "cited": c.id in cited,
                    "quote": c.quote,
                    "source_url": c.source_url,
                }
                for c in answer.citations
            ],
        },
        ensure_ascii=False,
    )


def refusal_response(param: str, message: str) -> JSONResponse:
    """A 400 in both shapes: this service's `detail`, and OpenAI's `error` (which the SDKs show as the message)."""
    return JSONResponse(
        {
            "detail": message,
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": param,
                "code": "unsupported_parameter",
            },
        },
        status_code=400,
    )


@router.post("/v1/chat/completions", response_model=ChatCompletion, responses=NO_DOCUMENT)
async def chat(
    req: ChatRequest, state: StateDep, doc: DocDep, request: Request
) -> ChatCompletion | StreamingResponse | JSONResponse:
    refused = req.refusal()
    if refused:
        return refusal_response(*refused)
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
    remember(request, answer, question, doc or loaded.retriever.symbols[0])
    lang = language(question)
    if req.response_format is not None and req.response_format.type == "json_object":
        full = json_content(answer, lang)
    else:
        with_sources = state.settings.chat_sources if req.citeqa_sources is None else req.citeqa_sources
        full = answer.answer + (
            understood_line(answer, lang) + sources_footer(answer, lang) if with_sources else ""
        )
    content, finish = shape_content(full, req)
    prompt = sum(estimate_tokens(m.text()) for m in req.messages)
    completion_tokens = estimate_tokens(content)
    completion = ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex[:24]}",
        created=int(time.time()),
        model=MODEL_NAME,
        choices=[ChatChoice(index=0, message=AssistantMessage(content=content), finish_reason=finish)],
        usage=Usage(
            prompt_tokens=prompt, completion_tokens=completion_tokens, total_tokens=prompt + completion_tokens
        ),
        citations=answer.citations,
        abstained=answer.abstained,
        resolved_question=answer.resolved_question,
        abstain_reason=answer.abstain_reason,
        answer_id=answer.answer_id,
        ignored_parameters=req.ignored(),
    )
    if not req.stream:
        return completion
    include_usage = bool(req.stream_options and req.stream_options.include_usage)
    return StreamingResponse(_stream(completion, include_usage), media_type="text/event-stream")


def _stream(completion: ChatCompletion, include_usage: bool) -> Iterator[str]:
    """Server-sent events in OpenAI's chunk format; citations (and the other citeqa fields) ride on the last chunk
    with a choice, and usage, when asked for with `stream_options.include_usage`, on one more chunk with no choices
    (as OpenAI sends it)."""
    choice = completion.choices[0]
    text = choice.message.content
    base = {
        "id": completion.id,
        "object": "chat.completion.chunk",
        "created": completion.created,
        "model": completion.model,
    }
    yield _event(
        {
            **base,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
        }
    )
    for start in range(0, len(text), 24):
        yield _event(
            {
                **base,
                "choices": [
                    {"index": 0, "delta": {"content": text[start : start + 24]}, "finish_reason": None}
                ],
            }
        )
    yield _event(
        {
            **base,
            "choices": [{"index": 0, "delta": {}, "finish_reason": choice.finish_reason}],
            "citations": [c.model_dump() for c in completion.citations],
            "abstained": completion.abstained,
            "resolved_question": completion.resolved_question,
            "abstain_reason": completion.abstain_reason,
            "answer_id": completion.answer_id,
            "ignored_parameters": completion.ignored_parameters,
        }
    )
    if include_usage:
        yield _event({**base, "choices": [], "usage": completion.usage.model_dump()})
    yield "data: [DONE]\n\n"


def _event(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
