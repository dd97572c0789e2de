"""Many documents: the corpus setting, and a service over two documents that share passage ids, on both stores.

The two documents are the tiny section 9 (A/78/6 (Sect. 9), its symbol read from its paragraph numbers) and a
synthetic section 9 of an earlier budget (A/77/6 (Sect. 9), named by a sidecar): both have 前言, 9.1 … 9.4,
表9.1 and 附件一; only the tiny one has 9.5 and 9.6, and only the synthetic one says 试点.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from corpus.documents import CorpusError, corpus_paths, is_single, load_corpus
from corpus.parser import DEFAULT_SOURCE, DEFAULT_SYMBOL, parse
from index.manifest import BadIndex
from index.open import build, check_index
from service.settings import Settings
from tests.synthetic_docs import section_text, write_section
from tests.tiny import TINY, TINY_DOC, KeywordEmbedder, tiny_client, tiny_settings

EARLIER = "A/77/6 (Sect. 9)"
KEYWORDS_ID = KeywordEmbedder().model_id


def store_is_current(settings: Settings, model: str) -> bool:
    try:
        check_index(settings.index_config, model, model)
        return True
    except BadIndex:
        return False


# The corpus setting ------------------------------------------------------------------------------------


def test_one_file_is_one_document_with_the_configured_symbol() -> None:
    [doc] = load_corpus(DEFAULT_SOURCE, DEFAULT_SYMBOL)
    assert (doc.symbol, doc.language, doc.source) == (DEFAULT_SYMBOL, "zh", DEFAULT_SOURCE)
    assert is_single(DEFAULT_SOURCE) and not Settings(corpus=DEFAULT_SOURCE).index_config.uses_store


def test_a_directory_reads_symbols_from_sidecars_or_from_the_paragraph_numbers(tmp_path: Path) -> None:
    write_section(tmp_path, "b-sect7", 7, [2, 1])
    write_section(tmp_path, "a-earlier", 9, [1, 1], symbol=EARLIER)
    shutil.copy(TINY, tmp_path / "c-tiny.zh.txt")
    (tmp_path / "notes.md").write_text("not a document", encoding="utf-8")
    docs = load_corpus(tmp_path)
    assert [(d.symbol, d.source.name) for d in docs] == [
        (EARLIER, "a-earlier.zh.txt"),
        ("A/78/6 (Sect. 7)", "b-sect7.zh.txt"),
        (TINY_DOC, "c-tiny.zh.txt"),
    ]
    assert {d.language for d in docs} == {"zh"}
    assert [p.id for p in docs[1].passages()][:3] == ["前言", "7.1", "7.2"]
    assert not is_single(tmp_path)


def test_a_json_list_names_documents_in_its_order_and_a_sidecar_may_set_the_language(tmp_path: Path) -> None:
    seven = write_section(tmp_path, "s7", 7, [1, 1])
    nine = write_section(tmp_path, "s9", 9, [1, 1])
    nine.with_suffix(".json").write_text(json.dumps({"language": "en"}), encoding="utf-8")
    spec = json.dumps([str(nine), str(seven)])
    assert corpus_paths(spec) == [nine, seven]
    docs = load_corpus(spec)
    assert [(d.symbol, d.language) for d in docs] == [("A/78/6 (Sect. 9)", "en"), ("A/78/6 (Sect. 7)", "zh")]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("[not json", "not one"),
        ("[]", "non-empty list"),
        ("[1, 2]", "non-empty list"),
        ('["/nonexistent/a.zh.txt"]', "no such corpus file"),
        ("/nonexistent/a.zh.txt", "no such corpus file"),
    ],
)
def test_a_bad_corpus_setting_says_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        load_corpus(spec)


def test_two_documents_with_one_symbol_or_a_bad_sidecar_are_refused(tmp_path: Path) -> None:
    write_section(tmp_path, "a", 9, [1])
    write_section(tmp_path, "b", 9, [2])
    with pytest.raises(CorpusError, match="are both 'A/78/6 \\(Sect. 9\\)'"):
        load_corpus(tmp_path)
    (tmp_path / "b.zh.json").write_text('{"symbol": 9}', encoding="utf-8")
    with pytest.raises(CorpusError, match="string keys"):
        load_corpus(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CorpusError, match="holds no"):
        load_corpus(empty)


def test_a_document_outside_the_template_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "odd.zh.txt"
    path.write_text(section_text(9, [1]).replace(" 9.1 ", " 9.0 "), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"odd\.zh\.txt is not in the programme-budget template.*N\.1"):
        load_corpus(tmp_path)


# A service over two documents ------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["faiss", pytest.param("milvus", marks=pytest.mark.milvus)])
def two_docs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp(f"two-{request.param}")
    corpus = tmp / "corpus"
    corpus.mkdir()
    write_section(corpus, "a-earlier", 9, [1, 1], symbol=EARLIER)
    shutil.copy(TINY, corpus / "b-tiny.zh.txt")
    store = {"store": "milvus", "milvus_uri": str(tmp / "m.db")} if request.param == "milvus" else {}
    settings = tiny_settings(tmp / "index", corpus=corpus, **store)
    assert settings.index_config.uses_store and not store_is_current(settings, KEYWORDS_ID)
    manifest = build(settings.index_config, embedder=KeywordEmbedder())
    assert store_is_current(settings, KEYWORDS_ID)
    assert not store_is_current(settings.model_copy(update={"doc_symbol": "changed"}), "another-model")
    assert manifest.doc == f"{EARLIER}; {TINY_DOC}" and manifest.passages == 11 + 13
    with tiny_client(settings) as client:
        yield client


def test_documents_lists_what_the_store_holds(two_docs: TestClient) -> None:
    body = two_docs.get("/documents").json()
    assert [(d["symbol"], d["language"], d["passages"]) for d in body["documents"]] == [
        (EARLIER, "zh", 11),
        (TINY_DOC, "zh", 13),
    ]
    assert body["documents"][1]["source"].endswith("b-tiny.zh.txt")


def test_an_id_in_both_documents_needs_the_document(two_docs: TestClient) -> None:
    r = two_docs.get("/passages/9.1")
    assert r.status_code == 422
    assert EARLIER in r.json()["detail"] and TINY_DOC in r.json()["detail"] and "doc=" in r.json()["detail"]
    earlier = two_docs.get("/passages/9.1", params={"doc": EARLIER}).json()
    tiny = two_docs.get("/passages/9.1", params={"doc": TINY_DOC}).json()
    assert (earlier["doc"], tiny["doc"]) == (EARLIER, TINY_DOC)
    want = {p.id: p.text for p in parse(section_text(9, [1, 1]), EARLIER)}
    assert earlier["text"] == want["9.1"] and tiny["text"].startswith("海洋事务厅负责协调")
    # Any id form, as for one document.
    assert two_docs.get("/passages/9.2 (a)㈠", params={"doc": TINY_DOC}).json()["id"] == "9.2(a)㈠"


def test_an_id_in_one_document_needs_no_document(two_docs: TestClient) -> None:
    r = two_docs.get("/passages/9.6")
    assert r.status_code == 200 and r.json()["doc"] == TINY_DOC
    assert two_docs.get("/passages/9.6", params={"doc": EARLIER}).status_code == 404
    missing = two_docs.get("/passages/9.99")
    assert missing.status_code == 404 and "nearest" in missing.json()["detail"]


def test_an_unknown_document_lists_the_documents(two_docs: TestClient) -> None:
    for path, params in (("/passages/9.1", {}), ("/search", {"q": "深海"}), ("/references/77/71", {})):
        r = two_docs.get(path, params={**params, "doc": "A/1/1"})
        assert r.status_code == 404, path
        assert "no document 'A/1/1'" in r.json()["detail"] and EARLIER in r.json()["detail"]
    r = two_docs.post("/ask", params={"doc": "A/1/1"}, json={"question": "深海研究金"})
    assert r.status_code == 404 and TINY_DOC in r.json()["detail"]
    # An empty `doc` is bad input, not an unknown document.
    assert two_docs.get("/search", params={"q": "深海", "doc": " "}).status_code == 422


def test_search_keeps_to_the_document_asked_for_and_merges_without_one(two_docs: TestClient) -> None:
    only_tiny = two_docs.get("/search", params={"q": "试点 深海", "doc": TINY_DOC}).json()["results"]
    assert only_tiny and {c["doc"] for c in only_tiny} == {TINY_DOC}
    only_earlier = two_docs.get("/search", params={"q": "试点 深海", "doc": EARLIER}).json()["results"]
    assert only_earlier and {c["doc"] for c in only_earlier} == {EARLIER}
    # The search box lists only passages that match: 试点 is printed only in the earlier document.
    only_one = two_docs.get("/search", params={"q": "试点", "top_k": 20}).json()
    assert only_one["results"] and {c["doc"] for c in only_one["results"]} == {EARLIER}
    assert all("试点" in c["text"] for c in only_one["results"])
    merged = two_docs.get("/search", params={"q": "试点 深海", "top_k": 50}).json()
    assert {c["doc"] for c in merged["results"]} == {EARLIER, TINY_DOC}
    assert merged["total"] == len(merged["results"])
    scores = [c["score"] for c in merged["results"]]
    assert scores == sorted(scores, reverse=True)
    # Pages of the merged ranking follow one another.
    second = two_docs.get("/search", params={"q": "试点 深海", "top_k": 2, "offset": 2}).json()
    assert [c["id"] for c in second["results"]] == [c["id"] for c in merged["results"][2:4]]
    assert second["total"] == merged["total"]


def test_ask_answers_from_the_named_document_or_the_best_hits(two_docs: TestClient) -> None:
    named = two_docs.post(
        "/ask", params={"doc": TINY_DOC}, json={"question": "研究金方案每年在哪里培训研究员？"}
    ).json()
    assert named["citations"] and {c["doc"] for c in named["citations"]} == {TINY_DOC}
    assert named["citations"][0]["id"] == "9.6"
    unnamed = two_docs.post("/ask", json={"question": "哪一份报告提到试点？"}).json()
    assert unnamed["citations"] and {c["doc"] for c in unnamed["citations"]} == {EARLIER}


def test_references_search_every_document(two_docs: TestClient) -> None:
    body = two_docs.get("/references/77/71").json()
    # The item that mentions it, with where (main's references: an item's mention is not its paragraph's).
    assert [(p["doc"], p["id"]) for p in body["passages"]] == [(TINY_DOC, "9.2(b)")]
    [cited] = body["passages"]
    assert all("77/71" in cited["text"][s:e] for s, e in cited["mentions"]) and cited["mentions"]
    assert two_docs.get("/references/77/71", params={"doc": EARLIER}).status_code == 404


def test_the_single_document_service_takes_doc_too(tmp_path: Path) -> None:
    """No new setting: today's index directory, one document, and `doc=` accepted when it names that one."""
    from tests.tiny import build_tiny_index

    settings = build_tiny_index(tmp_path / "index")
    assert not settings.index_config.uses_store
    with tiny_client(settings) as client:
        assert [d["symbol"] for d in client.get("/documents").json()["documents"]] == [TINY_DOC]
        assert client.get("/passages/9.1").json()["doc"] == TINY_DOC
        assert client.get("/passages/9.1", params={"doc": TINY_DOC}).json()["id"] == "9.1"
        r = client.get("/passages/9.1", params={"doc": EARLIER})
        assert r.status_code == 404 and TINY_DOC in r.json()["detail"]
        hits = client.get("/search", params={"q": "深海研究金", "doc": TINY_DOC}).json()["results"]
        assert hits[0]["id"] == "9.6"


@pytest.mark.milvus
def test_one_file_on_milvus_serves_as_the_directory_does(tmp_path: Path) -> None:
    """CITEQA_STORE=milvus with today's single file: same passages, same ranking, ids need no document."""
    from tests.tiny import build_tiny_index

    directory = build_tiny_index(tmp_path / "index")
    milvus = tiny_settings(tmp_path / "unused", store="milvus", milvus_uri=str(tmp_path / "m.db"))
    assert milvus.index_config.uses_store
    build(milvus.index_config, embedder=KeywordEmbedder())
    with tiny_client(directory) as a, tiny_client(milvus) as b:
        for q in ("珊瑚礁 讲习班", "第 77/71 号决议", "深海研究金在哪里培训"):
            want = a.get("/search", params={"q": q}).json()["results"]
            got = b.get("/search", params={"q": q}).json()["results"]
            assert [(c["id"], c["score"]) for c in got] == [(c["id"], c["score"]) for c in want], q
        assert b.get("/passages/9.2(a)㈠").json() == a.get("/passages/9.2(a)㈠").json()
        assert b.get("/documents").json()["documents"][0]["symbol"] == TINY_DOC


READER_QUESTIONS = (
    "次级方案 1 的 2024 年拟议经常预算资源是多少？",
    "海洋科学次级方案 2024 年估计资源是多少千美元？",
    "2025 年拟议经常预算资源是多少？",
)


@pytest.mark.parametrize("store", ["faiss", pytest.param("milvus", marks=pytest.mark.milvus)])
def test_the_reader_answers_from_a_store_as_from_the_directory(store: str, tmp_path: Path) -> None:
    """The reader's candidates travel with the store: the same answers (and the same abstention) as today's
    index directory gives, not an abstention on everything."""
    from reader.scoring import WEIGHTS
    from tests.tiny import build_tiny_index

    # The packaged weights without the floor, as tests/test_reader.py uses them with the keyword embedder.
    weights = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    (tmp_path / "reader.json").write_text(
        json.dumps({"weights": weights["weights"], "floor": -1e9}), encoding="utf-8"
    )
    reader = {"reader_weights": tmp_path / "reader.json"}
    directory = build_tiny_index(tmp_path / "index").model_copy(update=reader)
    where = {"milvus_uri": str(tmp_path / "m.db")} if store == "milvus" else {}
    stored = tiny_settings(tmp_path / "store-index", store=store, **where, **reader)
    build(stored.index_config, embedder=KeywordEmbedder())
    with tiny_client(directory) as a, tiny_client(stored) as b:
        answers = []
        for q in READER_QUESTIONS:
            want = a.post("/ask", json={"question": q}).json()
            got = b.post("/ask", json={"question": q}).json()
            assert (got["abstained"], got["answer"]) == (want["abstained"], want["answer"]), q
            assert [c["id"] for c in got["citations"]] == [c["id"] for c in want["citations"]], q
            answers.append(got)
    assert not answers[0]["abstained"] and "1 234 500" in answers[0]["answer"]
    assert not answers[1]["abstained"] and "4 567.8" in answers[1]["answer"]
    assert answers[2]["abstained"]


@pytest.mark.parametrize("store", ["faiss", pytest.param("milvus", marks=pytest.mark.milvus)])
def test_reload_after_a_rebuild_serves_the_new_store_and_closes_the_old(store: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(TINY, corpus / "b-tiny.zh.txt")
    where = {"store": "milvus", "milvus_uri": str(tmp_path / "m.db")} if store == "milvus" else {}
    settings = tiny_settings(tmp_path / "index", corpus=corpus, **where)
    build(settings.index_config, embedder=KeywordEmbedder())
    with tiny_client(settings, client=("127.0.0.1", 50000)) as c:
        assert c.get("/readyz").json()["passages"] == 13
        old = c.app.state.citeqa.loaded.retriever  # type: ignore[attr-defined]
        write_section(corpus, "a-earlier", 9, [1, 1], symbol=EARLIER)
        build(settings.index_config, embedder=KeywordEmbedder())
        r = c.post("/reload")
        assert r.status_code == 200 and r.json()["passages"] == 11 + 13
        assert c.get("/search", params={"q": "试点", "doc": EARLIER}).json()["results"]
        assert not old.encoder._batcher.running
