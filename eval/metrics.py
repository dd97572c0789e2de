"""Evaluation metrics: retrieval (hit@k, reciprocal rank), answer keys, abstention, precision and coverage, agreement
between a fact's Chinese and English questions, latency.

All functions are pure. Passage ids follow the document's id grammar:

* numbered paragraph ``4.88``, lettered item ``4.88(b)``, sub-item ``4.88(b)㈠``;
* table ``表4.24``, figure ``图4.七``, unnumbered parts ``前言``, ``附件一`` …

Citing a paragraph counts for any of its items and vice versa (see :func:`id_matches`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence

# Sub-item markers as printed in the document (U+3220..U+3229).
SUB_ITEM_MARKERS = "㈠㈡㈢㈣㈤㈥㈦㈧㈨㈩"

_PARAGRAPH_ID = re.compile(
    r"^(?P<para>\d+\.\d+)(?:\((?P<item>[a-z])\)(?P<sub>[" + SUB_ITEM_MARKERS + r"])?)?$"
)


def normalize_id(passage_id: str) -> str:
    """Canonical form of a passage id: all whitespace removed (``4.88 (b)㈠`` -> ``4.88(b)㈠``)."""
    return "".join(passage_id.split())


def id_path(passage_id: str) -> tuple[str, ...] | None:
    """The id's position in the paragraph hierarchy, or None for ids outside it.

    ``4.88(b)㈠`` -> ``("4.88", "b", "㈠")``; ``4.88`` -> ``("4.88",)``; ``表4.24`` -> None.
    """
    m = _PARAGRAPH_ID.match(normalize_id(passage_id))
    if m is None:
        return None
    return tuple(part for part in (m["para"], m["item"], m["sub"]) if part is not None)


def is_within(inner: str, outer: str) -> bool:
    """True when ``inner`` is ``outer`` or lies inside it (``4.88(b)㈠`` is within ``4.88``)."""
    a, b = normalize_id(inner), normalize_id(outer)
    if a == b:
        return True
    pa, pb = id_path(a), id_path(b)
    if pa is None or pb is None:
        return False
    return len(pa) > len(pb) and pa[: len(pb)] == pb


def id_matches(cited: str, gold_id: str) -> bool:
    """A cited id matches a gold id when equal or when one contains the other.

    ``4.8`` does not contain ``4.88`` (paragraph numbers compare whole); tables, figures,
    the foreword and annexes only match exactly.
    """
    return is_within(cited, gold_id) or is_within(gold_id, cited)


def first_hit_rank(ranked_ids: Sequence[str], gold: Iterable[str]) -> int | None:
    """1-based rank of the first ranked id that matches a gold id (:func:`id_matches`), or None."""
    gold_ids = list(gold)
    if not gold_ids:
        raise ValueError("gold is empty: retrieval metrics are undefined for unanswerable questions")
    for rank, cited in enumerate(ranked_ids, start=1):
        if any(id_matches(cited, g) for g in gold_ids):
            return rank
    return None


def first_text_rank(ranked_texts: Sequence[str], key: str) -> int | None:
    """1-based rank of the first ranked text that contains the answer key (:func:`normalize_text`), or None.

    For systems whose units have no passage id (fixed-size chunks): a unit hits when it holds the key.
    """
    norm_key = normalize_text(key)
    if not norm_key:
        raise ValueError("the key is empty: retrieval metrics are undefined for unanswerable questions")
    for rank, text in enumerate(ranked_texts, start=1):
        if norm_key in normalize_text(text):
            return rank
    return None


def hit_at_rank(rank: int | None, k: int) -> float:
    """1.0 when the first hit (``rank``, None for none) is within the first ``k``, else 0.0."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return 1.0 if rank is not None and rank <= k else 0.0


def rr_at_rank(rank: int | None) -> float:
    """Reciprocal rank of the first hit; 0.0 when there is none."""
    return 0.0 if rank is None else 1.0 / rank


def hit_at_k(ranked_ids: Sequence[str], gold: Iterable[str], k: int) -> float:
    """1.0 if any of the first ``k`` ranked ids matches a gold id, else 0.0."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return hit_at_rank(first_hit_rank(ranked_ids, gold), k)


def reciprocal_rank(ranked_ids: Sequence[str], gold: Iterable[str]) -> float:
    """1 / rank of the first ranked id that matches a gold id; 0.0 when none does."""
    return rr_at_rank(first_hit_rank(ranked_ids, gold))


# A thousands separator: a comma between a digit and exactly three more. A comma before a longer run of digits is
# punctuation (NFKC makes the Chinese "，" a ","): "61，2021 年" is two figures, not 612021.
_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def normalize_text(text: str) -> str:
    """Form used to compare answers with keys.

    NFKC (full-width digits and brackets become ASCII), casefolded, all whitespace removed
    (``1 392.0`` == ``1392.0``), and thousands-separator commas removed (``1,397,000`` == ``1 397 000``).
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(text.split())
    return _DIGIT_COMMA.sub("", text)


def answer_match(answer: str, key: str) -> bool:
    """Whether ``answer`` contains the answer ``key`` (see :func:`normalize_text`).

    An empty key marks an unanswerable question: the only correct answer is no answer,
    so the result is True exactly when the answer is empty (after normalisation). Without
    this rule every answer would "contain" the empty key.
    """
    norm_key = normalize_text(key)
    norm_answer = normalize_text(answer)
    if not norm_key:
        return not norm_answer
    return norm_key in norm_answer


# A row's numbering in a label an answer names ("5. 和平与裁军教育项目", "5. Peace and …"): not a figure of the row.
_ROW_NUMBER = re.compile(r"(?<![\d.])\d{1,2}\.\s(?=\s*[^\W\d])")


def _prepare(text: str) -> str:
    """NFKC, casefolded, thousands-separator commas removed; whitespace kept (it separates figures)."""
    return _DIGIT_COMMA.sub("", unicodedata.normalize("NFKC", text).casefold())


def _figure_pattern(text: str) -> re.Pattern[str]:
    """``text`` found with any whitespace inside it, and, where it starts or ends with a digit, as a whole figure.

    A whole figure is not glued to another digit or decimal point (``8`` is not in ``18`` or ``8.3``) and does not
    continue into a thousands group (``15`` is not in ``15 232.8``; ``232.8`` is not in it either).
    """
    chars = [c for c in _prepare(text) if not c.isspace()]
    body = r"\s*".join(re.escape(c) for c in chars)
    if chars and chars[0].isdigit():
        body = r"(?<![\d.])(?<!\d\s)" + body
    if chars and chars[-1].isdigit():
        body += r"(?!\.?\d)(?!\s\d{3}(?!\d))"
    return re.compile(body)


def strict_answer_match(answer: str, key: str, wrong: Sequence[str]) -> bool:
    """An answer that gives the key and none of the wrong strings (a cell, not the whole row).

    The key must appear as a whole figure (see :func:`_figure_pattern`); its occurrences are then blanked out and
    no wrong string may appear as a whole figure in what is left. So "222（表4.6，实质性会议服务(3 小时会议次数)，
    2022 年实际）" is a strict match for key ``222`` with wrong ``["190", "171", "189"]``, while the whole row
    "190 | 222 | 171 | 189" is not. Without wrong strings this is :func:`answer_match` with whole-figure keys.
    An empty key (unanswerable) behaves as in :func:`answer_match`.
    """
    if not normalize_text(key):
        return answer_match(answer, key)
    text = _prepare(answer)
    key_re = _figure_pattern(key)
    if not key_re.search(text):
        return False
    rest = _ROW_NUMBER.sub(" ", key_re.sub(" § ", text))
    return not any(normalize_text(w) and _figure_pattern(w).search(rest) for w in wrong)


def strict_answers_match(answer: str, keys: Sequence[str], wrong: Sequence[str]) -> bool:
    """Every key, as in :func:`strict_answer_match`, and none of the wrong strings once all the keys are blanked.

    For a question in two parts ("…是多少？其中…多少？") or a list, a correct answer gives every part: one key found
    is not half right, it is wrong. With one key this is :func:`strict_answer_match`.
    """
    if len(keys) == 1:
        return strict_answer_match(answer, keys[0], wrong)
    if not keys or any(not normalize_text(k) for k in keys):
        raise ValueError("every key of a question with several keys must be non-empty")
    text = _prepare(answer)
    patterns = [_figure_pattern(k) for k in keys]
    if not all(p.search(text) for p in patterns):
        return False
    for p in patterns:
        text = p.sub(" § ", text)
    text = _ROW_NUMBER.sub(" ", text)
    return not any(normalize_text(w) and _figure_pattern(w).search(text) for w in wrong)


def answer_precision(answered: Sequence[bool], right: Sequence[bool]) -> float | None:
    """Right answers / answers given, item by item; None when nothing was answered.

    ``right`` is whether the item's answer is correct, and is False for an item that should not have been answered
    (an unanswerable question): an answer to it counts as given and wrong. Abstentions count in neither.
    """
    if len(answered) != len(right):
        raise ValueError(f"length mismatch: {len(answered)} answered flags, {len(right)} right flags")
    given = sum(1 for a in answered if a)
    if not given:
        return None
    return sum(1 for a, r in zip(answered, right, strict=True) if a and r) / given


def coverage(answered: Sequence[bool]) -> float | None:
    """Answered / answerable: ``answered`` holds one flag per answerable item; None when there is none."""
    return sum(1 for a in answered if a) / len(answered) if answered else None


TwinItem = tuple[str, str, bool, str | None]  # (fact id, language, correct, first cited id or None)


def twin_facts(items: Sequence[TwinItem]) -> list[list[TwinItem]]:
    """The items grouped by fact, keeping the facts asked in both languages (at least one zh and one en item)."""
    facts: dict[str, list[TwinItem]] = {}
    for item in items:
        facts.setdefault(item[0], []).append(item)
    return [f for f in facts.values() if {"zh", "en"} <= {lang for _, lang, _, _ in f}]


def twin_agreement(items: Sequence[TwinItem]) -> float | None:
    """Share of facts asked in both languages whose questions are all right and all cite the same passage first.

    Only facts with at least one ``zh`` and one ``en`` item count; None when there is none. The first cited id is
    compared after :func:`normalize_id`; pass None for an item where there is nothing to compare (an unanswerable
    question, where right means abstained), so that two right abstentions agree.
    """
    twins = twin_facts(items)
    if not twins:
        return None
    agree = 0
    for f in twins:
        firsts = {None if first is None else normalize_id(first) for _, _, _, first in f}
        agree += all(ok for _, _, ok, _ in f) and len(firsts) == 1
    return agree / len(twins)


def abstention_precision_recall(
    abstained: Sequence[bool], should_abstain: Sequence[bool]
) -> tuple[float, float]:
    """Precision and recall of abstentions, item by item.

    precision = correct abstentions / abstentions; recall = correct abstentions / unanswerable items.
    A zero denominator gives 1.0 (nothing claimed, nothing wrong; nothing to find, nothing missed).
    """
    if len(abstained) != len(should_abstain):
        raise ValueError(f"length mismatch: {len(abstained)} predictions, {len(should_abstain)} labels")
    true_pos = sum(1 for a, s in zip(abstained, should_abstain, strict=True) if a and s)
    predicted = sum(1 for a in abstained if a)
    actual = sum(1 for s in should_abstain if s)
    precision = true_pos / predicted if predicted else 1.0
    recall = true_pos / actual if actual else 1.0
    return precision, recall


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between order statistics.

    Same as numpy's default: position ``(n - 1) * q / 100`` in the sorted values.
    """
    data = sorted(values)
    if not data:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"q must be within 0..100, got {q}")
    pos = (len(data) - 1) * q / 100
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def median(values: Iterable[float]) -> float:
    return percentile(values, 50)


def p95(values: Iterable[float]) -> float:
    return percentile(values, 95)
