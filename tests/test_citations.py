"""Copy-ready citations and the source document's link (service/citations.py): pure functions, by hand."""

from __future__ import annotations

import pytest

from corpus.model import Passage, Symbol
from reader.citations import citation_extras, cite_en, cite_zh, label_en, label_zh, source_url

DOC = "A/78/6 (Sect. 4)"


@pytest.mark.parametrize(
    ("pid", "zh", "en"),
    [
        ("4.88", "第 4.88 段", "para. 4.88"),
        ("4.88(b)", "第 4.88 (b) 段", "para. 4.88 (b)"),
        ("4.88(b)㈠", "第 4.88 (b) ㈠ 段", "para. 4.88 (b) (i)"),
        ("4.44(c)㈣", "第 4.44 (c) ㈣ 段", "para. 4.44 (c) (iv)"),
        ("表4.24", "表 4.24", "table 4.24"),
        ("图4.七", "图 4.七", "figure 4.VII"),
        ("图4.十四", "图 4.十四", "figure 4.XIV"),
        ("前言", "前言", "foreword"),
        ("附件三", "附件三", "annex III"),
    ],
)
def test_labels(pid: str, zh: str, en: str) -> None:
    assert label_zh(pid) == zh
    assert label_en(pid) == en


def test_copy_ready_citations_in_both_forms() -> None:
    assert cite_zh(DOC, "4.88(b)㈠") == "A/78/6 (Sect. 4)，第 4.88 (b) ㈠ 段"
    assert cite_en(DOC, "4.88(b)㈠") == "A/78/6 (Sect. 4), para. 4.88 (b) (i)"
    assert cite_zh(DOC, "表4.24") == "A/78/6 (Sect. 4)，表 4.24"
    assert cite_en(DOC, "表4.24") == "A/78/6 (Sect. 4), table 4.24"


@pytest.mark.parametrize(
    ("symbol", "url"),
    [
        ("A/78/6 (Sect. 4)", "https://undocs.org/ch/A/78/6(Sect.4)"),
        ("A/78/6 (Sect. 29A)", "https://undocs.org/ch/A/78/6(Sect.29A)"),
        ("A/77/7", "https://undocs.org/ch/A/77/7"),
        ("S/2023/123", "https://undocs.org/ch/S/2023/123"),
        ("", None),
        ("not a symbol", None),
    ],
)
def test_source_url_from_the_document_symbol(symbol: str, url: str | None) -> None:
    assert source_url(symbol) == url


def test_citation_extras_keep_the_passage_source_apart_from_what_it_cites() -> None:
    p = Passage(
        id="4.88(b)㈠",
        doc=DOC,
        kind="item",
        text="……第 77/71 号决议……",
        symbols=[Symbol("77/71", "https://undocs.org/ch/A/RES/77/71"), Symbol("A/CONF.192/15")],
    )
    extras = citation_extras(p)
    assert extras["source_url"] == "https://undocs.org/ch/A/78/6(Sect.4)"
    assert extras["cite_en"] == "A/78/6 (Sect. 4), para. 4.88 (b) (i)"
    assert extras["label_en"] == "para. 4.88 (b) (i)"
    assert extras["symbols"] == [
        {"symbol": "77/71", "url": "https://undocs.org/ch/A/RES/77/71"},
        {"symbol": "A/CONF.192/15", "url": None},
    ]
