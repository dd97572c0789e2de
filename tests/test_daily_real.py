"""Issue 12 on the real document and model: references down to items, search that finds nothing for nonsense and
marks whole words only, paging, and the drafters' citation fields."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("typed", ["77/71", "A/RES/77/71", "第77/71号决议", "resolution 77/71"])
def test_references_list_the_items_with_offsets(real_client: TestClient, typed: str) -> None:
    body = real_client.get(f"/references/{typed}").json()
    ids = [p["id"] for p in body["passages"]]
    assert {"4.44(c)", "4.88(b)㈠", "4.88(d)"} <= set(ids)
    assert not {"4.44", "4.88", "4.88(b)"} & set(ids)  # their mentions are the items'
    for p in body["passages"]:
        assert p["mentions"] and all(p["text"][s:e] == "77/71" for s, e in p["mentions"])


@pytest.mark.parametrize("nonsense", ["qwertyzzz", "asdfgh", "的的的"])
def test_search_for_nonsense_is_empty(real_client: TestClient, nonsense: str) -> None:
    body = real_client.get("/search", params={"q": nonsense}).json()
    assert body["results"] == [] and body["total"] == 0


def test_search_quotes_and_snippets_start_on_a_word(real_client: TestClient) -> None:
    results = real_client.get("/search", params={"q": "小武器", "top_k": 50}).json()["results"]
    assert len(results) > 10
    table = next(c for c in results if c["id"] == "表4.12")
    assert not table["quote"].startswith("家") and not table["snippet"]["text"].startswith("家")
    for c in results:
        for s, e in c["highlights"]:
            assert c["text"][s:e] == "小武器"


def test_search_never_marks_a_word_inside_another(real_client: TestClient) -> None:
    results = real_client.get("/search", params={"q": "武器", "top_k": 50}).json()["results"]
    marked = 0
    for c in results:
        for s, e in c["highlights"]:
            marked += 1
            assert c["text"][max(0, s - 1) : e] not in ("轻武器", "小武器", "核武器"), (c["id"], s)
    assert marked > 0


def test_search_pages(real_client: TestClient) -> None:
    first = real_client.get("/search", params={"q": "裁军", "top_k": 5}).json()
    second = real_client.get("/search", params={"q": "裁军", "top_k": 5, "offset": 5}).json()
    whole = real_client.get("/search", params={"q": "裁军", "top_k": 10}).json()
    assert first["total"] == second["total"] == whole["total"] > 10
    assert [c["id"] for c in first["results"] + second["results"]] == [c["id"] for c in whole["results"]]
    strict = real_client.get("/search", params={"q": "裁军", "min_score": 0.5}).json()
    assert strict["total"] < whole["total"] and all(c["score"] >= 0.5 for c in strict["results"])


def test_a_drafters_citation(real_client: TestClient) -> None:
    cite = real_client.post("/ask", json={"question": "4.88 (b)㈠ 说了什么？"}).json()["citations"][0]
    assert cite["id"] == "4.88(b)㈠"
    assert cite["cite_zh"] == "A/78/6 (Sect. 4)，第 4.88 (b) ㈠ 段"
    assert cite["cite_en"] == "A/78/6 (Sect. 4), para. 4.88 (b) (i)"
    assert cite["source_url"] == "https://undocs.org/ch/A/78/6(Sect.4)"
    assert {"symbol": "77/71", "url": "https://undocs.org/ch/A/RES/77/71"} in cite["symbols"]


def test_unknown_id_lists_the_nearest(real_client: TestClient) -> None:
    body = real_client.get("/passages/4.200").json()
    assert body["nearest"] and all(
        real_client.get(f"/passages/{n}").status_code == 200 for n in body["nearest"]
    )
