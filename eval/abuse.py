"""`python -m eval.abuse [--quick]`: the service under abuse, in one run, on 127.0.0.1 only.

Starts the service as it ships (`citeqa serve`, so with the uvicorn options of service/runtime/server_config.py)
on a free loopback port, then prints:

1. 16 and 64 keep-alive clients for 30 s each, mixing /search and /ask: throughput, p50/p95/p99, errors by
   status, the server's threads and resident memory before, right after, and after the idle pool threads left;
2. 200 reload-then-query cycles: threads and memory before and after;
3. 500 distinct junk paths: /metrics series before and after;
4. 3 000 idle connections: how many the server closed at once, and how long until it had dropped them all;
   then whether a fresh request is served.

Every loop is bounded by a count and a time. The rate limit is switched off for the run (every client shares
one address and would share one bucket); `--quick` runs each part small, for a smoke test.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.bench_load import QueryStream, run_clients
from eval.server import ROOT, Server, free_port, parse_proc_status

IDLE_POOL_S = 11.0  # anyio's idle worker threads leave after 10 s


@dataclass(frozen=True)
class Plan:
    load_s: float
    client_counts: tuple[int, ...]
    reloads: int
    junk_paths: int
    idle_connections: int
    idle_wait_s: float


FULL = Plan(
    load_s=30.0, client_counts=(16, 64), reloads=200, junk_paths=500, idle_connections=3000, idle_wait_s=30.0
)
QUICK = Plan(
    load_s=3.0, client_counts=(4, 16), reloads=5, junk_paths=50, idle_connections=100, idle_wait_s=15.0
)


# ------------------------------------------------------------------------------------- pure parts


def percentiles_ms(latencies_s: Sequence[float]) -> tuple[float, float, float] | None:
    """p50, p95, p99 in milliseconds, or None when nothing succeeded."""
    if not latencies_s:
        return None
    p50, p95, p99 = np.percentile(np.asarray(latencies_s) * 1000, [50, 95, 99])
    return float(p50), float(p95), float(p99)


def error_kinds(errors: Sequence[str]) -> dict[str, int]:
    """`run_clients` errors ("search 503: …", "ask: ReadTimeout: …") counted by endpoint and status or exception."""
    kinds: Counter[str] = Counter()
    for err in errors:
        head = err.split(":", 2)
        kind = head[0].strip() if head[0].strip().count(" ") == 1 else f"{head[0].strip()} {head[1].strip()}"
        kinds[kind] += 1
    return dict(kinds)


def series_count(metrics_text: str) -> int:
    """Sample lines in a Prometheus text page (comments excluded)."""
    return sum(1 for line in metrics_text.splitlines() if line and not line.startswith("#"))


def threads_of(status_text: str) -> int:
    for line in status_text.splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def describe(label: str, before: dict[str, int], after: dict[str, int]) -> str:
    return (
        f"{label}: threads {before.get('threads', 0)} → {after.get('threads', 0)}, "
        f"RSS {before.get('VmRSS', 0) / 2**20:.0f} → {after.get('VmRSS', 0) / 2**20:.0f} MB"
    )


# ------------------------------------------------------------------------------------- the server


class ShippedServer(Server):
    """`citeqa serve` on loopback: the server configuration that ships, not a bare uvicorn."""

    def start(self) -> None:
        cmd = [sys.executable, "-m", "citeqa_cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        env = {**os.environ, "CITEQA_RATE_LIMIT_PER_MIN": "0"}
        with self.log_path.open("wb") as log:
            self.started = time.perf_counter()
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )

    def sample(self) -> dict[str, int]:
        assert self.proc is not None
        try:
            text = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return {}
        return {**parse_proc_status(text), "threads": threads_of(text)}


# ------------------------------------------------------------------------------------- the parts


def load(server: ShippedServer, plan: Plan) -> None:
    stream = QueryStream()
    for clients in plan.client_counts:
        before = server.sample()
        result = run_clients(
            server.base_url,
            {},
            clients,
            stream,
            max_requests=10**9,
            max_seconds=plan.load_s,
            endpoint="mixed",
        )
        right_after = server.sample()
        time.sleep(IDLE_POOL_S)
        idle = server.sample()
        lat = [v for vs in result.latencies_s.values() for v in vs]
        pct = percentiles_ms(lat)
        pct_text = "no successes" if pct is None else "p50/p95/p99 {:.0f}/{:.0f}/{:.0f} ms".format(*pct)
        print(
            f"load, {clients} keep-alive clients, {result.elapsed_s:.0f} s: {result.ok} answered, "
            f"{result.throughput:.1f} req/s, {pct_text}; errors {len(result.errors)} "
            f"{error_kinds(result.errors)}"
        )
        print("  " + describe("right after", before, right_after))
        print("  " + describe(f"after {IDLE_POOL_S:.0f} s idle", before, idle))


def reloads(server: ShippedServer, plan: Plan) -> None:
    import httpx

    with httpx.Client(base_url=server.base_url, timeout=60, trust_env=False) as c:
        c.get("/search", params={"q": "裁军事务厅"})
        before = server.sample()
        start = time.perf_counter()
        codes: Counter[int] = Counter()
        for i in range(plan.reloads):
            codes[c.post("/reload").status_code] += 1
            codes[c.get("/search", params={"q": f"裁军事务厅 {i}"}).status_code] += 1
        took = time.perf_counter() - start
        after = server.sample()
    print(f"{plan.reloads} reload-then-search cycles in {took:.0f} s: statuses {dict(codes)}")
    print("  " + describe("reloads", before, after))


def junk(server: ShippedServer, plan: Plan) -> None:
    import httpx

    with httpx.Client(base_url=server.base_url, timeout=10, trust_env=False) as c:
        c.get("/nope-warm")
        c.get("/metrics")
        before = series_count(c.get("/metrics").text)
        statuses: Counter[int] = Counter(c.get(f"/nope{i}/x{i}").status_code for i in range(plan.junk_paths))
        after = series_count(c.get("/metrics").text)
    print(f"{plan.junk_paths} distinct junk paths ({dict(statuses)}): /metrics series {before} → {after}")


@contextlib.contextmanager
def _open_files(wanted: int) -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = soft if hard != resource.RLIM_INFINITY and hard < wanted else max(soft, wanted)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def idle(server: ShippedServer, plan: Plan) -> None:
    import httpx

    with _open_files(plan.idle_connections + 256):
        socks: list[socket.socket] = []
        refused = 0
        for _ in range(plan.idle_connections):
            try:
                s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            except OSError:
                refused += 1
                continue
            s.setblocking(False)
            socks.append(s)
        opened = time.perf_counter()
        time.sleep(0.5)
        at_once = sum(_closed(s) for s in socks)
        open_left = [s for s in socks if not _closed(s)]
        while open_left and time.perf_counter() - opened < plan.idle_wait_s:
            time.sleep(0.25)
            open_left = [s for s in open_left if not _closed(s)]
        all_gone = time.perf_counter() - opened
        for s in socks:
            s.close()
    with httpx.Client(base_url=server.base_url, timeout=30, trust_env=False) as c:
        fresh = c.get("/search", params={"q": "裁军事务厅"}).status_code
    held = len(open_left)
    print(
        f"{plan.idle_connections} idle connections: {len(socks)} accepted, {refused} refused; "
        f"{at_once} closed within 0.5 s; "
        + (f"all dropped after {all_gone:.1f} s" if not held else f"{held} still held after {all_gone:.0f} s")
        + f"; a fresh /search then: {fresh}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.abuse", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="each part small: a smoke run")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="citeqa-abuse-") as tmp:
        server = ShippedServer(Path(tmp) / "server.log", port=free_port())
        server.start()
        try:
            ready = server.wait_ready(600, {})
            print(
                f"server ready in {ready:.1f} s (pid {server.proc.pid if server.proc else '?'}); "
                + describe("at start", {}, server.sample())
            )
            load(server, plan)
            reloads(server, plan)
            junk(server, plan)
            idle(server, plan)
            print("  " + describe("at the end", {}, server.sample()))
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
