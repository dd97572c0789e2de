"""Wiring settings to the index: the one place that knows how settings become an embedder and a retriever."""

from __future__ import annotations

import hashlib
import json

from corpus.candidates import CANDIDATES_VERSION
from corpus.glossary import GLOSSARY
from corpus.parser import load_document
from corpus.split import PIECE_CHARS, PIECE_OVERLAP, PIECES_VERSION
from index.build import build_index
from index.embedder import Embedder, SentenceTransformerEmbedder, load_embedder
from index.manifest import IndexError_, Manifest
from index.retriever import Retriever

from .settings import Settings


def corpus_fingerprint(settings: Settings) -> str:
    """The corpus file and what today's parser and splitter make of it: a parser fix makes old indexes stale."""
    digest = hashlib.sha256(settings.corpus.read_bytes())
    passages = load_document(settings.corpus, settings.doc_symbol)
    digest.update(json.dumps([p.to_dict() for p in passages], ensure_ascii=False, sort_keys=True).encode())
    digest.update(f"{PIECE_CHARS}/{PIECE_OVERLAP}/{PIECES_VERSION}/{CANDIDATES_VERSION}".encode())
    # The glossary's Chinese terms join jieba's dictionary, so they change how the lexical index cuts words.
    digest.update(GLOSSARY.read_bytes())
    return digest.hexdigest()


def make_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    q, p = settings.prefixes
    return load_embedder(settings.model, settings.cache_dir, q, p)


def build(settings: Settings, progress: bool = True) -> Manifest:
    q, p = settings.prefixes
    passages = load_document(settings.corpus, settings.doc_symbol)
    return build_index(list(passages), make_embedder(settings), settings.index_dir, corpus_fingerprint(settings),
                       q, p, progress=progress)


def open_retriever(settings: Settings, embedder: Embedder | None = None) -> Retriever:
    q, p = settings.prefixes
    return Retriever.load(settings.index_dir, embedder or make_embedder(settings), q, p,
                          corpus_fingerprint(settings), settings.query_cache_size)


def index_is_current(settings: Settings) -> bool:
    try:
        q, p = settings.prefixes
        model_id = settings.model if settings.is_embedded else str(settings.model_path.resolve())
        Manifest.load(settings.index_dir).check(model_id, q, p, corpus_fingerprint(settings))
        return True
    except IndexError_:
        return False
