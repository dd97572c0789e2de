"""Concurrent query embeddings taken together: one batch of 16 costs well under 16 single calls on a CPU.

One worker thread owns the model calls. A query waits only for the batch in progress; everything that arrived
meanwhile goes into the next batch, so nothing waits for a timer and a lone query goes straight through.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np

MAX_BATCH = 16


class QueryBatcher:
    def __init__(self, embed: Callable[[list[str]], np.ndarray], max_batch: int = MAX_BATCH) -> None:
        self._embed = embed
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[str, Future[np.ndarray]]] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def embed(self, text: str) -> np.ndarray:
        future: Future[np.ndarray] = Future()
        self._queue.put((text, future))
        self._ensure_worker()
        return future.result()

    def _ensure_worker(self) -> None:
        with self._start_lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="citeqa-query-batcher", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                vectors = self._embed([text for text, _ in batch])
            except Exception as exc:  # the callers see the model's error, the worker lives on
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for (_, future), vector in zip(batch, vectors, strict=True):
                future.set_result(vector)
