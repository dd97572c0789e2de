"""Word boundaries for highlights, quotes and snippets (service/words.py), from jieba's accurate mode."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.parser import load_document
from reader.words import boundaries, on_boundaries, window

TEXTS = [p.text for p in load_document()]


def test_a_word_inside_a_longer_word_is_not_a_match() -> None:
    text = "小武器和轻武器"
    assert on_boundaries(text, [(1, 3), (5, 7), (0, 3), (4, 7)]) == [(0, 3), (4, 7)]


def test_a_window_never_cuts_a_word() -> None:
    text = "为国家小武器管制委员会提供支助。" * 20
    start, end = window(text, text.index("小武器", 100), 50, 10)
    assert not text[start:end].startswith("家") and start in boundaries(text) and end in boundaries(text)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(TEXTS), st.integers(0, 3000), st.integers(20, 200))
def test_windows_of_the_document_start_and_end_on_boundaries(text: str, focus: int, size: int) -> None:
    start, end = window(text, min(focus, len(text)), size, 40)
    bounds = boundaries(text)
    assert 0 <= start < end <= len(text) or text == ""
    assert start in bounds and end in bounds


def test_a_line_break_inside_a_table_cell_is_not_a_word_boundary() -> None:
    # Table 4.12 as the PDF wrapped it: "国\n家小武器管制委员\n会".
    text = "在 7 个会员国，国\n家小武器管制委员\n会、国家小武器管\n制"
    bounds = boundaries(text)
    start = text.index("家")
    assert start not in bounds and start - 1 not in bounds  # mid-"国家" on either side of the break
    assert text.index("小") in bounds
    assert on_boundaries(text, [(text.index("委员"), text.index("会、"))]) == []


def test_warm_boundaries_belong_to_whoever_loaded_them() -> None:
    import reader.words

    text = "小武器和轻武器"
    known = reader.words.warm([text])
    assert known == {text: boundaries(text)}
    # No module-wide store: a second index's warm-up does not keep the first's texts alive.
    assert not hasattr(reader.words, "_WARM")
    # Given the boundaries already cut, they are used as they are.
    assert boundaries(text, {text: frozenset({0, len(text)})}) == frozenset({0, len(text)})
