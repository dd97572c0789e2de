"""The search box (issue 22) on the tiny document and the keyword embedder of tests/tiny.py: what matches and so
what `total` counts, the last word completed while typing, English slips, filters and facets, snippets on the
rarest word. Every expectation can be worked out from tests/data/tiny.zh.txt:

    9.2 (a 珊瑚礁 讲习班, ㈠ 讲习班, ㈡ 讲习班, b 77/71 决议 红树林) · 9.3 经常预算 · 9.4 深海 · 9.6 深海 研究金 日内瓦
    附件一 预算外 (XB) · subprogramme 1: 9.2…9.3 (战略); subprogramme 2: 9.4…9.6 (目标)
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from corpus.ids import ancestors
from corpus.model import Passage
from reader.search import SNIPPET_CHARS, Facets, Match, result
from reader.searchwords import PREFIX_WORDS
from service.api.schemas import SearchResults
from tests.tiny import TINY_DOC


def _search(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.get("/search", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    SearchResults.model_validate(body)  # the JSON is written without the model: it must still be one
    return body


def _all(client: TestClient, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every listed result, page by page (2 a page), and the `total` every page reported."""
    out: list[dict[str, Any]] = []
    totals = set()
    offset = 0
    while True:
        body = _search(client, top_k=2, offset=offset, **params)
        totals.add(body["total"])
        out += body["results"]
        if not body["results"]:
            break
        offset += 2
    assert len(totals) == 1
    return out, totals.pop()


def _ids(results: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in results]


def _texts(client: TestClient) -> dict[str, str]:
    index = client.app.state.citeqa.loaded.retriever  # type: ignore[attr-defined]
    return {p.id: p.text for p in index.view().passages}


# ---------------------------------------------------------------- what matches: total


def test_a_sub_word_is_no_match(client: TestClient) -> None:
    # 经常预算 is cut 经常 / 预算 / 经常预算 for BM25, and 附件一 prints 预算外: it shares the sub-word 预算, not the word.
    body = _search(client, q="经常预算")
    assert _ids(body["results"]) == ["9.3"] and body["total"] == 1
    assert body["query"]["words"] == ["经常预算"]


def test_total_counts_the_passages_that_hold_the_word_an_item_never_beside_its_paragraph(
    client: TestClient,
) -> None:
    results, total = _all(client, q="讲习班")
    listed = _ids(results)
    holding = {pid for pid, text in _texts(client).items() if "讲习班" in text}
    assert holding == {"9.2", "9.2(a)", "9.2(a)㈠", "9.2(a)㈡"}
    assert total == len(listed) == len(set(listed))
    assert set(listed) <= holding
    for pid in holding:  # each is listed, or its paragraph or an item of it is
        assert (
            pid in listed
            or any(a in listed for a in ancestors(pid))
            or any(pid in ancestors(x) for x in listed)
        )
    for x in listed:  # and never both an item and its paragraph
        assert not any(a in listed for a in ancestors(x))
    for r in results:
        assert {r["text"][s:e] for s, e in r["highlights"]} == {"讲习班"}


@pytest.mark.parametrize("q", ["qwertyzzz", "的的的", "第", "年"])
def test_nothing_matches_what_the_document_does_not_say(client: TestClient, q: str) -> None:
    # No word of it in any text (one hanzi and particles are no words), no keyword: cosine 0 everywhere.
    body = _search(client, q=q)
    assert body["results"] == [] and body["total"] == 0


# ---------------------------------------------------------------- while typing


def test_the_last_word_is_a_prefix(client: TestClient) -> None:
    body = _search(client, q="日内")  # 日内瓦 being typed
    assert body["query"]["fragment"] == "日内" and body["query"]["completions"] == ["日内瓦"]
    assert _ids(body["results"]) == ["9.6"]
    assert {body["results"][0]["text"][s:e] for s, e in body["results"][0]["highlights"]} == {"日内瓦"}
    # 珊瑚 is a word of the vocabulary (BM25's sub-word of 珊瑚礁): not completed, but every passage that prints
    # 珊瑚礁 holds it, and the mark is the whole word.
    body = _search(client, q="珊瑚")
    assert body["results"] and set(_ids(body["results"])) <= {"9.2", "9.2(a)"}
    for r in body["results"]:
        assert {r["text"][s:e] for s, e in r["highlights"]} == {"珊瑚礁"}
    assert _search(client, q="在斐")["query"]["completions"] == ["斐济"]  # the last word of the run


def test_one_hanzi_is_completed_to_a_few_words_never_matched_alone(client: TestClient) -> None:
    body = _search(client, q="深")
    completions = body["query"]["completions"]
    assert "深海" in completions and len(completions) <= PREFIX_WORDS
    assert all(c.startswith("深") and len(c) >= 2 for c in completions)
    assert set(_ids(body["results"])) == {"9.4", "9.6"}


def test_a_word_ended_by_punctuation_is_not_completed(client: TestClient) -> None:
    assert _search(client, q="日内？")["query"]["fragment"] is None
    assert _search(client, q="讲习班")["query"]["fragment"] is None  # a word the document uses, typed whole


def test_an_english_prefix_is_completed_through_the_lexicon(client: TestClient) -> None:
    body = _search(client, q="genev")  # Geneva → 日内瓦
    assert "日内瓦" in body["query"]["completions"]
    assert _ids(body["results"]) == ["9.6"]
    assert _ids(_search(client, q="regular budg")["results"]) == ["9.3"]  # regular budget → 经常预算


@pytest.mark.parametrize(
    ("typed", "read_as", "ids"),
    [
        ("fellowshp", "fellowship", ["9.6"]),  # a letter left out
        ("geneav training", "geneva", ["9.6"]),  # two letters swapped, not the last word
        ("workshp", "workshop", None),  # → 讲习班
    ],
)
def test_one_slip_in_an_english_word(
    client: TestClient, typed: str, read_as: str, ids: list[str] | None
) -> None:
    body = _search(client, q=typed)
    assert read_as in body["query"]["corrections"].values()
    if ids is not None:
        assert _ids(body["results"]) == ids
    else:
        assert body["results"] and all("讲习班" in r["text"] for r in body["results"])


def test_no_correction_for_a_short_word(client: TestClient) -> None:
    assert _search(client, q="xbx")["query"]["corrections"] == {}  # under four letters: too many near words


# ---------------------------------------------------------------- filters and facets


def test_filters_narrow(client: TestClient) -> None:
    q = "讲习班 深海"
    whole, total = _all(client, q=q)
    items, n_items = _all(client, q=q, kind="item")
    assert 0 < n_items < total and all(r["kind"] == "item" for r in items)
    two = _all(client, q=q, subprogramme="2")[0]
    assert set(_ids(two)) == {"9.4", "9.6"}
    assert set(_ids(_all(client, q=q, subprogramme="次级方案 2")[0])) == {"9.4", "9.6"}
    assert (
        _all(client, q=q, subprogramme="1", kind="table")[1] == 0
    )  # filters of different kinds: all of them
    assert set(_ids(_all(client, q=q, section="目标")[0])) == {"9.4", "9.6"}
    assert set(_ids(_all(client, q=q, section="objective")[0])) == {"9.4", "9.6"}  # the English name
    assert set(_ids(_all(client, q=q, kind=["paragraph", "item"])[0])) == set(_ids(whole))  # several: any
    assert _all(client, q=q, subprogramme="7")[1] == 0  # a subprogramme the document lacks lists nothing
    assert _all(client, q=q, doc=TINY_DOC)[1] == total


@pytest.mark.parametrize(
    "params", [{}, {"kind": "item"}, {"subprogramme": "1"}, {"section": "战略", "kind": "item"}]
)
def test_a_facet_count_is_the_total_its_filter_gives(client: TestClient, params: dict[str, str]) -> None:
    q = "讲习班 深海 决议"
    body = _search(client, q=q, **params)
    assert body["facets"]["doc"] == {TINY_DOC: body["total"]}  # one document: the list itself
    for name, counts in body["facets"].items():
        if name == "doc":
            continue
        assert counts, name
        for value, count in counts.items():
            narrowed = {**params, name: value}
            assert _search(client, q=q, **narrowed)["total"] == count, (name, value)


def test_facets_by_hand(client: TestClient) -> None:
    facets = _search(client, q="深海")["facets"]
    assert facets == {
        "kind": {"paragraph": 2},
        "subprogramme": {"2": 2},
        "section": {"目标": 2},
        "doc": {TINY_DOC: 2},
    }


@pytest.mark.parametrize(
    ("name", "value"), [("kind", "chapter"), ("section", "budget"), ("subprogramme", "x")]
)
def test_an_unknown_filter_value_is_a_422_naming_the_field(client: TestClient, name: str, value: str) -> None:
    r = client.get("/search", params={"q": "深海", name: value})
    assert r.status_code == 422 and name in r.json()["detail"]


def test_with_text_false_leaves_the_text_out(client: TestClient) -> None:
    full = _search(client, q="深海")
    lean = _search(client, q="深海", with_text="false")
    assert [r["text"] for r in lean["results"]] == [None, None]
    for a, b in zip(full["results"], lean["results"], strict=True):
        assert {**a, "text": None} == b


# ---------------------------------------------------------------- snippets


def test_the_snippet_is_centred_on_the_rarest_word() -> None:
    # 决议 (in many passages) comes first, 77/71 (in one) 300 characters later: the snippet shows 77/71.
    text = (
        "大会决议。"
        + "海洋事务厅负责协调海洋生物的养护工作。" * 20
        + "根据大会第 77/71 号决议维护红树林数据库。"
        + "本方案将继续" * 20
    )
    p = Passage(id="9.9", doc=TINY_DOC, kind="paragraph", text=text, heading=[])
    symbol = text.index("77/71")
    found = {
        "决议": tuple((m.start(), m.end()) for m in re.finditer("决议", text)),
        "77/71": ((symbol, symbol + 5),),
    }
    m = Match(p, 0.5, False, Facets("paragraph", None, None, TINY_DOC), found)
    f = result(m, {"77/71": (0, 1, -5), "决议": (1, 12, -2)})
    start, end = f.snippet
    assert start < symbol and symbol + 5 < end and end - start <= SNIPPET_CHARS + 10
    assert abs((symbol - start) - (end - symbol - 5)) < 40  # centred
    assert (symbol - start, symbol - start + 5) in f.snippet_highlights
    assert "77/71" in f.quote_text  # the quote is the sentence that holds it
    assert text[f.quote[0] : f.quote[1]] == "根据大会第 77/71 号决议维护红树林数据库。"


def test_a_symbol_named_by_the_query_is_marked(client: TestClient) -> None:
    body = _search(client, q="第77/71号决议")
    assert body["query"]["words"] == ["77/71", "决议"]  # 第 and 号 are no words
    top = body["results"][0]
    assert top["id"] in ("9.2", "9.2(b)")
    snip = top["snippet"]
    assert "77/71" in {snip["text"][s:e] for s, e in snip["highlights"]}


def test_the_schema_documents_the_search_box(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/search"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert {
        "q",
        "top_k",
        "offset",
        "min_score",
        "kind",
        "subprogramme",
        "section",
        "with_text",
        "doc",
    } <= set(params)
    assert all(p.get("description") for p in params.values())
    assert "examples" in params["q"] and "小武" in str(params["q"]["examples"])
    assert "What matches" in op["description"]
    results = spec["components"]["schemas"]["SearchResults"]
    assert {"facets", "query", "total"} <= set(results["properties"])
    for example in results["examples"]:
        SearchResults.model_validate(example)
    for name in ("SearchFacets", "SearchQuery"):
        assert all(p.get("description") for p in spec["components"]["schemas"][name]["properties"].values())


def test_a_vocabulary_keeps_the_prefixes_typed_last_and_answers_each_n(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import reader.searchwords

    monkeypatch.setattr(reader.searchwords, "PREFIX_CACHE", 2)
    vocabulary = reader.searchwords.Vocabulary({"小武器": 1.0, "小组": 0.5, "小额": 2.0, "深海": 1.0})
    assert vocabulary.starting("小", 1) == ("小组",)
    assert vocabulary.starting("小", 2) == ("小组", "小武器")  # not the one-word answer kept for n=1
    vocabulary.starting("深")
    assert len(vocabulary._cache) == 2  # noqa: SLF001 -- bounded: the least recently typed went
