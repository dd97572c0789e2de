"""Scoring predictions against an evaluation set, and the report: tables for people, JSON for machines.

Pure functions: the runner (`eval.runner`) produces one :class:`Prediction` per question and system; this module
scores them with `eval.metrics`, aggregates overall, by kind and by language, checks the targets, and renders.

Definitions used throughout (stated again in the rendered report):

* answerable = a question with gold passages; unanswerable = empty gold (DESIGN.md §3).
* hit@k, MRR: answerable questions only. A system that matches by id (citeqa's citations, BM25's passages) hits
  when a ranked id matches a gold id (`eval.metrics.id_matches`: a paragraph matches its items and vice versa);
  one that matches by text (fixed-size chunks) hits when a ranked chunk contains the gold answer string.
* answer accuracy: answerable questions only; correct when the system did not abstain and its answer contains
  the key (`eval.metrics.answer_match`). A baseline's "answer" is the text of its top-1 unit.
* abstention precision/recall over all questions, the unanswerable ones being those that should be abstained
  on; false abstention rate = share of answerable questions abstained on. Precision is n/a with no abstentions,
  recall n/a with no unanswerable questions.
* overall accuracy: answerable answered correctly plus unanswerable abstained on, over all questions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from eval.metrics import abstention_precision_recall, answer_match, id_matches, median, normalize_text, p95

KS = (1, 3, 5)
Match = Literal["id", "text"]
Metrics = dict[str, Any]


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    lang: str
    kind: str
    gold: list[str]
    answer: str
    history: list[str] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return bool(self.gold)

    @classmethod
    def from_dict(cls, rec: dict[str, Any]) -> Question:
        return cls(id=rec["id"], question=rec["question"], lang=rec["lang"], kind=rec["kind"],
                   gold=list(rec["gold"]), answer=rec["answer"], history=list(rec.get("history") or []))


@dataclass
class Prediction:
    """What one system did with one question."""

    ranked_ids: list[str]
    answer: str
    abstained: bool
    seconds: float
    ranked_texts: list[str] = field(default_factory=list)  # needed when the system matches by text
    resolved_question: str | None = None
    error: str | None = None


def first_hit_rank(pred: Prediction, q: Question, match: Match) -> int | None:
    """1-based rank of the first ranked unit that counts as a hit, or None."""
    if match == "id":
        for rank, cited in enumerate(pred.ranked_ids, start=1):
            if any(id_matches(cited, g) for g in q.gold):
                return rank
        return None
    key = normalize_text(q.answer)
    if not key:
        return None
    for rank, text in enumerate(pred.ranked_texts, start=1):
        if key in normalize_text(text):
            return rank
    return None


def score(q: Question, pred: Prediction, match: Match) -> dict[str, Any]:
    """One question's scores for one system (retrieval fields are None for unanswerable questions)."""
    out: dict[str, Any] = {
        "ranked": pred.ranked_ids[:10],
        "answer": pred.answer if len(pred.answer) <= 600 else pred.answer[:600] + "…",
        "abstained": pred.abstained,
        "ms": round(pred.seconds * 1000, 2),
    }
    if pred.resolved_question:
        out["resolved_question"] = pred.resolved_question
    if pred.error:
        out["error"] = pred.error
    if q.answerable:
        rank = first_hit_rank(pred, q, match)
        out["rank"] = rank
        for k in KS:
            out[f"hit@{k}"] = 1.0 if rank is not None and rank <= k else 0.0
        out["rr"] = 0.0 if rank is None else 1.0 / rank
        out["correct"] = pred.error is None and not pred.abstained and answer_match(pred.answer, q.answer)
    else:
        out["rank"] = None
        for k in KS:
            out[f"hit@{k}"] = None
        out["rr"] = None
        out["correct"] = pred.error is None and pred.abstained
    return out


def _mean(values: Iterable[float]) -> float | None:
    vals = list(values)
    return sum(vals) / len(vals) if vals else None


def aggregate(rows: Sequence[tuple[Question, dict[str, Any]]]) -> Metrics:
    """Metrics over (question, score) pairs; None where a metric has nothing to average."""
    ans = [s for q, s in rows if q.answerable]
    una = [s for q, s in rows if not q.answerable]
    m: Metrics = {"n": len(rows), "answerable": len(ans), "unanswerable": len(una)}
    for k in KS:
        m[f"hit@{k}"] = _mean(s[f"hit@{k}"] for s in ans)
    m["mrr"] = _mean(s["rr"] for s in ans)
    m["answer_accuracy"] = _mean(float(s["correct"]) for s in ans)
    abstained = [bool(s["abstained"]) for _, s in rows]
    should = [not q.answerable for q, _ in rows]
    precision, recall = abstention_precision_recall(abstained, should) if rows else (1.0, 1.0)
    m["abstentions"] = sum(abstained)
    m["abstention_precision"] = precision if any(abstained) else None
    m["abstention_recall"] = recall if una else None
    m["false_abstention_rate"] = _mean(float(s["abstained"]) for s in ans)
    m["overall_accuracy"] = _mean(float(s["correct"]) for _, s in rows)
    m["errors"] = sum(1 for _, s in rows if s.get("error"))
    times = [s["ms"] for _, s in rows]
    m["median_ms"] = round(median(times), 2) if times else None
    m["p95_ms"] = round(p95(times), 2) if times else None
    return m


def breakdown(rows: Sequence[tuple[Question, dict[str, Any]]], key: Callable[[Question], str]) -> dict[str, Metrics]:
    groups: dict[str, list[tuple[Question, dict[str, Any]]]] = {}
    for q, s in rows:
        groups.setdefault(key(q), []).append((q, s))
    return {name: aggregate(group) for name, group in sorted(groups.items())}


# Targets and headline -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    group: tuple[str, str] | None  # ("by_lang", "en"), ("by_kind", "citation") or None for overall
    metric: str
    op: Literal[">=", "<="]
    threshold: float


TARGETS = (
    Target("hit@5, answerable questions", None, "hit@5", ">=", 0.97),
    Target("hit@1, answerable questions", None, "hit@1", ">=", 0.85),
    Target("answer accuracy, answerable questions", None, "answer_accuracy", ">=", 0.85),
    Target("hit@5, English questions", ("by_lang", "en"), "hit@5", ">=", 0.90),
    Target("abstention recall, unanswerable questions", None, "abstention_recall", ">=", 0.85),
    Target("false abstention rate, answerable questions", None, "false_abstention_rate", "<=", 0.05),
    Target("citation lookups (kind citation): hit@1", ("by_kind", "citation"), "hit@1", ">=", 1.0),
    Target("citation lookups (kind citation): answer accuracy", ("by_kind", "citation"), "answer_accuracy",
           ">=", 1.0),
)

# The metrics the committed baseline keeps and the regression check compares; `False` = lower is better.
HEADLINE: dict[str, tuple[tuple[str, str] | None, str, bool]] = {
    "hit@1": (None, "hit@1", True),
    "hit@5": (None, "hit@5", True),
    "mrr": (None, "mrr", True),
    "answer_accuracy": (None, "answer_accuracy", True),
    "abstention_recall": (None, "abstention_recall", True),
    "false_abstention_rate": (None, "false_abstention_rate", False),
    "en_hit@5": (("by_lang", "en"), "hit@5", True),
    "citation_hit@1": (("by_kind", "citation"), "hit@1", True),
}


def lookup(system: dict[str, Any], group: tuple[str, str] | None, metric: str) -> float | None:
    if group is None:
        value = system["overall"].get(metric)
    else:
        value = system.get(group[0], {}).get(group[1], {}).get(metric)
    return None if value is None else float(value)


def check_targets(system: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for t in TARGETS:
        value = lookup(system, t.group, t.metric)
        if value is None:
            met: bool | None = None
        else:
            met = value >= t.threshold - 1e-9 if t.op == ">=" else value <= t.threshold + 1e-9
        out.append({"name": t.name, "metric": t.metric, "group": list(t.group) if t.group else None,
                    "op": t.op, "threshold": t.threshold, "value": value, "met": met})
    return out


def headline(system: dict[str, Any]) -> dict[str, float | None]:
    return {name: lookup(system, group, metric) for name, (group, metric, _) in HEADLINE.items()}


# Failures ---------------------------------------------------------------------------------------------


def failure(q: Question, s: dict[str, Any]) -> str | None:
    """What went wrong for citeqa on one question, in words, or None when nothing did."""
    rank = s.get("rank")
    if s.get("error"):
        return f"request failed: {s['error']}"
    if not q.answerable:
        return None if s["abstained"] else "answered an unanswerable question"
    where = f"gold at rank {rank}" if rank else "gold not cited"
    if s["abstained"]:
        return f"false abstention ({where})"
    if not s["correct"]:
        if rank is None:
            return "wrong passage: gold not cited"
        if rank == 1:
            return "right passage, answer sentence lacks the key"
        return f"answered from a wrong passage ({where})"
    if rank != 1:
        return f"answer correct, but gold not cited first ({where})"
    return None


def failure_category(text: str) -> str:
    """The failure with its particulars (ranks, messages) dropped, for counting."""
    return text.split(" (")[0].split(":")[0] if not text.startswith("wrong passage") else text


# The report ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SystemInfo:
    name: str
    label: str
    match: Match


def build_report(questions: Sequence[Question], predictions: dict[str, list[Prediction]],
                 systems: Sequence[SystemInfo], meta: dict[str, Any]) -> dict[str, Any]:
    """Everything: per-system metrics (overall, by kind, by language), targets, headline, per-question rows."""
    report: dict[str, Any] = {"meta": meta, "systems": {}, "questions": []}
    scored: dict[str, list[dict[str, Any]]] = {}
    for info in systems:
        preds = predictions[info.name]
        if len(preds) != len(questions):
            raise ValueError(f"{info.name}: {len(preds)} predictions for {len(questions)} questions")
        scored[info.name] = [score(q, p, info.match) for q, p in zip(questions, preds, strict=True)]
        rows = list(zip(questions, scored[info.name], strict=True))
        report["systems"][info.name] = {
            "label": info.label, "match": info.match, "overall": aggregate(rows),
            "by_kind": breakdown(rows, lambda q: q.kind), "by_lang": breakdown(rows, lambda q: q.lang),
        }
    main = systems[0].name
    report["main"] = main
    report["targets"] = check_targets(report["systems"][main])
    report["headline"] = {info.name: headline(report["systems"][info.name]) for info in systems}
    for i, q in enumerate(questions):
        row: dict[str, Any] = {"id": q.id, "kind": q.kind, "lang": q.lang, "question": q.question,
                               "gold": q.gold, "key": q.answer}
        if q.history:
            row["history"] = q.history
        for info in systems:
            row[info.name] = scored[info.name][i]
        fail = failure(q, scored[main][i])
        if fail:
            row["failure"] = fail
        report["questions"].append(row)
    return report


# Rendering --------------------------------------------------------------------------------------------

ROWS = (
    ("hit@1", "hit@1 (answerable)"),
    ("hit@3", "hit@3 (answerable)"),
    ("hit@5", "hit@5 (answerable)"),
    ("mrr", "MRR (answerable)"),
    ("answer_accuracy", "answer accuracy (answerable)"),
    ("abstention_precision", "abstention precision"),
    ("abstention_recall", "abstention recall (unanswerable)"),
    ("false_abstention_rate", "false abstention rate (answerable) ↓"),
    ("overall_accuracy", "overall accuracy (all)"),
    ("median_ms", "median ms per question ↓"),
    ("p95_ms", "p95 ms per question ↓"),
)
_BREAKDOWN_COLS = ("n", "hit@1", "hit@3", "hit@5", "mrr", "answer_accuracy", "abstention_precision",
                   "abstention_recall", "false_abstention_rate", "median_ms", "p95_ms")
_BREAKDOWN_HEAD = ("n", "hit@1", "hit@3", "hit@5", "MRR", "acc", "abst P", "abst R", "false abst", "med ms",
                   "p95 ms")


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


def targets_table(report: dict[str, Any]) -> list[str]:
    rows = []
    for t in report["targets"]:
        status = "n/a (no such questions)" if t["met"] is None else ("MET" if t["met"] else "**NOT MET**")
        rows.append([t["name"], f"{t['op']} {t['threshold']:.2f}", fmt(t["value"]), status])
    lines = _table(["target", "wanted", report["main"], "status"], rows)
    missed = [t for t in report["targets"] if t["met"] is False]
    lines.append("")
    if missed:
        lines.append(f"**{len(missed)} of {len(report['targets'])} targets are not met:** " + "; ".join(
            f"{t['name']} is {fmt(t['value'])}, wanted {t['op']} {t['threshold']:.2f}" for t in missed) + ".")
    else:
        lines.append("All targets are met.")
    return lines


def breakdown_table(system: dict[str, Any], by: str) -> list[str]:
    rows = [[name] + [fmt(m.get(c), c) for c in _BREAKDOWN_COLS] for name, m in system[by].items()]
    rows.append(["**all**"] + [fmt(system["overall"].get(c), c) for c in _BREAKDOWN_COLS])
    return _table([by.removeprefix("by_")] + list(_BREAKDOWN_HEAD), rows)


def side_by_side(report: dict[str, Any], by: str, metrics: Sequence[str] = ("hit@5", "answer_accuracy")) -> list[str]:
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


def failures_table(report: dict[str, Any], limit: int | None = None) -> list[str]:
    main = report["main"]
    failing = [r for r in report["questions"] if r.get("failure")]
    counts: dict[str, int] = {}
    for r in failing:
        cat = failure_category(r["failure"])
        counts[cat] = counts.get(cat, 0) + 1
    lines = [f"{len(failing)} of {len(report['questions'])} questions have a failure:", ""]
    lines += [f"- {cat}: {n}" for cat, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    lines.append("")
    shown = failing if limit is None else failing[:limit]
    rows = []
    for r in shown:
        s = r[main]
        answer = " ".join(s["answer"].split())
        answer = answer if len(answer) <= 80 else answer[:80] + "…"
        rows.append([r["id"], r["kind"], r["lang"], r["failure"], ", ".join(r["gold"]) or "—", r["key"] or "—",
                     ", ".join(s["ranked"][:5]) or "—", answer.replace("|", "¦")])
    lines += _table(["id", "kind", "lang", "what went wrong", "gold", "key", "cited (top 5)", "answer"], rows)
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
    "Follow-up questions: citeqa gets each `history` question first in a fresh conversation, then the question; "
    "the baselines search the history questions and the question joined by spaces. Time per question counts "
    "every /ask call it took.",
    "Abstention precision and recall are over all questions; false abstention rate = share of answerable "
    "questions abstained on. Overall accuracy = answerable answered correctly + unanswerable abstained on.",
    "Ratios are citeqa ÷ baseline; for rows marked ↓ lower is better.",
]


def render(report: dict[str, Any], failures_limit: int | None = None, title: str = "citeqa evaluation") -> str:
    meta = report["meta"]
    systems = report["systems"]
    main = report["main"]
    lines = [f"# {title}", ""]
    lines.append(" · ".join(f"{k}: {v}" for k, v in meta.items() if not isinstance(v, dict | list)))
    lines += ["", "## Headline" + (": citeqa and the baselines" if len(systems) > 1 else ""), ""]
    lines += comparison_table(report)
    lines += ["", "## Targets", ""]
    lines += targets_table(report)
    if len(systems) > 1:
        for by in ("by_kind", "by_lang"):
            lines += ["", f"## Side by side, {by.replace('_', ' ')}", ""]
            lines += side_by_side(report, by)
    for system in systems.values():
        for by in ("by_kind", "by_lang"):
            lines += ["", f"## {system['label']}, {by.replace('_', ' ')}", ""]
            lines += breakdown_table(system, by)
    lines += ["", f"## Where {main} fails", ""]
    lines += failures_table(report, failures_limit)
    lines += ["", "## How the numbers are computed", ""]
    lines += [f"- {n}" for n in NOTES]
    return "\n".join(lines) + "\n"


# Sections written by other tools or by hand (the calibration summary, an analysis) survive a rewrite of the
# report: each sits between `<!-- keep:NAME -->` and `<!-- /keep:NAME -->` and is carried over as it is.
_KEEP = re.compile(r"<!-- keep:(?P<name>[\w-]+) -->.*?<!-- /keep:(?P=name) -->", re.S)


def write_markdown(path: Path, text: str) -> None:
    """Write the report, carrying over the kept sections of the file it replaces."""
    kept = [m.group(0) for m in _KEEP.finditer(path.read_text(encoding="utf-8"))] if path.exists() else []
    path.write_text(text + "".join(f"\n{block}\n" for block in kept), encoding="utf-8")


def replace_kept(path: Path, name: str, section: str) -> None:
    """Put `section` in the kept section `name` of the report at `path` (appended when there is none)."""
    block = f"<!-- keep:{name} -->\n{section.strip()}\n<!-- /keep:{name} -->"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    m = next((m for m in _KEEP.finditer(old) if m["name"] == name), None)
    new = old[: m.start()] + block + old[m.end():] if m else old.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(new.lstrip("\n"), encoding="utf-8")


def dump_json(report: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
