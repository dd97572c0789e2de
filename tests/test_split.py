"""Pieces for embedding: bounded in size, each naming a passage that exists, every passage covered."""

from __future__ import annotations

from collections import Counter

import pytest

from corpus.model import Passage
from corpus.parser import load_document
from corpus.split import PIECE_CHARS, Piece, _context, pieces


@pytest.fixture(scope="module")
def document() -> tuple[Passage, ...]:
    return load_document()


@pytest.fixture(scope="module")
def document_pieces(document: tuple[Passage, ...]) -> list[Piece]:
    return pieces(document)


def _body(piece: Piece, passage: Passage, by_id: dict[str, Passage]) -> str:
    context = _context(passage, by_id)
    assert piece.text.startswith(context + "\n" if context else "")
    return piece.text[len(context) + 1 :] if context else piece.text


def test_pieces_never_exceed_the_limit_plus_the_context_line(
    document: tuple[Passage, ...], document_pieces: list[Piece]
) -> None:
    by_id = {p.id: p for p in document}
    for piece in document_pieces:
        body = _body(piece, by_id[piece.passage_id], by_id)
        assert 0 < len(body) <= PIECE_CHARS
        assert body in by_id[piece.passage_id].text  # a piece quotes its passage, it never rewrites it


def test_every_piece_names_a_passage_and_every_passage_has_one(
    document: tuple[Passage, ...], document_pieces: list[Piece]
) -> None:
    ids = [p.id for p in document]
    counts = Counter(piece.passage_id for piece in document_pieces)
    assert set(counts) == set(ids)
    # 4.88 runs to over 1 200 characters: it cannot fit in one piece of 400.
    assert len(document[ids.index("4.88")].text) > 3 * PIECE_CHARS
    family = [pid for pid in counts if pid == "4.88" or pid.startswith("4.88(")]
    assert sum(counts[pid] for pid in family) >= 4
    # Each text is embedded once: 4.88's own piece is its lead-in, the items carry the rest.
    assert counts["4.88"] == 1 and counts["4.88(b)㈠"] >= 2
    # 4.85 is one short sentence: one piece.
    assert len(document[ids.index("4.85")].text) < PIECE_CHARS and counts["4.85"] == 1


def test_no_text_is_embedded_twice(document: tuple[Passage, ...], document_pieces: list[Piece]) -> None:
    by_id = {p.id: p for p in document}
    bodies = [
        _body(piece, by_id[piece.passage_id], by_id)
        for piece in document_pieces
        if piece.passage_id == "4.88" or piece.passage_id.startswith("4.88(")
    ]
    # Pieces overlap by at most PIECE_OVERLAP characters, so together they are about the paragraph's length.
    total = sum(len(b) for b in bodies)
    assert len(by_id["4.88"].text) * 0.95 <= total <= len(by_id["4.88"].text) + 40 * len(bodies)


def test_context_line_names_the_component_section_and_table_caption() -> None:
    para = Passage(
        "9.2", "D", "paragraph", "本方案将提供培训。", heading=["A. 方案计划", "次级方案 1 培训", "战略"]
    )
    table = Passage("表9.1", "D", "table", "财政资源\n员额 | 120.5", heading=["B. 所需资源", "概述"])
    bare = Passage("前言", "D", "foreword", "前言全文。")
    assert [p.text for p in pieces([para, table, bare])] == [
        "次级方案 1 培训 › 战略\n本方案将提供培训。",  # heading[1] and heading[-1]; part A is left out
        "概述 › 表9.1 财政资源\n财政资源\n员额 | 120.5",  # the caption, so a later piece still says what it is
        "前言全文。",  # no heading, no context line
    ]


def test_long_passage_splits_at_sentence_ends() -> None:
    sentence = "裁" * 150 + "。"  # 151 characters: two fit in 400, three do not
    p = Passage("9.3", "D", "paragraph", sentence * 5)
    chunks = [piece.text for piece in pieces([p])]
    assert len(chunks) >= 3
    assert all(c.endswith("。") and len(c) <= PIECE_CHARS for c in chunks)
