"""The FastAPI application: `create_app(settings)` with a lifespan that loads the index once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from index.embedder import Embedder

from .api import errors
from .api.deps import AppState, Loaded
from .api.routes_ask import router as ask_router
from .api.routes_chat import router as chat_router
from .api.routes_documents import router as documents_router
from .api.routes_feedback import Feedback
from .api.routes_feedback import router as feedback_router
from .api.routes_health import router as health_router
from .api.routes_passages import router as passages_router
from .api.routes_tables import router as tables_router
from .runtime import docs
from .runtime.keys import KeyRing
from .runtime.limits import WorkPool
from .runtime.metrics import Metrics
from .runtime.middleware import RequestMiddleware
from .runtime.ratelimit import RateLimits
from .runtime.stores import close_stores, open_stores
from .settings import Settings, get_settings

STATIC = Path(__file__).with_name("static")


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    """The app for `settings`; tests pass a deterministic `embedder` instead of loading the configured model."""
    settings = settings or get_settings()
    metrics = Metrics()
    pool = WorkPool(settings.model_workers, settings.max_queued)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    keys = KeyRing(settings)  # a bad keys file stops the service here, before it listens
    rate = RateLimits()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A missing or mismatched index raises here, so the server stops before it listens, with the fix named.
        loaded = Loaded.open(settings, embedder)
        # Conversations and rate limits in this process, or in Redis shared by replicas (CITEQA_REDIS_URL).
        try:
            conversations, shared = await open_stores(settings, rate)
        except BaseException:
            loaded.retriever.close()  # the index is open already: do not leave its files and threads behind
            raise
        app.state.citeqa = AppState(
            settings=settings, loaded=loaded, conversations=conversations, metrics=metrics, shared=shared
        )
        yield
        app.state.citeqa.loaded.retriever.close()
        pool.close()
        await close_stores(shared, rate)
        app.state.citeqa = None

    app = FastAPI(
        title="citeqa",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        description="Answers from official documents, citing the exact paragraph it relies on.",
    )
    app.state.citeqa = None
    app.state.citeqa_work = pool
    app.state.citeqa_reload = asyncio.Lock()  # POST /reload, one at a time (per app, never module-global)
    app.state.citeqa_feedback = Feedback.from_settings(settings)  # answers remembered for feedback, its store
    errors.install(app)
    docs.install(app)
    docs.document_edges(app, settings)
    app.include_router(ask_router)
    app.include_router(passages_router)
    app.include_router(documents_router)
    app.include_router(tables_router)
    app.include_router(chat_router)
    app.include_router(feedback_router)
    app.include_router(health_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.add_middleware(
        RequestMiddleware,
        metrics=metrics,
        settings=settings,
        routes=app.routes,
        pool=pool,
        keys=keys,
        rate=rate,
    )
    if settings.cors_origins:
        # Added last, so it runs first: a preflight carries no key and must get its CORS answer, and a 401 or
        # 429 must carry CORS headers for the browser to show it.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key", "Authorization", "X-Admin-Key"],
            expose_headers=[
                "X-Request-ID",
                "Retry-After",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
            ],
        )
    return app
