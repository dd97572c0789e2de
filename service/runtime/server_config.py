"""How the HTTP server runs: the one place that turns settings into uvicorn options (`citeqa serve` and so the
Docker image use it).

uvicorn closes idle keep-alive connections and bounds an incomplete request's size, but has no timeout for a
request's headers: a client that opens a connection and sends nothing, or a header a byte at a time, would hold
it for ever. `GuardedH11Protocol` adds that timeout and a cap on open connections; the request middleware bounds
the time to send a body.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from uvicorn.protocols.http.h11_impl import H11Protocol

from ..settings import Settings

# Larger than any request line plus headers a browser or client sends; the body has its own limit.
MAX_HEADER_BYTES = 16 * 1024


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with a deadline for each request's headers and a cap on connections."""

    header_timeout_s: ClassVar[float] = 5.0
    max_connections: ClassVar[int] = 512
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            # Closed at once rather than queued: a flood of idle connections must not starve real clients.
            transport.close()
            return
        self._arm()

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not cycle:  # a request's headers are complete
            self._disarm()

    def on_response_complete(self) -> None:
        self._arm()  # the next request's headers have the same deadline (pipelined ones disarm it at once)
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
            self.transport.close()


def guarded_protocol(settings: Settings) -> type[GuardedH11Protocol]:
    """The protocol class with this configuration's limits (uvicorn builds one protocol per connection)."""
    return type(
        "CiteqaH11Protocol",
        (GuardedH11Protocol,),
        {"header_timeout_s": settings.read_timeout_s, "max_connections": settings.max_connections},
    )


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run` / `uvicorn.Config`, besides the app, host and port."""
    return {
        "http": guarded_protocol(settings),
        "timeout_keep_alive": settings.keep_alive_s,
        # uvicorn answers 503 once this many connections are open; the protocol closes any beyond it.
        "limit_concurrency": settings.max_connections,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        "timeout_graceful_shutdown": max(1, int(settings.request_timeout_s)),
        "log_level": "info",
        "access_log": False,  # the request middleware logs each request as one JSON line
        # X-Forwarded-For is read by the request middleware, from CITEQA_TRUSTED_PROXIES only; uvicorn's own
        # reading (trusting 127.0.0.1 by default) would let anything on the host name any caller.
        "proxy_headers": False,
    }
