"""Domain errors inside, HTTP at the edge: one handler each, one `{"detail": str}` shape.

An unexpected error has no handler here: the request middleware answers it with a 500 that names the request
id (service/runtime/middleware.py) before any outer handler could."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.batcher import Overloaded
from index.query import AmbiguousId, UnknownDocument, UnknownId, UnknownSymbol

from ..runtime.limits import BadInput, Deadline


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(x) for x in err.get("loc", ()) if x != "body") or "body"
        got = err.get("input")
        # A short string that was refused is named, so the caller sees what it sent ("got 'image_url'").
        shown = f" (got {got!r})" if isinstance(got, str) and 0 < len(got) <= 40 else ""
        parts.append(f"{where}: {err.get('msg', 'invalid')}{shown}")
    return "invalid request: " + "; ".join(parts)


def _detail_handler(status: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handler(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status)

    return handler


async def _retry_later(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "1"})


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _describe(exc)}, status_code=422)

    # A domain error whose message already says what to fix.
    app.add_exception_handler(BadInput, _detail_handler(422))

    # An unknown id or symbol also says, as data, which ones exist nearby (a client can offer them).
    @app.exception_handler(UnknownId)
    @app.exception_handler(UnknownSymbol)
    async def _unknown(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc), "nearest": list(getattr(exc, "nearest", []))}, status_code=404
        )

    # A document the service does not hold (the message lists those it does); an id found in several documents
    # (the message names them: the caller says which with doc=).
    app.add_exception_handler(UnknownDocument, _detail_handler(404))
    app.add_exception_handler(AmbiguousId, _detail_handler(422))

    # Too much work in flight (the work pool's or the query batcher's bound), or this request's deadline passed:
    # the client should retry shortly.
    for busy in (Deadline, Overloaded):
        app.add_exception_handler(busy, _retry_later)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = str(exc.detail)
        if exc.status_code == 400 and "parsing the body" in detail:
            detail = (
                'the request body is not valid JSON in UTF-8; send a JSON object such as {"question": "…"}'
            )
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)
