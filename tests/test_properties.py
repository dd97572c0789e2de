"""Properties of every endpoint on arbitrary input, on the tiny app (cheap): 200 or 4xx, never 5xx; and what a
200 says holds together (cited ids exist, quotes are verbatim, highlights are inside the text)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.tiny import TINY_IDS, build_tiny_index, tiny_client, tiny_settings

FUZZ = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MARKER = re.compile(r"\[([^\[\]\s]+)\]")

TEXT = st.text(max_size=300)  # any code point but surrogates, control characters included
# URLs stop at 64 KiB in the client, so the long text for a path or query is over the 2000-character limit only.
SPECIAL = [
    "-" * 33,
    "？！。，、；：「」",
    "?" * 40,
    "\x00\x01\x1f\x7f",
    "\u200b\ufeff\u202e",
    "深" * 3000,
    "Ωαβ 日本語 abc العربية 😀 ০১২ 4.88",
    "第 77/71 号决议",
    "9.2 (a)㈠ 说了什么？",
    "..",
    "/",
    "%",
    "%2F",
    " ",
]
ID_LIKE = st.from_regex(
    r"\A(第|para |table |表|图|figure |annex |§)?\s?\d{1,2}\s?\.\s?\d{1,3}(\s?[(（][a-z][)）])?(㈠|\((i|ii|一|11)\))?段?\Z",
)
ESCAPES = [
    "\\ud800",
    "\\udfff",
    "\\udc00\\ud800",
    "\\u0000",
    "\\u001f",
    "\\n",
    "\\t",
    "\\\\",
    '\\"',
    "abc",
    "深海",
    "经常预算",
    "\\u6df1",
    " ",
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # No rate limit: a 429 would pass for any property below without testing it.
    index_dir = build_tiny_index(tmp_path_factory.mktemp("tiny") / "index").index_dir
    with tiny_client(tiny_settings(index_dir, rate_limit_per_min=0), raise_server_exceptions=False) as c:
        yield c


def _check_citations(citations: list[dict]) -> None:
    for c in citations:
        assert c["id"] in TINY_IDS
        assert c["quote"] in c["text"]
        for s, e in c["highlights"]:
            assert 0 <= s < e <= len(c["text"])


def _check_answer(r: Any) -> None:
    assert r.status_code < 500, r.text
    if r.status_code != 200:
        assert isinstance(r.json()["detail"], str)
        return
    body = r.json()
    _check_citations(body["citations"])
    cited = {c["id"] for c in body["citations"]}
    for marker in MARKER.findall(body["answer"]):
        assert marker in cited, (marker, body["answer"])
    assert body["abstained"] or cited


@FUZZ
@given(
    question=st.one_of(TEXT, ID_LIKE, ID_LIKE.map(lambda x: f"{x} 说了什么？")),
    conversation_id=st.one_of(st.none(), st.text(max_size=130)),
    top_k=st.integers(-2, 60),
)
@example(question="-" * 33, conversation_id=None, top_k=5)
@example(question="a" * 100_000, conversation_id=None, top_k=5)
@example(question="深" * 100_000, conversation_id=None, top_k=5)
@example(question="深" * 2001, conversation_id=None, top_k=5)
@example(question="？！。，", conversation_id="", top_k=5)
@example(question="它在哪一段？", conversation_id="x" * 128, top_k=50)
def test_ask_any_text(client: TestClient, question: str, conversation_id: str | None, top_k: int) -> None:
    payload = {"question": question, "top_k": top_k, "conversation_id": conversation_id}
    _check_answer(client.post("/ask", json=payload))


@FUZZ
@given(parts=st.lists(st.sampled_from(ESCAPES), max_size=12))
@example(parts=["\\ud800", "abc"])
@example(parts=["\\ud800"])
def test_ask_raw_json_escapes(client: TestClient, parts: list[str]) -> None:
    body = '{"question": "' + "".join(parts) + '"}'
    r = client.post("/ask", content=body.encode(), headers={"content-type": "application/json"})
    _check_answer(r)


@FUZZ
@given(parts=st.lists(st.sampled_from(ESCAPES), min_size=1, max_size=6))
def test_ask_raw_json_escapes_in_conversation_id(client: TestClient, parts: list[str]) -> None:
    body = '{"question": "深海", "conversation_id": "' + "".join(parts) + '"}'
    r = client.post("/ask", content=body.encode(), headers={"content-type": "application/json"})
    _check_answer(r)


@FUZZ
@given(q=st.one_of(TEXT, ID_LIKE, st.sampled_from(SPECIAL)), top_k=st.integers(-2, 60))
def test_search_any_text(client: TestClient, q: str, top_k: int) -> None:
    r = client.get("/search", params={"q": q, "top_k": top_k})
    assert r.status_code < 500, r.text
    if r.status_code == 200:
        results = r.json()["results"]
        _check_citations(results)
        assert len(results) <= top_k
    else:
        assert isinstance(r.json()["detail"], str)


@FUZZ
@given(
    x=st.one_of(TEXT, ID_LIKE, st.sampled_from(SPECIAL + TINY_IDS)),
    route=st.sampled_from(["passages", "references"]),
)
def test_passages_and_references_any_text(client: TestClient, x: str, route: str) -> None:
    r = client.get(f"/{route}/{quote(x, safe='')}")
    assert r.status_code < 500, r.text
    if r.status_code != 200:
        return
    if not r.headers["content-type"].startswith("application/json"):
        return  # "/passages/.." and the like normalise to the page
    body = r.json()
    for p in [body] if route == "passages" else body["passages"]:
        assert p["id"] in TINY_IDS
        assert p["parent"] is None or p["parent"] in TINY_IDS
        assert set(p["children"]) <= set(TINY_IDS)


@FUZZ
@given(raw=st.binary(max_size=200))
def test_ask_any_bytes(client: TestClient, raw: bytes) -> None:
    r = client.post("/ask", content=raw, headers={"content-type": "application/json"})
    assert r.status_code < 500, r.text
    assert r.status_code != 200 or r.json()["citations"] is not None


def test_every_tiny_id_resolves(client: TestClient) -> None:
    for pid in TINY_IDS:
        r = client.get(f"/passages/{quote(pid, safe='')}")
        assert r.status_code == 200 and r.json()["id"] == pid
