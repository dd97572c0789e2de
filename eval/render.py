"""The evaluation report for people: Markdown tables from the report dictionary `eval.scoring.build_report` makes.

The first table puts dev and test side by side for every headline metric, citeqa beside the baselines; then the
targets (on the test split), every metric over all questions, breakdowns by kind and language, and the failures of
the dev split, question by question. The test split appears in aggregate only: no line of the report names a test
question, so reading it to fix a failure never tunes on test. Sections other tools write into eval/REPORT.md
between keep markers survive a rewrite (`write_markdown`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from eval.scoring import HEADLINE, failure_category

# Rendering --------------------------------------------------------------------------------------------

ROWS = (
    ("hit@1", "hit@1 (answerable)"),
    ("hit@3", "hit@3 (answerable)"),
    ("hit@5", "hit@5 (answerable)"),
    ("mrr", "MRR (answerable)"),
    ("answer_accuracy", "answer accuracy (answerable; strict where wrong cells are listed)"),
    ("answer_accuracy_lenient", "answer accuracy, lenient (key anywhere)"),
    ("precision", "precision (right answers / answers given)"),
    ("coverage", "coverage (answerable questions answered)"),
    ("two_part_accuracy", "two-part accuracy (every key)"),
    ("standalone_accuracy", "standalone turns (not follow-ups) answered right"),
    ("twin_agreement", "twin agreement (zh and en right, same first citation)"),
    ("abstention_precision", "abstention precision"),
    ("abstention_recall", "abstention recall (unanswerable)"),
    ("false_abstention_rate", "false abstention rate (answerable) ↓"),
    ("overall_accuracy", "overall accuracy (all)"),
    ("chat_accuracy", "follow-up turns through /v1/chat/completions"),
    ("median_ms", "median ms per question ↓"),
    ("p95_ms", "p95 ms per question ↓"),
)
_BREAKDOWN_COLS = (
    "n",
    "hit@1",
    "hit@3",
    "hit@5",
    "mrr",
    "answer_accuracy",
    "answer_accuracy_lenient",
    "precision",
    "overall_accuracy",
    "chat_accuracy",
    "abstention_precision",
    "abstention_recall",
    "false_abstention_rate",
    "median_ms",
    "p95_ms",
)
_BREAKDOWN_HEAD = (
    "n",
    "hit@1",
    "hit@3",
    "hit@5",
    "MRR",
    "acc",
    "acc lenient",
    "precision",
    "overall",
    "chat",
    "abst P",
    "abst R",
    "false abst",
    "med ms",
    "p95 ms",
)


def fmt(value: Any, metric: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and not metric.endswith("_ms"):
        return str(value)
    if metric.endswith("_ms"):
        return f"{float(value):.1f}"
    return f"{float(value):.3f}"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return "n/a"
    if b == 0:
        return "—" if a == 0 else "∞"
    return f"×{a / b:.2f}"


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def comparison_table(report: dict[str, Any]) -> list[str]:
    systems = report["systems"]
    main = report["main"]
    others = [n for n in systems if n != main]
    head = ["metric", systems[main]["label"]]
    for n in others:
        head += [systems[n]["label"], f"{main} ÷ {n}"]
    rows = []
    for metric, name in ROWS:
        a = systems[main]["overall"].get(metric)
        row = [name, fmt(a, metric)]
        for n in others:
            b = systems[n]["overall"].get(metric)
            row += [fmt(b, metric), ratio(a, b)]
        rows.append(row)
    return _table(head, rows)


HEADLINE_NAMES = {
    "hit@1": "hit@1 (answerable)",
    "hit@5": "hit@5 (answerable)",
    "mrr": "MRR (answerable)",
    "answer_accuracy": "answer accuracy (answerable)",
    "en_answer_accuracy": "English answer accuracy",
    "table_accuracy": "table-cell answer accuracy (strict)",
    "followup_accuracy": "follow-up-turn accuracy, /ask",
    "followup_chat_accuracy": "follow-up-turn accuracy, /v1/chat/completions",
    "abstention_recall": "abstention recall (unanswerable)",
    "false_abstention_rate": "false abstention rate (answerable) ↓",
    "en_hit@5": "English hit@5",
    "citation_hit@1": "citation lookups hit@1",
    "precision": "precision (right answers / answers given)",
    "coverage": "coverage (answerable questions answered)",
    "two_part_accuracy": "two-part accuracy (every key)",
    "standalone_accuracy": "standalone turns, answered on their own",
    "twin_agreement": "twin agreement (zh and en, same first citation)",
}
_COUNTS = {  # how many questions each headline metric averages over, from the main system's summary
    "en_answer_accuracy": ("by_lang", "en", "answerable"),
    "en_hit@5": ("by_lang", "en", "answerable"),
    "table_accuracy": ("by_kind", "table", "answerable"),
    "followup_accuracy": ("by_kind", "followup", "n"),
    "followup_chat_accuracy": ("by_kind", "followup", "n"),
    "citation_hit@1": ("by_kind", "citation", "answerable"),
    "abstention_recall": (None, None, "unanswerable"),
    "precision": (None, None, "answered"),
    "two_part_accuracy": (None, None, "two_part"),
    "standalone_accuracy": (None, None, "standalone"),
    "twin_agreement": (None, None, "twin_facts"),
}


def _count(summary: dict[str, Any], metric: str) -> str:
    by, group, field = _COUNTS.get(metric, (None, None, "answerable"))
    source = summary["overall"] if by is None else summary.get(by, {}).get(str(group), {})
    return str(source.get(field, 0))


def split_table(report: dict[str, Any]) -> list[str]:
    """Every headline metric for dev and test side by side (all questions when the set has no split)."""
    systems = report["systems"]
    main = report["main"]
    splits = report.get("splits") or []
    columns = splits or ["all"]

    def summary(name: str, split: str) -> dict[str, Any]:
        found: dict[str, Any] = systems[name] if split == "all" else systems[name]["splits"][split]
        return found

    def value(name: str, split: str, metric: str) -> float | None:
        table = report["headline"] if split == "all" else report["headline_by_split"][split]
        found: float | None = table[name].get(metric)
        return found

    head = ["metric"] + [f"n {c}" for c in columns]
    for name in systems:
        head += [f"{systems[name]['label']} {c}" for c in columns]
    rows = []
    for metric in HEADLINE:
        row = [HEADLINE_NAMES.get(metric, metric)] + [_count(summary(main, c), metric) for c in columns]
        for name in systems:
            row += [fmt(value(name, c, metric), metric) for c in columns]
        rows.append(row)
    return _table(head, rows)


def targets_table(report: dict[str, Any]) -> list[str]:
    rows = []
    for t in report["targets"]:
        status = "n/a (no such questions)" if t["met"] is None else ("MET" if t["met"] else "**NOT MET**")
        wanted = f"{t['op']} {t['threshold']:.2f}"
        value = fmt(t["value"])
        if t.get("at"):
            at = t["at"]
            wanted += f" at {at['metric']} {at['op']} {at['threshold']:.2f}"
            value += f" (at {fmt(at['value'])})"
        rows.append([t["name"], wanted, value, status])
    lines = _table(
        ["target", "wanted", f"{report['main']} ({report.get('target_split', 'all')})", "status"], rows
    )
    missed = [t for t in report["targets"] if t["met"] is False]
    lines.append("")
    if missed:
        lines.append(
            f"**{len(missed)} of {len(report['targets'])} targets are not met:** "
            + "; ".join(
                f"{t['name']} is {fmt(t['value'])}, wanted {t['op']} {t['threshold']:.2f}" for t in missed
            )
            + "."
        )
    else:
        lines.append("All targets are met.")
    return lines


def breakdown_table(system: dict[str, Any], by: str) -> list[str]:
    rows = [[name] + [fmt(m.get(c), c) for c in _BREAKDOWN_COLS] for name, m in system[by].items()]
    rows.append(["**all**"] + [fmt(system["overall"].get(c), c) for c in _BREAKDOWN_COLS])
    return _table([by.removeprefix("by_")] + list(_BREAKDOWN_HEAD), rows)


def side_by_side(
    report: dict[str, Any], by: str, metrics: Sequence[str] = ("hit@5", "answer_accuracy")
) -> list[str]:
    systems = report["systems"]
    groups = list(systems[report["main"]][by])
    head = [by.removeprefix("by_")]
    for metric in metrics:
        head += [f"{metric} {n}" for n in systems]
    rows = []
    for g in groups:
        row = [g]
        for metric in metrics:
            row += [fmt(systems[n][by].get(g, {}).get(metric), metric) for n in systems]
        rows.append(row)
    return _table(head, rows)


def listed_questions(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-question rows a report may show: never a test question's, even in a report built with test detail."""
    return [r for r in report["questions"] if r.get("split") != "test"]


def failures_table(report: dict[str, Any], limit: int | None = None) -> list[str]:
    main = report["main"]
    listed = listed_questions(report)
    failing = [r for r in listed if r.get("failure")]
    counts: dict[str, int] = {}
    for r in failing:
        cat = failure_category(r["failure"])
        counts[cat] = counts.get(cat, 0) + 1
    lines = []
    by_split = report.get("failures_by_split", {})
    if "test" in by_split:
        # The count only: which test questions fail is not shown anywhere.
        n_test = report["meta"].get("test questions", "?")
        lines += [
            f"test: {by_split['test']} of {n_test} questions have a failure (held out: not listed).",
            "",
        ]
    if not listed and "test" in by_split and "dev" not in report.get("splits", []):
        # A test-only run: there is no dev question to list, and "0 of 0" would read as none failing.
        return lines + ["The dev split was not run: no question is listed (run it with `--split dev`)."]
    lines += [
        f"{len(failing)} of {len(listed)} {'dev ' if 'test' in by_split else ''}questions have a failure:",
        "",
    ]
    lines += [f"- {cat}: {n}" for cat, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    lines.append("")
    shown = failing if limit is None else failing[:limit]
    rows = []
    for r in shown:
        s = r[main]
        answer = " ".join(s["answer"].split())
        answer = answer if len(answer) <= 80 else answer[:80] + "…"
        rows.append(
            [
                r["id"],
                r.get("split") or "—",
                r["kind"],
                r["lang"],
                r["failure"],
                ", ".join(r["gold"]) or "—",
                r["key"] or "—",
                ", ".join(s["ranked"][:5]) or "—",
                answer.replace("|", "¦"),
            ]
        )
    lines += _table(
        ["id", "split", "kind", "lang", "what went wrong", "gold", "key", "cited (top 5)", "answer"], rows
    )
    if limit is not None and len(failing) > limit:
        lines.append(f"\n… and {len(failing) - limit} more (see the JSON report).")
    return lines


NOTES = [
    "answerable = gold is not empty; hit@k, MRR and answer accuracy are over answerable questions only.",
    "citeqa's ranked ids are its answer's citations in order; an item id matches its paragraph and vice versa.",
    "Fixed-size chunks carry no passage ids: a chunk counts as a hit when it contains the gold answer string "
    "(whitespace-insensitive, NFKC, case-folded).",
    "A baseline gives no answer text: its answer accuracy is whether the gold key is in its top-1 passage or "
    "chunk. Baselines never abstain, so their abstention recall is 0 and precision n/a.",
    "Follow-up turns: through /ask, citeqa gets each `history` question first in a fresh conversation "
    "(conversation_id), then the question; through /v1/chat/completions, the messages are the earlier user "
    "turns each followed by citeqa's own chat reply to it, then the question. The baselines search the history "
    "questions and the question joined by spaces. Time per question counts every /ask call it took.",
    "Strict answers: a question with `wrong` strings (a table cell; the other cells of its row or column) is "
    "answered correctly only when the key appears as a whole figure and none of the wrong strings does "
    "(eval.metrics.strict_answer_match); the lenient figure (key anywhere) is shown beside it.",
    "dev = tune and calibrate on it; test = no constant is chosen on it. Targets are checked on test. Failing "
    "questions are listed for dev only; test is reported in aggregate, and the JSON report has no per-question test "
    "rows unless built with test detail.",
    "Precision = right answers / answers given (an answer to an unanswerable question is given and wrong; an "
    "abstention is not given). Coverage = answerable questions answered / answerable questions.",
    "Two-part and list questions (`answers`) are right only with every key; two-part accuracy is over kind two_part.",
    "Follow-up turns include standalone turns (a turn with history that is not a follow-up and must be answered on "
    "its own); standalone accuracy is over those turns alone.",
    "Twin agreement = share of facts asked in Chinese and English (same `fact`) where every question is right and "
    "all cite the same passage first (for an unanswerable fact: all abstain).",
    "Abstention precision and recall are over all questions; false abstention rate = share of answerable "
    "questions abstained on. Overall accuracy = answerable answered correctly + unanswerable abstained on.",
    "Ratios are citeqa ÷ baseline; for rows marked ↓ lower is better.",
]


def render(
    report: dict[str, Any], failures_limit: int | None = None, title: str = "citeqa evaluation"
) -> str:
    meta = report["meta"]
    systems = report["systems"]
    main = report["main"]
    lines = [f"# {title}", ""]
    lines.append(" · ".join(f"{k}: {v}" for k, v in meta.items() if not isinstance(v, dict | list)))
    lines += [
        "",
        "## Headline, dev and test side by side" + (", citeqa and the baselines" if len(systems) > 1 else ""),
        "",
    ]
    lines += split_table(report)
    lines += ["", f"## Targets ({report.get('target_split', 'all')} split)", ""]
    lines += targets_table(report)
    lines += ["", "## Every metric, all questions", ""]
    lines += comparison_table(report)
    if len(systems) > 1:
        for by in ("by_kind", "by_lang"):
            lines += ["", f"## Side by side, {by.replace('_', ' ')}", ""]
            lines += side_by_side(report, by)
    for system in systems.values():
        for by in ("by_kind", "by_lang"):
            lines += ["", f"## {system['label']}, {by.replace('_', ' ')}", ""]
            lines += breakdown_table(system, by)
    lines += [
        "",
        f"## Where {main} fails (dev split)"
        if "test" in report.get("splits", [])
        else f"## Where {main} fails",
        "",
    ]
    lines += failures_table(report, failures_limit)
    lines += ["", "## How the numbers are computed", ""]
    lines += [f"- {n}" for n in NOTES]
    return "\n".join(lines) + "\n"


# Sections written by hand (an analysis, say) survive a rewrite of the report: each sits between
# `<!-- keep:NAME -->` and `<!-- /keep:NAME -->` and is carried over as it is.
_KEEP = re.compile(r"<!-- keep:(?P<name>[\w-]+) -->.*?<!-- /keep:(?P=name) -->", re.S)


def write_markdown(path: Path, text: str) -> None:
    """Write the report, carrying over the kept sections of the file it replaces."""
    kept = [m.group(0) for m in _KEEP.finditer(path.read_text(encoding="utf-8"))] if path.exists() else []
    path.write_text(text + "".join(f"\n{block}\n" for block in kept), encoding="utf-8")


def dump_json(report: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
