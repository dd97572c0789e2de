"""eval/abuse.py's pure parts (percentiles, error kinds, metric series, /proc parsing, the run sizes), on
hand-made inputs; the abuse run itself needs a real server and is a benchmark, not a test."""

from __future__ import annotations

from eval.abuse import FULL, QUICK, error_kinds, percentiles_ms, series_count, threads_of


def test_abuse_report_parts() -> None:
    assert percentiles_ms([]) is None
    p50, p95, p99 = percentiles_ms([i / 1000 for i in range(1, 101)]) or (0.0, 0.0, 0.0)
    assert (round(p50, 1), round(p95, 2), round(p99, 2)) == (50.5, 95.05, 99.01)
    assert error_kinds(
        ['search 503: {"detail": "busy"}', "ask 503: x", "search 503: y", "ask: ReadTimeout: timed out"]
    ) == {"search 503": 2, "ask 503": 1, "ask ReadTimeout": 1}
    page = '# HELP a x\n# TYPE a counter\na_total{route="/x"} 1.0\na_created{route="/x"} 2.0\n\n'
    assert series_count(page) == 2
    assert threads_of("Name:\tpython\nThreads:\t44\nVmRSS:\t1 kB\n") == 44
    assert FULL.client_counts == (16, 64) and FULL.load_s == 30 and FULL.reloads == 200
    assert FULL.junk_paths == 500 and FULL.idle_connections == 3000
    assert all(
        getattr(QUICK, f) <= getattr(FULL, f) for f in ("load_s", "reloads", "junk_paths", "idle_connections")
    )
