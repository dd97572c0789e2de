"""English frames from the lexicon: passages, rows, columns and units named in English, the figures and quotes
as the Chinese edition prints them."""

from __future__ import annotations

from corpus.candidates import Candidate
from corpus.model import Passage
from reader.citations import prose_label
from reader.replies import _cell_answer, english, english_unit


def _p(pid: str, kind: str = "paragraph") -> Passage:
    return Passage(pid, "A/1", kind, "x")  # type: ignore[arg-type]


def test_passages_are_named_with_the_citations_labels() -> None:
    assert prose_label(_p("4.88(b)㈠", "item"), "en") == "para. 4.88 (b) (i)"
    assert prose_label(_p("图4.九", "figure"), "en") == "figure 4.IX"
    assert prose_label(_p("附件三", "annex"), "en") == "annex III"
    assert prose_label(_p("前言", "foreword"), "en") == "the foreword"
    assert prose_label(_p("4.86"), "zh") == "第 4.86 段"


def test_a_cell_is_framed_in_english_with_its_figure_as_printed() -> None:
    cell = Candidate(
        "表4.25", 0, 2, "cell", "", row_label="小计(1)", column="(1) 经常预算 › 2024 年拟议", unit="员额数目"
    )
    assert _cell_answer(_p("表4.25", "table"), cell, "66", "en") == (
        "Table 4.25, Subtotal (1), (1) Regular budget, 2024 proposed: 66 posts"
    )
    assert (
        _cell_answer(_p("表4.25", "table"), cell, "66", "zh")
        == "66 员额数目（表4.25，小计(1)，(1) 经常预算 2024 年拟议）"
    )


def test_a_label_keeps_its_numbering_and_stays_chinese_rather_than_half_translated() -> None:
    assert english("(1)+(2) 共计") == "(1)+(2) Total"
    assert english("3. 常规武器") == "3. Conventional arms"
    assert english("某个没有英文的标签") == "某个没有英文的标签"
    assert english_unit("千美元") == "thousands of United States dollars"
    assert english_unit("3 小时会议次数") == "three-hour meetings"


def test_a_label_that_starts_a_sentence_keeps_its_numerals() -> None:
    from reader.replies import _first_up

    assert (
        _first_up("figure 4.IX") == "Figure 4.IX" and _first_up("para. 4.88 (b) (i)") == "Para. 4.88 (b) (i)"
    )
