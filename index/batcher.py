"""Concurrent query embeddings taken together: one batch of 16 costs well under 16 single calls on a CPU.

Embedding work never exceeds one call at a time (the engine spreads it over the cores itself). A query that finds
the engine idle and nobody waiting is embedded by its caller's own thread, with no hop to another thread; one
that finds it busy waits for the worker thread, which takes everything that arrived meanwhile as the next batch.
So nothing waits for a timer, and a lone query goes straight through.

The queue is bounded: past `max_pending` waiting queries, `embed` raises `Overloaded` at once (the service
answers 503 with Retry-After) instead of queueing work no caller will wait for. A caller that gives up
(`timeout`) withdraws its query if the worker has not started it. `close()` stops the worker.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

import numpy as np

MAX_BATCH = 16
MAX_PENDING = 64


class Overloaded(RuntimeError):
    """More work is waiting than the service will queue (queries to embed here, requests in the service's work
    pool): the caller should retry a little later."""

    retry_after_s = 1


class Closed(Overloaded):
    """The batcher was closed (its index was swapped out); a retry reaches the new one."""


class QueryBatcher:
    def __init__(
        self,
        embed: Callable[[list[str]], np.ndarray],
        max_batch: int = MAX_BATCH,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self._embed = embed
        self._max_batch = max_batch
        self._max_pending = max_pending
        self._pending: deque[tuple[str, Future[np.ndarray]]] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._worker: threading.Thread | None = None
        self._busy = False  # the engine is embedding: the worker's batch, or a caller's own query

    @property
    def pending(self) -> int:
        """Queries waiting for the worker (not counting the batch it is embedding)."""
        return len(self._pending)

    def embed(self, text: str, timeout: float | None = None) -> np.ndarray:
        """The vector of `text`. With the engine idle and nothing queued, the caller embeds it itself: no thread
        hop (a millisecond or two on a busy machine); queries arriving meanwhile queue for the worker's batch."""
        if self._reserve():
            try:
                vector: np.ndarray = self._embed([text])[0]
                return vector
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()  # the worker takes what queued meanwhile
        future = self.submit(text)
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()  # withdrawn if still queued; the worker skips it
            raise

    def _reserve(self) -> bool:
        """Take the idle engine for the caller's own query; False when it is busy or queries are waiting."""
        with self._cond:
            if self._closed:
                raise Closed("the index this query was sent to has been replaced; try again")
            if self._busy or self._pending:
                return False
            self._busy = True
            return True

    def submit(self, text: str) -> Future[np.ndarray]:
        """Queue `text` and return at once: the caller does other work while the worker embeds it (a caller that
        stops waiting should `cancel()` the future, which withdraws the query if it has not started)."""
        future: Future[np.ndarray] = Future()
        with self._cond:
            if self._closed:
                raise Closed("the index this query was sent to has been replaced; try again")
            if len(self._pending) >= self._max_pending:
                raise Overloaded(
                    f"{len(self._pending)} queries are already waiting to be embedded; try again shortly"
                )
            self._pending.append((text, future))
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="citeqa-query-batcher", daemon=True)
                self._worker.start()
            self._cond.notify()
        return future

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker once the batch in progress is done; queries still queued get `Closed`."""
        with self._cond:
            self._closed = True
            left = list(self._pending)
            self._pending.clear()
            self._cond.notify_all()
            worker = self._worker
        for _, future in left:
            if future.set_running_or_notify_cancel():
                future.set_exception(Closed("the index was replaced while this query waited; try again"))
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout)

    @property
    def running(self) -> bool:
        return self._worker is not None and self._worker.is_alive()

    def _next_batch(self) -> list[tuple[str, Future[np.ndarray]]] | None:
        with self._cond:
            while (not self._pending or self._busy) and not self._closed:
                self._cond.wait()
            if self._closed:
                return None
            batch: list[tuple[str, Future[np.ndarray]]] = []
            while self._pending and len(batch) < self._max_batch:
                text, future = self._pending.popleft()
                if future.set_running_or_notify_cancel():  # False: its caller gave up
                    batch.append((text, future))
            self._busy = bool(batch)
            return batch

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            if not batch:
                continue
            try:
                vectors = self._embed([text for text, _ in batch])
            except Exception as exc:  # the callers see the model's error, the worker lives on
                for _, future in batch:
                    future.set_exception(exc)
                continue
            finally:
                with self._cond:
                    self._busy = False
            for (_, future), vector in zip(batch, vectors, strict=True):
                future.set_result(vector)
