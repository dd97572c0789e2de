"""Probes and metrics."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from index.manifest import IndexError_
from index.retriever import Retriever

from .answer import Answerer
from .engine import open_retriever
from .schemas import ErrorOut, Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(request: Request) -> Health | JSONResponse:
    state = request.app.state.citeqa
    if state is None:
        return JSONResponse(Health(status="loading").model_dump(), status_code=503)
    return Health(status="ready", passages=len(state.retriever.passages), model=state.retriever.manifest.model_id)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    state = request.app.state.citeqa
    body = generate_latest(state.metrics.registry) if state else b""
    return Response(body, media_type=CONTENT_TYPE_LATEST)


@router.post("/reload", response_model=Health, responses={409: {"model": ErrorOut}})
async def reload(request: Request) -> Health:
    """Load the index directory again after `citeqa build` swapped a new one into place.

    The old index keeps serving until the new one has loaded whole; a broken new one is refused and the old
    one stays.
    """
    state = request.app.state.citeqa
    if state is None:
        raise HTTPException(503, "the service is still starting; try again when /readyz is ready")

    def load() -> Retriever:
        return open_retriever(state.settings, state.retriever.embedder)

    try:
        retriever = await run_in_threadpool(load)
    except IndexError_ as exc:
        raise HTTPException(409, f"kept the index already loaded: {exc}") from exc
    state.retriever = retriever
    state.answerer = Answerer(retriever, state.settings, state.answerer.reader.weights)
    return Health(status="reloaded", passages=len(retriever.passages), model=retriever.manifest.model_id)
