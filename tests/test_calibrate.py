"""The abstention grid search on hand-made feature lists; expected values worked out in the comments."""

from __future__ import annotations

import numpy as np
import pytest

from eval.calibrate import (
    Features,
    Params,
    best_threshold,
    confidences,
    cross_check,
    decide,
    fit,
    folds,
    rates,
)


def _f(qid: str, answerable: bool, cov: float, dense: float = 0.0, lang: str = "zh", kind: str = "k",
       fixed: str | None = None, factor: float = 1.0) -> Features:
    return Features(qid, kind, lang, answerable, fixed, dense, cov, factor)  # type: ignore[arg-type]


COV_ONLY = {"weights": (0.0,), "floors_zh": (0.8,), "floors_en": (0.8,)}


def test_confidence_formula_matches_the_service_by_hand() -> None:
    # w = 0.5, floor 0.8: dense part (0.9 - 0.8) / 0.2 = 0.5; (0.5 * 0.5 + 0.5 * 0.4) = 0.45; halved by a penalty.
    f = [_f("a", True, cov=0.4, dense=0.9, factor=0.5), _f("b", True, cov=0.4, dense=0.7)]  # 0.7 < floor: 0
    assert confidences(f, 0.5, 0.8, 0.8) == pytest.approx([0.225, 0.2])


def test_separable_set_gets_full_recall_and_no_false_abstention() -> None:
    # Unanswerable at 0.1 and 0.2, answerable at 0.6, 0.7, 0.8: cut between 0.2 and 0.6, at 0.4.
    feats = [_f("u1", False, 0.1), _f("u2", False, 0.2), _f("a1", True, 0.6), _f("a2", True, 0.7),
             _f("a3", True, 0.8)]
    result = fit(feats, 0.05, **COV_ONLY)
    assert (result.recall, result.false_abstention) == (1.0, 0.0)
    assert result.params.min_confidence == pytest.approx(0.4)
    assert result.margin == pytest.approx(0.2)
    assert result.feasible


def test_false_abstention_limit_binds() -> None:
    # 20 answerable from 0.50 to 0.69; one answerable at 0.15 among unanswerable 0.10, 0.20, 0.30.
    # Limit 0.05 of 21 answerable allows one false abstention: abstain below 0.40 -> recall 3/3, false 1/21.
    feats = [_f(f"a{i}", True, 0.50 + 0.01 * i) for i in range(20)]
    feats += [_f("a_low", True, 0.15), _f("u1", False, 0.10), _f("u2", False, 0.20), _f("u3", False, 0.30)]
    result = fit(feats, 0.05, **COV_ONLY)
    assert result.recall == 1.0 and result.false_abstention == pytest.approx(1 / 21)
    # With no false abstention allowed, only u1 (0.10 < 0.15) can be caught: recall 1/3.
    strict = fit(feats, 0.0, **COV_ONLY)
    assert strict.recall == pytest.approx(1 / 3) and strict.false_abstention == 0.0
    assert 0.10 < strict.params.min_confidence <= 0.15


def test_ties_go_to_the_lower_false_abstention_then_the_wider_gap() -> None:
    # Recall 1/1 either way; cutting at (0.2+0.5)/2 abstains on nothing answerable, so it wins over any higher cut.
    conf = np.array([0.2, 0.5, 0.9])
    answerable = np.array([False, True, True])
    (recall, neg_fa, margin), t = best_threshold(conf, answerable, 0, 0, 2, 1, 0.5)
    assert (recall, -neg_fa, t, margin) == pytest.approx((1.0, 0.0, 0.35, 0.15))


def test_equal_confidences_are_never_split() -> None:
    # Both at 0.3: a threshold can only take both or neither. Taking both costs 1/1 false abstention > 0.05.
    conf = np.array([0.3, 0.3])
    answerable = np.array([True, False])
    (recall, neg_fa, _), t = best_threshold(conf, answerable, 0, 0, 1, 1, 0.05)
    assert recall == 0.0 and neg_fa == 0.0 and t <= 0.3


def test_fixed_questions_count_but_do_not_move() -> None:
    # One answerable question always abstains (no sentence to quote): 1/10 false abstention before any threshold.
    # With a 0.05 limit nothing else may abstain, so the fit is infeasible and keeps the least false abstention.
    feats = [_f(f"a{i}", True, 0.8) for i in range(9)] + [_f("a_fixed", True, 0.0, fixed="abstain")]
    feats += [_f("u_fixed", False, 0.0, fixed="answer"), _f("u1", False, 0.1)]
    result = fit(feats, 0.05, **COV_ONLY)
    assert not result.feasible
    assert result.false_abstention == pytest.approx(0.1)
    # At 0.10 the limit is kept and u1 is caught; u_fixed never is: recall 1/2.
    ok = fit(feats, 0.10, **COV_ONLY)
    assert ok.feasible and ok.recall == 0.5
    assert decide(feats, ok.params)[-2:] == [False, True]


def test_grid_finds_the_dense_weight_and_language_floor_that_separate() -> None:
    # Coverage cannot tell these apart (all 0.5), dense can: answerable 0.90+, unanswerable 0.82 in zh, and in
    # English answerable 0.80+, unanswerable 0.74. Any w > 0 with floors between separates them fully.
    feats = [_f(f"z{i}", True, 0.5, dense=0.90 + 0.01 * i) for i in range(5)]
    feats += [_f(f"e{i}", True, 0.5, dense=0.80 + 0.01 * i, lang="en") for i in range(5)]
    feats += [_f("zu", False, 0.5, dense=0.82), _f("eu", False, 0.5, dense=0.74, lang="en")]
    result = fit(feats, 0.0, weights=(0.0, 0.5, 1.0), floors_zh=(0.70, 0.85), floors_en=(0.70, 0.78))
    assert (result.recall, result.false_abstention) == (1.0, 0.0)
    assert result.params.dense_weight > 0
    assert rates(feats, decide(feats, result.params)) == (1.0, 0.0)


def test_written_parameters_reproduce_the_fit() -> None:
    feats = [_f("u", False, 0.1, dense=0.8), _f("a", True, 0.9, dense=0.9)]
    result = fit(feats, 0.05, weights=(0.3,), floors_zh=(0.75,), floors_en=(0.75,))
    cal = result.params.calibration()
    assert set(cal) == {"min_confidence", "dense_weight", "coverage_weight", "dense_floor"}
    assert cal["dense_weight"] + cal["coverage_weight"] == pytest.approx(1.0)
    again = Params(cal["min_confidence"], cal["dense_weight"], cal["coverage_weight"],
                   cal["dense_floor"]["zh"], cal["dense_floor"]["en"])
    assert decide(feats, again) == [True, False]


def test_folds_are_stratified_by_kind_and_cover_everything() -> None:
    feats = [_f(f"q{i:02d}", i % 3 != 0, 0.5, kind="unanswerable" if i % 3 == 0 else "fact") for i in range(12)]
    a, b = folds(feats)
    assert sorted(a + b) == list(range(12))
    kinds = [[feats[i].kind for i in part] for part in (a, b)]
    assert kinds[0].count("unanswerable") == kinds[1].count("unanswerable") == 2


def test_cross_check_reports_train_and_test_for_each_fold() -> None:
    feats = [_f(f"a{i}", True, 0.6 + 0.02 * i) for i in range(10)] + [_f(f"u{i}", False, 0.1 + 0.05 * i,
                                                                          kind="u") for i in range(4)]
    checks = cross_check(feats, 0.05, **COV_ONLY)
    assert [c["fold"] for c in checks] == [1, 2]
    assert all(c["train_recall"] == 1.0 and c["test_recall"] == 1.0 for c in checks)
    assert all(c["test_false_abstention"] == 0.0 for c in checks)
