"""Stated limits on user text and the per-request deadline."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

import anyio

from .errors import BadInput, Deadline
from .settings import Settings

T = TypeVar("T")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


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


async def off_loop(settings: Settings, fn: Callable[[], T]) -> T:
    """Run model work in a worker thread so the event loop keeps serving, within the per-request deadline."""
    try:
        with anyio.fail_after(settings.request_timeout_s):
            # Abandoned, not cancelled: a thread cannot be stopped, but the client gets its 503 on time.
            return await anyio.to_thread.run_sync(fn, abandon_on_cancel=True)
    except TimeoutError as exc:
        raise Deadline(f"the request took longer than {settings.request_timeout_s} s; try again, "
                       "or ask a shorter question") from exc
