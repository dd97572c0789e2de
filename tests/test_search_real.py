"""The search box (issue 22) end to end: the real document, the real model, the real app."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from corpus.ids import ancestors

pytestmark = pytest.mark.e2e


def _search(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.get("/search", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _all(client: TestClient, **params: Any) -> tuple[list[dict[str, Any]], int]:
    out: list[dict[str, Any]] = []
    offset, totals = 0, set()
    while True:
        body = _search(client, top_k=50, offset=offset, **params)
        totals.add(body["total"])
        if not body["results"]:
            break
        out += body["results"]
        offset += 50
    assert len(totals) == 1
    return out, totals.pop()


def _holding(client: TestClient, word: str) -> set[str]:
    """The passages whose text prints `word` (a PDF line break or space between its hanzi allowed)."""
    view = client.app.state.citeqa.loaded.retriever.view()  # type: ignore[attr-defined]
    return {p.id for p in view.passages if word in re.sub(r"\s", "", p.text)}


def _check_total_rule(client: TestClient, results: list[dict[str, Any]], total: int, word: str) -> None:
    """`total` is what is listed; what is listed holds the word; what holds it is listed (or its paragraph or item
    is: never both)."""
    listed = [r["id"] for r in results]
    holding = _holding(client, word)
    assert total == len(listed) == len(set(listed))
    assert set(listed) <= holding, set(listed) - holding
    for pid in holding:
        assert (
            pid in listed
            or any(a in listed for a in ancestors(pid))
            or any(pid in ancestors(x) for x in listed)
        )
    for r in results:
        assert r["highlights"] and word in "".join(r["text"][s:e] for s, e in r["highlights"])


def test_total_for_small_arms_counts_the_passages_that_print_it(real_client: TestClient) -> None:
    # The issue: total was 110 (every passage sharing the sub-word 武器, or any word of a translation) for 28.
    results, total = _all(real_client, q="小武器")
    _check_total_rule(real_client, results, total, "小武器")
    assert total < len(_holding(real_client, "武器")) / 2


def test_typing_small_arms(real_client: TestClient) -> None:
    whole = [r["id"] for r in _all(real_client, q="小武器")[0]]
    body = _search(real_client, q="小武", top_k=50)
    assert body["query"]["completions"][:1] == ["小武器"]
    assert {r["id"] for r in body["results"]} == set(whole)
    one = _search(real_client, q="小")
    assert "小武器" in one["query"]["completions"] and len(one["query"]["completions"]) <= 8
    assert one["total"] < 60  # one hanzi: a few frequent words, not every passage printing 小


def test_english_while_typing_and_with_a_slip(real_client: TestClient) -> None:
    weapo = _search(real_client, q="weapo")
    assert "武器" in weapo["query"]["completions"]
    assert weapo["results"] and all(
        "武器" in "".join(r["text"][s:e] for s, e in r["highlights"]) for r in weapo["results"]
    )
    slip = _search(real_client, q="smal arms")
    assert slip["query"]["corrections"] == {"smal": "small"}
    results, total = _all(real_client, q="smal arms")
    _check_total_rule(real_client, results, total, "小武器")
    assert total == _search(real_client, q="小武器")["total"]
    assert _search(real_client, q="wepons")["query"]["corrections"] == {"wepons": "weapons"}


def test_npt_counts_the_treaty_not_every_weapon(real_client: TestClient) -> None:
    body = _search(real_client, q="NPT")
    assert 0 < body["total"] < 30  # was 157: every passage with 武器, 条约, 扩散 …
    for r in body["results"]:
        marked = "".join(r["text"][s:e] for s, e in r["highlights"])
        assert "不扩散" in marked or "NPT" in marked


def test_a_resolution_symbol_is_the_snippets_centre(real_client: TestClient) -> None:
    body = _search(real_client, q="第77/71号决议")
    top = body["results"][0]
    snip = top["snippet"]
    assert "77/71" in snip["text"]
    assert "77/71" in {snip["text"][s:e] for s, e in snip["highlights"]}
    for r in body["results"][:5]:  # every passage citing it shows it, not 决议 somewhere else
        if "77/71" in r["text"]:
            assert "77/71" in r["snippet"]["text"]


def test_filters_narrow_and_facets_count(real_client: TestClient) -> None:
    q = "小武器"
    body = _search(real_client, q=q)
    facets = body["facets"]
    assert set(facets) == {"kind", "subprogramme", "section", "doc"}
    assert facets["doc"] == {"A/78/6 (Sect. 4)": body["total"]}
    assert "3" in facets["subprogramme"] and "战略" in facets["section"]
    for name, value in (("kind", "table"), ("kind", "item"), ("subprogramme", "3"), ("section", "战略")):
        narrowed, total = _all(real_client, q=q, **{name: value})
        assert 0 < total < body["total"] or name == "kind" and total <= body["total"]
        assert total == facets[name][value]
        assert narrowed and len(narrowed) == total
        if name == "kind":
            assert all(r["kind"] == value for r in narrowed)
        if name == "subprogramme":
            assert all(any("次级方案 3" in h for h in r["heading"]) for r in narrowed)
    both = _search(real_client, q=q, subprogramme="3", section="strategy")
    assert both["total"] <= min(facets["subprogramme"]["3"], facets["section"]["战略"])
