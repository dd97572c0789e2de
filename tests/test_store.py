"""The store interface: the same assertions on the FAISS directory store and on Milvus Lite (a temp `*.db`).

Vectors come from tests.tiny's KeywordEmbedder, so every expected score is worked out by hand: the query
"珊瑚礁 讲习班" has cosine 1 with the three rows of 9.2(a) and its sub-items (each holds both keywords,
sub-items through their parent's opening words) and less with every other row.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from corpus.model import Passage
from corpus.parser import parse
from index.build import build_index
from index.encoder import QueryEncoder
from index.lexical import tokenize
from index.library import Library
from index.manifest import Manifest
from index.query import Hit
from index.store import DocumentInfo, DuplicateDocument, Row, Store, StoreError
from index.store_faiss import FaissStore
from index.store_milvus import MilvusStore, lexical_word
from index.store_retriever import embed_rows, store_library, store_rows
from reader.question import analyse
from tests.synthetic_docs import section_text
from tests.tiny import PASSAGE_PREFIX, QUERY_PREFIX, TINY, TINY_DOC, TINY_IDS, KeywordEmbedder, open_as_built

OTHER_DOC = "A/78/6 (Sect. 7)"
KINDS = ["faiss", pytest.param("milvus", marks=pytest.mark.milvus)]
EMBEDDER = KeywordEmbedder()


def _tiny() -> list[Passage]:
    return parse(TINY.read_text(encoding="utf-8"), TINY_DOC)


def _other() -> list[Passage]:
    return parse(section_text(7, [2, 3], marker="试点"), OTHER_DOC)


def _add(store: Store, doc: str, passages: list[Passage]) -> None:
    rows, tokens = store_rows(doc, passages)
    store.add(DocumentInfo(doc, "zh", f"{doc}.txt"), passages, rows, embed_rows(rows, EMBEDDER), tokens)


def _empty(kind: str, tmp: Path) -> Store:
    if kind == "faiss":
        return FaissStore(EMBEDDER.dim)
    return MilvusStore.create(str(tmp / "store.db"), EMBEDDER.dim)


def _reopen(kind: str, store: Store, tmp: Path) -> Store:
    """The store as a second process would see it: saved and read back, or Milvus opened anew."""
    if isinstance(store, FaissStore):
        store.save(tmp / "index")
        return FaissStore.open(tmp / "index")
    store.close()
    return MilvusStore.open(str(tmp / "store.db"))


@pytest.fixture(scope="module", params=KINDS)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Two documents, added one at a time, then reopened: what is asked of it was read back from disk."""
    tmp = tmp_path_factory.mktemp(request.param)
    s = _empty(request.param, tmp)
    _add(s, TINY_DOC, _tiny())
    _add(s, OTHER_DOC, _other())
    s = _reopen(request.param, s, tmp)
    yield s
    s.close()


def test_documents_are_listed_in_the_order_added_with_their_passage_counts(store: Store) -> None:
    docs = store.documents()
    assert [d.symbol for d in docs] == [TINY_DOC, OTHER_DOC]
    assert docs[0].passages == len(TINY_IDS) and docs[1].passages == len(_other())
    assert docs[0].source == f"{TINY_DOC}.txt" and docs[0].language == "zh"


def test_passages_and_rows_come_back_whole_and_in_order(store: Store) -> None:
    assert [p.id for p in store.passages(TINY_DOC)] == TINY_IDS
    assert store.passages(TINY_DOC) == _tiny()
    rows, _ = store_rows(TINY_DOC, _tiny())
    got = store.rows(TINY_DOC)
    assert [(r.passage_id, r.text) for r in got] == [(r.passage_id, r.text) for r in rows]
    # Row numbers are store-wide: the second document's rows follow the first's.
    assert [r.index for r in got] == list(range(len(rows)))
    assert store.rows(OTHER_DOC)[0].index == len(rows)
    assert store.rows("A/1/1") == [] and store.passages("A/1/1") == []


def test_a_passage_is_found_by_document_and_id(store: Store) -> None:
    # 前言 exists in both documents: the document decides which one comes back.
    ours, theirs = store.get_passage(TINY_DOC, "前言"), store.get_passage(OTHER_DOC, "前言")
    assert ours is not None and theirs is not None
    assert ours.doc == TINY_DOC and theirs.doc == OTHER_DOC and ours.text != theirs.text
    assert store.get_passage(TINY_DOC, "7.1") is None
    assert store.get_passage("A/1/1", "9.1") is None


def test_dense_search_ranks_by_cosine(store: Store) -> None:
    hits = store.dense_search(EMBEDDER.embed_queries(["珊瑚礁 讲习班"])[0], 5, docs=[TINY_DOC])
    assert {r.passage_id for r, _ in hits[:3]} == {"9.2(a)", "9.2(a)㈠", "9.2(a)㈡"}
    assert [round(s, 5) for _, s in hits[:3]] == [1.0, 1.0, 1.0]
    assert all(s < 0.99 for _, s in hits[3:]) and len(hits) == 5
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_dense_search_keeps_to_the_documents_asked_for(store: Store) -> None:
    query = EMBEDDER.embed_queries(["珊瑚礁 讲习班"])[0]
    assert {r.doc for r, _ in store.dense_search(query, 50, docs=[OTHER_DOC])} == {OTHER_DOC}
    both = store.dense_search(query, 200)
    assert {r.doc for r, _ in both} == {TINY_DOC, OTHER_DOC}
    assert len(both) == len(store.rows(TINY_DOC)) + len(store.rows(OTHER_DOC))
    assert store.dense_search(query, 5, docs=[]) == []
    assert store.dense_search(query, 5, docs=["A/1/1"]) == []


def test_lexical_search_matches_whole_symbols_only_in_the_documents_asked_for(store: Store) -> None:
    hits = store.lexical_search(tokenize("第 77/71 号决议"), 5, docs=[TINY_DOC])
    assert hits[0][0].passage_id == "9.2(b)"  # the only row that prints 77/71, and says 决议
    assert all(s > 0 for _, s in hits)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
    # 试点 is the synthetic document's word only.
    assert store.lexical_search(["试点"], 50, docs=[TINY_DOC]) == []
    other = store.lexical_search(["试点"], 50)
    assert other and {r.doc for r, _ in other} == {OTHER_DOC}
    assert store.lexical_search(["从未出现"], 5) == [] and store.lexical_search([], 5) == []


@pytest.mark.parametrize("kind", KINDS)
def test_adding_a_document_twice_or_with_the_wrong_shapes_is_refused(tmp_path: Path, kind: str) -> None:
    s = _empty(kind, tmp_path)
    try:
        passages = _tiny()
        rows, tokens = store_rows(TINY_DOC, passages)
        vectors = embed_rows(rows, EMBEDDER)
        info = DocumentInfo(TINY_DOC)
        with pytest.raises(StoreError, match="vectors of dimension"):
            s.add(info, passages, rows, vectors[:-1], tokens)
        with pytest.raises(StoreError, match="token lists"):
            s.add(info, passages, rows, vectors, tokens[:-1])
        with pytest.raises(StoreError, match="unique within"):
            s.add(info, passages + passages[:1], rows, vectors, tokens)
        with pytest.raises(StoreError, match="belongs to no passage"):
            s.add(info, passages, [*rows[:-1], Row(TINY_DOC, "9.99", "x")], vectors, tokens)
        s.add(info, passages, rows, vectors, tokens)
        with pytest.raises(DuplicateDocument):
            s.add(info, passages, rows, vectors, tokens)
        assert [d.symbol for d in s.documents()] == [TINY_DOC]
    finally:
        s.close()


@pytest.mark.milvus
def test_milvus_refuses_to_overwrite_collections_unless_told(tmp_path: Path) -> None:
    uri = str(tmp_path / "m.db")
    MilvusStore.create(uri, EMBEDDER.dim).close()
    with pytest.raises(StoreError, match="already has citeqa_rows"):
        MilvusStore.create(uri, EMBEDDER.dim)
    MilvusStore.create(uri, EMBEDDER.dim, replace=True).close()
    # A store opened after Milvus released its collections (as a new process finds them) loads them.
    s = MilvusStore.open(uri)
    for c in s._collections():
        s._client.release_collection(c)
    s.close()
    reopened = MilvusStore.open(uri)
    assert reopened.documents() == [] and reopened.get_meta("manifest") is None
    reopened.close()
    with pytest.raises(StoreError, match="no collection 'other_rows'"):
        MilvusStore.open(uri, name="other")


def test_lexical_words_are_whole_and_distinct() -> None:
    words = [lexical_word(t) for t in ("77/71", "77", "P-4", "15232800", "决议")]
    assert len(set(words)) == len(words)
    assert all(w.isalnum() and w == w.lower() for w in words)


# The retriever on a store ranks exactly as today's retriever on the index directory --------------------

QUERIES = [
    "珊瑚礁 讲习班",
    "红树林数据库",
    "第 77/71 号决议",
    "深海研究金在哪里培训",
    "经常预算资源是多少",
    "9.3",
    "次级方案 2 深海",
    "千美元 资源",
    "日内瓦",
]


@pytest.fixture(scope="module")
def directory_retriever(tmp_path_factory: pytest.TempPathFactory) -> Library:
    out = tmp_path_factory.mktemp("dir") / "index"
    build_index(_tiny(), EMBEDDER, out, "sha", QUERY_PREFIX, PASSAGE_PREFIX, progress=False)
    return open_as_built(out, EMBEDDER)


def _on(store: Store, manifest: Manifest) -> Library:
    return store_library(store, manifest, QueryEncoder(EMBEDDER))


def _search(r: Library, query: str, top_k: int, doc: str | None = None) -> list[Hit]:
    return r.search(analyse(query), top_k, doc)


@pytest.fixture(scope="module", params=KINDS)
def tiny_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The tiny document alone: BM25's statistics are store-wide, so a second document would shift them."""
    s = _empty(request.param, tmp_path_factory.mktemp(request.param))
    _add(s, TINY_DOC, _tiny())
    yield s
    s.close()


@pytest.mark.parametrize("query", QUERIES)
def test_store_retriever_ranks_as_the_directory_retriever_on_both_stores(
    tiny_store: Store, directory_retriever: Library, query: str
) -> None:
    r = _on(tiny_store, directory_retriever.manifest)
    want = _search(directory_retriever, query, 8)
    got = _search(r, query, 8)
    assert [h.passage.id for h in got] == [h.passage.id for h in want]
    assert np.allclose([h.score for h in got], [h.score for h in want], atol=1e-5)
    assert np.allclose([h.lexical for h in got], [h.lexical for h in want], atol=1e-4)


def test_a_directory_written_by_build_index_opens_as_a_store_of_one_document(
    directory_retriever: Library, tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = tmp_path_factory.mktemp("dir2") / "index"
    build_index(_tiny(), EMBEDDER, out, "sha", QUERY_PREFIX, PASSAGE_PREFIX, progress=False)
    s = FaissStore.open(out)
    assert [d.symbol for d in s.documents()] == [TINY_DOC]
    assert {r.doc for r in s.rows(TINY_DOC)} == {TINY_DOC}
    r = _on(s, directory_retriever.manifest)
    assert [h.passage.id for h in _search(r, "日内瓦", 3)] == [
        h.passage.id for h in _search(directory_retriever, "日内瓦", 3)
    ]


def test_a_second_document_keeps_the_first_documents_best_hit(
    store: Store, directory_retriever: Library
) -> None:
    """Lexical scores shift (BM25's statistics are store-wide: IDF counts the other document's rows too), so
    the tail of a ranking may reorder, but the best passage stays the best."""
    r = _on(store, directory_retriever.manifest)
    for query in QUERIES:
        got = _search(r, query, 8, doc=TINY_DOC)
        assert got[0].passage.id == _search(directory_retriever, query, 1)[0].passage.id, query
        assert all(h.passage.doc == TINY_DOC for h in got)
        assert all(h.passage.doc == OTHER_DOC for h in _search(r, query, 8, doc=OTHER_DOC))


@pytest.mark.milvus
def test_a_milvus_rebuild_moves_the_alias_without_disturbing_open_readers(tmp_path: Path) -> None:
    """Build into a new generation, publish it under the alias: readers opened before keep their generation,
    readers opened after see the new one, and the generation before the previous is dropped."""
    uri = str(tmp_path / "m.db")
    v1 = MilvusStore.create(uri, EMBEDDER.dim, "live_v1")
    _add(v1, TINY_DOC, _tiny())
    v1.publish("live")
    before = MilvusStore.open(uri, "live")
    assert before.name == "live_v1" and [d.symbol for d in before.documents()] == [TINY_DOC]
    v2 = MilvusStore.create(uri, EMBEDDER.dim, "live_v2")
    _add(v2, OTHER_DOC, _other())
    assert v2.publish("live") == []
    after = MilvusStore.open(uri, "live")
    assert after.name == "live_v2" and [d.symbol for d in after.documents()] == [OTHER_DOC]
    # The reader opened before the switch still reads its own generation, whole.
    assert [d.symbol for d in before.documents()] == [TINY_DOC]
    assert before.lexical_search(tokenize("77/71"), 3)[0][0].passage_id == "9.2(b)"
    v3 = MilvusStore.create(uri, EMBEDDER.dim, "live_v3")
    _add(v3, TINY_DOC, _tiny())
    assert sorted(v3.publish("live")) == [
        "live_v1_candidates",
        "live_v1_documents",
        "live_v1_meta",
        "live_v1_passages",
        "live_v1_rows",
    ]
    assert MilvusStore.open(uri, "live").name == "live_v3"
    assert [d.symbol for d in after.documents()] == [OTHER_DOC]  # v2 kept: the generation just replaced
    for s in (before, after, v1, v2, v3):
        s.close()
