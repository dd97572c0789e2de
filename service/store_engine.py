"""Settings → a store and a retriever on it: many documents, or Milvus (`CITEQA_STORE`, docs/SCALE.md).

`service.engine` hands over here when `uses_store(settings)`: a corpus of several documents (a directory or
a JSON list in `CITEQA_CORPUS`), or `CITEQA_STORE` set. One file with `CITEQA_STORE` unset never comes here:
today's index directory and retriever, unchanged.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from corpus.documents import Document, is_single, load_corpus
from index.build import _swap_into_place
from index.embedder import Embedder
from index.manifest import FORMAT_VERSION, REBUILD_HINT, IndexError_, Manifest, package_versions
from index.store import DocumentInfo, Store, StoreError
from index.store_faiss import FaissStore
from index.store_retriever import StoreRetriever, embed_rows, store_rows

from .settings import Settings

MANIFEST_KEY = "manifest"


def uses_store(settings: Settings) -> bool:
    return settings.store is not None or not is_single(settings.corpus)


def documents(settings: Settings) -> list[Document]:
    return load_corpus(settings.corpus, settings.doc_symbol)


def corpus_fingerprint(settings: Settings) -> str:
    """Each document's fingerprint as `service.engine` computes it for one file, with its symbol, in order."""
    from .engine import corpus_fingerprint as one

    digest = hashlib.sha256()
    for d in documents(settings):
        digest.update(d.symbol.encode())
        digest.update(one(settings.model_copy(update={"corpus": d.source, "doc_symbol": d.symbol})).encode())
    return digest.hexdigest()


def _manifest(settings: Settings, embedder: Embedder, docs: list[Document], passages: int, rows: int) -> Manifest:
    q, p = settings.prefixes
    return Manifest(format_version=FORMAT_VERSION, model_id=embedder.model_id, dim=embedder.dim, query_prefix=q,
                    passage_prefix=p, corpus_sha256=corpus_fingerprint(settings),
                    doc="; ".join(d.symbol for d in docs), passages=passages, rows=rows,
                    built_at=datetime.now(UTC).isoformat(timespec="seconds"), versions=package_versions())


def build_store(settings: Settings, embedder: Embedder) -> Manifest:
    """Every document of the corpus into the configured store, replacing what was there once complete."""
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
            store.add(DocumentInfo(d.symbol, d.language, str(d.source)), passages, rows, embed_rows(rows, embedder),
                      tokens)
            n_passages, n_rows = n_passages + len(passages), n_rows + len(rows)
        manifest = _manifest(settings, embedder, docs, n_passages, n_rows)
        if isinstance(store, FaissStore):
            _save_directory(store, manifest, settings.index_dir)
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


def _save_directory(store: FaissStore, manifest: Manifest, out_dir: Path) -> None:
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        store.save(tmp)
        manifest.save(tmp)  # last: a directory without a manifest is never mistaken for an index
        _swap_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def open_store(settings: Settings) -> tuple[Store, Manifest]:
    """The configured store and the manifest it was built with; IndexError_ names the fix when there is none."""
    if settings.store == "milvus":
        # Imported here: pymilvus is the `milvus` extra, not needed for the index directory.
        from index.store_milvus import MilvusStore

        try:
            milvus = MilvusStore.open(settings.milvus_uri, settings.milvus_collection, settings.milvus_token)
        except StoreError as exc:
            raise IndexError_(f"{exc}; {REBUILD_HINT}") from exc
        raw = milvus.get_meta(MANIFEST_KEY)
        if raw is None:
            milvus.close()
            raise IndexError_(f"the Milvus collections {settings.milvus_collection}_* have no manifest; {REBUILD_HINT}")
        return milvus, Manifest(**json.loads(raw))
    manifest = Manifest.load(settings.index_dir)
    return FaissStore.open(settings.index_dir), manifest


def open_store_retriever(settings: Settings, embedder: Embedder) -> StoreRetriever:
    store, manifest = open_store(settings)
    q, p = settings.prefixes
    try:
        manifest.check(embedder.model_id, q, p, corpus_fingerprint(settings))
        return StoreRetriever(store, embedder, manifest, settings.query_cache_size)
    except BaseException:
        store.close()
        raise


def store_is_current(settings: Settings, model_id: str) -> bool:
    try:
        store, manifest = open_store(settings)
    except IndexError_:
        return False
    store.close()
    q, p = settings.prefixes
    try:
        manifest.check(model_id, q, p, corpus_fingerprint(settings))
        return True
    except IndexError_:
        return False
