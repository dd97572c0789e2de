"""The regression check: hand-made comparisons, the scoring it relies on, and the real run against the baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eval.regression import (
    BASELINE,
    TOLERANCE,
    TOLERANCES,
    baseline_gate,
    baseline_record,
    compare,
    gate_headline,
    load_baseline,
    not_in_baseline,
)
from eval.schema import Question
from eval.scoring import (
    HEADLINE,
    Prediction,
    SystemInfo,
    aggregate,
    build_report,
    check_targets,
    failure,
    rank_of,
    score,
)
from service.settings import Settings

GOOD = {
    "hit@1": 0.90,
    "hit@5": 0.98,
    "mrr": 0.93,
    "answer_accuracy": 0.88,
    "abstention_recall": 0.90,
    "false_abstention_rate": 0.03,
    "en_hit@5": 0.94,
    "citation_hit@1": 1.0,
}

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


# Headline metrics added with the evaluation-instrument change: the committed baseline predates them until it is
# refreshed from a run (`python -m eval.regression --report OUT.json --write`); until then they are not compared.
ADDED_AFTER_THE_BASELINE = {
    "precision",
    "coverage",
    "two_part_accuracy",
    "standalone_accuracy",
    "twin_agreement",
}


def test_committed_baseline_has_every_headline_metric() -> None:
    baseline = load_baseline()
    gate = baseline_gate(baseline)
    assert set(not_in_baseline(gate)) <= ADDED_AFTER_THE_BASELINE
    assert set(HEADLINE) - ADDED_AFTER_THE_BASELINE <= set(gate)
    assert baseline["tolerance"] == TOLERANCE


def test_few_question_metrics_have_their_own_tolerance() -> None:
    base = {**GOOD, "two_part_accuracy": 0.80, "standalone_accuracy": 0.857}
    # One of 22 two-part questions lost (0.045 < 0.05) and one of 7 standalone turns (0.143 < 0.15) pass ...
    assert compare({**base, "two_part_accuracy": 0.755, "standalone_accuracy": 0.714}, base) == []
    # ... two of each fail.
    problems = compare({**base, "two_part_accuracy": 0.709, "standalone_accuracy": 0.571}, base)
    assert [p.split()[0] for p in problems] == ["two_part_accuracy", "standalone_accuracy"]
    assert TOLERANCES["two_part_accuracy"] > TOLERANCE


def test_metrics_the_baseline_lacks_are_named_not_compared() -> None:
    assert compare({**GOOD, "precision": 0.1}, GOOD) == []
    assert "precision" in not_in_baseline(GOOD) and "hit@1" not in not_in_baseline(GOOD)


def test_the_gate_reads_the_test_split_of_a_baseline_old_or_new() -> None:
    old = {"headline": {"hit@1": 0.5}, "headline_by_split": {"dev": {"hit@1": 0.9}, "test": {"hit@1": 0.7}}}
    assert baseline_gate(old) == {
        "hit@1": 0.7
    }  # written before the gate: its headline was over every question
    assert baseline_gate({"headline": {"hit@1": 0.5}}) == {"hit@1": 0.5}  # a set without splits
    new = {"gate_split": "test", "headline": {"hit@1": 0.7}, "headline_all": {"hit@1": 0.5}}
    assert baseline_gate(new) == {"hit@1": 0.7}


# ---------------------------------------------------------------- scoring the regression relies on


def _q(qid: str, gold: list[str], key: str, kind: str = "fact_zh", lang: str = "zh") -> Question:
    return Question(qid, "？", lang, kind, gold, key)


def test_id_rank_counts_items_for_their_paragraph() -> None:
    q = _q("q1", ["4.88"], "1 612 200")
    assert rank_of(Prediction(["4.12", "4.88(b)"], "", False, 0.0), q, "id") == 2
    assert rank_of(Prediction(["4.8", "4.89"], "", False, 0.0), q, "id") is None


def test_text_rank_ignores_whitespace() -> None:
    q = _q("q1", ["4.86"], "15 232 800")
    pred = Prediction(
        ["chunk-3", "chunk-9"], "", False, 0.0, ranked_texts=["无关", "总额为 15 232\n800 美元"]
    )
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
    assert (
        m["abstention_precision"] == 0.0 and m["abstention_recall"] == 0.0
    )  # 1 abstention, not the right one
    assert m["overall_accuracy"] == pytest.approx(1 / 3)
    assert m["median_ms"] == 20.0


def test_report_targets_and_headline_from_hand_made_predictions() -> None:
    table = Question("q4", "表4.6 2022 年实际？", "zh", "table", ["表4.6"], "222", wrong=["190", "171"])
    followup = Question("q5", "那 2023 年呢？", "zh", "followup", [], "", history=["2024 年是多少？"])
    two_part = Question(
        "q6",
        "多少？其中？",
        "zh",
        "two_part",
        ["4.86"],
        "15 232 800",
        answers=["15 232 800", "2 768 900"],
        fact="f1",
    )
    twin = Question(
        "q7",
        "How much, and of it?",
        "en",
        "two_part",
        ["4.86"],
        "15 232 800",
        answers=["15 232 800", "2 768 900"],
        fact="f1",
    )
    standalone = Question(
        "q8", "前言是谁签署的？", "zh", "followup", ["前言"], "中满泉", history=["上一问"], standalone=True
    )
    questions = [
        _q("q1", ["4.1"], "甲"),
        _q("q2", ["4.2"], "乙", kind="citation", lang="en"),
        _q("q3", [], "", kind="unanswerable"),
        table,
        followup,
        two_part,
        twin,
        standalone,
    ]
    preds = [
        Prediction(["4.1"], "甲", False, 0.1),
        Prediction(["4.2"], "乙", False, 0.1),
        Prediction([], "没有", True, 0.1),
        Prediction(["表4.6"], "222（2022 年实际）", False, 0.1),
        Prediction([], "没有", True, 0.1),
        Prediction(["4.86"], "15 232 800，其中 2 768 900", False, 0.1),
        Prediction(["4.86"], "15 232 800; of it 2 768 900", False, 0.1),
        Prediction(["前言"], "中满泉", False, 0.1),
    ]
    chat = {"q5": Prediction([], "没有", True, 0.1), "q8": Prediction(["前言"], "中满泉", False, 0.1)}
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
    # Test-split aggregates against the baseline's: no question's answer is compared.
    problems = compare(gate_headline(report), baseline_gate(load_baseline(BASELINE)))
    assert not problems, "headline metrics regressed:\n" + "\n".join(problems)


# ---------------------------------------------------------------- the runner's two conversation routes, on a fake app


class _FakeResponse:
    def __init__(self, payload: dict[str, object], status: int = 200) -> None:
        self.status_code = status
        self._payload = payload
        self.text = str(payload)

    def json(self) -> dict[str, object]:
        return self._payload


class _FakeChatClient:
    """Answers each chat request with "reply to <last user message>" and records the messages it got."""

    def __init__(self) -> None:
        self.requests: list[list[dict[str, str]]] = []

    def post(self, path: str, json: dict[str, object]) -> _FakeResponse:
        assert path == "/v1/chat/completions"
        messages = json["messages"]
        assert isinstance(messages, list)
        self.requests.append(messages)
        last = messages[-1]["content"]
        return _FakeResponse(
            {
                "choices": [{"message": {"role": "assistant", "content": f"reply to {last} [4.1]"}}],
                "citations": [{"id": "4.1"}],
                "abstained": last == "2025 年呢？",
            }
        )


def test_chat_route_rebuilds_history_from_its_own_replies_and_replays_each_prefix_once() -> None:
    from eval.runner import CiteqaChat

    client = _FakeChatClient()
    chat = CiteqaChat(client)
    turn2 = Question(
        "q2", "那次级方案 2 呢？", "zh", "followup", ["4.1"], "reply", history=["次级方案 1 呢？"]
    )
    turn3 = Question(
        "q3", "2025 年呢？", "zh", "followup", [], "", history=["次级方案 1 呢？", "那次级方案 2 呢？"]
    )
    p2, p3 = chat.predict(turn2), chat.predict(turn3)
    assert client.requests[-1] == [
        {"role": "user", "content": "次级方案 1 呢？"},
        {"role": "assistant", "content": "reply to 次级方案 1 呢？ [4.1]"},
        {"role": "user", "content": "那次级方案 2 呢？"},
        {"role": "assistant", "content": "reply to 那次级方案 2 呢？ [4.1]"},
        {"role": "user", "content": "2025 年呢？"},
    ]
    assert len(client.requests) == 3  # turn 1, turn 2 and turn 3, each asked once although turn 2 is shared
    assert p2.ranked_ids == ["4.1"] and not p2.abstained and p3.abstained


def test_select_split() -> None:
    from eval.runner import select_split
    from eval.schema import SetError

    qs = [
        Question("a", "？", "zh", "number", ["4.1"], "1", split="dev"),
        Question("b", "？", "zh", "number", ["4.1"], "1", split="test"),
        Question("c", "？", "zh", "number", [], ""),
    ]
    assert [q.id for q in select_split(qs, "dev")] == ["a"]
    assert [q.id for q in select_split(qs, "test")] == ["b"]
    assert [q.id for q in select_split(qs, "all")] == ["a", "b", "c"]
    with pytest.raises(SetError):
        select_split(qs, "train")


def test_split_report_side_by_side_and_targets_on_test() -> None:
    from eval.render import split_table

    qs = [
        Question("a", "？", "zh", "number", ["4.1"], "甲", split="dev"),
        Question("b", "？", "zh", "number", ["4.2"], "乙", split="test"),
    ]
    preds = [Prediction(["4.1"], "甲", False, 0.1), Prediction(["4.3"], "丙", False, 0.1)]
    report = build_report(qs, {"citeqa": preds}, [SystemInfo("citeqa", "citeqa", "id")], {})
    assert report["target_split"] == "test"
    assert report["headline_by_split"]["dev"]["citeqa"]["hit@1"] == 1.0
    assert report["headline_by_split"]["test"]["citeqa"]["hit@1"] == 0.0
    hit1 = next(t for t in report["targets"] if t["metric"] == "hit@1" and t["group"] is None)
    assert hit1["value"] == 0.0 and hit1["met"] is False  # judged on test alone, not on all (0.5)
    table = split_table(report)
    assert table[0] == "| metric | n dev | n test | citeqa dev | citeqa test |"
    assert table[2] == "| hit@1 (answerable) | 1 | 1 | 1.000 | 0.000 |"


def test_whole_row_answer_to_a_cell_question_is_wrong_but_lenient_right() -> None:
    q = Question(
        "q1",
        "2022年次级方案1实际提供了多少次实质性会议服务？",
        "zh",
        "table",
        ["表4.6"],
        "222",
        wrong=["190", "171", "189"],
    )
    row = score(
        q, Prediction(["表4.6"], "实质性会议服务(3 小时会议次数) | 190 | 222 | 171 | 189", False, 0.0), "id"
    )
    cell = score(q, Prediction(["表4.6"], "222（表4.6，2022 年实际）", False, 0.0), "id")
    assert (row["correct"], row["lenient_correct"]) == (False, True)
    assert failure(q, row) == "key given, but with the wrong cells too (gold at rank 1)"
    assert (cell["correct"], cell["lenient_correct"]) == (True, True) and failure(q, cell) is None
    m = aggregate([(q, row), (q, cell)])
    assert (m["answer_accuracy"], m["answer_accuracy_lenient"]) == (0.5, 1.0)


def test_the_runner_is_not_rate_limited(tmp_path: Path) -> None:
    # One caller sending a whole set: with the service's per-caller limit (here 1 a minute) every question but the
    # first would be a 429 scored as a miss.
    from eval.runner import run_citeqa
    from tests.tiny import KeywordEmbedder, build_tiny_index

    settings = build_tiny_index(tmp_path / "index").model_copy(
        update={"rate_limit_per_min": 1, "rate_limit_burst": 1}
    )
    questions = [
        Question(
            id=f"q{i}",
            question="2024 年拟议经常预算资源是多少？",
            lang="zh",
            kind="number",
            gold=["9.3"],
            answer="1 234 500",
        )
        for i in range(3)
    ]
    predictions, _ = run_citeqa(settings, questions, embedder=KeywordEmbedder(), progress=False)
    assert [p.error for p in predictions] == [None, None, None]
    assert all(p.ranked_ids[:1] == ["9.3"] for p in predictions)


# ---------------------------------------------------------------- the new metrics, the split rules, on a synthetic run


def _row(q: Question, pred: Prediction) -> tuple[Question, dict[str, object]]:
    return q, score(q, pred, "id")


def test_precision_coverage_two_part_standalone_and_twins_by_hand() -> None:
    a = Question("a", "？", "zh", "number", ["4.1"], "甲", fact="f1")
    b = Question("b", "?", "en", "en", ["4.1"], "甲", fact="f1")
    c = Question("c", "？", "zh", "number", ["4.2"], "乙", fact="f2")
    d = Question("d", "?", "en", "en", ["4.2"], "乙", fact="f2")
    u = Question("u", "？", "zh", "unanswerable", [], "", fact="f3")
    v = Question("v", "?", "en", "unanswerable", [], "", fact="f3")
    tp1 = Question("tp1", "？", "zh", "two_part", ["4.86"], "15 232 800", answers=["15 232 800", "2 768 900"])
    tp2 = Question("tp2", "？", "zh", "two_part", ["4.86"], "15 232 800", answers=["15 232 800", "2 768 900"])
    st = Question("st", "？", "zh", "followup", ["前言"], "中满泉", history=["上一问"], standalone=True)
    rows = [
        _row(a, Prediction(["4.1"], "甲", False, 0.0)),  # right
        _row(b, Prediction(["4.1"], "甲", False, 0.0)),  # right, same first citation: f1 agrees
        _row(c, Prediction(["4.2"], "丙", False, 0.0)),  # answered wrong
        _row(d, Prediction(["4.2"], "", True, 0.0)),  # abstained on an answerable question
        _row(u, Prediction(["4.5"], "某", False, 0.0)),  # answered an unanswerable one: given and wrong
        _row(v, Prediction([], "", True, 0.0)),  # right abstention
        _row(tp1, Prediction(["4.86"], "15 232 800", False, 0.0)),  # one part of two: wrong
        _row(tp2, Prediction(["4.86"], "15 232 800，其中 2 768 900", False, 0.0)),  # both parts: right
        _row(st, Prediction(["前言"], "中满泉", False, 0.0)),  # right
    ]
    m = aggregate(rows)
    # Given: a b c u tp1 tp2 st = 7; right among them: a b tp2 st = 4.
    assert (m["answered"], m["precision"]) == (7, pytest.approx(4 / 7))
    # Answerable: a b c d tp1 tp2 st = 7; answered: all but d = 6.
    assert m["coverage"] == pytest.approx(6 / 7)
    assert (m["two_part"], m["two_part_accuracy"]) == (2, 0.5)
    assert (m["standalone"], m["standalone_accuracy"]) == (1, 1.0)
    # Twins f1 (agree), f2 (c wrong, d abstained), f3 (u answered): 1 of 3.
    assert (m["twin_facts"], m["twin_agreement"]) == (3, pytest.approx(1 / 3))
    assert rows[6][1]["lenient_correct"] is False  # lenient still wants every key
    assert failure(tp1, rows[6][1]) == "only part of the answer: 1 of 2 keys (gold at rank 1)"
    assert failure(tp2, rows[7][1]) is None


def test_abstention_recall_target_holds_only_at_low_false_abstention() -> None:
    def summary(recall: float, false_abstention: float) -> dict[str, Any]:
        return {
            "overall": {"abstention_recall": recall, "false_abstention_rate": false_abstention},
            "by_kind": {},
            "by_lang": {},
        }

    def recall_target(recall: float, false_abstention: float) -> dict[str, Any]:
        return next(
            t for t in check_targets(summary(recall, false_abstention)) if t["metric"] == "abstention_recall"
        )

    assert recall_target(0.90, 0.04)["met"] is True
    assert recall_target(0.90, 0.10)["met"] is False  # recall bought with false abstentions does not count
    assert recall_target(0.80, 0.01)["met"] is False
    assert recall_target(0.90, 0.04)["at"]["value"] == 0.04


def _split_run() -> tuple[list[Question], list[Prediction]]:
    qs = [
        Question("dev-1", "开发集的问题？", "zh", "number", ["4.1"], "甲", split="dev"),
        Question("dev-2", "开发集的另一问？", "zh", "number", ["4.2"], "乙", split="dev"),
        Question("held-out-7", "SECRET TEST QUESTION", "en", "en", ["4.3"], "丙", split="test"),
        Question("held-out-8", "another secret one", "en", "en", ["4.4"], "丁", split="test"),
    ]
    preds = [
        Prediction(["4.1"], "甲", False, 0.1),
        Prediction(["4.9"], "错的开发答案", False, 0.1),
        Prediction(["4.9"], "WRONG TEST ANSWER", False, 0.1),
        Prediction(["4.4"], "丁", False, 0.1),
    ]
    return qs, preds


def test_report_keeps_test_in_aggregate_only() -> None:
    import json

    from eval.render import render

    qs, preds = _split_run()
    report = build_report(
        qs, {"citeqa": preds}, [SystemInfo("citeqa", "citeqa", "id")], {"test questions": 2}
    )
    assert [r["id"] for r in report["questions"]] == ["dev-1", "dev-2"]
    assert report["questions_withheld"] == 2
    assert report["failures_by_split"] == {"dev": 1, "test": 1}
    assert report["headline_by_split"]["test"]["citeqa"]["answer_accuracy"] == 0.5  # the aggregate is there
    text = json.dumps(report, ensure_ascii=False)
    markdown = render(report)
    for secret in ("held-out-7", "SECRET TEST QUESTION", "WRONG TEST ANSWER", "held-out-8"):
        assert secret not in text and secret not in markdown
    assert "dev-2" in markdown  # dev failures are listed, question by question
    assert "test: 1 of 2 questions have a failure (held out: not listed)." in markdown
    assert "1 of 2 dev questions have a failure:" in markdown
    # The baseline record the gate compares holds aggregates only.
    record = baseline_record({**report, "meta": {}})
    assert (
        record["gate_split"] == "test" and record["headline"] == report["headline_by_split"]["test"]["citeqa"]
    )
    assert "held-out-7" not in json.dumps(record) and gate_headline(report) == record["headline"]


def test_test_detail_is_explicit_and_never_rendered() -> None:
    from eval.render import render

    qs, preds = _split_run()
    report = build_report(qs, {"citeqa": preds}, [SystemInfo("citeqa", "citeqa", "id")], {}, test_detail=True)
    assert [r["id"] for r in report["questions"]] == ["dev-1", "dev-2", "held-out-7", "held-out-8"]
    assert report["questions_withheld"] == 0
    assert "held-out-7" not in render(report)  # the Markdown lists dev failures only, whatever the JSON holds
