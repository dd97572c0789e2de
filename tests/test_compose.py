"""reader.compose (and the spans it quotes from, `corpus.candidates.sentence_spans`): spans, highlights and the
best span for a quote, each worked out by hand."""

from __future__ import annotations

import math

import pytest

from corpus.candidates import sentence_spans as spans
from index.lexical import tokenize
from reader.compose import best_span, find_terms, highlights
from reader.terms import length_weight as term_weight

ITEMS = (
    "为促进实现这一目标，本方案将：(a) 举办珊瑚礁监测讲习班：㈠ 在斐济举办 3 期讲习班；㈡ 在萨摩亚举办 2 期讲习班；"
    "(b) 根据大会第 77/71 号决议维护红树林数据库。"
)
FACTS = "渔业资源十分丰富。渔业资源为 1 234 500 美元。会议于 2023 年 3 月 5 日在日内瓦举行。"
#        0........8 9.....................27 28.......................................52


def _texts(text: str) -> list[str]:
    return [text[s:e] for s, e in spans(text)]


def test_spans_split_sentences_the_clause_before_a_list_items_and_sub_items() -> None:
    assert _texts(ITEMS) == [
        "为促进实现这一目标，本方案将：",
        "(a) 举办珊瑚礁监测讲习班：",
        "㈠ 在斐济举办 3 期讲习班；",
        "㈡ 在萨摩亚举办 2 期讲习班；",
        "(b) 根据大会第 77/71 号决议维护红树林数据库。",
    ]


def test_spans_are_table_rows_and_trimmed() -> None:
    table = (
        "按次级方案分列的资源\n(千美元)\n1. 海洋养护 | 1 234.5 | 2 345.6\n  2. 海洋科学 | 3 456.7 | 4 567.8  "
    )
    assert _texts(table) == [
        "按次级方案分列的资源",
        "(千美元)",
        "1. 海洋养护 | 1 234.5 | 2 345.6",
        "2. 海洋科学 | 3 456.7 | 4 567.8",
    ]


def test_spans_of_nothing() -> None:
    assert spans("") == []
    assert spans("。。；") == []  # one-character pieces are not sentences
    assert best_span("", ["资源"]) is None


def test_spans_cover_the_text_in_order_without_overlap() -> None:
    out = spans(FACTS)
    assert out == [(0, 9), (9, 28), (28, 53)]
    assert all(a[1] <= b[0] for a, b in zip(out, out[1:], strict=False))


def test_term_weights() -> None:
    assert term_weight("2024") == 0.6  # a year says little
    assert term_weight("12") == 0.4
    assert term_weight("研究金") == pytest.approx(math.sqrt(3))
    assert term_weight("小武器和轻武器问题") == pytest.approx(math.sqrt(6))  # capped at six characters
    assert term_weight("fellowship") == 1.5


def test_best_span_takes_the_sentence_with_most_term_weight() -> None:
    # 渔业 and 资源 (sqrt 2 each) are in the first two sentences; 1234500 (a 7-digit term, weight 1.5) only in the
    # second, which therefore wins.
    span = best_span(FACTS, ["渔业", "资源", "1234500"])
    assert span is not None
    assert FACTS[span.start : span.end] == "渔业资源为 1 234 500 美元。"
    assert span.score == pytest.approx(2 * math.sqrt(2) + 1.5)


def test_best_span_takes_the_earlier_of_equals() -> None:
    span = best_span(FACTS, ["渔业", "资源"])
    assert span is not None and (span.start, span.end) == (0, 9)
    assert span.score == pytest.approx(2 * math.sqrt(2))


def test_best_span_counts_length_against_a_run_on_span() -> None:
    long = "决议" + "，决议" * 100 + "。资源。"
    span = best_span(long, ["决议", "资源"])
    assert span is not None and long[span.start : span.end] == "资源。"


def test_find_terms_reads_grouped_figures_and_does_not_match_inside_longer_numbers() -> None:
    assert find_terms("共计 15 232 800 美元", ["15232800"]) == [(3, 13, "15232800")]
    assert find_terms("4.88 段和 14.88 段以及 4.881", ["4.88"]) == [(0, 4, "4.88")]
    assert find_terms("Small arms and SMALL", ["small"]) == [(0, 5, "small"), (15, 20, "small")]


def test_highlights_are_merged_sorted_offsets() -> None:
    assert highlights("小武器和轻武器", ["小武器", "武器"]) == [(0, 3), (5, 7)]
    assert highlights("15 232 800 美元", ["15232800"]) == [(0, 10)]
    assert highlights("没有", ["资源"]) == []
    text = "裁军厅为小武器和轻武器管制提供支助"
    for s, e in highlights(text, ["小武器", "轻武器", "管制", "不存在"]):
        assert 0 <= s < e <= len(text)


@pytest.mark.parametrize(
    ("text", "typed"), [("见第 4.88 (b) 段", "4.88(b)"), ("1 个 GS (PL) 员额", "GS (PL)")]
)
def test_find_terms_reads_protected_tokens_with_brackets(text: str, typed: str) -> None:
    assert find_terms(text, tokenize(typed))
