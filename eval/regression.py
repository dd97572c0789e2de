"""The regression check: citeqa's headline metrics on the test split against the committed baseline
(eval/baseline-report.json).

    python -m eval.regression                      # run citeqa on eval/questions.jsonl and compare
    python -m eval.regression --report OUT.json    # compare a report the runner already wrote
    python -m eval.regression --report OUT.json --write   # make that report the committed baseline

`--write` refuses (exit 2) a report without a test split: the baseline holds test aggregates.

What is compared are aggregates of the test split (`GATE_SPLIT`; every question when a set has no split), never a
question's answer: the baseline keeps headline figures only. A metric regresses when it is worse than the baseline
by more than its tolerance (absolute; `TOLERANCE`, or `TOLERANCES` for the metrics over few questions). A metric the
baseline has no figure for is not compared (it is named, so that a baseline from before it existed shows). Latency
is not compared: it depends on the machine. The test in tests/test_eval_regression.py runs this in CI.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.scoring import HEADLINE

BASELINE = Path(__file__).with_name("baseline-report.json")
DEFAULT_SET = Path(__file__).with_name("questions.jsonl")

# The split the gate compares: the held-out one. Dev is what the reader is tuned on, so its figures say little.
GATE_SPLIT = "test"

# Absolute drop allowed before a headline metric counts as regressed (the false abstention rate: rise), on the test
# split of eval/questions.jsonl (802 questions: 712 answerable, 90 unanswerable, 200 follow-up turns, 121 table
# cells, 298 answerable English, 56 citation lookups, 107 facts asked in both languages). 0.02 lets through about 14
# answerable questions for hit@k, MRR, accuracy, precision and coverage, 5 English answers, 4 follow-up turns and 2
# table cells, so a tie-break flip passes and a real loss fails; one lost abstention (1/90 = 0.011), citation
# lookup (1/56 = 0.018) or twin (1/107) passes, two fail. Improvements never fail: re-run with --write to raise the bar.
TOLERANCE = 0.02
# Metrics over few test questions, where one question moves the figure by more than TOLERANCE: one flip passes,
# two fail (38 two-part questions: 1/38 = 0.026, 2/38 = 0.053; 10 standalone turns: 1/10 = 0.1, 2/10 = 0.2).
TOLERANCES: dict[str, float] = {"two_part_accuracy": 0.05, "standalone_accuracy": 0.15}
_EPS = 1e-9


def tolerance_of(name: str, tolerance: float = TOLERANCE) -> float:
    return max(tolerance, TOLERANCES.get(name, 0.0))


def compare(
    current: Mapping[str, float | None], baseline: Mapping[str, float | None], tolerance: float = TOLERANCE
) -> list[str]:
    """One message per headline metric worse than the baseline by more than its tolerance; [] when none is."""
    problems = []
    for name, (_, _, higher_is_better) in HEADLINE.items():
        base_value = baseline.get(name)
        if base_value is None:
            continue  # the baseline has no figure for it (e.g. a set without English questions)
        base = float(base_value)
        value = current.get(name)
        if value is None:
            problems.append(f"{name}: missing from the current run (baseline {base:.3f})")
            continue
        allowed = tolerance_of(name, tolerance)
        drop = base - value if higher_is_better else value - base
        if drop > allowed + _EPS:
            way = "fell" if higher_is_better else "rose"
            problems.append(
                f"{name} {way} from {base:.3f} to {value:.3f} (by {drop:.3f}; tolerance {allowed:.3f})"
            )
    return problems


def not_in_baseline(baseline: Mapping[str, float | None]) -> list[str]:
    """Headline metrics the baseline has no key for (written before they existed): not compared until --write."""
    return [name for name in HEADLINE if name not in baseline]


def gate_headline(report: Mapping[str, Any]) -> dict[str, float | None]:
    """citeqa's headline on the gate split of a runner report (every question when the set has no split)."""
    main = report["main"]
    if GATE_SPLIT in (report.get("splits") or []):
        return dict(report["headline_by_split"][GATE_SPLIT][main])
    return dict(report["headline"][main])


def baseline_gate(baseline: Mapping[str, Any]) -> dict[str, float | None]:
    """The committed baseline's figures on the gate split. A baseline written before the gate compared test alone
    (no `gate_split`) has them under `headline_by_split`; its `headline` is over every question."""
    if "gate_split" in baseline:
        return dict(baseline["headline"])
    by_split = baseline.get("headline_by_split") or {}
    return dict(by_split[GATE_SPLIT] if GATE_SPLIT in by_split else baseline["headline"])


def baseline_record(report: Mapping[str, Any]) -> dict[str, Any]:
    """What is committed: citeqa's headline on the gate split (what the gate compares), its headline per split and
    every system's for reference, and the run's facts. Aggregates only: no question's answer."""
    main = report["main"]
    return {
        "tolerance": TOLERANCE,
        "tolerances": TOLERANCES,
        "gate_split": GATE_SPLIT if GATE_SPLIT in (report.get("splits") or []) else "all",
        "set": report["meta"].get("set"),
        "split": report["meta"].get("split", "all"),
        "questions": report["meta"].get("questions"),
        "model": report["meta"].get("model"),
        "generated": report["meta"].get("generated"),
        "commit": report["meta"].get("commit"),
        "index_fingerprint": report["meta"].get("index_fingerprint"),
        "headline": gate_headline(report),
        "headline_all": report["headline"][main],
        "headline_by_split": {
            split: by_system[main] for split, by_system in report.get("headline_by_split", {}).items()
        },
        "baselines": {name: h for name, h in report["headline"].items() if name != main},
        "target_split": report.get("target_split", "all"),
        "targets": [
            {k: t[k] for k in ("name", "op", "threshold", "value", "met")} for t in report["targets"]
        ],
    }


def load_baseline(path: Path = BASELINE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def run_current(settings: Any = None, set_path: Path = DEFAULT_SET) -> dict[str, Any]:
    """citeqa alone (no baselines) on the set: the report the runner would write."""
    from eval.runner import display_path, evaluate, load_questions
    from service.settings import Settings

    return evaluate(
        settings or Settings(),
        load_questions(set_path),
        baselines=False,
        set_name=display_path(set_path),
        progress=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.regression",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--report", help="a JSON report from `citeqa eval --json`; default: run citeqa now")
    parser.add_argument("--baseline", default=str(BASELINE))
    parser.add_argument("--write", action="store_true", help="write the report's headline as the baseline")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))

    report = json.loads(Path(args.report).read_text(encoding="utf-8")) if args.report else run_current()
    if args.write:
        if GATE_SPLIT not in (report.get("splits") or []):
            # A dev-only run (or a set without splits) would make the gate compare figures tuned on.
            print(
                f"eval.regression: refusing --write: the report has no {GATE_SPLIT} split "
                f"(splits: {', '.join(report.get('splits') or []) or 'none'}): the baseline holds test aggregates",
                file=sys.stderr,
            )
            return 2
        Path(args.baseline).write_text(
            json.dumps(baseline_record(report), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        print(f"baseline written to {args.baseline}")
        return 0
    baseline = baseline_gate(load_baseline(Path(args.baseline)))
    current = gate_headline(report)
    problems = compare(current, baseline)
    print(
        f"headline metrics on the {GATE_SPLIT if GATE_SPLIT in (report.get('splits') or []) else 'whole'} split"
    )
    for name in HEADLINE:
        base, now = baseline.get(name), current.get(name)
        shown = [("n/a" if v is None else f"{v:.3f}") for v in (base, now)]
        print(f"{name:24} baseline {shown[0]:>6}  now {shown[1]:>6}")
    missing = not_in_baseline(baseline)
    if missing:
        print(f"not compared (no figure in the baseline; refresh it with --write): {', '.join(missing)}")
    if problems:
        print("REGRESSION:\n" + "\n".join(f"  {p}" for p in problems), file=sys.stderr)
        return 1
    print(
        f"no headline metric worse than the baseline by more than its tolerance ({TOLERANCE}, or {TOLERANCES})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
