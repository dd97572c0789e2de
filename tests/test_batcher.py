"""The query batcher: queries that arrive while the model is busy go into one batch, results to their callers."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from index.batcher import Closed, Overloaded, QueryBatcher


def test_queries_waiting_for_a_busy_model_are_embedded_as_one_batch() -> None:
    release = threading.Event()
    batches: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:
        batches.append(list(texts))
        if len(batches) == 1:
            release.wait(5)  # the first call holds the model while the others queue up
        return np.array([[float(len(t))] for t in texts])

    batcher = QueryBatcher(embed, max_batch=16)
    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(batcher.embed, "a")
        while not batches:
            threading.Event().wait(0.001)
        rest = [pool.submit(batcher.embed, "b" * n) for n in range(2, 7)]
        while batcher.pending < 5:  # all five are queued behind the busy model
            threading.Event().wait(0.001)
        release.set()
        # Each caller gets the vector of its own text: len("b" * n) == n.
        assert [f.result()[0] for f in rest] == [2.0, 3.0, 4.0, 5.0, 6.0]
        assert first.result()[0] == 1.0
    # One batch of the five, in whatever order their threads reached the queue.
    assert len(batches) == 2 and batches[0] == ["a"]
    assert sorted(batches[1], key=len) == ["bb", "bbb", "bbbb", "bbbbb", "bbbbbb"]


def test_a_batch_never_exceeds_the_limit() -> None:
    sizes: list[int] = []
    gate = threading.Event()

    def embed(texts: list[str]) -> np.ndarray:
        sizes.append(len(texts))
        gate.wait(5)
        return np.zeros((len(texts), 1))

    batcher = QueryBatcher(embed, max_batch=3)
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(batcher.embed, str(i)) for i in range(8)]
        gate.set()
        for f in futures:
            f.result()
    assert sum(sizes) == 8 and max(sizes) <= 3


def test_a_model_error_reaches_the_caller_and_the_worker_lives_on() -> None:
    calls = {"n": 0}

    def embed(texts: list[str]) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("model failed")
        return np.ones((len(texts), 2))

    batcher = QueryBatcher(embed)
    with pytest.raises(RuntimeError, match="model failed"):
        batcher.embed("x")
    assert batcher.embed("y").tolist() == [1.0, 1.0]


def test_past_the_limit_a_query_is_refused_at_once() -> None:
    gate = threading.Event()

    def embed(texts: list[str]) -> np.ndarray:
        gate.wait(5)
        return np.zeros((len(texts), 1))

    batcher = QueryBatcher(embed, max_batch=1, max_pending=2)
    with ThreadPoolExecutor(3) as pool:
        busy = pool.submit(batcher.embed, "in the model")
        while batcher.pending:  # the worker has taken it
            threading.Event().wait(0.001)
        queued = [pool.submit(batcher.embed, t) for t in ("q1", "q2")]
        while batcher.pending < 2:
            threading.Event().wait(0.001)
        with pytest.raises(Overloaded):
            batcher.embed("one too many")
        gate.set()
        assert [f.result().shape for f in [busy, *queued]] == [(1,)] * 3
    batcher.close()


def test_close_stops_the_worker_and_later_queries_are_refused() -> None:
    batcher = QueryBatcher(lambda texts: np.ones((len(texts), 1)))
    assert batcher.embed("x").tolist() == [1.0]  # the engine was idle: embedded by the caller itself
    assert batcher.submit("y").result().tolist() == [1.0]  # queued: the worker starts
    assert batcher.running
    batcher.close()
    assert not batcher.running
    with pytest.raises(Closed):
        batcher.embed("y")


def test_a_query_whose_caller_gave_up_is_not_embedded() -> None:
    gate = threading.Event()
    seen: list[str] = []

    def embed(texts: list[str]) -> np.ndarray:
        seen.extend(texts)
        gate.wait(5)
        return np.zeros((len(texts), 1))

    batcher = QueryBatcher(embed, max_batch=1)
    with ThreadPoolExecutor(1) as pool:
        busy = pool.submit(batcher.embed, "first")
        while not seen:
            threading.Event().wait(0.001)
        with pytest.raises(TimeoutError):
            batcher.embed("abandoned", timeout=0.01)
        gate.set()
        busy.result()
    assert batcher.embed("after").shape == (1,)
    assert seen == ["first", "after"]
    batcher.close()


def test_an_idle_engine_embeds_in_the_callers_thread_and_a_busy_one_batches() -> None:
    threads: list[str] = []
    gate = threading.Event()

    def embed(texts: list[str]) -> np.ndarray:
        threads.append(threading.current_thread().name)
        if len(threads) == 1:
            gate.wait(5)  # the first (direct) call holds the engine while others arrive
        return np.zeros((len(texts), 1))

    batcher = QueryBatcher(embed)
    assert batcher.embed("alone").shape == (1,)
    assert threads == [threading.current_thread().name]  # no hop for a lone query
    threads.clear()
    with ThreadPoolExecutor(5) as pool:
        first = pool.submit(batcher.embed, "first")
        while not threads:
            threading.Event().wait(0.001)
        rest = [pool.submit(batcher.embed, str(i)) for i in range(4)]
        while batcher.pending < 4:  # the engine is busy: they queue
            threading.Event().wait(0.001)
        gate.set()
        for f in [first, *rest]:
            f.result()
    assert threads[0].startswith("ThreadPoolExecutor") and threads[1:] == ["citeqa-query-batcher"]
    batcher.close()
