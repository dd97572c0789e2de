"""For the search box and for delegates: ranked passages, and cited answers with follow-ups."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request

from ..runtime.limits import check_top_k, clean_text, off_loop
from ..runtime.middleware import caller_id
from . import present
from .deps import DocDep, StateDep
from .routes_documents import NO_DOCUMENT
from .routes_feedback import remember
from .schemas import Answer, AskRequest, ErrorOut, SearchResults

router = APIRouter(tags=["answers"], responses={422: {"model": ErrorOut}, 503: {"model": ErrorOut}})


@router.get("/search", response_model=SearchResults, responses=NO_DOCUMENT)
async def search(state: StateDep, doc: DocDep, q: Annotated[str, Query(min_length=1, description="the search text")],
                 top_k: Annotated[int, Query(ge=1, le=50, description="results per page")] = 10,
                 offset: Annotated[int, Query(ge=0, le=10_000, description="results to skip: the page start")] = 0,
                 min_score: Annotated[float, Query(ge=0.0, le=1.0, description="drop results scored below")] = 0.0,
                 ) -> SearchResults:
    start = time.perf_counter()
    query = clean_text(q, state.settings, "q")
    check_top_k(top_k, state.settings)
    searcher = state.loaded.searcher
    page = await off_loop(state.settings, lambda: searcher.page(query, top_k, offset, min_score, doc))
    return SearchResults(results=[present.search_hit(f) for f in page.hits], total=page.total, offset=offset,
                         took_ms=round((time.perf_counter() - start) * 1000, 2))


@router.post("/ask", response_model=Answer, responses=NO_DOCUMENT)
async def ask(req: AskRequest, state: StateDep, doc: DocDep, request: Request) -> Answer:
    start = time.perf_counter()
    question = clean_text(req.question, state.settings)
    check_top_k(req.top_k, state.settings)
    conv = await state.conversations.begin(req.conversation_id, caller_id(request.headers))
    previous = conv.turns[-1] if conv.turns else None
    loaded = state.loaded
    # Choosing the document may search (several documents, none named): off the event loop too.
    reply = await off_loop(state.settings, lambda: loaded.answerer_for(doc, question, previous).ask(
        question, req.top_k, previous))
    await state.conversations.keep(conv, reply.turn)
    state.metrics.answers.labels(str(reply.abstained).lower()).inc()
    answer = present.answer(reply, conv.id, round((time.perf_counter() - start) * 1000, 2))
    answer.new_conversation = previous is None
    remember(request, answer, question, doc or loaded.retriever.symbols[0])
    return answer

