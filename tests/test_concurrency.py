"""No request leaves anything on a shared object: the same questions asked by 16 clients at once through one app
get exactly the answers they get one at a time."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings

QUESTIONS = Path(__file__).resolve().parent.parent / "eval" / "questions.jsonl"


def _questions(n: int) -> list[str]:
    records = [
        json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    # Single-turn questions of every kind and both languages, in file order.
    return [r["question"] for r in records if not r.get("history")][:n]


def _view(body: dict[str, Any]) -> tuple[Any, ...]:
    return (
        body["answer"],
        body["abstained"],
        body["resolved_question"],
        [(c["id"], c["quote"], c["cell"], c["highlights"]) for c in body["citations"]],
    )


@pytest.mark.e2e
def test_sixteen_concurrent_clients_get_the_answers_of_one_client(
    real_settings: Settings, index_dir: Path
) -> None:
    # Caches of one entry: every request is read afresh, concurrently in the first pass and alone in the second.
    settings = real_settings.model_copy(update={"query_cache_size": 1, "rate_limit_per_min": 0})
    questions = _questions(100)
    assert len(questions) == 100
    with TestClient(create_app(settings)) as client:

        def ask(question: str) -> tuple[Any, ...]:
            r = client.post("/ask", json={"question": question})
            assert r.status_code == 200, r.text
            return _view(r.json())

        with ThreadPoolExecutor(16) as pool:
            together = list(pool.map(ask, questions))
        alone = [ask(q) for q in questions]
    assert [i for i, (a, b) in enumerate(zip(together, alone, strict=True)) if a != b] == []
