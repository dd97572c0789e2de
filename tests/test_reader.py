"""The reader and its verification through the real app on the tiny document (tests/tiny.py).

Expected answers are worked out from tests/data/tiny.zh.txt by hand: 9.3 gives the 2024 regular budget
(1 234 500 美元); 表9.1 gives each subprogramme's 2023 appropriation and 2024 estimate in 千美元; the document has
subprogrammes 1 and 2 only, names no ministry, and gives no figure for 2025.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reader.scoring import WEIGHTS
from tests.tiny import build_tiny_index, tiny_client

from .answers import ask_ok


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = Path(tmp_path_factory.mktemp("tiny-reader"))
    settings = build_tiny_index(root / "index")
    # The packaged weights, without the floor: it is calibrated on the real model's similarities, and the
    # keyword embedder's are of another scale. What is tested here is the ranking and the verification.
    weights = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    (root / "reader.json").write_text(
        json.dumps({"weights": weights["weights"], "floor": -1e9}), encoding="utf-8"
    )
    with tiny_client(settings.model_copy(update={"reader_weights": root / "reader.json"})) as c:
        yield c


def test_a_figure_in_a_sentence_is_answered_with_its_paragraph(client: TestClient) -> None:
    body = ask_ok(client, "次级方案 1 的 2024 年拟议经常预算资源是多少？")
    assert not body["abstained"]
    assert "1 234 500" in body["answer"] and "[9.3]" in body["answer"]
    assert "次级方案 1" in body["matched"] and body["understood"]["unit"] == "美元"


def test_a_part_is_not_given_for_the_whole(client: TestClient) -> None:
    # 9.3 is subprogramme 1's figure (海洋养护); the tiny document gives none for the section as a whole.
    body = ask_ok(client, "2024 年拟议经常预算资源总额是多少？")
    assert body["abstained"]
    assert "海洋养护" in body["abstain_reason"] and body["abstain_reason"] in body["answer"]


def test_a_cell_is_answered_with_its_row_and_column(client: TestClient) -> None:
    body = ask_ok(client, "海洋科学次级方案 2024 年估计资源是多少千美元？")
    assert not body["abstained"]
    assert "4 567.8" in body["answer"] and "3 456.7" not in body["answer"]
    assert "表9.1" in body["answer"] and "海洋科学" in body["answer"]


@pytest.mark.parametrize(
    "question",
    [
        "次级方案 7 的拟议资源是多少？",  # the document has subprogrammes 1 and 2
        "政治和建设和平事务部 2024 年的拟议预算是多少？",  # a body the document never names
        "What is the WHO budget for 2024?",  # an acronym the document never uses
        "2025 年拟议经常预算资源是多少？",  # a year the figures are not for
    ],
)
def test_a_question_about_what_the_document_lacks_is_refused(client: TestClient, question: str) -> None:
    body = ask_ok(client, question)
    assert body["abstained"], body["answer"]


def test_a_follow_up_asks_what_it_asks_not_what_its_subject_did(client: TestClient) -> None:
    first = ask_ok(client, "How much is subprogramme 1's 2024 regular budget?")
    assert first["understood"]["asks"] == "money"
    # Its own ask wins over the subject's words ("budget" would read as an amount again) …
    why = ask_ok(client, "And why?", first["conversation_id"])
    assert why["understood"]["asks"] == "reason", why["understood"]
    # … and one that asks nothing of its own ("其中…有多少？") asks what the turn before it asked.
    count = ask_ok(client, "深海勘探方面的研究金方案每年培训多少名研究员？")
    assert count["understood"]["asks"] == "count"
    part = ask_ok(client, "其中在日内瓦有多少？", count["conversation_id"])
    assert part["understood"]["asks"] == "count", part["understood"]


def test_a_date_asked_is_another_year_than_the_one_the_question_says(client: TestClient) -> None:
    from corpus.candidates import Candidate
    from index.query import Hit
    from reader.scoring import _Read

    answerer = next(iter(client.app.state.citeqa.loaded.answerers.values()))  # type: ignore[attr-defined]
    p = answerer.retriever.by_id["9.3"]
    end = p.text.index("。") + 1
    c = Candidate("9.3", 0, end, "sentence", "")  # 2024 … 比 2023 年减少 …

    def year_bad(question: str) -> float:
        q = answerer.analyse(question)
        read = _Read(q, {}, 0.0, 1)
        return answerer.reader.features(read, c, Hit(p, 1.0, 1.0, 1.0, False), 0.5, 0)["year_bad"]

    # An amount of 2025 is not 2024's …
    assert year_bad("2025 年拟议经常预算资源是多少？") == 1.0
    # … but the year a date question asks is any year the sentence gives, whatever year it says.
    assert year_bad("这笔资源 2025 年以前是从哪一年开始编列的？") == 0.0
