"""Cross-cutting request handling: request ids and structured logs, metrics, body size, API keys."""

from __future__ import annotations

import hmac
import json
import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .metrics import Metrics

log = logging.getLogger("citeqa.access")

# The page, its assets, health probes and the schema stay reachable without a key.
OPEN_PATHS = ("/healthz", "/readyz", "/static/", "/docs", "/openapi.json", "/metrics")


class _TooLarge(Exception):
    pass


class RequestMiddleware:
    """Pure ASGI, so streaming responses pass through untouched."""

    def __init__(self, app: ASGIApp, metrics: Metrics, max_body_bytes: int, api_key: str | None) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body = max_body_bytes
        self.api_key = api_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        path: str = scope["path"]
        route = _route_label(path)
        start = time.perf_counter()
        status = {"code": 500, "started": False}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            if self.api_key and path != "/" and not path.startswith(OPEN_PATHS) and not self._authorised(headers):
                await _reply(send_wrapper, 401, "missing or wrong API key: send it in the X-API-Key header "
                                                "(or as Authorization: Bearer <key>)")
                return
            length = headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_body):
                await _reply(send_wrapper, 413, f"request body is larger than {self.max_body} bytes; send less")
                return
            if length is None and scope.get("method") in ("POST", "PUT", "PATCH"):
                # A chunked body has no length to check up front: read it here, within the limit, and replay it.
                try:
                    receive = await self._buffered(receive)
                except _TooLarge:
                    await _reply(send_wrapper, 413, f"request body is larger than {self.max_body} bytes; send less")
                    return
            await self.app(scope, receive, send_wrapper)
        except Exception:
            # Answered here rather than by the outermost error middleware, so the 500 carries its request id.
            log.exception(json.dumps({"request_id": request_id, "path": path, "error": "unhandled"}))
            if not status["started"]:
                await _reply(send_wrapper, 500, "internal error; the request id in the X-Request-ID header "
                                                "locates it in the server log")
        finally:
            elapsed = time.perf_counter() - start
            self.metrics.requests.labels(route, str(status["code"])).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            log.info(json.dumps({"request_id": request_id, "method": scope.get("method"), "path": path,
                                 "status": status["code"], "ms": round(elapsed * 1000, 1)}))

    def _authorised(self, headers: dict[str, str]) -> bool:
        given = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ").strip()
        return bool(given) and hmac.compare_digest(given.encode(), (self.api_key or "").encode())

    async def _buffered(self, receive: Receive) -> Receive:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body:
                raise _TooLarge
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay


def _route_label(path: str) -> str:
    """A bounded label set: ids in paths would make one time series per passage."""
    for prefix in ("/passages/", "/references/", "/static/"):
        if path.startswith(prefix):
            return prefix + "{x}"
    return path if len(path) < 40 else "other"


async def _reply(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
