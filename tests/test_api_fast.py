"""The HTTP contract (docs/DESIGN.md §2) through the real app and its lifespan, on the tiny document and the keyword
embedder of tests/tiny.py: every expectation below can be worked out by hand from tests/data/tiny.zh.txt."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from index.ranking import RRF_K, SCOPE_BOOST
from service.settings import Settings
from tests.tiny import TINY_DOC, TINY_IDS, tiny_client

ASK_BUDGET = "次级方案 1 的 2024 年拟议经常预算资源是多少？"


def _check_citation(c: dict) -> None:
    assert set(c) >= {"id", "doc", "kind", "heading", "text", "quote", "score", "url"}
    assert c["id"] in TINY_IDS
    assert c["doc"] == TINY_DOC
    assert c["quote"] and c["quote"] in c["text"]
    assert c["source_url"] == "https://undocs.org/ch/A/78/6(Sect.9)"
    assert c["cite_zh"].startswith(f"{TINY_DOC}，") and c["cite_en"].startswith(f"{TINY_DOC}, ")
    for s, e in c["highlights"]:
        assert 0 <= s < e <= len(c["text"])


# ---------------------------------------------------------------- probes


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {
        "status": "ok",
        "passages": None,
        "model": None,
        "shared_state": None,
    }
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "passages": len(TINY_IDS),
        "model": "tiny-keywords",
        "shared_state": "local",
    }


def test_readyz_is_503_until_the_lifespan_has_loaded_the_index(settings: Settings) -> None:
    c = tiny_client(settings)  # not entered: the lifespan has not run
    assert c.get("/healthz").status_code == 200
    r = c.get("/readyz")
    assert r.status_code == 503
    assert r.json()["status"] == "loading"


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    ids = set()
    for r in (
        client.get("/healthz"),
        client.get("/passages/9.77"),
        client.post("/ask", json={"question": ""}),
    ):
        assert len(r.headers["x-request-id"]) >= 8
        ids.add(r.headers["x-request-id"])
    assert len(ids) == 3


def test_metrics_count_requests_by_route_and_status(client: TestClient) -> None:
    client.get("/passages/9.3")
    client.get("/passages/9.77")
    body = client.get("/metrics").text
    assert "citeqa_requests_total" in body
    # Passage ids never become label values: one series per route template, not per passage.
    assert 'citeqa_requests_total{route="/passages/{passage_id:path}",status="200"}' in body
    assert 'citeqa_requests_total{route="/passages/{passage_id:path}",status="404"}' in body
    assert "9.77" not in body


# ---------------------------------------------------------------- /search


def test_search_ranks_by_hand(client: TestClient) -> None:
    # 深海 is a keyword of 9.4 alone (cosine 1) and of 9.6 with two others (cosine 1/sqrt(3)); both contain the
    # token once, so 9.4 is first in both lists and 9.6 second: fused (w_d + w_l)/(k+1) and (w_d + w_l)/(k+2),
    # over the best possible (w_d + w_l)/(k+1) * SCOPE_BOOST; so 1/1.6 and (k+1)/(k+2)/1.6.
    r = client.get("/search", params={"q": "深海"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {
        "results",
        "took_ms",
        "total",
        "offset",
        "facets",
        "query",
    }  # paging (12), facets (22)
    assert body["total"] == 2 and body["offset"] == 0  # no other passage holds the word or the keyword
    results = body["results"]
    assert [c["id"] for c in results[:2]] == ["9.4", "9.6"]
    assert results[0]["score"] == pytest.approx(1 / SCOPE_BOOST, abs=1e-4)
    assert results[1]["score"] == pytest.approx((RRF_K + 1) / (RRF_K + 2) / SCOPE_BOOST, abs=1e-4)
    assert [c["score"] for c in results] == sorted((c["score"] for c in results), reverse=True)
    for c in results:
        _check_citation(c)
    assert len({c["id"] for c in results}) == len(results) <= 10


def test_search_highlights_point_at_the_query_terms(client: TestClient) -> None:
    results = client.get("/search", params={"q": "深海"}).json()["results"]
    for c in results[:2]:
        assert c["highlights"], c
        assert {c["text"][s:e] for s, e in c["highlights"]} == {"深海"}
        assert c["highlights"][0][0] == c["text"].index("深海")


def test_search_never_lists_an_item_beside_its_paragraph(client: TestClient) -> None:
    results = client.get("/search", params={"q": "红树林", "top_k": 20}).json()["results"]
    ids = [c["id"] for c in results]
    assert ids[0] == "9.2(b)"  # cosine 1/sqrt(2), and the shorter text for BM25; its paragraph 9.2 only 1/2
    assert "9.2" not in ids


def test_search_top_k(client: TestClient) -> None:
    assert len(client.get("/search", params={"q": "深海", "top_k": 1}).json()["results"]) == 1


def test_search_pages_with_offset_and_total(client: TestClient) -> None:
    whole = client.get("/search", params={"q": "讲习班 红树林 深海", "top_k": 20}).json()
    assert whole["total"] == len(whole["results"]) >= 3
    pages = [
        client.get("/search", params={"q": "讲习班 红树林 深海", "top_k": 2, "offset": o}).json()
        for o in range(0, whole["total"], 2)
    ]
    assert all(p["total"] == whole["total"] for p in pages)
    assert [c["id"] for p in pages for c in p["results"]] == [c["id"] for c in whole["results"]]
    past = client.get("/search", params={"q": "讲习班 红树林 深海", "offset": whole["total"]}).json()
    assert past["results"] == [] and past["total"] == whole["total"]
    assert client.get("/search", params={"q": "深海", "offset": -1}).status_code == 422


def test_search_snippet_is_a_window_of_the_text_with_highlights_into_it(client: TestClient) -> None:
    for c in client.get("/search", params={"q": "深海"}).json()["results"]:
        snip = c["snippet"]
        assert c["text"][snip["start"] : snip["end"]] == snip["text"]
        assert snip["highlights"] and {snip["text"][s:e] for s, e in snip["highlights"]} == {"深海"}


def test_search_min_score(client: TestClient) -> None:
    # 9.4 scores 1/1.6 = 0.625, 9.6 (k+1)/(k+2)/1.6 = 0.573 (test_search_ranks_by_hand).
    body = client.get("/search", params={"q": "深海", "min_score": 0.6}).json()
    assert [c["id"] for c in body["results"]] == ["9.4"] and body["total"] == 1
    assert client.get("/search", params={"q": "深海", "min_score": 2}).status_code == 422


@pytest.mark.parametrize("nonsense", ["qwertyzzz", "的的的"])
def test_search_for_nonsense_finds_nothing(client: TestClient, nonsense: str) -> None:
    # No word of it in the document, cosine 0 with every passage (no keyword): nothing matches.
    body = client.get("/search", params={"q": nonsense}).json()
    assert body["results"] == [] and body["total"] == 0


def test_search_highlights_whole_words_only(client: TestClient) -> None:
    # jieba reads 珊瑚礁 as one word: searching 珊瑚 finds the passages (BM25 indexes sub-words) but marks no
    # half-word.
    results = client.get("/search", params={"q": "珊瑚"}).json()["results"]
    assert results
    for c in results:
        assert all(c["text"][s:e] != "珊瑚" or c["text"][e : e + 1] != "礁" for s, e in c["highlights"])


# ---------------------------------------------------------------- /ask


def test_ask_answers_with_the_figure_and_a_marker(client: TestClient) -> None:
    r = client.post("/ask", json={"question": ASK_BUDGET})
    assert r.status_code == 200
    body = r.json()
    assert body["abstained"] is False
    assert "1 234 500" in body["answer"]
    assert body["answer"].endswith("[9.3]")
    first = body["citations"][0]
    assert first["id"] == "9.3"
    # The quote is the sentence with the figure, verbatim, and it is what the answer says.
    assert first["quote"] == "2024 年拟议经常预算资源为 1 234 500 美元，比 2023 年减少 5 000 美元。"
    assert first["quote"] in body["answer"]
    for c in body["citations"]:
        _check_citation(c)
    assert len(body["citations"]) <= 5
    assert body["conversation_id"]
    assert body["took_ms"] >= 0


def test_ask_for_a_named_passage_gives_it_whole(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "9.2 (a) 说了什么？"}).json()
    assert [c["id"] for c in body["citations"]] == ["9.2(a)"]
    text = body["citations"][0]["text"]
    assert body["answer"] == f"第 9.2 (a) 段：{text} [9.2(a)]"


def test_ask_which_paragraphs_cite_a_resolution(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "哪些段落引用了 77/71？"}).json()
    assert body["abstained"] is False
    # The same items /references lists (the item that mentions it, not its paragraph), each quoted with the
    # sentence around the mention.
    listed = [p["id"] for p in client.get("/references/77/71").json()["passages"]]
    assert [c["id"] for c in body["citations"]] == listed == ["9.2(b)"]
    assert "[9.2(b)]" in body["answer"]
    assert body["citations"][0]["quote"] == "(b) 根据大会第 77/71 号决议维护红树林数据库。"
    assert body["citations"][0]["url"] == "https://undocs.org/ch/A/RES/77/71"


def test_ask_abstains_when_nothing_supports_an_answer(client: TestClient) -> None:
    # No keyword (cosine 0 everywhere) and no term of the question in the document.
    body = client.post("/ask", json={"question": "What is the capital of France?"}).json()
    assert body["abstained"] is True
    assert "does not answer" in body["answer"]
    assert "[" not in body["answer"]
    for c in body["citations"]:
        _check_citation(c)


def test_ask_follow_up_where_from(client: TestClient) -> None:
    first = client.post("/ask", json={"question": ASK_BUDGET}).json()
    cid = first["conversation_id"]
    second = client.post("/ask", json={"question": "它在哪一段？", "conversation_id": cid}).json()
    assert second["conversation_id"] == cid
    assert (first["new_conversation"], second["new_conversation"]) == (True, False)
    assert second["abstained"] is False
    assert second["answer"] == "上一个回答出自第 9.3 段。[9.3]"
    assert [c["id"] for c in second["citations"]] == ["9.3"]
    # Another conversation asking the same has nothing to refer back to.
    other = client.post("/ask", json={"question": "它在哪一段？", "conversation_id": "another"}).json()
    assert other["answer"] != second["answer"]
    assert other["conversation_id"] == "another" and other["new_conversation"] is True


# ---------------------------------------------------------------- /passages and /references


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("9.2", "9.2"),
        ("第9.2段", "9.2"),
        ("para 9.3", "9.3"),
        ("9 .3", "9.3"),
        ("9.2(a)", "9.2(a)"),
        ("9.2 (a)", "9.2(a)"),
        ("9.2（a）", "9.2(a)"),
        ("9.2b", "9.2(b)"),
        ("9.2 (a)㈠", "9.2(a)㈠"),
        ("9.2(a)(一)", "9.2(a)㈠"),
        ("9.2(a)(ii)", "9.2(a)㈡"),
        ("表 9.1", "表9.1"),
        ("table 9.1", "表9.1"),
        ("Table 9.1", "表9.1"),
        ("前言", "前言"),
        ("foreword", "前言"),
        ("附件一", "附件一"),
        ("annex I", "附件一"),
    ],
)
def test_passage_by_any_id_form(client: TestClient, typed: str, canonical: str) -> None:
    r = client.get(f"/passages/{typed}")
    assert r.status_code == 200, r.text
    assert r.json()["id"] == canonical


def test_passage_shape_and_links(client: TestClient) -> None:
    item = client.get("/passages/9.2(a)").json()
    assert item == {
        "id": "9.2(a)",
        "doc": TINY_DOC,
        "kind": "item",
        "text": "(a) 举办珊瑚礁监测讲习班：㈠ 在斐济举办 3 期讲习班；㈡ 在萨摩亚举办 2 期讲习班；",
        "heading": ["A. 2024 年拟议方案计划和 2022 年方案执行情况", "次级方案 1 海洋养护", "战略"],
        "parent": "9.2",
        "children": ["9.2(a)㈠", "9.2(a)㈡"],
        "symbols": [],
        # Issue 12: a passage carries the copy-ready forms and source link its citations do.
        "cite_zh": f"{TINY_DOC}，第 9.2 (a) 段",
        "cite_en": f"{TINY_DOC}, para. 9.2 (a)",
        "label_zh": "第 9.2 (a) 段",
        "label_en": "para. 9.2 (a)",
        "source_url": "https://undocs.org/ch/A/78/6(Sect.9)",
    }
    para = client.get("/passages/9.2").json()
    assert para["children"] == ["9.2(a)", "9.2(b)"]
    assert para["symbols"] == [{"symbol": "77/71", "url": "https://undocs.org/ch/A/RES/77/71"}]
    table = client.get("/passages/表9.1").json()
    assert table["kind"] == "table" and table["parent"] == "9.5"
    assert "1. 海洋养护 | 1 234.5 | 2 345.6" in table["text"].split("\n")
    assert client.get("/passages/9.5").json()["children"] == ["表9.1"]
    # Page furniture and link lines are not text.
    assert client.get("/passages/9.3").json()["text"].endswith("该笔资源用于支助渔业统计工作。")
    annex = client.get("/passages/附件一").json()
    assert annex["heading"] == ["附件一 2024 年组织结构和员额分配"]


@pytest.mark.parametrize(("typed", "nearest"), [("9.7", "9.6"), ("9.2(c)", "9.2(b)"), ("表9.2", "表9.1")])
def test_unknown_passage_is_404_with_nearest_ids(client: TestClient, typed: str, nearest: str) -> None:
    r = client.get(f"/passages/{typed}")
    assert r.status_code == 404
    detail = r.json()["detail"]
    assert isinstance(detail, str)
    assert nearest in detail.split("nearest:")[1]


@pytest.mark.parametrize(
    "typed",
    [
        "77/71",
        "A/RES/77/71",
        "第77/71号决议",
        "第 77/71 号决议",
        "resolution 77/71",
        "General Assembly resolution 77/71",
    ],
)
def test_references(client: TestClient, typed: str) -> None:
    r = client.get(f"/references/{typed}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["symbol"] == "77/71"
    assert body["url"] == "https://undocs.org/ch/A/RES/77/71"
    # The mention is in item 9.2(b): the item is listed, not its paragraph 9.2 as well (changed in issue 12; it
    # used to be the paragraph only).
    assert [p["id"] for p in body["passages"]] == ["9.2(b)"]
    item = body["passages"][0]
    assert item["mentions"] and all(item["text"][s:e] == "77/71" for s, e in item["mentions"])


def test_unknown_reference_is_404_with_look_alikes(client: TestClient) -> None:
    r = client.get("/references/77/72")
    assert r.status_code == 404
    assert "77/71" in r.json()["detail"]
    assert r.json()["nearest"] == ["77/71"]


def test_unknown_passage_lists_the_nearest_ids_as_data(client: TestClient) -> None:
    body = client.get("/passages/9.7").json()
    assert isinstance(body["nearest"], list) and "9.6" in body["nearest"]
    assert all(client.get(f"/passages/{n}").status_code == 200 for n in body["nearest"])
