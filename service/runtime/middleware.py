"""Cross-cutting request handling: request ids and structured logs, metrics, security headers, API keys and
their scopes, the rate limit, body size and read time, and each request's work budget."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Mapping, Sequence

import anyio
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..settings import Settings
from .keys import ADMIN, ANONYMOUS, Caller, KeyRing, scope_for
from .limits import Budget, WorkPool, current_budget
from .metrics import Metrics
from .proxies import ClientAddress
from .ratelimit import Decision, RateLimits

log = logging.getLogger("citeqa.access")

# The page, its assets, health probes and the schema stay reachable without a key.
OPEN_PATHS = ("/healthz", "/readyz", "/static/", "/docs", "/openapi.json")
# Admin routes (keys.ROUTE_SCOPES) that stay open while no API key is configured: /metrics names every key and
# its counts, so once keys are required it takes the admin scope, but a service without keys has none to tell.
OPEN_WITHOUT_KEYS = ("/metrics",)
# Where the middleware leaves, in the request's state (`request.state`), who the caller is as the service
# counts it: the checked key's name when keys are required, else the caller's address (or "anonymous").
CALLER_STATE = "citeqa_caller"
# Probes are never rate limited: an orchestrator polling them must not be told to slow down.
UNLIMITED_PATHS = ("/healthz", "/readyz")
UNMATCHED = "unmatched"
# The page loads only its own /static files and calls only this origin; /docs sets its own policy.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
_CHALLENGE = [(b"www-authenticate", b'Bearer realm="citeqa"')]
Refusal = tuple[int, str, list[tuple[bytes, bytes]]]


class _TooLarge(Exception):
    pass


def presented_key(headers: Mapping[str, str]) -> str:
    """The key a caller sent: `X-API-Key`, else an `Authorization` header in the Bearer scheme (any case)."""
    return headers.get("x-api-key", "").strip() or _bearer(headers)


def _bearer(headers: Mapping[str, str]) -> str:
    scheme, _, token = headers.get("authorization", "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def caller_id(headers: Mapping[str, str]) -> str:
    """Who owns a conversation: a digest of the caller's key (never the key itself); "" for keyless callers."""
    key = presented_key(headers)
    return hashlib.sha256(key.encode()).hexdigest()[:32] if key else ""


class RequestMiddleware:
    """Pure ASGI, so streaming responses pass through untouched."""

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        settings: Settings,
        routes: Sequence[BaseRoute],
        pool: WorkPool,
        keys: KeyRing,
        rate: RateLimits,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.settings = settings
        self.max_body = settings.max_body_bytes
        self.routes = routes  # the app's own list: routes added later are seen too
        self.pool = pool
        self.keys = keys
        self.rate = rate  # in process, or shared through Redis once the lifespan says so
        self.addresses = ClientAddress(settings.trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        path: str = scope["path"]
        route = self._route_template(scope)
        start = time.perf_counter()
        status = {"code": 500, "started": False}
        client = self.addresses.of(scope)
        caller: Caller | None = None
        decision: Decision | None = None

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [h for h in SECURITY_HEADERS if h[0] not in names]
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", PAGE_CSP.encode()))
                headers.append((b"x-request-id", request_id.encode()))
                if decision is not None:
                    headers += [h for h in decision.headers() if h[0] not in names]
                message = {**message, "headers": headers}
            await send(message)

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            dropped = self.keys.refresh()
            if dropped:
                self.metrics.forget_keys(dropped)
            caller, refusal = self._authorize(scope, path, headers, client)
            state = scope.setdefault("state", {})
            state[CALLER_STATE] = (
                caller.name if caller is not None and self.keys.required else (client or ANONYMOUS)
            )
            if not path.startswith(UNLIMITED_PATHS):
                decision, limited = await self._rate_limit(caller, client)
                refusal = limited or refusal
            if refusal is not None:
                await _reply(send_wrapper, *refusal)
                return
            length = headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_body):
                await _reply(
                    send_wrapper, 413, f"request body is larger than {self.max_body} bytes; send less"
                )
                return
            if scope.get("method") in ("POST", "PUT", "PATCH"):
                # Read here, within the size and time limits, and replay: a slow body never reaches a route.
                try:
                    with anyio.fail_after(self.settings.read_timeout_s):
                        receive = await self._buffered(receive)
                except _TooLarge:
                    await _reply(
                        send_wrapper, 413, f"request body is larger than {self.max_body} bytes; send less"
                    )
                    return
                except TimeoutError:
                    await _reply(
                        send_wrapper,
                        408,
                        "the request body arrived too slowly; send it within "
                        f"{self.settings.read_timeout_s} s",
                        [(b"connection", b"close")],
                    )
                    return
            token = current_budget.set(Budget(self.pool, time.monotonic() + self.settings.request_timeout_s))
            try:
                await self.app(scope, receive, send_wrapper)
            finally:
                current_budget.reset(token)
        except Exception:
            # Answered here rather than by the outermost error middleware, so the 500 carries its request id.
            log.exception(json.dumps({"request_id": request_id, "path": path, "error": "unhandled"}))
            if not status["started"]:
                await _reply(
                    send_wrapper,
                    500,
                    "internal error; the request id in the X-Request-ID header locates it in the server log",
                )
        finally:
            elapsed = time.perf_counter() - start
            name = caller.name if caller is not None else ANONYMOUS
            self.metrics.requests.labels(route, str(status["code"])).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            self.metrics.by_key.labels(name).inc()
            if decision is not None and not decision.allowed:
                self.metrics.limited.labels(name).inc()
            # The key's name, never the key; the address as the trusted proxies say (service/runtime/proxies.py).
            log.info(
                json.dumps(
                    {
                        "request_id": request_id,
                        "method": scope.get("method"),
                        "path": path,
                        "status": status["code"],
                        "ms": round(elapsed * 1000, 1),
                        "key": name,
                        "client": client,
                    }
                )
            )

    def _route_template(self, scope: Scope) -> str:
        """The matched route's template (`/passages/{passage_id:path}`): a bounded label set whatever the paths."""
        return _template(self.routes, scope, "")

    def _authorize(
        self, scope: Scope, path: str, headers: Mapping[str, str], client: str
    ) -> tuple[Caller | None, Refusal | None]:
        """Who the caller is (by its key) and why it is turned away before any work, if it is."""
        method = str(scope.get("method", ""))
        needed = scope_for(method, path)
        sent = (presented_key(headers), headers.get("x-admin-key", "").strip())
        if needed == ADMIN and path in OPEN_WITHOUT_KEYS and not self.keys.required:
            return self.keys.identify(sent), None
        if needed == ADMIN:
            # The admin header first: a client may send its usual API key beside the admin one.
            admin = self.keys.identify(sent[::-1], ADMIN)
            return admin, self._admin_refusal(admin, self.addresses.is_local(scope), f"{method} {path}")
        caller = self.keys.identify(sent, needed)
        if path == "/" or path.startswith(OPEN_PATHS) or not self.keys.required:
            return caller, None
        if caller is None:
            return None, (
                401,
                "missing or wrong API key: send it in the X-API-Key header "
                "(or as Authorization: Bearer <key>)",
                _CHALLENGE,
            )
        if not caller.may(needed):
            return caller, (
                403,
                f"this key may not use '{needed}' (the key {caller.name!r} has the scopes: "
                f"{', '.join(sorted(caller.scopes))})",
                [],
            )
        return caller, None

    def _admin_refusal(self, caller: Caller | None, local: bool, action: str) -> Refusal | None:
        """An admin route (`/reload`): a key with the admin scope; else, as before keys had scopes, the admin key,
        or (with none set) a loopback caller, who also needs the API key when one is set. `local` is
        `ClientAddress.is_local`: the socket peer is loopback, not a trusted proxy, and nothing was forwarded."""
        if caller is not None and caller.may(ADMIN):
            return None
        if caller is not None and not caller.legacy:
            return (
                403,
                f"this key may not use '{ADMIN}' (the key {caller.name!r} has the scopes: "
                f"{', '.join(sorted(caller.scopes))})",
                [],
            )
        if self.keys.has_admin_key:
            return (
                401,
                (
                    "missing or wrong admin key: send CITEQA_ADMIN_KEY in the X-Admin-Key header "
                    "(or as Authorization: Bearer <key>)"
                ),
                _CHALLENGE,
            )
        if self.keys.required and caller is None:
            return (
                401,
                (
                    "missing or wrong API key: send it in the X-API-Key header "
                    "(or as Authorization: Bearer <key>)"
                ),
                _CHALLENGE,
            )
        if not local:
            return (
                403,
                (
                    f"{action} is an admin action: with no CITEQA_ADMIN_KEY set it is answered only "
                    "on the server itself (loopback)"
                ),
                [],
            )
        return None

    async def _rate_limit(self, caller: Caller | None, client: str) -> tuple[Decision | None, Refusal | None]:
        """Per key (its own rate, else the service's); per address only for a caller without a valid key."""
        s = self.settings
        per_min = s.rate_limit_per_min
        if caller is not None and caller.rate_limit_per_min is not None:
            per_min = caller.rate_limit_per_min
        if per_min <= 0:
            return None, None
        bucket, who = (f"key:{caller.name}", "key") if caller is not None else (f"addr:{client}", "address")
        decision = await self.rate.take(bucket, per_min, s.rate_limit_burst)
        if decision.allowed:
            return decision, None
        return decision, (
            429,
            f"more than {per_min} requests a minute from this {who}; retry in {decision.retry_after_s} s",
            [],
        )

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


def _template(routes: Sequence[BaseRoute], scope: Scope, prefix: str) -> str:
    for candidate in routes:
        # FastAPI (0.16x) keeps an included router as one entry holding the router's own routes.
        inner = getattr(candidate, "original_router", None)
        if inner is not None:
            extra = getattr(getattr(candidate, "include_context", None), "prefix", "") or ""
            path: str = scope["path"]
            if path.startswith(extra):
                found = _template(inner.routes, {**scope, "path": path[len(extra) :]}, prefix + extra)
                if found != UNMATCHED:
                    return found
            continue
        match, _ = candidate.matches(scope)
        if match is not Match.NONE:
            return prefix + str(getattr(candidate, "path", ""))
    return UNMATCHED


async def _reply(
    send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(extra or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
