"""The benchmark's pure helpers on hand-made numbers; the benchmark itself is too slow to run here.

Expected values are worked out by hand in the comments. Nothing here measures time.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from eval.bench import parse_args
from eval.bench_figures import Figure, Target, format_table, format_value, ratio, summarize
from eval.bench_load import EN_SUFFIXES, QUESTIONS, ZH_SUFFIXES, QueryStream, distinct_queries
from eval.server import parse_proc_status


def test_summarize_median_and_p95_by_hand() -> None:
    st = summarize([4.0, 1.0, 3.0, 2.0])
    assert st is not None
    assert st.n == 4
    assert st.median == 2.5  # between the 2nd and 3rd of 1, 2, 3, 4
    assert st.p95 == pytest.approx(3.85)  # position 3 × 0.95 = 2.85 → 3 + 0.85 × (4 − 3)
    assert (st.mean, st.min, st.max) == (2.5, 1.0, 4.0)


def test_summarize_twenty_values() -> None:
    st = summarize([float(v) for v in range(1, 21)])
    assert st is not None
    assert st.median == 10.5
    assert st.p95 == pytest.approx(19.05)  # position 19 × 0.95 = 18.05 → 19 + 0.05 × (20 − 19)


def test_summarize_one_and_none() -> None:
    st = summarize([7.0])
    assert st is not None and st.median == st.p95 == 7.0
    assert summarize([]) is None


def test_ratio() -> None:
    assert ratio(13.0, 10.0) == pytest.approx(1.3)
    assert ratio(None, 10.0) is None
    assert ratio(1.0, None) is None
    assert ratio(1.0, 0.0) is None
    assert ratio(float("nan"), 1.0) is None


@pytest.mark.parametrize(
    ("target", "value", "met"),
    [
        (Target("<=", 1.3, "≤ 1.3×"), 1.3, True),  # the bound itself meets an upper bound
        (Target("<=", 1.3, "≤ 1.3×"), 1.31, False),
        (Target(">=", 0.8, "≥ 0.8×"), 0.8, True),
        (Target(">=", 0.8, "≥ 0.8×"), 0.79, False),
        (Target("==", 0, "0"), 0, True),
        (Target("==", 0, "0"), 1, False),
    ],
)
def test_target(target: Target, value: float, met: bool) -> None:
    assert target.met(value) is met


def test_figure_status() -> None:
    limit = Target("<=", 2.0, "≤ 2 ms")
    assert Figure("s", "hit", 1.5, "ms", limit).status == "MET"
    assert Figure("s", "hit", 2.5, "ms", limit).status == "NOT MET"
    assert Figure("s", "hit", None, "ms", limit).status == "NOT MEASURED"
    assert Figure("s", "hit", float("nan"), "ms", limit).status == "NOT MEASURED"
    assert Figure("s", "info", 12.0, "ms").status == "—"
    assert Figure("s", "reused", "yes").status == "—"


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (1.234, "ms", "1.23 ms"),  # two decimals below 10 ms
        (123.456, "ms", "123.5 ms"),  # one above
        (1.25, "×", "1.25×"),
        (7.5, "s", "7.50 s"),
        (0.8123, "GB", "0.812 GB"),
        (42.04, "req/s", "42.0 req/s"),
        (0, "", "0"),
        ("yes", "", "yes"),
        (None, "ms", "n/a"),
        (float("nan"), "ms", "n/a"),
    ],
)
def test_format_value(value: float | int | str | None, unit: str, shown: str) -> None:
    assert format_value(value, unit) == shown


def test_format_table() -> None:
    figures = [
        Figure("2 in-process", "/search median / bare embed", 1.2, "×", Target("<=", 1.3, "≤ 1.3×")),
        Figure("3 HTTP", "cold start", 12.0, "s", Target("<=", 10.0, "≤ 10 s"), note="slow disk"),
        Figure("1 embed", "bare embed median", 20.0, "ms"),
    ]
    lines = format_table(figures).splitlines()
    assert lines[0].split() == ["section", "figure", "value", "target", "status"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].endswith("  1.20×    ≤ 1.3×  MET")
    assert lines[3].endswith("  12.00 s  ≤ 10 s  NOT MET  (slow disk)")
    assert lines[4].endswith("  20.0 ms  —       —")
    assert lines[-1] == "1 of 2 targets met"
    # Columns line up: every value starts where the header's "value" does.
    col = lines[0].index("value")
    assert all(line[col - 2 : col] == "  " and line[col] != " " for line in lines[2:5])


def test_figure_json() -> None:
    f = Figure("3 HTTP", "16 clients: errors", 0, "", Target("==", 0, "0"))
    assert json.loads(json.dumps(f.to_dict())) == {
        "section": "3 HTTP",
        "name": "16 clients: errors",
        "value": 0,
        "unit": "",
        "target": "0",
        "status": "MET",
        "note": "",
    }
    assert Figure("s", "x", float("nan"), "ms").to_dict()["value"] is None  # JSON has no NaN
    assert Figure("s", "x", 1.234567, "ms").to_dict()["value"] == 1.2346


def test_parse_proc_status() -> None:
    text = "Name:\tpython\nVmPeak:\t  900000 kB\nVmHWM:\t  600000 kB\nVmRSS:\t  512000 kB\nThreads:\t9\n"
    kib = 1024
    assert parse_proc_status(text) == {"VmPeak": 900000 * kib, "VmHWM": 600000 * kib, "VmRSS": 512000 * kib}
    assert parse_proc_status("") == {}


def test_queries_are_distinct_after_normalisation() -> None:
    from corpus.text import normalise as normalise_query

    queries = list(itertools.islice(distinct_queries(), 5000))
    assert len({normalise_query(q) for q in queries}) == len(queries)
    assert len(ZH_SUFFIXES) == len(EN_SUFFIXES)
    assert len(QUESTIONS) == 30
    # Consecutive queries cycle through the questions, so any stretch of the stream mixes them.
    assert queries[: len(QUESTIONS)] == list(QUESTIONS)


def test_query_stream_never_repeats() -> None:
    stream = QueryStream(["甲？", "b?"])
    got = stream.take(10) + [stream.next()]
    assert len(set(got)) == 11 and stream.issued == 11


def test_parse_args_quick_and_defaults(tmp_path: Path) -> None:
    quick = parse_args(["--quick", "--skip-build", "--json", str(tmp_path / "b.json")])
    assert (quick.samples, quick.duration, quick.cold_starts, quick.skip_build) == (6, 2.0, 1, True)
    assert quick.json_path == tmp_path / "b.json"
    full = parse_args([])
    assert (full.samples, full.duration, full.cold_starts, full.clients) == (30, 10.0, 3, (1, 4, 16))
    assert parse_args(["--duration", "3", "--cold-starts", "2"]).duration == 3.0
    with pytest.raises(SystemExit):
        parse_args(["--cold-starts", "0"])
