"""The evaluation's tools around the runner: the snapshot, the dirty stamp, the baseline writer, the report on a
test-only run and the set checker's command line. Fast: no index, no model."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from eval.schema import Question
from eval.scoring import Prediction, SystemInfo, build_report

ROOT = Path(__file__).resolve().parent.parent


def _report(questions: list[Question]) -> dict[str, Any]:
    preds = [Prediction(["4.9"], "错", False, 0.1) for _ in questions]
    return build_report(questions, {"citeqa": preds}, [SystemInfo("citeqa", "citeqa", "id")], {})


# ---------------------------------------------------------------- snapshot


def test_snapshot_compare_names_dev_answers_and_only_counts_test_ones() -> None:
    from eval.snapshot import compare_lines

    before = {"d1": {"ask": 1}, "d2": {"ask": 2}, "t1": {"ask": 3}, "t2": {"ask": 4}, "gone": {"ask": 5}}
    after = {"d1": {"ask": 1}, "d2": {"ask": 9}, "t1": {"ask": 9}, "t2": {"ask": 9}}
    split_of = {"d1": "dev", "d2": "dev", "t1": "test", "t2": "test"}
    lines, moved = compare_lines(before, after, split_of)
    assert moved == 4
    text = "\n".join(lines)
    assert "1 dev answers moved: d2" in lines
    assert "2 test answers moved (held out: not listed)" in lines
    assert "t1" not in text and "t2" not in text and "gone" not in text  # test (and unknown) ids never named
    assert lines[0] == "4 answers; 4 differ"
    unchanged, none = compare_lines(after, after, split_of)
    assert none == 0 and "0 test answers moved (held out: not listed)" in unchanged


class _Response:
    def __init__(self, payload: dict[str, Any], status: int = 200) -> None:
        self.status_code, self._payload = status, payload

    def json(self) -> dict[str, Any]:
        return self._payload


class _Client:
    """/ask answers everything; chat answers 503 to a request whose last message is "busy"."""

    def post(self, path: str, json: dict[str, Any]) -> _Response:
        if path == "/ask":
            return _Response(
                {"answer": "甲", "abstained": False, "resolved_question": "resolved", "citations": []}
            )
        last = json["messages"][-1]["content"]
        if last == "busy":
            return _Response({"detail": "busy"}, 503)
        return _Response(
            {
                "choices": [{"message": {"role": "assistant", "content": f"reply to {last}"}}],
                "abstained": False,
                "resolved_question": f"understood {last}",
                "citations": [{"id": "4.1", "quote": "q", "cell": None, "highlights": [], "score": 0.5}],
            }
        )


def test_snapshot_keeps_the_chat_resolved_question_and_a_failed_history_turn_status() -> None:
    from eval.snapshot import answers

    ok = Question("a", "那 2025 年呢？", "zh", "followup", ["4.1"], "甲", history=["2024 年多少？"])
    failed = Question("b", "那 2025 年呢？", "zh", "followup", ["4.1"], "甲", history=["first", "busy"])
    out = answers(_Client(), [ok, failed])
    assert out["a"]["chat"]["resolved_question"] == "understood 那 2025 年呢？"
    assert out["a"]["chat"]["citations"] == [{"id": "4.1", "quote": "q", "cell": None, "highlights": []}]
    assert out["a"]["ask"]["resolved_question"] == "resolved"
    assert out["b"]["chat"] == {"history_turn": 2, "status": 503}


# ---------------------------------------------------------------- the dirty stamp


def test_the_dirty_stamp_covers_every_package_the_service_imports() -> None:
    from eval.runner import _MEASURED

    first_party = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    seen: set[str] = set()
    todo = ["service"]
    while todo:
        package = todo.pop()
        seen.add(package)
        for path in (ROOT / package).rglob("*.py"):
            for name in re.findall(r"^\s*(?:from|import) (\w+)", path.read_text(encoding="utf-8"), re.M):
                if name in first_party and name not in seen:
                    todo.append(name)
    assert "reader" in seen  # its code and reader/weights.json decide the answer
    assert seen - {"eval"} <= set(_MEASURED), sorted(seen - set(_MEASURED))


# ---------------------------------------------------------------- the baseline writer


def test_regression_write_refuses_a_report_without_a_test_split(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from eval.regression import main

    report = _report([Question("d", "？", "zh", "number", ["4.1"], "甲", split="dev")])
    assert report["splits"] == ["dev"]
    path, baseline = tmp_path / "report.json", tmp_path / "baseline.json"
    path.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    assert main(["--report", str(path), "--baseline", str(baseline), "--write"]) == 2
    assert not baseline.exists()
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "no test split" in err


# ---------------------------------------------------------------- the report of a test-only run


def test_a_test_only_report_says_the_dev_split_was_not_run() -> None:
    from eval.render import render

    report = _report([Question("held-out-1", "SECRET", "zh", "number", ["4.1"], "甲", split="test")])
    text = render(report)
    assert "0 of 0" not in text and "| id | split |" not in text
    assert "The dev split was not run" in text
    assert "held-out-1" not in text and "SECRET" not in text


# ---------------------------------------------------------------- the set checker


def test_check_set_has_a_help(capsys: pytest.CaptureFixture[str]) -> None:
    from eval.check_set import main

    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "usage: python -m eval.check_set" in capsys.readouterr().out
