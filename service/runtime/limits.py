"""Stated limits on user text, on model work in flight, and the per-request deadline (the rate limit is
`ratelimit.py`)."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio

from index.batcher import Overloaded

from ..settings import Settings

T = TypeVar("T")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# The same rule for the OpenAPI schema (ECMA, Rust and Python regexes alike): a character `clean_text` keeps
# once control characters are spaces and the ends are stripped, and text `str.strip` leaves empty.
# tests/test_hardening.py checks both against `clean_text` over every code point.
VISIBLE = r"[^\x00-\x20\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
BLANK = r"^[\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"


__all__ = ["BadInput", "Deadline", "Overloaded"]  # the errors limits raise, answered by `service.api.errors`


class BadInput(ValueError):
    """A request that is well-formed JSON but asks for something outside the stated limits."""


class Deadline(TimeoutError):
    """The request took longer than the per-request deadline."""


def clean_text(text: str, settings: Settings, what: str = "question") -> str:
    """Control characters (and lone surrogates, which reach here only from query strings and paths; in a JSON
    body pydantic already refuses them with a 422) become spaces; the length limit applies."""
    if len(text) > settings.max_question_chars:
        raise BadInput(f"{what} is {len(text)} characters long; the limit is {settings.max_question_chars}")
    cleaned = _CONTROL.sub(" ", text).strip()
    if not cleaned:
        raise BadInput(f"{what} is empty once control characters are removed; send some text")
    return cleaned


def check_top_k(top_k: int, settings: Settings) -> int:
    if not 1 <= top_k <= settings.max_top_k:
        raise BadInput(f"top_k is {top_k}; it must be between 1 and {settings.max_top_k}")
    return top_k


class WorkPool:
    """A fixed number of model threads and a bounded queue in front of them.

    A request that gives up (its deadline passed) stops waiting, but its slot stays taken until the work it
    started has really finished: threads cannot be stopped, so the bound is on work, not on waiting. Work whose
    deadline passed while it queued is never started.
    """

    def __init__(self, workers: int, max_queued: int) -> None:
        self.capacity = workers + max_queued
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def submit(self, fn: Callable[[], T], deadline: float) -> Future[T]:
        with self._lock:
            if len(self._pending) >= self.capacity:
                raise Overloaded(
                    f"the service is busy ({len(self._pending)} requests in flight); retry in a second"
                )
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="citeqa-model")
            future = self._pool.submit(_unless_late, fn, deadline)
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    def in_flight(self) -> list[Future[Any]]:
        with self._lock:
            return list(self._pending)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


class _Late(Exception):
    pass


def _unless_late(fn: Callable[[], T], deadline: float) -> T:
    if time.monotonic() >= deadline:
        raise _Late
    return fn()


@dataclass(frozen=True)
class Budget:
    """What one request may spend: a place in the work pool, until its deadline (monotonic seconds)."""

    pool: WorkPool
    deadline: float


# Set by the request middleware for each request, so every route's model work goes through one pool.
current_budget: ContextVar[Budget | None] = ContextVar("citeqa_budget", default=None)


def _deadline_error(settings: Settings) -> Deadline:
    return Deadline(
        f"the request took longer than {settings.request_timeout_s} s; try again, or ask a shorter question"
    )


async def off_loop(settings: Settings, fn: Callable[[], T]) -> T:
    """Run model work in the pool so the event loop keeps serving, within the request's deadline."""
    budget = current_budget.get()
    if budget is None:  # outside a request (scripts): the deadline alone
        try:
            with anyio.fail_after(settings.request_timeout_s):
                return await anyio.to_thread.run_sync(fn, abandon_on_cancel=True)
        except TimeoutError as exc:
            raise _deadline_error(settings) from exc
    remaining = budget.deadline - time.monotonic()
    if remaining <= 0:
        raise _deadline_error(settings)
    future = budget.pool.submit(fn, budget.deadline)
    try:
        # Cancelling the wrapper cancels queued work; work already running finishes on its own.
        with anyio.fail_after(remaining):
            return await asyncio.wrap_future(future)
    except (TimeoutError, _Late) as exc:
        raise _deadline_error(settings) from exc
