"""`citeqa bench`: latency, throughput, cold start, memory and build-time figures, side by side in one run.

Usage: ``citeqa bench [--quick] [--skip-build] [--samples N] [--duration S] [--requests N] [--json PATH]``
(or ``python -m eval.bench …``).

What it measures, in this order, on the default settings (the configured index, built first if missing):

1. the bare cost of embedding one query with the model the service loads (distinct queries, no cache);
5. whether batching concurrent query embeddings would pay off: 16 queries one by one against one batch of 16;
2. in-process ``/search`` and ``/ask`` through ``TestClient`` on distinct queries, interleaved with bare
   embeddings so the ratios compare like with like on a noisy machine, and a repeated query (cache hit);
3. the real service over HTTP on 127.0.0.1 in a subprocess: cold start, per-request latency, throughput at
   1, 4 and 16 concurrent clients, a bounded mixed load test, and the server's resident memory;
4. the time to build the whole index into a temporary directory.

It prints figures and their targets (MET / NOT MET); it asserts nothing. Every query is used once in the
run, so every request misses the query-embedding cache unless it is meant to hit it. Every loop is bounded
in count and in time, and the server subprocess is always terminated.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import math
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any, Literal, Protocol, TypeVar

from eval.metrics import median, p95

ROOT = Path(__file__).resolve().parents[1]

# Realistic questions a delegate or drafter would ask of A/78/6 (Sect. 4), in both languages.
QUESTIONS: tuple[str, ...] = (
    "2024 年拟议资源总额是多少？",
    "本款前言是谁署名的？",
    "裁军事务厅各项工作追求的最终目标是什么？",
    "次级方案 3 常规武器的预期成果有哪些？",
    "2024 年拟议员额一共有多少个？",
    "维也纳办事处负责哪些工作？",
    "日内瓦处如何为裁军谈判会议提供服务？",
    "预算外资源预计有多少？",
    "各区域裁军中心设在哪里？",
    "在小武器和轻武器方面计划开展哪些工作？",
    "2022 年不扩散核武器条约审议大会的结果如何？",
    "新兴技术可能使武装冲突扩展到哪些新领域？",
    "信息和外联次级方案计划做什么？",
    "差旅费的拟议数额是多少？",
    "与 2023 年相比资源为什么有变化？",
    "裁军事务厅如何支持青年参与裁军？",
    "生物武器公约执行支助股做什么工作？",
    "裁军教育方面有哪些交付成果？",
    "What is the total proposed budget for 2024?",
    "Who signed the foreword of this section?",
    "How many posts are proposed for 2024?",
    "What does the Office for Disarmament Affairs do on small arms and light weapons?",
    "Where are the regional disarmament centres located?",
    "How much extrabudgetary funding is expected in 2024?",
    "How does the programme support the Conference on Disarmament?",
    "What is planned for disarmament education and outreach?",
    "What are the deliverables of subprogramme 2 on weapons of mass destruction?",
    "Why did the resources change compared with 2023?",
    "What is the role of the Vienna Office in the programme?",
    "How does the programme promote the participation of women in disarmament?",
)
# Same length in both languages: variant k of a question takes the k-th suffix of its language.
ZH_SUFFIXES = ("", "请简要回答。", "请说明一下。", "具体情况如何？", "按文件的说法。", "谢谢。",
               "能告诉我吗？", "请给出出处。")
EN_SUFFIXES = ("", " Please answer briefly.", " Please explain.", " What are the details?",
               " According to the document.", " Thanks.", " Can you tell me?", " Please give the source.")
_CJK = re.compile(r"[\u4e00-\u9fff]")

BATCH = 16
REQUEST_TIMEOUT_S = 60.0
Kind = Literal["embed", "search", "ask"]
T = TypeVar("T")


# ---------------------------------------------------------------------------------------------- pure helpers


@dataclass(frozen=True)
class Stats:
    n: int
    median: float
    p95: float
    mean: float
    min: float
    max: float


def summarize(values: Sequence[float]) -> Stats | None:
    """Median (the figure to compare), p95, mean, min and max of some samples; None for no samples."""
    if not values:
        return None
    mean = sum(values) / len(values)
    return Stats(len(values), median(values), p95(values), mean, min(values), max(values))


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b <= 0 or math.isnan(a) or math.isnan(b):
        return None
    return a / b


@dataclass(frozen=True)
class Target:
    op: Literal["<=", ">=", "=="]
    bound: float
    text: str  # how the table shows it: "≤ 1.3×", "0 errors"

    def met(self, value: float) -> bool:
        if self.op == "<=":
            return value <= self.bound
        if self.op == ">=":
            return value >= self.bound
        return value == self.bound


@dataclass
class Figure:
    section: str
    name: str
    value: float | int | str | None
    unit: str = ""
    target: Target | None = None
    note: str = ""

    @property
    def status(self) -> str:
        if self.target is None:
            return "—"
        if not isinstance(self.value, int | float) or isinstance(self.value, bool) or math.isnan(self.value):
            return "NOT MEASURED"
        return "MET" if self.target.met(self.value) else "NOT MET"

    def shown(self) -> str:
        return format_value(self.value, self.unit)

    def to_dict(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, float):
            value = None if math.isnan(value) else round(value, 4)
        return {"section": self.section, "name": self.name, "value": value, "unit": self.unit,
                "target": self.target.text if self.target else None, "status": self.status, "note": self.note}


def format_value(value: float | int | str | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, str):
        return value
    if unit == "×":
        return f"{value:.2f}×"
    if unit == "ms":
        return f"{value:.2f} ms" if abs(value) < 10 else f"{value:.1f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "GB":
        return f"{value:.3f} GB"
    if unit == "req/s" or unit == "emb/s":
        return f"{value:.1f} {unit}"
    if isinstance(value, int):
        return f"{value} {unit}".strip()
    return f"{value:.3g} {unit}".strip()


def format_table(figures: Sequence[Figure]) -> str:
    """A plain-text table: section, figure, value, target, status (and a note when there is one)."""
    header = ("section", "figure", "value", "target", "status")
    rows = [(f.section, f.name, f.shown(), f.target.text if f.target else "—", f.status) for f in figures]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    for f, row in zip(figures, rows, strict=True):
        out.append(line(row) + (f"  ({f.note})" if f.note else ""))
    met = sum(f.status == "MET" for f in figures)
    targeted = sum(f.target is not None for f in figures)
    out.append(f"{met} of {targeted} targets met")
    return "\n".join(out)


def parse_proc_status(text: str) -> dict[str, int]:
    """`/proc/<pid>/status` → the memory lines (VmRSS, VmHWM, …) in bytes."""
    out: dict[str, int] = {}
    for row in text.splitlines():
        key, _, rest = row.partition(":")
        parts = rest.split()
        if key.startswith("Vm") and len(parts) == 2 and parts[1] == "kB" and parts[0].isdigit():
            out[key] = int(parts[0]) * 1024
    return out


def distinct_queries(questions: Sequence[str] = QUESTIONS) -> Iterator[str]:
    """An endless stream of distinct questions: every question with every suffix, then again with a round tag.

    Consecutive queries cycle through different questions, so any stretch of the stream is a realistic mix.
    """
    assert len(ZH_SUFFIXES) == len(EN_SUFFIXES)
    for rnd in itertools.count(1):
        for k in range(len(ZH_SUFFIXES)):
            for q in questions:
                zh = bool(_CJK.search(q))
                suffix = (ZH_SUFFIXES if zh else EN_SUFFIXES)[k]
                tag = "" if rnd == 1 else (f"（第{rnd}轮）" if zh else f" (round {rnd})")
                yield f"{q}{suffix}{tag}"


class QueryStream:
    """Hands out distinct queries to any number of threads; no query is given twice in a run."""

    def __init__(self, questions: Sequence[str] = QUESTIONS) -> None:
        self._it = distinct_queries(questions)
        self._lock = threading.Lock()
        self.issued = 0

    def next(self) -> str:
        with self._lock:
            self.issued += 1
            return next(self._it)

    def take(self, n: int) -> list[str]:
        return [self.next() for _ in range(n)]


# ------------------------------------------------------------------------------------------------- plumbing


class _Client(Protocol):
    """httpx.Client and TestClient alike."""

    def get(self, url: str, *, params: Any = ...) -> Any: ...

    def post(self, url: str, *, json: Any = ...) -> Any: ...


class _QueryEmbedder(Protocol):
    def embed_queries(self, texts: list[str]) -> Any: ...


def _send(client: _Client, kind: Kind, query: str) -> Any:
    """One /search or /ask, as the search box and the chat pane send them; the response."""
    if kind == "search":
        return client.get("/search", params={"q": query, "top_k": 10})
    return client.post("/ask", json={"question": query, "top_k": 5})


def _request(client: _Client, kind: Kind, query: str) -> tuple[bool, str]:
    """One /search or /ask; (ok, what went wrong)."""
    r = _send(client, kind, query)
    if r.status_code != 200:
        return False, f"{kind} {r.status_code}: {r.text[:200]}"
    return True, ""


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def _ms(values: list[float]) -> list[float]:
    return [v * 1000 for v in values]


def _say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _headers(api_key: str | None) -> dict[str, str]:
    return {"X-API-Key": api_key} if api_key else {}


@dataclass
class Options:
    samples: int
    hits: int
    batch_reps: int
    duration: float
    requests: int
    clients: tuple[int, ...]
    load_clients: int
    endpoint: str
    skip_build: bool
    ready_timeout: float
    json_path: Path | None
    quick: bool


@dataclass
class Run:
    """Everything one run found: the figures, free-text notes and how long each section took."""

    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sections_s: dict[str, float] = field(default_factory=dict)
    load_average: dict[str, float] = field(default_factory=dict)  # the 1-minute load when each section began
    failed: list[str] = field(default_factory=list)

    def add(self, *figures: Figure) -> None:
        self.figures.extend(figures)

    def value(self, section: str, name: str) -> float | None:
        for f in self.figures:
            if f.section == section and f.name == name and isinstance(f.value, int | float):
                return float(f.value)
        return None


# -------------------------------------------------------------------------------------- 1 + 5: the embedder


def bench_embedding(run: Run, embedder: _QueryEmbedder, stream: QueryStream, opts: Options) -> None:
    """Bare single-query embeddings (step 1) and sequential-versus-batched embedding (step 5)."""
    for q in stream.take(5):  # warm-up: the first calls allocate and pick kernels, and are slower
        embedder.embed_queries([q])
    times = [_timed(partial(embedder.embed_queries, [q]))[0] for q in stream.take(opts.samples)]
    st = summarize(_ms(times))
    assert st is not None
    rate = len(times) / sum(times)
    run.add(
        Figure("1 embed", "bare embed median", st.median, "ms", note=f"n={st.n}, one query per call"),
        Figure("1 embed", "bare embed p95", st.p95, "ms"),
        Figure("1 embed", "sequential embeds/s", rate, "emb/s",
               note="what the cores embed alone, one at a time"),
    )
    _say(f"bare embed: median {st.median:.1f} ms, p95 {st.p95:.1f} ms, {rate:.1f} embeds/s")

    one_by_one: list[float] = []
    batched: list[float] = []
    for rep in range(opts.batch_reps):
        a, b = stream.take(BATCH), stream.take(BATCH)

        def seq(qs: list[str] = a) -> None:
            for q in qs:
                embedder.embed_queries([q])

        def batch(qs: list[str] = b) -> None:
            embedder.embed_queries(qs)

        order = [(seq, one_by_one), (batch, batched)]
        for fn, into in order if rep % 2 == 0 else order[::-1]:
            into.append(_timed(fn)[0] * 1000)
    s_seq, s_batch = summarize(one_by_one), summarize(batched)
    assert s_seq is not None and s_batch is not None
    speedup = ratio(s_seq.median, s_batch.median)
    run.add(
        Figure("5 batching", f"{BATCH} queries one by one", s_seq.median, "ms", note=f"median of {s_seq.n}"),
        Figure("5 batching", f"{BATCH} queries in one batch", s_batch.median, "ms",
               note=f"median of {s_batch.n}"),
        Figure("5 batching", "one-by-one / batch", speedup, "×",
               note="> 1 means batching concurrent queries would save time"),
    )
    _say(f"batching: {BATCH} one by one {s_seq.median:.0f} ms, as one batch {s_batch.median:.0f} ms")


# -------------------------------------------------------------------------------------- 2: in-process


def bench_in_process(run: Run, settings: Any, embedder: _QueryEmbedder, stream: QueryStream,
                     opts: Options) -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app

    samples: dict[str, list[float]] = {"embed": [], "search": [], "ask": []}
    errors: list[str] = []
    with TestClient(create_app(settings), headers=_headers(settings.api_key)) as client:
        for q in stream.take(6):  # warm-up of the app's own model instance and of every code path
            _request(client, "search" if len(q) % 2 else "ask", q)
        kinds: list[Kind] = ["embed", "search", "ask"]
        for i in range(opts.samples):
            # Interleaved, in a rotating order, so a burst of load from elsewhere hits all three alike.
            for kind in kinds[i % 3:] + kinds[: i % 3]:
                q = stream.next()
                if kind == "embed":
                    samples["embed"].append(_timed(partial(embedder.embed_queries, [q]))[0])
                    continue
                dt, (ok, err) = _timed(partial(_request, client, kind, q))
                samples[kind].append(dt)
                if not ok:
                    errors.append(err)
        hits: dict[str, list[float]] = {"search": [], "ask": []}
        took: dict[str, list[float]] = {"search": [], "ask": []}  # what the service itself reports
        for kind in ("search", "ask"):
            q = stream.next()
            _request(client, kind, q)  # the miss that fills the cache
            for _ in range(opts.hits):
                dt, r = _timed(partial(_send, client, kind, q))
                hits[kind].append(dt)
                if r.status_code == 200:
                    took[kind].append(float(r.json()["took_ms"]))
                else:
                    errors.append(f"{kind} {r.status_code}: {r.text[:200]}")

    bare = summarize(_ms(samples["embed"]))
    assert bare is not None
    run.add(Figure("2 in-process", "bare embed median (interleaved)", bare.median, "ms", note=f"n={bare.n}"))
    for kind, limit in (("search", 1.3), ("ask", 1.6)):
        st = summarize(_ms(samples[kind]))
        assert st is not None
        run.add(
            Figure("2 in-process", f"/{kind} median", st.median, "ms", note=f"n={st.n}, distinct queries"),
            Figure("2 in-process", f"/{kind} p95", st.p95, "ms"),
            Figure("2 in-process", f"/{kind} median / bare embed", ratio(st.median, bare.median), "×",
                   Target("<=", limit, f"≤ {limit}×")),
        )
        _say(f"in-process /{kind}: median {st.median:.1f} ms ({st.median / bare.median:.2f}× bare)")
    for kind in ("search", "ask"):
        st, own = summarize(_ms(hits[kind])), summarize(took[kind])
        assert st is not None
        note = f"n={st.n}, same query"
        if own is not None:
            note += f"; the service's own took_ms: median {own.median:.2f} ms"
        run.add(Figure("2 in-process", f"/{kind} cache hit median", st.median, "ms",
                       Target("<=", 2.0, "≤ 2 ms"), note=note))
    run.add(Figure("2 in-process", "errors", len(errors), "", Target("==", 0, "0"),
                   note=errors[0][:120] if errors else ""))


# -------------------------------------------------------------------------------------- 3: over HTTP


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The real service under uvicorn in a subprocess on 127.0.0.1; `stop()` always ends it."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    def start(self) -> None:
        cmd = [sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(self.port), "--log-level", "warning"]
        with self.log_path.open("wb") as log:
            self.started = time.perf_counter()
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=os.environ.copy(), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout_s: float, headers: dict[str, str]) -> float:
        """Seconds from process start to the first 200 from /readyz."""
        import httpx

        assert self.proc is not None
        deadline = self.started + timeout_s
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=2.0, trust_env=False) as client:
            while time.perf_counter() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the server exited with {self.proc.returncode} before it was ready: "
                                       f"{self.log_tail()}")
                try:
                    if client.get("/readyz").status_code == 200:
                        return time.perf_counter() - self.started
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        raise TimeoutError(f"the server was not ready after {timeout_s:.0f} s: {self.log_tail()}")

    def memory(self) -> dict[str, int]:
        assert self.proc is not None
        try:
            return parse_proc_status(Path(f"/proc/{self.proc.pid}/status").read_text())
        except OSError:
            return {}

    def log_tail(self, chars: int = 600) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:].strip()
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)


@dataclass
class LoadResult:
    clients: int
    elapsed_s: float
    latencies_s: dict[str, list[float]]
    errors: list[str]
    unfinished_clients: int

    @property
    def ok(self) -> int:
        return sum(len(v) for v in self.latencies_s.values())

    @property
    def throughput(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def all_latencies_ms(self) -> list[float]:
        return _ms([v for vs in self.latencies_s.values() for v in vs])


def _pick(endpoint: str, i: int) -> Kind:
    if endpoint == "mixed":
        return "search" if i % 2 == 0 else "ask"
    return "ask" if endpoint == "ask" else "search"


def run_clients(base_url: str, headers: dict[str, str], clients: int, stream: QueryStream, *,
                max_requests: int, max_seconds: float, endpoint: str) -> LoadResult:
    """`clients` threads, each with its own connection, sending distinct queries until either bound is hit."""
    import httpx

    lock = threading.Lock()
    issued = 0
    latencies: dict[str, list[float]] = {"search": [], "ask": []}
    errors: list[str] = []
    start = time.perf_counter()
    deadline = start + max_seconds

    def worker() -> None:
        nonlocal issued
        with httpx.Client(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT_S,
                          trust_env=False) as c:
            while True:
                with lock:
                    if issued >= max_requests or time.perf_counter() >= deadline:
                        return
                    i = issued
                    issued += 1
                kind = _pick(endpoint, i)
                q = stream.next()
                t0 = time.perf_counter()
                try:
                    ok, err = _request(c, kind, q)
                except httpx.HTTPError as exc:
                    ok, err = False, f"{kind}: {type(exc).__name__}: {exc}"
                dt = time.perf_counter() - t0
                with lock:
                    if ok:
                        latencies[kind].append(dt)
                    else:
                        errors.append(err)

    threads = [threading.Thread(target=worker, daemon=True, name=f"bench-client-{n}") for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:  # a request cannot outlast its timeout, so this bound is never the one that stops us
        t.join(timeout=max(0.0, deadline - time.perf_counter()) + REQUEST_TIMEOUT_S + 5)
    elapsed = time.perf_counter() - start
    unfinished = sum(t.is_alive() for t in threads)
    return LoadResult(clients, elapsed, latencies, errors, unfinished)


def bench_http(run: Run, settings: Any, embedder: _QueryEmbedder, stream: QueryStream, opts: Options) -> None:
    import httpx

    headers = _headers(settings.api_key)
    with tempfile.TemporaryDirectory(prefix="citeqa-bench-") as tmp:
        server = Server(free_port(), Path(tmp) / "server.log")
        try:
            server.start()
            assert server.proc is not None
            run.notes.append(f"server: pid {server.proc.pid} on {server.base_url}, terminated at the end")
            cold = server.wait_ready(opts.ready_timeout, headers)
            at_ready = server.memory()
            run.add(Figure("3 HTTP", "cold start (start → /readyz 200)", cold, "s",
                           Target("<=", 10.0, "≤ 10 s")))
            _say(f"HTTP cold start {cold:.2f} s")

            # Sequential, one connection, interleaved with bare embeddings here for a like-for-like ratio.
            samples: dict[str, list[float]] = {"embed": [], "search": [], "ask": []}
            errors: list[str] = []
            with httpx.Client(base_url=server.base_url, headers=headers, timeout=REQUEST_TIMEOUT_S,
                              trust_env=False) as client:
                for q in stream.take(6):
                    _request(client, "search" if len(q) % 2 else "ask", q)
                kinds: list[Kind] = ["embed", "search", "ask"]
                for i in range(opts.samples):
                    for kind in kinds[i % 3:] + kinds[: i % 3]:
                        q = stream.next()
                        if kind == "embed":
                            samples["embed"].append(_timed(partial(embedder.embed_queries, [q]))[0])
                            continue
                        try:
                            dt, (ok, err) = _timed(partial(_request, client, kind, q))
                        except httpx.HTTPError as exc:
                            dt, ok, err = 0.0, False, f"{kind}: {type(exc).__name__}: {exc}"
                        if ok:
                            samples[kind].append(dt)
                        else:
                            errors.append(err)
            bare = summarize(_ms(samples["embed"]))
            for kind in ("search", "ask"):
                st = summarize(_ms(samples[kind]))
                if st is None:
                    continue
                run.add(
                    Figure("3 HTTP", f"/{kind} median (1 client)", st.median, "ms", note=f"n={st.n}"),
                    Figure("3 HTTP", f"/{kind} p95 (1 client)", st.p95, "ms"),
                    Figure("3 HTTP", f"/{kind} median / bare embed",
                           ratio(st.median, bare.median if bare else None), "×",
                           note="bare embed in this process, interleaved"),
                )
                _say(f"HTTP /{kind}: median {st.median:.1f} ms, p95 {st.p95:.1f} ms")
            run.add(Figure("3 HTTP", "sequential errors", len(errors), "", Target("==", 0, "0"),
                           note=errors[0][:120] if errors else ""))

            # Concurrency: each level bounded by --duration (and a request cap far above what it can reach).
            for n in opts.clients:
                who = f"{n} client{'s' if n > 1 else ''}"
                res = run_clients(server.base_url, headers, n, stream, max_requests=int(opts.duration * 1000),
                                  max_seconds=opts.duration, endpoint=opts.endpoint)
                st = summarize(res.all_latencies_ms())
                run.add(
                    Figure("3 HTTP", f"{who}: throughput", res.throughput, "req/s",
                           note=f"{res.ok} /{opts.endpoint} in {res.elapsed_s:.1f} s"),
                    Figure("3 HTTP", f"{who}: p95", st.p95 if st else None, "ms",
                           note=f"median {st.median:.1f} ms" if st else ""),
                    Figure("3 HTTP", f"{who}: errors", len(res.errors) + res.unfinished_clients, "",
                           Target("==", 0, "0"), note=res.errors[0][:120] if res.errors else ""),
                )
                _say(f"HTTP {who}: {res.throughput:.1f} req/s, p95 {st.p95 if st else float('nan'):.0f} ms, "
                     f"{len(res.errors)} errors")
            top = max(opts.clients)
            alone = run.value("1 embed", "sequential embeds/s")
            throughput = run.value("3 HTTP", f"{top} client{'s' if top > 1 else ''}: throughput")
            # The same comparison against the bare embeddings interleaved just before, for a machine whose
            # load changed since step 1.
            recent = len(samples["embed"]) / sum(samples["embed"]) if samples["embed"] else None
            near = ratio(throughput, recent)
            note = f"{alone:.1f} embeds/s in step 1" if alone else ""
            if near is not None and recent is not None:
                note += f"; {near:.2f}× against the {recent:.1f}/s embedded just before"
            run.add(Figure("3 HTTP", f"{top}-client throughput / embeds/s alone", ratio(throughput, alone),
                           "×", Target(">=", 0.8, "≥ 0.8× (80%)"), note=note))

            # The bounded load test: N requests, /search and /ask alternating, across a fixed pool of clients.
            res = run_clients(server.base_url, headers, opts.load_clients, stream, max_requests=opts.requests,
                              max_seconds=max(60.0, opts.requests * 2.0), endpoint="mixed")
            st = summarize(res.all_latencies_ms())
            missing = opts.requests - res.ok - len(res.errors)
            problem = res.errors[0][:120] if res.errors else (f"{missing} not sent" if missing else "")
            run.add(
                Figure("3 HTTP", f"load test: errors ({opts.requests} req, {opts.load_clients} clients)",
                       len(res.errors) + missing, "", Target("==", 0, "0"),
                       note=problem),
                Figure("3 HTTP", "load test: throughput", res.throughput, "req/s",
                       note=f"{res.ok} in {res.elapsed_s:.1f} s"),
                Figure("3 HTTP", "load test: p95", st.p95 if st else None, "ms",
                       note=f"median {st.median:.1f} ms" if st else ""),
            )
            _say(f"HTTP load test: {res.ok}/{opts.requests} ok, {len(res.errors)} errors, "
                 f"{res.throughput:.1f} req/s")

            mem = server.memory()
            gb = 1e9
            if at_ready.get("VmRSS"):
                run.add(Figure("3 HTTP", "server VmRSS when ready", at_ready["VmRSS"] / gb, "GB"))
            for key, label in (("VmRSS", "server VmRSS after the load"), ("VmHWM", "server VmHWM (peak)")):
                run.add(Figure("3 HTTP", label, mem[key] / gb if key in mem else None, "GB",
                               Target("<=", 1.5, "≤ 1.5 GB")))
        finally:
            server.stop()
            if server.proc is not None and server.proc.returncode not in (0, -signal.SIGTERM, None):
                run.notes.append(f"the server exited with {server.proc.returncode}: {server.log_tail(300)}")


# -------------------------------------------------------------------------------------- 4: index build


def _complete_model_dirs(cache_dir: Path) -> set[Path]:
    from index.materialize import SOURCE_MARKER

    if not cache_dir.is_dir():
        return set()
    return {p.parent.resolve() for p in cache_dir.glob(f"*/{SOURCE_MARKER}")}


def bench_build(run: Run, settings: Any) -> None:
    from index.materialize import materialize_e5
    from service.engine import build

    before = _complete_model_dirs(settings.cache_dir)
    with tempfile.TemporaryDirectory(prefix="citeqa-bench-build-") as tmp:
        target = settings.model_copy(update={"index_dir": Path(tmp) / "index"})
        seconds, manifest = _timed(lambda: build(target, progress=False))
    run.add(Figure("4 build", "index build, whole document", seconds, "s", Target("<=", 60.0, "≤ 60 s"),
                   note=f"{manifest.rows} rows, {manifest.passages} passages, model load included"))
    if settings.is_embedded:
        reused = materialize_e5(settings.cache_dir).resolve() in before
        note = "materialising it is not in the build time" if reused else "materialised during the build"
        run.add(Figure("4 build", "model directory reused from cache", "yes" if reused else "no", note=note))
    else:
        run.add(Figure("4 build", "model directory reused from cache", "n/a", note="a local model directory"))
    _say(f"index build {seconds:.1f} s")


# ---------------------------------------------------------------------------------------------- the run


def _environment() -> dict[str, Any]:
    import torch

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 0
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": cores,
            "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def _section(run: Run, name: str, fn: Callable[[], None]) -> None:
    start = time.perf_counter()
    run.load_average[name] = round(os.getloadavg()[0], 2)
    try:
        fn()
    except Exception as exc:  # one failed section must not lose the figures of the others
        run.failed.append(name)
        run.notes.append(f"{name} failed: {type(exc).__name__}: {exc}")
        _say(f"{name} FAILED: {type(exc).__name__}: {exc}")
    finally:
        run.sections_s[name] = round(time.perf_counter() - start, 2)
        gc.collect()


def parse_args(argv: Sequence[str]) -> Options:
    p = argparse.ArgumentParser(prog="citeqa bench", description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small N and short durations (a smoke run)")
    p.add_argument("--skip-build", action="store_true", help="do not time an index build")
    p.add_argument("--samples", "-n", type=int, help="distinct queries per latency figure (default 30)")
    p.add_argument("--duration", type=float, help="seconds per concurrency level (default 10)")
    p.add_argument("--requests", type=int, help="requests in the load test (default 300)")
    p.add_argument("--clients", default="1,4,16", help="concurrency levels, comma-separated (default 1,4,16)")
    p.add_argument("--load-clients", type=int, default=8, help="clients in the load test (default 8)")
    p.add_argument("--endpoint", choices=["search", "ask", "mixed"], default="search",
                   help="what the concurrency levels call (default /search; the load test always mixes)")
    p.add_argument("--ready-timeout", type=float, default=120.0, help="give up on the server after this long")
    p.add_argument("--json", type=Path, help="also write the figures as JSON here")
    a = p.parse_args(list(argv))
    try:
        clients = tuple(sorted({int(c) for c in a.clients.split(",") if c.strip()}))
    except ValueError:
        p.error(f"--clients must be comma-separated integers, not {a.clients!r}")
    quick = bool(a.quick)
    opts = Options(
        samples=_given(a.samples, 6 if quick else 30), hits=5 if quick else 30,
        batch_reps=2 if quick else 5, duration=_given(a.duration, 2.0 if quick else 10.0),
        requests=_given(a.requests, 40 if quick else 300),
        clients=clients, load_clients=a.load_clients, endpoint=a.endpoint, skip_build=a.skip_build,
        ready_timeout=a.ready_timeout, json_path=a.json, quick=quick,
    )
    for name in ("samples", "duration", "requests", "load_clients", "ready_timeout"):
        if getattr(opts, name) <= 0:
            p.error(f"--{name.replace('_', '-')} must be positive")
    if not clients or min(clients) < 1 or max(clients) > 256:
        p.error("--clients must be between 1 and 256")
    return opts


def _given(value: T | None, default: T) -> T:
    return default if value is None else value


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the `finally` that stops the server


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--"]:  # `citeqa bench -- --quick`: argparse passes the separator through
        argv = argv[1:]
    opts = parse_args(argv)
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _main(opts)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _with_model(run: Run, settings: Any, models_before: set[Path], stream: QueryStream,
                opts: Options) -> None:
    """Steps 1, 5, 2 and 3, which compare against one in-process instance of the service's model."""
    from service.engine import make_embedder

    load_s, embedder = _timed(partial(make_embedder, settings))
    run.add(Figure("1 embed", "model load (in-process)", load_s, "s"))
    if settings.is_embedded:
        from index.materialize import materialize_e5

        cached = materialize_e5(settings.cache_dir).resolve() in models_before
        run.add(Figure("1 embed", "model directory cached before this run", "yes" if cached else "no"))
    _section(run, "1+5 embedding", partial(bench_embedding, run, embedder, stream, opts))
    _section(run, "2 in-process", partial(bench_in_process, run, settings, embedder, stream, opts))
    _section(run, "3 HTTP", partial(bench_http, run, settings, embedder, stream, opts))


def _route_logs() -> None:
    """The in-process app logs one access line per request, as the service does; write them, but not here.

    `create_app` configures logging only when nothing has, so this configuration stands. Warnings still show.
    """
    import logging

    quiet = logging.StreamHandler(open(os.devnull, "w", encoding="utf-8"))  # open for the whole run
    loud = logging.StreamHandler(sys.stderr)
    loud.setLevel(logging.WARNING)
    logging.basicConfig(level=logging.INFO, format="%(message)s", handlers=[quiet, loud])
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the benchmark's own client, not the service


def _main(opts: Options) -> int:
    from service.engine import build, index_is_current
    from service.settings import Settings

    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    run = Run()
    _route_logs()
    env = _environment()
    settings = Settings()
    if env["load_average"][0] > 0.5 * max(1, env["cpus"]):
        run.notes.append(f"load average {env['load_average'][0]} on {env['cpus']} CPUs at the start: "
                         "other work competes for the cores, so these figures are noisy")
    _say(f"{env['cpus']} CPUs, torch {env['torch']} with {env['torch_threads']} threads, "
         f"load average {env['load_average']}")

    models_before = _complete_model_dirs(settings.cache_dir)
    if index_is_current(settings):
        run.notes.append(f"index at {settings.index_dir} is current")
    else:
        _say(f"no current index at {settings.index_dir}; building it first")
        seconds, _ = _timed(lambda: build(settings, progress=False))
        run.notes.append(f"no current index at {settings.index_dir}: built it first, in {seconds:.1f} s")

    stream = QueryStream()
    _with_model(run, settings, models_before, stream, opts)  # the model is released when this returns
    if opts.skip_build:
        run.notes.append("index build not timed (--skip-build)")
    else:
        _section(run, "4 build", partial(bench_build, run, settings))

    elapsed = time.perf_counter() - t0
    env["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print()
    print(format_table(run.figures))
    for note in run.notes:
        print(f"note: {note}")
    sections = ", ".join(f"{k} {v:.1f} s (load {run.load_average[k]})" for k, v in run.sections_s.items())
    print(f"sections: {sections}; whole run {elapsed:.1f} s; {stream.issued} distinct queries")
    if opts.json_path:
        report = {
            "started_at": started_at, "elapsed_s": round(elapsed, 2), "quick": opts.quick,
            "options": {"samples": opts.samples, "cache_hit_samples": opts.hits,
                        "batch_reps": opts.batch_reps, "duration_s": opts.duration, "requests": opts.requests,
                        "clients": list(opts.clients), "load_clients": opts.load_clients,
                        "endpoint": opts.endpoint, "skip_build": opts.skip_build},
            "environment": env, "index_dir": str(settings.index_dir), "model": settings.model,
            "figures": [f.to_dict() for f in run.figures], "notes": run.notes, "sections_s": run.sections_s,
            "load_average_at_section_start": run.load_average,
            "failed_sections": run.failed,
        }
        opts.json_path.parent.mkdir(parents=True, exist_ok=True)
        opts.json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {opts.json_path}")
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
