"""The regression check: citeqa's headline metrics against the committed baseline (eval/baseline-report.json).

    python -m eval.regression                      # run citeqa on eval/questions.jsonl and compare
    python -m eval.regression --report OUT.json    # compare a report the runner already wrote
    python -m eval.regression --report OUT.json --write   # make that report the committed baseline

A metric regresses when it is worse than the baseline by more than `TOLERANCE` (absolute). Latency is not
compared: it depends on the machine. The test in tests/test_eval_regression.py runs this in CI.
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

# Absolute drop allowed before a headline metric counts as regressed (the false abstention rate: rise), compared
# over the whole set (dev and test together: more questions than either, so less noise). On eval/questions.jsonl
# (525 answerable, 61 unanswerable, 118 follow-up turns, 83 table cells, 177 answerable English) 0.02 lets
# through about 10 answerable questions for hit@k, MRR and accuracy, 3 English answers, 2 follow-up turns and 1
# table cell, so a tie-break flip passes and a real loss fails; two lost abstentions (2/61 = 0.033) or one lost
# citation lookup (1/46 = 0.022) fail on purpose. Improvements never fail: re-run with --write to raise the bar.
TOLERANCE = 0.02
_EPS = 1e-9


def compare(current: Mapping[str, float | None], baseline: Mapping[str, float | None],
            tolerance: float = TOLERANCE) -> list[str]:
    """One message per headline metric worse than the baseline by more than `tolerance`; [] when none is."""
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
        drop = base - value if higher_is_better else value - base
        if drop > tolerance + _EPS:
            way = "fell" if higher_is_better else "rose"
            problems.append(f"{name} {way} from {base:.3f} to {value:.3f} "
                            f"(by {drop:.3f}; tolerance {tolerance:.3f})")
    return problems


def baseline_record(report: Mapping[str, Any]) -> dict[str, Any]:
    """What is committed: citeqa's headline, every system's headline for reference, and the run's facts."""
    main = report["main"]
    return {
        "tolerance": TOLERANCE,
        "set": report["meta"].get("set"),
        "split": report["meta"].get("split", "all"),
        "questions": report["meta"].get("questions"),
        "model": report["meta"].get("model"),
        "generated": report["meta"].get("generated"),
        "commit": report["meta"].get("commit"),
        "index_fingerprint": report["meta"].get("index_fingerprint"),
        "headline": report["headline"][main],
        "headline_by_split": {split: by_system[main]
                              for split, by_system in report.get("headline_by_split", {}).items()},
        "baselines": {name: h for name, h in report["headline"].items() if name != main},
        "target_split": report.get("target_split", "all"),
        "targets": [{k: t[k] for k in ("name", "op", "threshold", "value", "met")} for t in report["targets"]],
    }


def load_baseline(path: Path = BASELINE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def run_current(settings: Any = None, set_path: Path = DEFAULT_SET) -> dict[str, Any]:
    """citeqa alone (no baselines) on the set: the report the runner would write."""
    from eval.runner import display_path, evaluate, load_questions
    from service.settings import Settings

    return evaluate(settings or Settings(), load_questions(set_path), baselines=False,
                    set_name=display_path(set_path), progress=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.regression", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", help="a JSON report from `citeqa eval --json`; default: run citeqa now")
    parser.add_argument("--baseline", default=str(BASELINE))
    parser.add_argument("--write", action="store_true", help="write the report's headline as the baseline")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))

    report = json.loads(Path(args.report).read_text(encoding="utf-8")) if args.report else run_current()
    if args.write:
        Path(args.baseline).write_text(json.dumps(baseline_record(report), ensure_ascii=False, indent=2) + "\n",
                                       encoding="utf-8")
        print(f"baseline written to {args.baseline}")
        return 0
    baseline = load_baseline(Path(args.baseline))
    current = report["headline"][report["main"]]
    problems = compare(current, baseline["headline"])
    for name in HEADLINE:
        base, now = baseline["headline"].get(name), current.get(name)
        shown = [("n/a" if v is None else f"{v:.3f}") for v in (base, now)]
        print(f"{name:24} baseline {shown[0]:>6}  now {shown[1]:>6}")
    if problems:
        print("REGRESSION:\n" + "\n".join(f"  {p}" for p in problems), file=sys.stderr)
        return 1
    print(f"no headline metric worse than the baseline by more than {TOLERANCE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
