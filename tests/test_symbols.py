"""Document symbols a passage cites, and the undocs.org links the document gives for them."""

from __future__ import annotations

import pytest

from corpus.model import Symbol
from corpus.parser import load_document
from corpus.symbols import (
    find_symbol_mentions,
    find_symbols,
    link_table,
    mention_offsets,
    normalise_symbol,
    parse_symbol,
    symbol_of_link,
)

LINKS = [
    "https://undocs.org/en/A/RES/77/71",
    "https://undocs.org/ch/A/RES/77/71",  # listed second, still preferred: the Chinese edition
    "https://undocs.org/ch/A/RES/S-10/2",
    "https://undocs.org/ch/S/RES/1325(2000)",
    "https://undocs.org/ch/A/77/7",
    "https://example.org/not-a-symbol",
]


@pytest.mark.parametrize(
    ("url", "symbol"),
    [
        ("https://undocs.org/ch/A/RES/77/71", "77/71"),  # A/RES/ is dropped: the text says 第 77/71 号决议
        ("https://undocs.org/ch/A/RES/S-10/2", "S-10/2"),
        ("https://undocs.org/ch/S/RES/1325(2000)", "1325 (2000)"),  # spaced the way the text prints it
        ("https://undocs.org/A/77/7", "A/77/7"),  # no language part
        ("https://example.org/x", None),
    ],
)
def test_symbol_of_link(url: str, symbol: str | None) -> None:
    assert symbol_of_link(url) == symbol


def test_link_table_prefers_the_chinese_edition() -> None:
    assert link_table(LINKS) == {
        "77/71": "https://undocs.org/ch/A/RES/77/71",
        "S-10/2": "https://undocs.org/ch/A/RES/S-10/2",
        "1325 (2000)": "https://undocs.org/ch/S/RES/1325(2000)",
        "A/77/7": "https://undocs.org/ch/A/77/7",
    }


@pytest.mark.parametrize("text", ["1325(2000)", "1325 (2000)", " 1325 (2000) "])
def test_normalise_symbol(text: str) -> None:
    assert normalise_symbol(text) == "1325 (2000)"


def test_find_symbols_in_order_with_links_and_no_repeats() -> None:
    text = "大会第 77/71 号决议、S-10/2 号决议、报告 A/77/7 和 A/CONF.192/15；再提 77/71。"
    assert find_symbols(text, link_table(LINKS)) == [
        Symbol("77/71", "https://undocs.org/ch/A/RES/77/71"),
        Symbol("S-10/2", "https://undocs.org/ch/A/RES/S-10/2"),
        Symbol("A/77/7", "https://undocs.org/ch/A/77/7"),
        Symbol("A/CONF.192/15", None),  # a full symbol counts even when the document gives no link
    ]


def test_a_bare_ratio_is_a_symbol_only_when_linked() -> None:
    # "10/20" looks like 77/71 but the document links no such resolution: a ratio or a page number.
    assert find_symbols("比例为 10/20，见第 77/71 号决议", link_table(LINKS)) == [
        Symbol("77/71", "https://undocs.org/ch/A/RES/77/71")
    ]


def test_find_symbol_mentions_in_a_query() -> None:
    assert find_symbol_mentions("哪些段落引用了 77/71 和 A/77/7？还有 1325(2000)") == [
        "77/71",
        "A/77/7",
        "1325 (2000)",
    ]
    assert find_symbol_mentions("A/77/71") == ["A/77/71"]  # one symbol, not 77/71 inside it


def test_a_symbol_printed_against_hanzi_is_found() -> None:
    # Source line 785 (4.26): "…(见第77/89号" with no spaces; the document links A/RES/77/89.
    by_id = {p.id: p for p in load_document()}
    assert Symbol("77/89", "https://undocs.org/ch/A/RES/77/89") in by_id["4.26"].symbols


@pytest.mark.parametrize(
    ("typed", "symbol"),
    [
        ("77/71", "77/71"),
        ("A/RES/77/71", "77/71"),
        ("a/res/77/71", "77/71"),
        ("第77/71号决议", "77/71"),
        ("第 77/71 号决议", "77/71"),
        ("resolution 77/71", "77/71"),
        ("General Assembly resolution 77/71", "77/71"),
        ("S/RES/1325(2000)", "1325 (2000)"),
        ("Security Council resolution 1325 (2000)", "1325 (2000)"),
        ("A/77/7", "A/77/7"),
        ("A/RES/S-10/2", "S-10/2"),
    ],
)
def test_parse_symbol_accepts_the_forms_users_type(typed: str, symbol: str) -> None:
    assert parse_symbol(typed) == symbol


def test_a_full_resolution_symbol_in_a_query_is_found() -> None:
    assert find_symbol_mentions("哪些段落引用了 A/RES/77/71？") == ["77/71"]


def test_mention_offsets_spaced_or_not_and_never_inside_another_symbol() -> None:
    text = "见第77/71号决议、A/77/71 和 1325(2000)"
    assert mention_offsets(text, "77/71") == [(2, 7)]
    assert [text[s:e] for s, e in mention_offsets(text, "1325 (2000)")] == ["1325(2000)"]
