"""Settings → a store and a retriever on it: many documents, or Milvus (`CITEQA_STORE`, docs/SCALE.md).

`service.engine` hands over here when `uses_store(settings)`: a corpus of several documents (a directory or
a JSON list in `CITEQA_CORPUS`), or `CITEQA_STORE` set. One file with `CITEQA_STORE` unset never comes here:
today's index directory and retriever, unchanged.

The manifest is `index.manifest`'s, with the same checks: `corpus_sha256` covers every document (its symbol
and file hash, in order), `doc` lists the symbols, and `files` the directory store's files (none for Milvus).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.documents import Document, is_single, load_corpus
from index.embedder import Embedder, engine_of, model_id, query_engine
from index.fingerprint import code_sha256, sha256_file
from index.manifest import (
    FORMAT_VERSION,
    REBUILD_HINT,
    IndexError_,
    Manifest,
    Wanted,
    package_versions,
)

from .settings import Settings

if TYPE_CHECKING:
    from index.store import Store
    from index.store_retriever import StoreRetriever

MANIFEST_KEY = "manifest"


def uses_store(settings: Settings) -> bool:
    return settings.store is not None or not is_single(settings.corpus)


def documents(settings: Settings) -> list[Document]:
    return load_corpus(settings.corpus, settings.doc_symbol)


def corpus_sha256(docs: list[Document]) -> str:
    """Every document's symbol and file hash, in order: a changed, added, renamed or reordered one is stale."""
    digest = hashlib.sha256()
    for d in docs:
        digest.update(d.symbol.encode() + b"\0" + sha256_file(d.source).encode() + b"\0")
    return digest.hexdigest()


def _doc_field(docs: list[Document]) -> str:
    return "; ".join(d.symbol for d in docs)


def _wanted(settings: Settings, docs: list[Document], model: str, engine: str) -> Wanted:
    q, p = settings.prefixes
    return Wanted(model_id=model, query_prefix=q, passage_prefix=p, corpus_sha256=corpus_sha256(docs),
                  code_sha256=code_sha256(), doc=_doc_field(docs), query_engine=engine)


def build_store(settings: Settings, embedder: Embedder, engine: str | None = None) -> Manifest:
    """Every document of the corpus into the configured store, replacing what was there once complete.

    `engine` names the engine that will embed queries (by default the builder's own), as `build_index` takes it.
    """
    from index.candidates import CandidateIndex, embed_candidates
    from index.store import DocumentInfo
    from index.store_faiss import FaissStore
    from index.store_retriever import embed_rows, store_rows

    docs = documents(settings)
    store: Store
    if settings.store == "milvus":
        from index.store_milvus import MilvusStore

        # A new generation of collections; the alias moves to it only once it is complete (docs/SCALE.md).
        generation = f"{settings.milvus_collection}_v{time.time_ns() // 1_000_000}"
        store = MilvusStore.create(settings.milvus_uri, embedder.dim, generation, token=settings.milvus_token)
    else:
        store = FaissStore(embedder.dim)
    n_passages = n_rows = 0
    try:
        for d in docs:
            passages = list(d.passages())
            rows, tokens = store_rows(d.symbol, passages)
            cands = CandidateIndex.of(*embed_candidates(passages, embedder))
            store.add(DocumentInfo(d.symbol, d.language, str(d.source)), passages, rows, embed_rows(rows, embedder),
                      tokens, cands)
            n_passages, n_rows = n_passages + len(passages), n_rows + len(rows)
        q, p = settings.prefixes
        manifest = Manifest(
            format_version=FORMAT_VERSION, model_id=embedder.model_id, dim=embedder.dim, query_prefix=q,
            passage_prefix=p, corpus_sha256=corpus_sha256(docs), code_sha256=code_sha256(), doc=_doc_field(docs),
            passages=n_passages, rows=n_rows, build_engine=engine_of(embedder),
            query_engine=engine or engine_of(embedder),
            built_at=datetime.now(UTC).isoformat(timespec="seconds"), versions=package_versions(), files={})
        if isinstance(store, FaissStore):
            manifest = _save_directory(store, manifest, settings.index_dir)
        else:
            store.set_meta(MANIFEST_KEY, json.dumps(asdict(manifest), ensure_ascii=False))
            store.publish(settings.milvus_collection)
    except BaseException:
        if not isinstance(store, FaissStore):
            store.drop()
        raise
    finally:
        store.close()
    return manifest


def _save_directory(store: Store, manifest: Manifest, out_dir: Path) -> Manifest:
    from index.build import publish
    from index.store_faiss import FaissStore

    assert isinstance(store, FaissStore)

    def write(tmp: Path) -> Manifest:
        store.save(tmp)
        return manifest

    return publish(out_dir, write)


def _milvus_manifest(settings: Settings) -> tuple[Store, Manifest]:
    # Imported here: pymilvus is the `milvus` extra, not needed for the index directory.
    from index.store import StoreError
    from index.store_milvus import MilvusStore

    try:
        milvus = MilvusStore.open(settings.milvus_uri, settings.milvus_collection, settings.milvus_token)
    except StoreError as exc:
        raise IndexError_(f"{exc}; {REBUILD_HINT}") from exc
    raw = milvus.get_meta(MANIFEST_KEY)
    try:
        if raw is None:
            raise IndexError_(f"the Milvus collections {settings.milvus_collection}_* have no manifest; "
                              f"{REBUILD_HINT}")
        return milvus, Manifest(**json.loads(raw))
    except (TypeError, ValueError) as exc:
        milvus.close()
        raise IndexError_(f"the Milvus manifest is invalid ({exc}); {REBUILD_HINT}") from exc
    except IndexError_:
        milvus.close()
        raise


def open_store(settings: Settings) -> tuple[Store, Manifest]:
    """The configured store and the manifest it was built with; IndexError_ names the fix when there is none."""
    if settings.store == "milvus":
        return _milvus_manifest(settings)
    from index.store_faiss import FaissStore

    manifest = Manifest.load(settings.index_dir)
    manifest.verify(settings.index_dir)
    return FaissStore.open(settings.index_dir), manifest


def check_store(settings: Settings, model: str | None = None, engine: str | None = None) -> Manifest:
    """`service.engine.check_index` for a store: the manifest of a current one, loading no model. `model` and
    `engine` stand for the settings' model id and query engine (a test's fake embedder)."""
    q, p = settings.prefixes
    if settings.store == "milvus":
        store, manifest = _milvus_manifest(settings)
        store.close()
    else:
        manifest = Manifest.load(settings.index_dir)
        manifest.verify(settings.index_dir)
    manifest.check(_wanted(settings, documents(settings), model or model_id(settings.model),
                           engine or query_engine(settings.model, q, p)))
    return manifest


def open_store_retriever(settings: Settings, embedder: Embedder) -> StoreRetriever:
    from index.store_retriever import StoreRetriever

    store, manifest = open_store(settings)
    try:
        manifest.check(_wanted(settings, documents(settings), embedder.model_id, engine_of(embedder)))
        return StoreRetriever(store, embedder, manifest, settings.query_cache_size, settings.query_queue_limit)
    except BaseException:
        store.close()
        raise
