"""Feedback that becomes tests: 👍/👎 on an answer (`POST /feedback`), read back by an administrator
(`GET /feedback`, paged) for `citeqa feedback export`. Storage and bounds: service/runtime/feedback.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from index.query import AmbiguousId, UnknownDocument, UnknownId
from reader.question import language

from ..runtime.feedback import (
    AlreadyGiven,
    FeedbackStore,
    RecentAnswers,
    RememberedAnswer,
    TooMany,
    caller_name,
)
from ..runtime.limits import BadInput, clean_text
from ..runtime.middleware import caller_id
from ..settings import Settings
from .deps import StateDep
from .lookup import named_document
from .schemas import Answer, ErrorOut, FeedbackCreated, FeedbackIn, FeedbackItem, FeedbackPage

router = APIRouter(tags=["feedback"], responses={422: {"model": ErrorOut}})
# "[4.86]", "[4.88(b)㈠; 表4.24]": the ids an answer's text marks (as the page reads them, service/static).
_MARKER = re.compile(r"\[([^\[\]\n]{1,120})\]")
_ID_SEP = re.compile(r"\s*[,，;；、]\s*")
NOT_FOUND = (
    "no answer with this answer_id to give feedback on: it is unknown, was given to another caller, or is "
    "older than the answers the service remembers (CITEQA_FEEDBACK_ANSWER_TTL_S); ask again and rate "
    "the new answer"
)


@dataclass(frozen=True)
class Feedback:
    answers: RecentAnswers
    store: FeedbackStore

    @classmethod
    def from_settings(cls, settings: Settings) -> Feedback:
        return cls(
            RecentAnswers(settings.feedback_answers, settings.feedback_answer_ttl_s),
            FeedbackStore(settings.feedback_db, settings.feedback_per_day, settings.feedback_max_rows),
        )


def feedback_of(request: Request) -> Feedback:
    found: Feedback = request.app.state.citeqa_feedback
    return found


def cited_ids(text: str, known: set[str]) -> list[str]:
    """The citation ids `text` marks, in order, once each; only ids among `known`."""
    out: list[str] = []
    for m in _MARKER.finditer(text):
        for pid in _ID_SEP.split(m.group(1).strip()):
            if pid in known and pid not in out:
                out.append(pid)
    return out


def remember(request: Request, answer: Answer, question: str, default_doc: str) -> None:
    """Keep `answer` (by its `answer_id`) so that feedback on it can store what it judges."""
    known = {c.id for c in answer.citations}
    feedback_of(request).answers.remember(
        answer.answer_id,
        RememberedAnswer(
            question=question,
            resolved_question=answer.resolved_question,
            lang=language(question),
            answer=answer.answer,
            abstained=answer.abstained,
            citations=[{"id": c.id, "quote": c.quote, "cell": c.cell} for c in answer.citations],
            cited=cited_ids(answer.answer, known),
            doc=answer.citations[0].doc if answer.citations else default_doc,
            owner=caller_id(request.headers),
        ),
    )


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackCreated,
    responses={
        404: {"model": ErrorOut},
        409: {"model": ErrorOut},
        429: {"model": ErrorOut},
        507: {"model": ErrorOut},
    },
)
def post_feedback(body: FeedbackIn, state: StateDep, request: Request) -> FeedbackCreated | JSONResponse:
    """👍 or 👎 on an answer of `/ask` or chat, by its `answer_id`, with an optional comment and the passage that
    answers. One verdict per answer (409 for a second); an answer no longer remembered is a 404."""
    fb = feedback_of(request)
    answer = fb.answers.get(body.answer_id, caller_id(request.headers))
    if answer is None:
        raise HTTPException(404, NOT_FOUND)
    # Control characters go as in questions; a long comment is cut, not refused.
    limit = min(state.settings.feedback_comment_chars, state.settings.max_question_chars)
    try:
        comment = clean_text((body.comment or "")[:limit], state.settings, "comment")
    except BadInput:
        comment = ""  # nothing but spaces and control characters: no comment
    passage = None
    if body.passage is not None and body.passage.strip():
        typed = clean_text(body.passage, state.settings, "passage")
        retriever = state.loaded.retriever  # read once: a reload may swap the bundle
        if answer.doc not in retriever.symbols:
            return JSONResponse(
                {
                    "detail": f"passage: the answer's document {answer.doc!r} is no longer loaded (the index "
                    "was reloaded since); give the verdict without a passage, or ask again"
                },
                status_code=422,
            )
        try:
            # A pasted citation's symbol names its document, as on /passages: it must be the answer's.
            named = named_document(retriever, typed)
            if named is not None and named != answer.doc:
                raise BadInput(
                    f"{typed!r} is a passage of {named!r}, and the answer is from {answer.doc!r}; "
                    "name a passage of the answer's document"
                )
            passage = retriever.resolve(typed, answer.doc).id
        except UnknownId as exc:
            return JSONResponse({"detail": f"passage: {exc}", "nearest": exc.nearest}, status_code=422)
        except (AmbiguousId, UnknownDocument, BadInput, KeyError) as exc:
            return JSONResponse({"detail": f"passage: {exc}"}, status_code=422)
    try:
        row = fb.store.add(
            body.answer_id,
            answer,
            caller_name(request.scope.get("state", {})),
            body.verdict,
            comment,
            passage,
        )
    except AlreadyGiven as exc:
        raise HTTPException(409, str(exc)) from exc
    except TooMany as exc:
        if exc.retry_after is None:
            raise HTTPException(507, str(exc)) from exc
        raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from exc
    return FeedbackCreated(id=row, answer_id=body.answer_id, verdict=body.verdict, passage=passage)


@router.get(
    "/feedback",
    response_model=FeedbackPage,
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}},
)
def get_feedback(
    request: Request,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="rows per page")] = 100,
    verdict: Annotated[Literal["up", "down"] | None, Query(description="only this verdict")] = None,
) -> FeedbackPage:
    """The stored feedback, oldest first. An admin action, checked with `/reload` by the request middleware
    (`service/runtime/keys.py:ROUTE_SCOPES`): an admin key, or loopback with none set."""
    rows, total = feedback_of(request).store.page(offset, limit, verdict)
    return FeedbackPage(items=[FeedbackItem(**r) for r in rows], total=total, offset=offset)


async def _other_methods(_: Request) -> JSONResponse:
    """Two routes share /feedback (GET and POST): a 405 for any other method names both in `Allow`, where the
    router would name only the first route's."""
    return JSONResponse({"detail": "Method Not Allowed"}, status_code=405, headers={"Allow": "GET, POST"})


router.add_route(
    "/feedback",
    _other_methods,
    methods=["PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"],
    include_in_schema=False,
)
