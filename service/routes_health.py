"""Probes and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .schemas import Health

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
