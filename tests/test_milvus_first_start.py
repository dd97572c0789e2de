"""`CITEQA_STORE=milvus` on first start: an empty Milvus (Milvus Lite, a temp `*.db`) is built, as the directory
store is; incomplete or mismatched collections are refused, never rebuilt over (index.open.ensure_index, which
`citeqa serve` runs before it listens)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pymilvus import MilvusClient

from index.manifest import BadIndex, IndexMissing
from index.open import check_index, ensure_index
from index.store_milvus import MilvusStore
from service.settings import Settings
from tests.tiny import TINY_IDS, KeywordEmbedder, tiny_client, tiny_settings

pytestmark = pytest.mark.milvus


def _milvus(tmp_path: Path, db: str = "fresh.db") -> Settings:
    return tiny_settings(tmp_path / "no-directory-index", store="milvus", milvus_uri=str(tmp_path / db))


def test_an_empty_milvus_is_built_on_first_start_and_reaches_ready(tmp_path: Path) -> None:
    s = _milvus(tmp_path)
    embedder = KeywordEmbedder()
    with pytest.raises(IndexMissing):  # no file yet
        check_index(s.index_config, embedder.model_id, "tiny-keywords")
    MilvusClient(uri=s.milvus_uri).close()  # a Milvus with no collections at all
    with pytest.raises(IndexMissing):
        check_index(s.index_config, embedder.model_id, "tiny-keywords")

    said: list[str] = []
    built = ensure_index(s.index_config, embedder=embedder, announce=said.append)
    assert built is not None and built.passages == len(TINY_IDS)
    assert said == [f"no index in Milvus at {s.milvus_uri} (collection citeqa); building it first"]
    with tiny_client(s) as c:
        ready = c.get("/readyz")
        assert ready.status_code == 200 and ready.json()["passages"] == len(TINY_IDS)
        assert c.get("/passages/9.3").status_code == 200
        documents = c.get("/documents")
    # GET /documents names the file, never where the server keeps it.
    assert [d["source"] for d in documents.json()["documents"]] == ["tiny.zh.txt"]
    assert str(tmp_path) not in documents.text and "/" not in documents.json()["documents"][0]["source"]
    # The next start finds it current and builds nothing.
    assert ensure_index(s.index_config, embedder=embedder, announce=said.append) is None
    assert len(said) == 1


def test_incomplete_collections_are_refused_not_rebuilt(tmp_path: Path) -> None:
    s = _milvus(tmp_path)
    MilvusStore.create(s.milvus_uri, KeywordEmbedder().dim, name="citeqa").close()  # collections, no manifest
    said: list[str] = []
    with pytest.raises(BadIndex) as info:
        ensure_index(s.index_config, embedder=KeywordEmbedder(), announce=said.append)
    assert not isinstance(info.value, IndexMissing)
    assert "citeqa build" in str(info.value) and said == []
    still = MilvusStore.open(s.milvus_uri, "citeqa")
    try:
        assert still.get_meta("manifest") is None  # nothing was built over it
    finally:
        still.close()


def test_a_milvus_built_for_another_model_is_refused(tmp_path: Path) -> None:
    s = _milvus(tmp_path)
    ensure_index(s.index_config, embedder=KeywordEmbedder())
    other = KeywordEmbedder(model_id="another-model")
    with pytest.raises(BadIndex) as info:
        ensure_index(s.index_config, embedder=other, announce=lambda line: pytest.fail(line))
    assert not isinstance(info.value, IndexMissing) and "citeqa build" in str(info.value)
