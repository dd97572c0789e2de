"""Helpers for the fast suite: a tiny section-9 document, a keyword embedder you can work out by hand, its index.

The keyword embedder (tests/fakes.py): the cosine of a query and a passage is |shared| / sqrt(|kw(q)| * |kw(p)|),
and a query that names no keyword is similar to nothing. In the tiny document the keywords fall like this
(pieces also carry their heading context, which holds none):

    9.1 决议 · 9.2 珊瑚礁 讲习班 红树林 决议 · 9.2(a) 珊瑚礁 讲习班 · 9.2(a)㈠ / ㈡ 讲习班 · 9.2(b) 红树林 决议
    9.3 经常预算 · 9.4 深海 · 9.6 深海 研究金 日内瓦 · 前言 9.5 表9.1 附件一: none
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from corpus.parser import parse
from index.build import build_index
from index.embedder import Embedder
from index.encoder import QueryEncoder
from index.fingerprint import corpus_sha256
from index.library import Library
from index.manifest import Manifest, Wanted
from index.open import open_directory
from service.app import create_app
from service.settings import Settings

from . import fakes

TINY = Path(__file__).parent / "data" / "tiny.zh.txt"
TINY_DOC = "A/78/6 (Sect. 9)"
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
KEYWORDS = ("珊瑚礁", "讲习班", "红树林", "经常预算", "深海", "研究金", "日内瓦", "决议")
TINY_IDS = [
    "前言",
    "9.1",
    "9.2",
    "9.2(a)",
    "9.2(a)㈠",
    "9.2(a)㈡",
    "9.2(b)",
    "9.3",
    "9.4",
    "9.5",
    "表9.1",
    "9.6",
    "附件一",
]


class KeywordEmbedder(fakes.KeywordEmbedder):
    """The keyword embedder (tests/fakes.py) on the tiny document's keywords."""

    def __init__(self, keywords: tuple[str, ...] = KEYWORDS, model_id: str = "tiny-keywords") -> None:
        super().__init__(keywords, model_id)


def tiny_settings(index_dir: Path, **overrides: object) -> Settings:
    """Settings for the tiny index; explicit values, so no CITEQA_* variable of the environment leaks in."""
    values: dict[str, object] = {
        "corpus": TINY,
        "index_dir": index_dir,
        "model": KeywordEmbedder().model_id,
        "query_prefix": QUERY_PREFIX,
        "passage_prefix": PASSAGE_PREFIX,
        "doc_symbol": TINY_DOC,
        "api_key": None,
        "cors_origins": [],
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def build_tiny_index(index_dir: Path) -> Settings:
    """Build the tiny index into `index_dir`, as `index.open.build` would, and return settings that match it."""
    settings = tiny_settings(index_dir)
    passages = parse(TINY.read_text(encoding="utf-8"), TINY_DOC)
    build_index(
        list(passages),
        KeywordEmbedder(),
        index_dir,
        corpus_sha256([(TINY_DOC, TINY)]),
        QUERY_PREFIX,
        PASSAGE_PREFIX,
        progress=False,
    )
    return settings


def open_as_built(directory: Path, embedder: Embedder, cache_size: int = 2048) -> Library:
    """An index directory opened with whatever its manifest says it was built for: a test of ranking, not of
    the checks that refuse a mismatched index."""
    m = Manifest.load(directory)
    wanted = Wanted(
        model_id=m.model_id,
        query_prefix=m.query_prefix,
        passage_prefix=m.passage_prefix,
        corpus_sha256=m.corpus_sha256,
        code_sha256=m.code_sha256,
        doc=m.doc,
        query_engine=m.query_engine,
    )
    return open_directory(directory, QueryEncoder(embedder, cache_size), wanted)


def tiny_client(settings: Settings, embedder: object | None = None, **kwargs: object) -> TestClient:
    """A TestClient on the real app over the tiny index; enter it (`with`) to run the lifespan."""
    return TestClient(create_app(settings, embedder=embedder or KeywordEmbedder()), **kwargs)  # type: ignore[arg-type]
