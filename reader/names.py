"""The named things a question names — bodies, treaties and their meetings, programmes, funds, centres, places,
ordinals — each as the forms the document prints, so verification can require them of an answer.

Names come from the bilingual lexicon of the document's own terms (`corpus.lexicon`): a Chinese question is
matched against the Chinese forms, an English one through the English forms. An ordinal ("第十一次", "Eleventh")
is a name of its own: "第十二次审议大会" is not the Tenth, however alike the sentences are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.lexicon import NAME_LINKS, Lexicon, Term, fold
from index.lexical import word_spans

# Kinds of lexicon entries that name one thing a question can be about; terms (small arms, training) and
# budget words are subjects or measures, not names an answer must repeat.
NAMED_KINDS = frozenset({"body", "treaty", "programme", "fund", "centre", "place"})
# Row labels and objects of expenditure name a line of a table ("专业及以上职类", "一般临时人员"); the short row
# labels (员额, 共计) are every table's and narrow nothing, while every object of expenditure, however short
# (专家, 咨询人), is one line of spending.
LABEL_KINDS = frozenset({"row", "object"})
MIN_LABEL_CHARS = 4
# A name most passages print (大会, 秘书长, the Office the whole document is about) is the document's setting,
# not a subject that narrows a question.
MAX_SHARE = 0.08
_NUMERALS = "一二三四五六七八九十"
_ZH_ORDINAL = re.compile(rf"第([{_NUMERALS}百]+)(次|届)")
_EN_ORDINALS = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
)
_EN_ORDINAL = re.compile(r"\b(" + "|".join(_EN_ORDINALS) + r"|(\d{1,2})(?:st|nd|rd|th))\b", re.I)
# An English ordinal counts only before what the document numbers so: conferences, meetings, sessions.
_EN_NUMBERED = re.compile(
    r"^\s+(?:[A-Za-z-]+\s+){0,3}?(?:review\s+)?(?:conference|meeting|session|summit)", re.I
)


_ACRONYM = re.compile(r"[A-Z]{2,}[A-Za-z]*")


@dataclass(frozen=True)
class Name:
    """A named thing: how to show it, and the forms (whitespace folded) any one of which an answer must hold."""

    label: str
    forms: tuple[str, ...]
    kind: str = ""  # the lexicon entry's kind ("body", "object" …); "" for an ordinal
    # The name's own parts, each as its forms ("不扩散核武器条约" or "不扩散条约", "缔约国", "第十一次", "审议大会"):
    # the document also prints a long name with its parts apart ("不扩散条约缔约国 2026 年第十一次审议大会").
    parts: tuple[tuple[str, ...], ...] = ()

    def found_in(self, folded: str) -> bool:
        return any(f in folded for f in self.forms) or (bool(self.parts) and self._parts_together(folded))

    def _parts_together(self, folded: str) -> bool:
        """Every part printed near one of the others: within the name's length and a year's, not anywhere in
        a long list."""
        reach = len(self.forms[0]) + _PARTS_SLACK
        at = [[m.start() for f in part for m in re.finditer(re.escape(f), folded)] for part in self.parts]
        if not all(at):
            return False
        return any(all(any(abs(p - start) <= reach for p in ps) for ps in at[1:]) for start in at[0])


def chinese_numeral(n: int) -> str:
    """1 … 99 as the document writes ordinals: 一, 十, 十一, 二十; ValueError outside that range."""
    if not 1 <= n <= 99:
        raise ValueError(f"no ordinal numeral for {n}")
    if n < 10:
        return _NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _NUMERALS[tens - 1]) + "十" + (_NUMERALS[ones - 1] if ones else "")


class NameFinder:
    """The lexicon's named entries, ready to be found in questions of either language."""

    def __init__(self, lexicon: Lexicon, texts: Sequence[str] = ()) -> None:
        """`texts`: the document's passages, to leave out the names most of them print."""
        self.lexicon = lexicon
        folded = [fold(t) for t in texts]
        self._terms: dict[str, Term] = {}
        for t in lexicon.terms:
            if folded and sum(any(fold(z) in x for z in t.zh) for x in folded) > MAX_SHARE * len(folded):
                continue
            if (
                t.kind in NAMED_KINDS
                or t.kind == "object"
                or (t.kind in LABEL_KINDS and len(fold(t.zh[0])) >= MIN_LABEL_CHARS)
            ):
                for z in t.zh:
                    self._terms.setdefault(fold(z), t)
        forms = sorted(self._terms, key=len, reverse=True)
        self._zh = re.compile("|".join(re.escape(f) for f in forms)) if forms else None

    def find(self, text: str, lang: str) -> tuple[Name, ...]:
        """The named things of `text` (normalised), longest names first where they overlap, then ordinals."""
        found = self._chinese(text) if lang == "zh" else self._english(text)
        # An ordinal already inside a name found ("第十一次审议大会") adds nothing.
        ordinals = [
            o for o in _ordinals(text, lang) if not any(o.forms[0] in f for n in found for f in n.forms)
        ]
        return tuple(dict.fromkeys(found + ordinals))

    def _chinese(self, text: str) -> list[Name]:
        if self._zh is None:
            return []
        folded = fold(text)
        # A name is a word of the question, not letters inside a longer one (方案 in 次级方案).
        bounds = {0, len(folded)} | {i for _, s, e in word_spans(folded) for i in (s, e)}
        return [
            _name(self._terms[m.group(0)], m.group(0), self.lexicon)
            for m in self._zh.finditer(folded)
            if m.start() in bounds and m.end() in bounds
        ]

    def _english(self, text: str) -> list[Name]:
        out = []
        for start, end, term in self.lexicon.find_english(text):
            said = text[start:end]
            # One common English word ("Office", "Register", "fund", "Meetings of") names too little to require;
            # a phrase of two words or more or an acronym (NPT, CD) names one thing.
            words = [w for w in said.split() if w.lower() not in NAME_LINKS]
            # An object of expenditure's own one-word name ("Consultants", "Experts") names its line; a word
            # only used for one ("travel" for travel of staff) does not.
            own_word = term.kind == "object" and said.strip().lower() == term.en[0].lower()
            if fold(term.zh[0]) in self._terms and (len(words) >= 2 or _ACRONYM.fullmatch(said) or own_word):
                out.append(_name(term, said, self.lexicon))
        return out


def _name(term: Term, label: str, lexicon: Lexicon | None = None) -> Name:
    forms = tuple(dict.fromkeys(fold(z) for z in term.zh))
    parts = _parts(forms[0], term, lexicon) if lexicon is not None and term.kind in NAMED_KINDS else ()
    return Name(label, forms, term.kind, parts)


# How much longer than the name its parts may spread: a year put inside it ("2026 年").
_PARTS_SLACK = 8
# A year or an ordinal inside a name is a part of it ("2020 年审议大会", "第十一次审议大会").
_PART = re.compile(rf"\d{{4}}年|{_ZH_ORDINAL.pattern}")
# Most of a long name must be made of other entries for its parts to stand for it.
MIN_PARTS_SHARE = 0.8
_LONGEST_PART = 16


def _parts(folded: str, whole: Term, lexicon: Lexicon) -> tuple[tuple[str, ...], ...]:
    """A name as the other lexicon entries it is made of, longest first from the left, with its years and
    ordinals; () when fewer than two parts or too little of it is covered."""
    parts: list[tuple[str, ...]] = []
    covered = i = 0
    while i < len(folded):
        if m := _PART.match(folded, i):
            parts.append((m.group(0),))
            covered, i = covered + len(m.group(0)), m.end()
            continue
        for size in range(min(_LONGEST_PART, len(folded) - i), 1, -1):
            term = lexicon.by_zh.get(folded[i : i + size])
            if term is not None and term != whole:
                parts.append(tuple(dict.fromkeys(fold(z) for z in term.zh)))
                covered, i = covered + size, i + size
                break
        else:
            i += 1
    return tuple(parts) if len(parts) >= 2 and covered >= MIN_PARTS_SHARE * len(folded) else ()


def _ordinals(text: str, lang: str) -> list[Name]:
    if lang == "zh":
        return [Name(m.group(0), (m.group(0),)) for m in _ZH_ORDINAL.finditer(fold(text))]
    out = []
    for m in _EN_ORDINAL.finditer(text):
        if not _EN_NUMBERED.match(text[m.end() :]):
            continue
        n = int(m[2]) if m[2] else _EN_ORDINALS.index(m[1].lower()) + 1
        if n < 1:
            continue  # "0th" is no ordinal
        numeral = chinese_numeral(n)
        out.append(Name(m.group(0), (f"第{numeral}次", f"第{numeral}届")))
    return out
