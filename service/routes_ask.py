"""For the search box and for delegates: ranked passages, and cited answers with follow-ups."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request

from .conversations import Turn, resolve
from .limits import check_top_k, clean_text, off_loop
from .middleware import caller_id
from .routes_documents import DOC_HELP, NO_DOCUMENT, answerer_for, retriever_for
from .schemas import Answer, AskRequest, ErrorOut, SearchResults
from .search import searcher_for
from .state import StateDep

router = APIRouter(tags=["answers"], responses={422: {"model": ErrorOut}, 503: {"model": ErrorOut}})


@router.get("/search", response_model=SearchResults, responses=NO_DOCUMENT)
async def search(state: StateDep, q: Annotated[str, Query(min_length=1, description="the search text")],
                 top_k: Annotated[int, Query(ge=1, le=50, description="results per page")] = 10,
                 offset: Annotated[int, Query(ge=0, le=10_000, description="results to skip: the page start")] = 0,
                 min_score: Annotated[float, Query(ge=0.0, le=1.0, description="drop results scored below")] = 0.0,
                 doc: Annotated[str | None, Query(description=DOC_HELP)] = None) -> SearchResults:
    start = time.perf_counter()
    query = clean_text(q, state.settings, "q")
    check_top_k(top_k, state.settings)
    searcher = searcher_for(retriever_for(state, doc), state.settings.query_cache_size)
    page = await off_loop(state.settings, lambda: searcher.page(query, top_k, offset, min_score))
    return SearchResults(results=page.hits, total=page.total, offset=offset,
                         took_ms=round((time.perf_counter() - start) * 1000, 2))


@router.post("/ask", response_model=Answer, responses=NO_DOCUMENT)
async def ask(req: AskRequest, state: StateDep, request: Request,
              doc: Annotated[str | None, Query(description=DOC_HELP)] = None) -> Answer:
    question = clean_text(req.question, state.settings)
    check_top_k(req.top_k, state.settings)
    conv = state.conversations.get_or_create(req.conversation_id, caller_id(request.headers))
    previous = conv.turns[-1] if conv.turns else None
    resolved = resolve(question, previous)
    # Choosing the document may search (several documents, none named): off the event loop too.
    answer = await off_loop(state.settings, lambda: answerer_for(state, doc, resolved.question).ask(
        question, req.top_k, resolved, conversation_id=conv.id))
    state.conversations.record(conv, Turn(resolved.question, [c.id for c in answer.citations[:1]]))
    answer.new_conversation = previous is None
    state.metrics.answers.labels(str(answer.abstained).lower()).inc()
    return answer
