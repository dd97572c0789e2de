"""Fit the reader's weights and its abstention floors (one per language) on the dev split of an evaluation set.

    python -m eval.calibrate [--set eval/questions.jsonl] [--max-false-abstention 0.01] [--dry-run]

Only records with `"split": "dev"` are read: no weight or threshold is ever chosen on the test split.

Weights: for each answerable dev question, the reader's candidates (sentences, rows, cells of the top passages)
with their feature vectors, labelled correct when the candidate lies in a gold passage and holds the answer key.
The weights maximise the softmax likelihood of the correct candidates among each question's candidates
(listwise logistic regression with an L2 penalty), by gradient descent in numpy.

Floors: with those weights, the best candidate's score for every dev question; each language's floor (written to
`floors` in reader/weights.json, read by `Weights.floor_for`) is the highest score below which abstaining keeps the
false-abstention rate on that language's answerable dev questions at most `--max-false-abstention` (default
`MAX_FALSE_ABSTENTION`, 0.01), taken halfway to the next score so that a small change does not flip it.

The features come from the service's own code (`reader.answerer.Answerer.read`), so what is fitted is what runs.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import id_matches, normalize_text
from eval.schema import dev_only

WEIGHTS_PATH = Path(__file__).resolve().parent.parent / "reader" / "weights.json"
DEFAULT_SET = Path(__file__).with_name("questions.jsonl")
# The requirements do most of the abstaining (reader/requirements.py); the floor is a backstop for the few
# answers that meet them with little evidence, so it may cost few right answers (dev: 1 in 100).
MAX_FALSE_ABSTENTION = 0.01
L2 = 0.01
STEPS = 600
RATE = 0.5


@dataclass
class Sample:
    """One dev question as the reader sees it: its candidates' features and which of them answer."""

    qid: str
    answerable: bool
    features: np.ndarray  # candidates × features
    correct: np.ndarray  # bool per candidate
    forced: bool = False  # answered or abstained whatever the score (named passage, cited symbol, violation)
    admissible: np.ndarray | None = None  # bool per candidate: may answer (`Answerer.admissible`)
    lang: str = "zh"  # a floor per language: English questions match the Chinese text less closely


def load_dev(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r.get("split") == "dev"]


def is_correct(span: str, passage_id: str, rec: dict[str, Any]) -> bool:
    key = normalize_text(rec["answer"])
    text = normalize_text(span)
    if not key or key not in text or not any(id_matches(passage_id, g) for g in rec["gold"]):
        return False
    return not any(normalize_text(w) in text for w in rec.get("wrong", []) if normalize_text(w) != key)


def resolved(rec: dict[str, Any], answerer: Any) -> str:
    """A record's question as the service understands it after the record's history (follow-ups by slots)."""
    previous = answerer.replay([(h, []) for h in rec.get("history") or []])
    return str(answerer.resolve(rec["question"], previous)[1].question)


def samples(records: Sequence[dict[str, Any]], answerer: Any) -> list[Sample]:
    """Features of every candidate the service would weigh, for each dev question."""
    from reader.scoring import FEATURES

    records = dev_only(records)  # raises on a test record: nothing is fitted on test

    out = []
    for rec in records:
        q = answerer.analyse(resolved(rec, answerer))
        hits = answerer.hits(q)
        scored = answerer.read(q, hits)
        exact = any(h.exact for h in hits)
        feats = np.array([[s.features[f] for f in FEATURES] for s in scored], dtype=np.float64).reshape(
            -1, len(FEATURES)
        )
        correct = np.array(
            [
                is_correct(s.passage.text[s.candidate.start : s.candidate.end], s.passage.id, rec)
                for s in scored
            ],
            dtype=bool,
        )
        admissible = np.array([answerer.requirements.admissible(q, s) for s in scored], dtype=bool)
        forced = exact or answerer.scope.about_something_else(q) or not admissible.any()
        out.append(Sample(rec["id"], bool(rec["gold"]), feats, correct, forced, admissible, q.lang))
    return out


def fit(
    data: list[Sample], n_features: int, l2: float = L2, steps: int = STEPS, rate: float = RATE
) -> np.ndarray:
    """Listwise logistic regression: maximise log Σ_correct softmax(score) per question."""
    train = [s for s in data if s.answerable and s.correct.any()]
    if not train:
        return np.zeros(n_features)
    # Standardised features converge at one learning rate whatever their scale (cosines differ by hundredths).
    stacked = np.concatenate([s.features for s in train])
    mean, std = stacked.mean(axis=0), stacked.std(axis=0)
    std[std < 1e-9] = 1.0
    scaled = [((s.features - mean) / std, s.correct) for s in train]
    w = np.zeros(n_features)
    for _ in range(steps):
        grad = l2 * w
        for x, correct in scaled:
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            pc = p * correct
            pc /= pc.sum()
            grad -= (pc - p) @ x / len(train)
        w -= rate * grad
    # Back to raw features: the service scores them unscaled; the offset is the same for every candidate of a
    # question, so it only moves the floor, and goes into the bias.
    raw = w / std
    raw[0] = -float((mean / std) @ w)
    return raw


def best_scores(data: list[Sample], w: np.ndarray) -> list[float]:
    """Each question's best admissible candidate's score: what the floor is compared with."""
    out = []
    for s in data:
        mask = s.admissible if s.admissible is not None else np.ones(len(s.features), dtype=bool)
        out.append(float((s.features @ w)[mask].max()) if mask.any() else -math.inf)
    return out


def choose_floor(data: list[Sample], scores: list[float], max_false: float = MAX_FALSE_ABSTENTION) -> float:
    """The highest floor whose false abstention on answerable, unforced dev questions stays within `max_false`."""
    answerable = [sc for s, sc in zip(data, scores, strict=True) if s.answerable and not s.forced]
    if not answerable:
        return -math.inf
    ordered = sorted(answerable)
    allowed = int(max_false * sum(1 for s in data if s.answerable))
    if allowed >= len(ordered):
        return ordered[-1]
    low = ordered[allowed - 1] if allowed > 0 else ordered[0] - 1.0
    return (low + ordered[allowed]) / 2


def choose_floors(
    data: list[Sample], scores: list[float], max_false: float = MAX_FALSE_ABSTENTION
) -> dict[str, float]:
    """A floor per language, each holding its own false abstention within `max_false`."""
    out = {}
    for lang in sorted({s.lang for s in data}):
        mine = [(s, sc) for s, sc in zip(data, scores, strict=True) if s.lang == lang]
        out[lang] = choose_floor([s for s, _ in mine], [sc for _, sc in mine], max_false)
    return out


def report(data: list[Sample], w: np.ndarray, floors: dict[str, float]) -> dict[str, float]:
    scores = [sc - floors.get(s.lang, -math.inf) for s, sc in zip(data, best_scores(data, w), strict=True)]
    floor = 0.0  # scores are above their own language's floor when positive
    ans = [(s, sc) for s, sc in zip(data, scores, strict=True) if s.answerable]
    una = [(s, sc) for s, sc in zip(data, scores, strict=True) if not s.answerable]

    def top_is_right(s: Sample) -> bool:
        mask = s.admissible if s.admissible is not None else np.ones(len(s.features), dtype=bool)
        if not mask.any():
            return False
        z = np.where(mask, s.features @ w, -np.inf)
        return bool(s.correct[int(np.argmax(z))])

    top_right = sum(1 for s, _ in ans if top_is_right(s))
    return {
        "dev_questions": len(data),
        "top_candidate_correct": round(top_right / max(1, len(ans)), 3),
        "oracle_candidate_correct": round(sum(1 for s, _ in ans if s.correct.any()) / max(1, len(ans)), 3),
        "abstention_recall": round(sum(1 for s, sc in una if sc < floor or s.forced) / max(1, len(una)), 3),
        "false_abstention": round(
            sum(1 for s, sc in ans if sc < floor and not s.forced) / max(1, len(ans)), 3
        ),
    }


def diagnose(records: Sequence[dict[str, Any]], answerer: Any) -> None:
    """For each answerable dev question whose top candidate is wrong: the top one and the best right one."""
    for rec in records:
        if not rec["gold"]:
            continue
        q = answerer.analyse(resolved(rec, answerer))
        hits = answerer.hits(q)
        scored = answerer.read(q, hits)
        ok = [
            s
            for s in scored
            if is_correct(s.passage.text[s.candidate.start : s.candidate.end], s.passage.id, rec)
        ]
        if scored and ok and ok[0] is scored[0]:
            continue
        print(f"{rec['id']} {q.text} | key {rec['answer']} | gold {rec['gold']} | type {q.answer_type}")
        for tag, s in (("TOP", scored[0] if scored else None), ("OK ", ok[0] if ok else None)):
            if s is None:
                print(f"  {tag} none")
                continue
            on = {k: round(v, 2) for k, v in s.features.items() if v and k != "bias"}
            print(
                f"  {tag} {s.score:.2f} [{s.passage.id}] {s.passage.text[s.candidate.start : s.candidate.end][:90]}"
            )
            print(f"      {on}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.calibrate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--set", default=str(DEFAULT_SET))
    parser.add_argument("--out", default=str(WEIGHTS_PATH))
    parser.add_argument("--max-false-abstention", type=float, default=MAX_FALSE_ABSTENTION)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument(
        "--diagnose", action="store_true", help="print the dev questions the top candidate gets wrong"
    )
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))

    from index.open import open_retriever
    from reader.answerer import Answerer
    from reader.scoring import FEATURES, Weights
    from service.settings import Settings

    settings = Settings()
    retriever = open_retriever(settings.index_config)
    records = load_dev(Path(args.set))
    if not records:
        print(f"{args.set}: no records with split 'dev'", file=sys.stderr)
        return 2
    # Features do not depend on the weights, so one pass with any weights gives them all.
    answerer = Answerer(retriever.view(), Weights())
    data = samples(records, answerer)
    if args.diagnose:
        diagnose(records, answerer)
    w = fit(data, len(FEATURES))
    floors = choose_floors(data, best_scores(data, w), args.max_false_abstention)
    figures = report(data, w, floors)
    out = {
        "weights": {f: round(float(v), 4) for f, v in zip(FEATURES, w, strict=True)},
        "floor": round(min(floors.values()), 4),
        "floors": {k: round(v, 4) for k, v in floors.items()},
        "fitted_on": {"set": Path(args.set).name, "split": "dev", **figures},
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))
    if not args.dry_run:
        Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
