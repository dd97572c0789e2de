"""Fit the abstention parameters of `service/calibration.json` on an evaluation set.

    python -m eval.calibrate [--set eval/questions.jsonl] [--max-false-abstention 0.05] [--dry-run]
                             [--report eval/REPORT.md]

The service abstains when `Answerer.confidence` of the passage it would quote is below `min_confidence`:

    confidence = (dense_weight · max(0, (dense − floor[lang]) / (1 − floor[lang])) + coverage_weight · coverage)
                 / (dense_weight + coverage_weight) · factor

with `dense` the passage's cosine with the question, `coverage` the share of question-term weight the passage
contains and `factor` the product of the penalties `Answerer.confidence` applies to the whole score (0.5 when
the question names a year the passage never mentions; less for words or names the document never uses). Only
the weights' ratio matters, so the search is over w = dense_weight / (dense_weight + coverage_weight), the two floors and the
threshold. The features come from the service's own code (`Answerer.ask` picks the passage, `Answerer.confidence`
scores it), and the fitted parameters are checked against `Answerer.confidence` before they are written.

Questions whose outcome the threshold cannot change are kept fixed: the service answers a question that names a
passage or a cited symbol (and "where was that?" follow-ups) whatever its confidence, and abstains when no
passage has a sentence to quote. They count in the rates like any other question.

Objective: the highest abstention recall on unanswerable questions with false abstention on answerable ones at
most `--max-false-abstention`; ties go to the lower false abstention, then to the wider gap between the threshold
and the nearest confidence (the fit least likely to flip on a small change). A 2-fold check (folds stratified by
kind) fits on each half and scores the other, so the figures say how much of the fit is fitting to this set.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from eval.report import Question

CALIBRATION_PATH = Path(__file__).resolve().parent.parent / "service" / "calibration.json"
MAX_FALSE_ABSTENTION = 0.05
WEIGHTS = tuple(round(float(x), 2) for x in np.arange(0.0, 1.0001, 0.05))
FLOORS_ZH = tuple(round(float(x), 2) for x in np.arange(0.70, 0.9501, 0.01))
FLOORS_EN = tuple(round(float(x), 2) for x in np.arange(0.60, 0.9001, 0.01))
Fixed = Literal["answer", "abstain"]


@dataclass(frozen=True)
class Features:
    """One question as the abstention rule sees it."""

    qid: str
    kind: str
    lang: str  # the language `Answerer.confidence` detects in the (resolved) question
    answerable: bool
    fixed: Fixed | None = None  # set when the threshold cannot change the outcome
    dense: float = 0.0
    coverage: float = 0.0
    factor: float = 1.0  # the product of the confidence's multiplicative penalties (year, unknown words)


@dataclass(frozen=True)
class Params:
    min_confidence: float
    dense_weight: float
    coverage_weight: float
    floor_zh: float
    floor_en: float

    def calibration(self) -> dict[str, Any]:
        """The fields of `service.answer.Calibration`, as written to service/calibration.json."""
        return {"min_confidence": self.min_confidence, "dense_weight": self.dense_weight,
                "coverage_weight": self.coverage_weight,
                "dense_floor": {"zh": self.floor_zh, "en": self.floor_en}}


@dataclass(frozen=True)
class Fit:
    params: Params
    recall: float  # abstention recall on unanswerable questions
    false_abstention: float  # share of answerable questions abstained on
    margin: float  # distance from the threshold to the nearest confidence of a threshold-dependent question
    feasible: bool  # whether the false-abstention limit could be kept at all


def confidences(features: Sequence[Features], w: float, floor_zh: float, floor_en: float) -> np.ndarray:
    """The service's confidence for every question (fixed ones included; their value is not used)."""
    dense = np.array([f.dense for f in features], dtype=np.float64)
    cov = np.array([f.coverage for f in features], dtype=np.float64)
    factor = np.array([f.factor for f in features], dtype=np.float64)
    floor = np.array([floor_zh if f.lang == "zh" else floor_en for f in features], dtype=np.float64)
    dense_part = np.maximum(0.0, (dense - floor) / (1.0 - floor))
    return (w * dense_part + (1.0 - w) * cov) * factor


def rates(features: Sequence[Features], abstains: Sequence[bool]) -> tuple[float, float]:
    """(abstention recall on unanswerable, false abstention rate on answerable); 1.0 / 0.0 when there are none."""
    una = [a for f, a in zip(features, abstains, strict=True) if not f.answerable]
    ans = [a for f, a in zip(features, abstains, strict=True) if f.answerable]
    recall = sum(una) / len(una) if una else 1.0
    false_abs = sum(ans) / len(ans) if ans else 0.0
    return recall, false_abs


def decide(features: Sequence[Features], params: Params) -> list[bool]:
    """Whether the service would abstain on each question under `params`."""
    w = params.dense_weight / (params.dense_weight + params.coverage_weight)
    conf = confidences(features, w, params.floor_zh, params.floor_en)
    return [f.fixed == "abstain" if f.fixed else bool(c < params.min_confidence)
            for f, c in zip(features, conf, strict=True)]


def best_threshold(conf: np.ndarray, answerable: np.ndarray, fixed_abstain_ans: int, fixed_abstain_una: int,
                   n_ans: int, n_una: int, max_false_abstention: float) -> tuple[tuple[float, float, float], float]:
    """The best cut of sorted confidences: ((recall, -false_abstention, margin), threshold).

    `conf`/`answerable` hold the threshold-dependent questions only. Abstain iff conf < threshold; cutting
    after the k lowest distinct values abstains on exactly those. An infeasible cut scores recall -1.
    """
    order = np.argsort(conf, kind="stable")
    c = conf[order]
    a = answerable[order]
    n = len(c)
    cum_a = np.concatenate([[0], np.cumsum(a)])
    cum_u = np.concatenate([[0], np.cumsum(~a)])
    best: tuple[tuple[float, float, float], float] | None = None
    for k in range(n + 1):
        if 0 < k < n and not c[k - 1] < c[k]:
            continue  # equal confidences fall on the same side of any threshold
        if n == 0:
            t, margin = 0.0, 0.0
        elif k == 0:
            t, margin = float(c[0]) / 2, float(c[0]) / 2
        elif k == n:
            top = float(c[-1])
            t = (top + 1.0) / 2 if top < 1.0 else top + 0.01
            margin = t - top
        else:
            t = float(c[k - 1] + c[k]) / 2
            margin = float(c[k] - c[k - 1]) / 2
        false_abs = (fixed_abstain_ans + int(cum_a[k])) / n_ans if n_ans else 0.0
        recall = (fixed_abstain_una + int(cum_u[k])) / n_una if n_una else 1.0
        if false_abs > max_false_abstention + 1e-12:
            recall = -1.0
        key = (recall, -false_abs, margin)
        if best is None or key > best[0]:
            best = (key, t)
    assert best is not None
    return best


def fit(features: Sequence[Features], max_false_abstention: float = MAX_FALSE_ABSTENTION,
        weights: Sequence[float] = WEIGHTS, floors_zh: Sequence[float] = FLOORS_ZH,
        floors_en: Sequence[float] = FLOORS_EN) -> Fit:
    """Grid search over weight ratio and floors, best threshold for each (see the module docstring)."""
    free = [f for f in features if f.fixed is None]
    answerable = np.array([f.answerable for f in free], dtype=bool)
    n_ans = sum(1 for f in features if f.answerable)
    n_una = len(features) - n_ans
    fixed_ans = sum(1 for f in features if f.fixed == "abstain" and f.answerable)
    fixed_una = sum(1 for f in features if f.fixed == "abstain" and not f.answerable)
    has_zh = any(f.lang == "zh" for f in free)
    has_en = any(f.lang != "zh" for f in free)
    best: tuple[tuple[float, float, float], Params] | None = None
    for w in weights:
        # With no dense part, or no question of a language, the floor changes nothing: try one value.
        zh_grid = floors_zh if w > 0 and has_zh else floors_zh[len(floors_zh) // 2 : len(floors_zh) // 2 + 1]
        en_grid = floors_en if w > 0 and has_en else floors_en[len(floors_en) // 2 : len(floors_en) // 2 + 1]
        for fz in zh_grid:
            for fe in en_grid:
                conf = confidences(free, w, fz, fe)
                key, t = best_threshold(conf, answerable, fixed_ans, fixed_una, n_ans, n_una,
                                        max_false_abstention)
                if best is None or key > best[0]:
                    params = Params(round(float(t), 6), round(float(w), 4), round(1.0 - float(w), 4), float(fz), float(fe))
                    best = (key, params)
    assert best is not None
    key, params = best
    recall, false_abs = rates(features, decide(features, params))
    return Fit(params, recall, false_abs, key[2], key[0] >= 0)


def folds(features: Sequence[Features], n: int = 2) -> list[list[int]]:
    """Indices of `n` folds, stratified by kind: each kind's questions, in id order, dealt out in turn."""
    by_kind: dict[str, list[int]] = {}
    for i, f in enumerate(features):
        by_kind.setdefault(f.kind, []).append(i)
    out: list[list[int]] = [[] for _ in range(n)]
    for kind in sorted(by_kind):
        for j, i in enumerate(sorted(by_kind[kind], key=lambda i: features[i].qid)):
            out[j % n].append(i)
    return [sorted(fold) for fold in out]


def cross_check(features: Sequence[Features], max_false_abstention: float = MAX_FALSE_ABSTENTION,
                **grid: Any) -> list[dict[str, Any]]:
    """Fit on each fold, score on the other: train and test recall / false abstention per fold."""
    out = []
    parts = folds(features)
    for k, test_idx in enumerate(parts):
        train = [features[i] for j, part in enumerate(parts) if j != k for i in part]
        test = [features[i] for i in test_idx]
        fitted = fit(train, max_false_abstention, **grid)
        test_recall, test_fa = rates(test, decide(test, fitted.params))
        out.append({"fold": k + 1, "train_n": len(train), "test_n": len(test),
                    "params": fitted.params.calibration(), "train_recall": fitted.recall,
                    "train_false_abstention": fitted.false_abstention, "test_recall": test_recall,
                    "test_false_abstention": test_fa})
    return out


# Features from the service ------------------------------------------------------------------------------


def extract(settings: Any, questions: Sequence[Question], top_k: int = 5) -> tuple[list[Features], Any, list[Any]]:
    """Each question's features, computed by the service's own Answerer on the index `settings` names.

    Returns the features, the retriever, and per question the (query, hit, terms) the confidence was computed
    on (None for fixed questions), so a fit can be checked against `Answerer.confidence` itself.
    """
    from service.answer import Answerer, Calibration, language, question_terms
    from service.compose import coverage
    from service.conversations import Turn, resolve
    from service.engine import open_retriever

    retriever = open_retriever(settings)
    never = Answerer(retriever, settings, Calibration(min_confidence=-1.0))  # quotes whatever it picks
    always = Answerer(retriever, settings, Calibration(min_confidence=2.0))  # abstains wherever it may
    dense_only = Answerer(retriever, settings, Calibration(dense_weight=1.0, coverage_weight=0.0,
                                                           dense_floor={"zh": 0.0, "en": 0.0}))

    def ask(answerer: Any, q: Question) -> Any:
        previous = None
        for h in [*q.history, q.question]:
            resolved = resolve(h, previous)
            answer = answerer.ask(h, top_k, resolved)
            previous = Turn(resolved.question, [c.id for c in answer.citations[:1]])
        return answer

    features: list[Features] = []
    inputs: list[Any] = []
    for q in questions:
        free_answer, strict_answer = ask(never, q), ask(always, q)
        if free_answer.abstained or not strict_answer.abstained:
            fixed: Fixed = "abstain" if free_answer.abstained else "answer"
            features.append(Features(q.id, q.kind, language(q.question), q.answerable, fixed))
            inputs.append(None)
            continue
        query = free_answer.resolved_question or q.question
        best_id = free_answer.citations[0].id
        hits = retriever.search(query, max(top_k, 5))
        hit = next(h for h in hits if h.passage.id == best_id)
        terms = question_terms(query)
        cov = coverage(hit.passage.text + " ".join(hit.passage.heading), terms)
        # With floor 0 and no coverage weight, confidence = max(0, dense) · factor: the penalties, whatever they are.
        dense_conf = dense_only.confidence(query, hit, terms)
        factor = dense_conf / hit.dense if hit.dense > 0 else 1.0
        features.append(Features(q.id, q.kind, language(query), q.answerable, None, float(hit.dense), float(cov),
                                 round(factor, 6)))
        inputs.append((query, hit, terms))
    return features, retriever, inputs


def verify(features: Sequence[Features], inputs: Sequence[Any], retriever: Any, settings: Any,
           params: Params) -> float:
    """Largest difference between this module's confidence and `Answerer.confidence` under `params`."""
    from service.answer import Answerer, Calibration

    answerer = Answerer(retriever, settings, Calibration(**params.calibration()))
    w = params.dense_weight / (params.dense_weight + params.coverage_weight)
    ours = confidences(features, w, params.floor_zh, params.floor_en)
    worst = 0.0
    for f, inp, mine in zip(features, inputs, ours, strict=True):
        if f.fixed is None:
            worst = max(worst, abs(answerer.confidence(*inp) - float(mine)))
    return worst


def auc(values: Sequence[float], answerable: Sequence[bool]) -> float | None:
    """Probability that an answerable question scores above an unanswerable one (ties half): 0.5 = no signal."""
    pos = [v for v, a in zip(values, answerable, strict=True) if a]
    neg = [v for v, a in zip(values, answerable, strict=True) if not a]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return float(wins) / (len(pos) * len(neg))


def diagnostics(features: Sequence[Features], params: Params) -> list[tuple[str, float | None, int, int]]:
    """How well each feature alone separates the threshold-dependent questions: (name, AUC, n answerable,
    n unanswerable) for dense (per language), coverage and the fitted confidence."""
    free = [f for f in features if f.fixed is None]
    w = params.dense_weight / (params.dense_weight + params.coverage_weight)
    conf = confidences(free, w, params.floor_zh, params.floor_en)
    out: list[tuple[str, float | None, int, int]] = []
    for lang in ("zh", "en"):
        sub = [f for f in free if f.lang == lang]
        out.append((f"dense cosine ({lang} questions)", auc([f.dense for f in sub], [f.answerable for f in sub]),
                    sum(f.answerable for f in sub), sum(not f.answerable for f in sub)))
    n_a, n_u = sum(f.answerable for f in free), sum(not f.answerable for f in free)
    out.append(("coverage × penalty factor", auc([f.coverage * f.factor for f in free],
                                             [f.answerable for f in free]), n_a, n_u))
    out.append(("fitted confidence", auc(list(conf), [f.answerable for f in free]), n_a, n_u))
    return out


# Report -------------------------------------------------------------------------------------------------


def summary(features: Sequence[Features], final: Fit, before: Sequence[tuple[str, Params]],
            checks: list[dict[str, Any]], max_false_abstention: float) -> str:
    n_ans = sum(1 for f in features if f.answerable)
    n_una = len(features) - n_ans
    fixed_answer = [f.qid for f in features if f.fixed == "answer"]
    fixed_abstain = [f.qid for f in features if f.fixed == "abstain"]
    p = final.params
    lines = ["## Abstention calibration (eval/calibrate.py)", ""]
    lines.append(f"{len(features)} questions ({n_ans} answerable, {n_una} unanswerable); "
                 f"{len(fixed_answer)} are answered whatever the threshold (named passage or symbol), "
                 f"{len(fixed_abstain)} abstained whatever it (no sentence to quote): "
                 f"{', '.join(fixed_abstain) or 'none'}.")
    lines.append("")
    lines.append(f"Objective: highest abstention recall with false abstention ≤ {max_false_abstention:.2f}.")
    lines.append("")
    lines += ["| parameters | min_confidence | dense : coverage | floor zh | floor en | abstention recall "
              "| false abstention |", "|---|---|---|---|---|---|---|"]
    for name, q in [*before, ("fitted (written)", p)]:
        q_recall, q_fa = rates(features, decide(features, q))
        lines.append(f"| {name} | {q.min_confidence:.4f} | {q.dense_weight:g} : {q.coverage_weight:g} "
                     f"| {q.floor_zh:.2f} | {q.floor_en:.2f} | {q_recall:.3f} | {q_fa:.3f} |")
    lines += [
        "",
        "2-fold check (folds stratified by kind; fit on one, score the other):",
        "",
        "| fold fitted on | train recall | train false abst | test recall | test false abst | min_confidence | dense : coverage |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in checks:
        cp = c["params"]
        lines.append(f"| {c['fold']} ({c['train_n']} q) | {c['train_recall']:.3f} | {c['train_false_abstention']:.3f} "
                     f"| {c['test_recall']:.3f} | {c['test_false_abstention']:.3f} | {cp['min_confidence']:.4f} "
                     f"| {cp['dense_weight']:g} : {cp['coverage_weight']:g} |")
    abstains = decide(features, p)
    missed = [f for f, a in zip(features, abstains, strict=True) if not f.answerable and not a]
    wrong = [f for f, a in zip(features, abstains, strict=True) if f.answerable and a]
    w = p.dense_weight / (p.dense_weight + p.coverage_weight)
    conf = dict(zip([f.qid for f in features], confidences(features, w, p.floor_zh, p.floor_en), strict=True))

    def describe(f: Features) -> str:
        if f.fixed:
            return f"{f.qid} (fixed: {f.fixed})"
        return (f"{f.qid} (conf {conf[f.qid]:.3f}: dense {f.dense:.3f}, coverage {f.coverage:.2f}, "
                f"penalty factor {f.factor:.3g})")

    lines += ["", "How well each feature separates answerable from unanswerable questions on the "
              "threshold-dependent ones (AUC: 1.0 = perfectly, 0.5 = not at all):", "",
              "| feature | AUC | answerable | unanswerable |", "|---|---|---|---|"]
    for name, value, n_a, n_u in diagnostics(features, p):
        lines.append(f"| {name} | {'n/a' if value is None else f'{value:.3f}'} | {n_a} | {n_u} |")
    lines += ["", f"Unanswerable questions still answered ({len(missed)}): "
              + ("; ".join(describe(f) for f in missed) or "none") + ".",
              "", f"Answerable questions abstained on ({len(wrong)}): "
              + ("; ".join(describe(f) for f in wrong) or "none") + "."]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    from service.answer import Calibration
    from service.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default=str(Path(__file__).with_name("questions.jsonl")))
    parser.add_argument("--max-false-abstention", type=float, default=MAX_FALSE_ABSTENTION)
    parser.add_argument("--out", default=str(CALIBRATION_PATH), help="where to write the calibration")
    parser.add_argument("--dry-run", action="store_true", help="fit and report, write nothing")
    parser.add_argument("--report", help="put the calibration summary into this Markdown report's kept section")
    parser.add_argument("--features-json", help="also write every question's features here")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))

    from eval.runner import ensure_index, load_questions

    settings = Settings()
    ensure_index(settings)
    questions = load_questions(args.set)
    features, retriever, inputs = extract(settings, questions)

    def params_of(cal: Calibration) -> Params:
        floors = cal.dense_floor or {"zh": 0.85, "en": 0.75}  # the defaults of Answerer.confidence
        return Params(cal.min_confidence, cal.dense_weight, cal.coverage_weight, floors.get("zh", 0.8),
                      floors.get("en", 0.8))

    before = [("service defaults (no file)", params_of(Calibration()))]
    if Path(args.out).exists():
        before.append((f"in {Path(args.out).name} before this fit", params_of(Calibration.load(Path(args.out)))))

    final = fit(features, args.max_false_abstention)
    checks = cross_check(features, args.max_false_abstention)
    drift = verify(features, inputs, retriever, settings, final.params)
    if drift > 1e-6:
        print(f"calibrate: this module's confidence differs from Answerer.confidence by {drift:.2e}; "
              "eval/calibrate.py no longer mirrors service/answer.py — fix it before fitting", file=sys.stderr)
        return 1
    text = summary(features, final, before, checks, args.max_false_abstention)
    if not final.feasible:
        text += (f"\n**No parameters keep false abstention ≤ {args.max_false_abstention:.2f}**; "
                 "the written fit is the best recall among the least false abstention found.\n")
    print(text)
    if args.features_json:
        Path(args.features_json).write_text(json.dumps([asdict(f) for f in features], ensure_ascii=False,
                                                       indent=1), encoding="utf-8")
    if not args.dry_run:
        Path(args.out).write_text(json.dumps(final.params.calibration(), indent=2) + "\n", encoding="utf-8")
        print(f"written {args.out}", file=sys.stderr)
    if args.report:
        from eval.report import replace_kept

        replace_kept(Path(args.report), "calibration", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
