"""Probes, metrics and the admin reload."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from index.manifest import REBUILD_HINT, BadIndex
from index.store import StoreError

from ..runtime.limits import WorkPool
from .deps import AppState, Loaded
from .schemas import ErrorOut, Health

router = APIRouter(tags=["health"])
# An absolute path in a message: "/srv/x/index/vectors.faiss" is told as "vectors.faiss".
_ABSOLUTE = re.compile(r"(?<![\w.])(?:/[^\s/'\"():;,]+)+/([^\s/'\"():;,]+)")


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(request: Request) -> Health | JSONResponse:
    state: AppState | None = request.app.state.citeqa
    if state is None:
        return JSONResponse(Health(status="loading").model_dump(), status_code=503)
    r = state.loaded.retriever
    # Ready either way: without Redis the service still answers (single turns, per-replica rate limits).
    shared = await state.shared.ping() if state.shared is not None else state.conversations.state
    return Health(status="ready", passages=r.total_passages, model=r.manifest.model_id, shared_state=shared)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    state = request.app.state.citeqa
    body = generate_latest(state.metrics.registry) if state else b""
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def without_paths(message: str, index_dir: Path) -> str:
    """A message fit for a client: the server's directories are its own business."""
    for form in {str(index_dir.resolve()), str(index_dir)}:
        message = message.replace(form, "CITEQA_INDEX_DIR")
    return _ABSOLUTE.sub(r"\1", message)


@router.post(
    "/reload",
    response_model=Health,
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 409: {"model": ErrorOut}},
)
async def reload(request: Request) -> Health:
    """Load the index directory again after `citeqa build` swapped a new one into place (an admin action).

    The old index keeps serving until the new one has loaded whole; a broken new one is refused and the old
    one stays. The old one is closed once the work already started on it has finished.
    """
    state: AppState | None = request.app.state.citeqa
    if state is None:
        raise HTTPException(503, "the service is still starting; try again when /readyz is ready")
    # One reload at a time: two at once would both take the same `old`, close it twice and leak a bundle.
    lock: asyncio.Lock = request.app.state.citeqa_reload
    async with lock:
        return await _reload(state, request.app.state.citeqa_work)


async def _reload(state: AppState, pool: WorkPool) -> Health:
    old = state.loaded

    def load() -> Loaded:
        return Loaded.open(state.settings, old.retriever.encoder.embedder, old.weights)

    try:
        loaded = await run_in_threadpool(load)
    except (BadIndex, LookupError, StoreError) as exc:
        if isinstance(exc, (KeyError, IndexError)):
            raise  # a bug, not an index to fix
        # BadIndex names its fix; an empty library or a store that does not hold together is fixed the same way.
        message = str(exc) if "citeqa build" in str(exc) else f"{exc}; {REBUILD_HINT}"
        raise HTTPException(
            409, f"kept the index already loaded: {without_paths(message, state.settings.index_dir)}"
        ) from exc
    started = pool.in_flight()
    state.loaded = loaded
    if started:
        await asyncio.wait(
            [asyncio.wrap_future(f) for f in started], timeout=state.settings.request_timeout_s
        )
    old.retriever.close()
    r = loaded.retriever
    return Health(status="reloaded", passages=r.total_passages, model=r.manifest.model_id)
