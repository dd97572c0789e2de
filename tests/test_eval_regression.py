"""The regression check: hand-made comparisons, the scoring it relies on, and the real run against the baseline."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.regression import BASELINE, TOLERANCE, baseline_record, compare, load_baseline
from eval.report import (
    HEADLINE,
    Prediction,
    Question,
    SystemInfo,
    aggregate,
    build_report,
    failure,
    rank_of,
    score,
)
from service.settings import Settings

GOOD = {"hit@1": 0.90, "hit@5": 0.98, "mrr": 0.93, "answer_accuracy": 0.88, "abstention_recall": 0.90,
        "false_abstention_rate": 0.03, "en_hit@5": 0.94, "citation_hit@1": 1.0}

# ---------------------------------------------------------------- compare


def test_identical_metrics_pass() -> None:
    assert compare(GOOD, GOOD) == []


def test_drop_within_tolerance_passes() -> None:
    # 0.90 - 0.02 = 0.88: a drop of exactly the tolerance is allowed.
    assert compare({**GOOD, "hit@1": 0.88}, GOOD) == []


def test_drop_beyond_tolerance_fails_and_says_which() -> None:
    # 0.90 -> 0.87 is a drop of 0.03 > 0.02.
    problems = compare({**GOOD, "hit@1": 0.87}, GOOD)
    assert len(problems) == 1
    assert problems[0].startswith("hit@1 fell from 0.900 to 0.870")


def test_false_abstention_rate_fails_when_it_rises() -> None:
    # Lower is better: 0.03 -> 0.06 is worse by 0.03; 0.03 -> 0.00 is an improvement.
    assert compare({**GOOD, "false_abstention_rate": 0.00}, GOOD) == []
    problems = compare({**GOOD, "false_abstention_rate": 0.06}, GOOD)
    assert len(problems) == 1 and problems[0].startswith("false_abstention_rate rose")


def test_improvements_never_fail() -> None:
    better = {k: (v - 0.02 if k == "false_abstention_rate" else min(1.0, v + 0.05)) for k, v in GOOD.items()}
    assert compare(better, GOOD) == []


def test_several_regressions_are_all_reported() -> None:
    worse = {**GOOD, "hit@5": 0.90, "abstention_recall": 0.85, "citation_hit@1": 0.977}
    # 0.98 -> 0.90 (0.08), 0.90 -> 0.85 (0.05), 1.0 -> 0.977 (one of 43 lookups: 0.023 > 0.02)
    assert {p.split()[0] for p in compare(worse, GOOD)} == {"hit@5", "abstention_recall", "citation_hit@1"}


def test_missing_current_metric_fails_missing_baseline_metric_is_skipped() -> None:
    current = {k: v for k, v in GOOD.items() if k != "en_hit@5"}
    assert compare(current, GOOD) == ["en_hit@5: missing from the current run (baseline 0.940)"]
    assert compare(GOOD, {**GOOD, "en_hit@5": None}) == []


def test_custom_tolerance() -> None:
    assert compare({**GOOD, "mrr": 0.88}, GOOD, tolerance=0.05) == []
    assert compare({**GOOD, "mrr": 0.92}, GOOD, tolerance=0.0) != []


def test_committed_baseline_has_every_headline_metric() -> None:
    baseline = load_baseline()
    assert set(HEADLINE) <= set(baseline["headline"])
    assert baseline["tolerance"] == TOLERANCE


# ---------------------------------------------------------------- scoring the regression relies on


def _q(qid: str, gold: list[str], key: str, kind: str = "fact_zh", lang: str = "zh") -> Question:
    return Question(qid, "？", lang, kind, gold, key)


def test_id_rank_counts_items_for_their_paragraph() -> None:
    q = _q("q1", ["4.88"], "1 612 200")
    assert rank_of(Prediction(["4.12", "4.88(b)"], "", False, 0.0), q, "id") == 2
    assert rank_of(Prediction(["4.8", "4.89"], "", False, 0.0), q, "id") is None


def test_text_rank_ignores_whitespace() -> None:
    q = _q("q1", ["4.86"], "15 232 800")
    pred = Prediction(["chunk-3", "chunk-9"], "", False, 0.0, ranked_texts=["无关", "总额为 15 232\n800 美元"])
    assert rank_of(pred, q, "text") == 2


def test_abstained_answer_is_wrong_but_its_citations_still_count() -> None:
    q = _q("q1", ["4.86"], "15 232 800")
    s = score(q, Prediction(["4.86"], "本文件没有回答这个问题。15 232 800", True, 0.01), "id")
    assert s["hit@1"] == 1.0 and s["correct"] is False
    assert failure(q, s) == "false abstention (gold at rank 1)"


def test_aggregate_by_hand() -> None:
    qa, qb, qu = _q("a", ["4.1"], "甲"), _q("b", ["4.2"], "乙"), _q("u", [], "", kind="unanswerable")
    rows = [
        (qa, score(qa, Prediction(["4.1"], "甲 [4.1]", False, 0.010), "id")),  # hit@1, correct
        (qb, score(qb, Prediction(["4.3", "4.2"], "丙", True, 0.030), "id")),  # hit@2, abstained
        (qu, score(qu, Prediction(["4.5"], "某", False, 0.020), "id")),  # answered an unanswerable one
    ]
    m = aggregate(rows)
    assert (m["hit@1"], m["hit@3"], m["mrr"]) == (0.5, 1.0, 0.75)  # (1 + 1/2) / 2
    assert m["answer_accuracy"] == 0.5
    assert m["false_abstention_rate"] == 0.5
    assert m["abstention_precision"] == 0.0 and m["abstention_recall"] == 0.0  # 1 abstention, not the right one
    assert m["overall_accuracy"] == pytest.approx(1 / 3)
    assert m["median_ms"] == 20.0


def test_report_targets_and_headline_from_hand_made_predictions() -> None:
    table = Question("q4", "表4.6 2022 年实际？", "zh", "table", ["表4.6"], "222", wrong=["190", "171"])
    followup = Question("q5", "那 2023 年呢？", "zh", "followup", [], "", history=["2024 年是多少？"])
    questions = [_q("q1", ["4.1"], "甲"), _q("q2", ["4.2"], "乙", kind="citation", lang="en"),
                 _q("q3", [], "", kind="unanswerable"), table, followup]
    preds = [Prediction(["4.1"], "甲", False, 0.1), Prediction(["4.2"], "乙", False, 0.1),
             Prediction([], "没有", True, 0.1), Prediction(["表4.6"], "222（2022 年实际）", False, 0.1),
             Prediction([], "没有", True, 0.1)]
    chat = {"q5": Prediction([], "没有", True, 0.1)}
    report = build_report(questions, {"citeqa": preds}, [SystemInfo("citeqa", "citeqa", "id")], {}, chat)
    assert report["headline"]["citeqa"] == {**dict.fromkeys(HEADLINE, 1.0), "false_abstention_rate": 0.0}
    assert report["target_split"] == "all"  # no split given: the targets are checked on every question
    assert all(t["met"] for t in report["targets"])
    record = baseline_record(report)
    assert record["headline"] == report["headline"]["citeqa"] and record["tolerance"] == TOLERANCE


# ---------------------------------------------------------------- the real run


@pytest.mark.e2e
def test_no_headline_metric_regressed(real_settings: Settings, index_dir: Path) -> None:
    """citeqa alone on eval/questions.jsonl through the real app; every headline metric within TOLERANCE."""
    from eval.runner import DEFAULT_SET, evaluate, load_questions

    report = evaluate(real_settings, load_questions(DEFAULT_SET), baselines=False, progress=False)
    current = report["headline"]["citeqa"]
    problems = compare(current, load_baseline(BASELINE)["headline"])
    assert not problems, "headline metrics regressed:\n" + "\n".join(problems)
