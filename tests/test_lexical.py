"""Chinese-aware BM25: protected tokens stay whole, jieba cuts hanzi, and ranks follow the BM25 formula."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from index.lexical import LexicalIndex, tokenize


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("大会第 77/71 号决议", "77/71"),
        ("见报告 A/77/7。", "A/77/7"),
        ("S-10/2 号决议", "S-10/2"),
        ("1 个 P-4 员额", "P-4"),
        ("GS (PL) 职等", "GSPL"),  # one token, spaces and brackets dropped
        ("一般事务(其他职等) GS(OL)", "GSOL"),
        ("净增 15 232 800 美元", "15232800"),  # a grouped figure is one number
        ("第 4.88 (b) 段", "4.88B"),
        ("增长 10.1%", "10.1"),
    ],
)
def test_protected_units_stay_whole(text: str, token: str) -> None:
    assert token in tokenize(text)


def test_grouped_figure_is_not_cut_into_digits() -> None:
    assert tokenize("15 232 800") == ["15232800"]
    assert tokenize("GS (PL)") == ["GSPL"]


def test_jieba_cuts_chinese_and_stopwords_are_dropped() -> None:
    tokens = tokenize("裁军事务厅支持多边裁军努力的")
    assert {"裁军", "多边", "努力"} <= set(tokens)
    assert "的" not in tokens
    assert "裁军事务厅支持多边裁军努力的" not in tokens  # cut, not kept as one run


def test_latin_words_are_lower_cased_and_english_stopwords_dropped() -> None:
    assert tokenize("What is the Regular Budget") == ["regular", "budget"]


# Toy corpus of three documents, three tokens each, so every length equals the average (dl/avgdl = 1) and the
# BM25 term weight is idf * tf / (k1 + tf) with bm25s's defaults k1 = 1.5 and the Lucene
# idf = ln(1 + (N - df + 0.5) / (df + 0.5)), N = 3.
DOCS = ["alpha beta gamma", "alpha alpha delta", "beta delta epsilon"]


def _bm25(tf: int, df: int, n: int = 3, k1: float = 1.5) -> float:
    return math.log(1 + (n - df + 0.5) / (df + 0.5)) * tf / (k1 + tf)


@pytest.fixture(scope="module")
def toy() -> LexicalIndex:
    return LexicalIndex.build(DOCS)


def test_repeated_term_ranks_higher(toy: LexicalIndex) -> None:
    # alpha: df = 2, idf = ln(1.6) = 0.470; doc 1 (tf 2) 0.470 * 2/3.5 = 0.269 > doc 0 (tf 1) 0.470 * 1/2.5 = 0.188.
    scores = toy.scores(["alpha"])
    assert scores == pytest.approx([_bm25(1, 2), _bm25(2, 2), 0.0], rel=1e-5)
    assert list(np.argsort(-scores, kind="stable")) == [1, 0, 2]


def test_rare_term_outweighs_a_repeated_common_one(toy: LexicalIndex) -> None:
    # gamma: df = 1, idf = ln(1 + 2.5/1.5) = 0.981, doc 0 gets 0.981 * 0.4 = 0.392; with alpha's 0.188 doc 0
    # totals 0.580 and passes doc 1 (0.269); doc 2 has neither.
    scores = toy.scores(["alpha", "gamma"])
    assert scores == pytest.approx([_bm25(1, 2) + _bm25(1, 1), _bm25(2, 2), 0.0], rel=1e-5)
    assert list(np.argsort(-scores, kind="stable")) == [0, 1, 2]


def test_unknown_and_repeated_tokens(toy: LexicalIndex) -> None:
    # A token the corpus never uses adds nothing; a repeated token counts once.
    assert toy.scores(["zeta"]).tolist() == [0.0, 0.0, 0.0]
    assert toy.scores(["alpha", "alpha"]) == pytest.approx(toy.scores(["alpha"]))
    assert toy.scores(["alpha", "zeta", "gamma"]) == pytest.approx(toy.scores(["alpha", "gamma"]))


def test_tokens_do_not_depend_on_what_was_loaded_before() -> None:
    # The glossary's terms are known from the first call on, and jieba's own dictionary is left alone.
    import jieba

    first = tokenize("高级方案管理助理的员额在哪里")
    LexicalIndex.build(["高级方案管理助理的员额"])
    assert tokenize("高级方案管理助理的员额在哪里") == first
    assert "高级方案管理助理" in first
    jieba.dt.initialize()
    assert "高级方案管理助理" not in jieba.dt.FREQ


def test_save_and_load_round_trip(toy: LexicalIndex, tmp_path: Path) -> None:
    toy.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical")
    assert loaded.scores(["beta", "delta"]) == pytest.approx(toy.scores(["beta", "delta"]))


def test_the_grouped_dictionary_cuts_as_jieba_does(tmp_path: Path) -> None:
    import jieba

    from index.jieba_dict import GroupedFreq, lazy_tokenizer, write_grouped

    freq = {"裁": 5, "裁军": 9, "裁军事": 0, "裁军事务厅": 3, "a": 1}
    write_grouped(freq, 18, tmp_path / "d.bin")
    grouped = GroupedFreq((tmp_path / "d.bin").read_bytes())
    assert grouped.total == 18 and len(grouped) == 0  # nothing read yet
    grouped["裁军"] = 20000  # jieba's add_word may write before the group was read: the write wins
    assert "裁军事" in grouped and grouped.get("军") is None and "军" not in grouped
    assert grouped["裁军"] == 20000 and grouped["裁军事务厅"] == 3
    grouped.load_all()
    assert dict(grouped) == {**freq, "裁军": 20000}

    full = jieba.Tokenizer()
    full.initialize()
    lazy = lazy_tokenizer()
    for text in [
        "裁军事务厅支持多边裁军努力",
        "2024 年拟议资源总额是多少",
        "常规武器次级方案的预期成果有哪些",
    ]:
        assert list(lazy.cut_for_search(text)) == list(full.cut_for_search(text))
