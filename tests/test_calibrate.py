"""The reader's calibration (eval.calibrate) on hand-made samples whose outcome can be worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eval.calibrate import DEFAULT_SET, Sample, best_scores, choose_floor, fit, is_correct, load_dev, samples
from eval.schema import SetError


def _sample(qid: str, feats: list[list[float]], correct: list[bool], answerable: bool = True) -> Sample:
    return Sample(qid, answerable, np.array(feats, dtype=float), np.array(correct, dtype=bool))


def test_fit_learns_the_feature_that_marks_the_right_candidate() -> None:
    # Feature 1 is on for the right candidate and off for the wrong one in every question; feature 2 is noise
    # that favours the wrong one as often as the right one. The fitted weight of feature 1 must be positive and
    # larger than feature 2's, and the top candidate of every question then the right one.
    data = [
        _sample("a", [[1, 1, 1], [1, 0, 0]], [True, False]),
        _sample("b", [[1, 1, 0], [1, 0, 1]], [True, False]),
        _sample("c", [[1, 0, 0], [1, 1, 1]], [False, True]),
    ]
    w = fit(data, 3, steps=300)
    assert w[1] > 0 and w[1] > abs(w[2])
    for s in data:
        assert s.correct[int(np.argmax(s.features @ w))]


def test_questions_without_a_right_candidate_do_not_train() -> None:
    data = [_sample("a", [[1, 1], [1, 0]], [False, False])]
    assert not fit(data, 2).any()


def test_floor_keeps_false_abstention_within_the_limit() -> None:
    # Ten answerable questions scoring 1..10 and two unanswerable ones scoring 0.5 and 1.5. With at most 10 %
    # false abstention, one answerable question (score 1) may fall below the floor: the floor sits halfway
    # between 1 and 2, so the unanswerable 0.5 falls below it and 1.5 (on the floor) does not.
    data = [_sample(f"a{i}", [[float(i)]], [True]) for i in range(1, 11)]
    data += [
        _sample("u1", [[0.5]], [False], answerable=False),
        _sample("u2", [[1.5]], [False], answerable=False),
    ]
    scores = best_scores(data, np.array([1.0]))
    assert choose_floor(data, scores, 0.1) == 1.5


def test_is_correct_needs_the_key_in_a_gold_passage_and_no_wrong_cell() -> None:
    rec = {"answer": "222", "gold": ["表4.6"], "wrong": ["190", "171"]}
    assert is_correct("实质性会议服务 | 222", "表4.6", rec)
    assert not is_correct("实质性会议服务 | 190 | 222 | 171", "表4.6", rec)
    assert not is_correct("222", "表4.7", rec)
    assert is_correct("4.88 (b) ㈠ …", "4.88(b)㈠", {"answer": "4.88(b)", "gold": ["4.88"]})


# ---------------------------------------------------------------- calibration never sees a test record


def _write_set(tmp_path: Path, splits: list[str | None]) -> Path:
    lines = []
    for i, split in enumerate(splits):
        rec: dict[str, object] = {
            "id": f"q{i}",
            "question": "？",
            "lang": "zh",
            "kind": "number",
            "gold": ["4.1"],
            "answer": "1",
        }
        if split is not None:
            rec["split"] = split
        lines.append(json.dumps(rec, ensure_ascii=False))
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_calibration_reads_the_dev_records_of_a_mixed_file_only(tmp_path: Path) -> None:
    path = _write_set(tmp_path, ["dev", "test", None, "dev"])
    assert [r["id"] for r in load_dev(path)] == ["q0", "q3"]


def test_calibration_refuses_a_test_record_before_reading_anything() -> None:
    # The guard comes first in `samples`: a test record fails before the answerer (here none at all) is touched.
    dev = {"id": "d1", "split": "dev", "gold": ["4.1"], "answer": "1", "question": "？"}
    test = {"id": "t1", "split": "test", "gold": ["4.1"], "answer": "1", "question": "？"}
    with pytest.raises(SetError, match="t1: split 'test'"):
        samples([dev, test], answerer=None)


def test_calibration_on_the_committed_set_sees_exactly_its_dev_split() -> None:
    records = [json.loads(line) for line in DEFAULT_SET.read_text(encoding="utf-8").splitlines()]
    dev = load_dev(DEFAULT_SET)
    assert [r["id"] for r in dev] == [r["id"] for r in records if r["split"] == "dev"]
    assert dev and all(r["split"] == "dev" for r in dev)


def test_each_language_gets_its_own_floor() -> None:
    from eval.calibrate import choose_floors

    # Chinese scores run higher than English ones; one floor for both would refuse the English answers.
    zh = [Sample(f"z{i}", True, np.zeros((1, 1)), np.array([True]), lang="zh") for i in range(10)]
    en = [Sample(f"e{i}", True, np.zeros((1, 1)), np.array([True]), lang="en") for i in range(10)]
    floors = choose_floors(zh + en, [10.0 + i for i in range(10)] + [1.0 + i for i in range(10)], 0.1)
    assert floors["zh"] == 10.5 and floors["en"] == 1.5


def test_weights_fall_back_to_the_one_floor() -> None:
    from reader.scoring import Weights

    w = Weights(floor=3.0, floors={"en": 1.0})
    assert (w.floor_for("en"), w.floor_for("zh")) == (1.0, 3.0)
