"""The bilingual lexicon of this document's own terms: every Chinese term as the document prints it, with its UN
English name(s), kept as data (`data/lexicon.json`).

It serves both directions. Chinese to English: an answer to an English question is framed with the English of the
table, row, column and heading it cites (`label_en("小计(1)")` -> "Subtotal (1)"). English to Chinese: the English
words of a question are matched to the document's Chinese terms (`chinese_for`), with completion and typo
tolerance for a search box (`complete`, `near`). `corpus.glossary` is a view of it for query expansion.

    python -m corpus.lexicon --coverage     # how much of the document's vocabulary has English

Pure and cheap: one JSON file read once per path, every index built at load, no model.
"""

from __future__ import annotations

import argparse
import bisect
import json
import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Passage

LEXICON = Path(__file__).parent / "data" / "lexicon.json"
KINDS = (
    "heading",
    "subprogramme",
    "component",
    "caption",
    "row",
    "column",
    "object",
    "body",
    "treaty",
    "programme",
    "fund",
    "centre",
    "place",
    "grade",
    "unit",
    "budget",
    "term",
)

_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """The PDF extraction wraps lines and puts spaces between hanzi and digits; forms are compared without them."""
    return _SPACE.sub("", text)


@dataclass(frozen=True)
class Term:
    """`zh`: the forms the document prints, first canonical; `en`: first the form for answer frames, then every
    other form in use (acronyms, spellings, plurals, the words a question may use)."""

    zh: tuple[str, ...]
    en: tuple[str, ...]
    kind: str
    # The lexical tokenizer keeps this entry's forms whole (`corpus.glossary.chinese_terms`): chosen per entry
    # because a long name kept whole hides the shorter names inside it from a query.
    search: bool = False

    @property
    def english(self) -> str:
        return self.en[0]


# ---------------------------------------------------------------- composing a label's English

_YEAR = re.compile(r"(\d{4})年")
_ASCII = re.compile(r"[0-9A-Za-z](?:[0-9A-Za-z.%]|[-/–](?=[0-9A-Za-z]))*")
_FIGURE = re.compile(r"图(\d+)\.([一二三四五六七八九十]+)")
_CN_DIGIT = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ROMAN = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
# Punctuation as the English edition writes it; "" drops the book-title marks, which English does not print.
_PUNCT = {
    "(": "(",
    ")": ")",
    "（": "(",
    "）": ")",
    "：": ":",
    ":": ":",
    "、": ",",
    "，": ",",
    ",": ",",
    "；": ";",
    ";": ";",
    "/": "/",
    "《": "",
    "》": "",
    "“": "“",
    "”": "”",
    "——": ":",
    "—": "—",
    "-": "-",
    ".": ".",
    "。": ".",
    "·": ".",
}
_CONNECTORS = {"和": "and", "与": "and", "及": "and", "以及": "and", "或": "or", "兼": "and"}
_OPENS = {"(", "“"}
_CLOSES = {")", ",", ":", ";", ".", "”", "%"}
# Kinds whose English is a common noun phrase: after a colon it starts lower case ("Subprogramme 1: deliverables").
_COMMON_KINDS = {"caption", "heading", "row", "column", "budget", "object", "unit", "term"}


_CN_NUMERAL = re.compile(r"(?:([二三四五六七八九])?十)?([一二三四五六七八九])?")


def _cn_number(numeral: str) -> int | None:
    """一 … 九十九 as a figure number is written (一, 十, 十二, 二十一); None for what is no such numeral ("一二",
    "十十", "二十十")."""
    m = _CN_NUMERAL.fullmatch(numeral)
    if not numeral or m is None:
        return None
    tens = _CN_DIGIT[m[1]] if m[1] else (1 if "十" in numeral else 0)
    return 10 * tens + (_CN_DIGIT[m[2]] if m[2] else 0)


def _roman(n: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out, n = out + letters, n - value
    return out


def _join(tokens: Sequence[str]) -> str:
    out = ""
    for tok in tokens:
        if not tok:
            continue
        if (
            out
            and not out.endswith(tuple(_OPENS))
            and tok not in _CLOSES
            and not out.endswith("/")
            and tok != "/"
        ):
            out += " "
        out += tok
    return out


@dataclass(frozen=True)
class _Step:
    """One piece of a composed label: where it ends, its English, and the term it came from (None for numbers,
    punctuation and connectors)."""

    end: int
    text: str
    term: Term | None = None
    role: str = "term"  # or year, number, punct


# ---------------------------------------------------------------- English words

_EN_TOKEN = re.compile(r"[a-z0-9][a-z0-9'’$#.-]*[a-z0-9$]|[a-z0-9]")


def _words(text: str) -> list[str]:
    return _EN_TOKEN.findall(text.lower())


def _lowered(text: str) -> tuple[str, list[int] | None]:
    """`text` lower-cased, and where each of its characters comes from in `text` (None when lower-casing kept
    every character one character: "İ" lower-cases to two)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered, None
    origin = [i for i, c in enumerate(text) for _ in c.lower()]
    return "".join(c.lower() for c in text), origin


# A phrase found: where it starts and ends in the text searched, and the lexicon's (lower-case) phrase.
_Found = tuple[int, int, str]


class _LRU:
    """A small thread-safe least-recently-used map (the lexicon's phrases of recent questions)."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[str, tuple[_Found, ...]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[_Found, ...] | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str, value: tuple[_Found, ...]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def _within_one_edit(a: str, b: str) -> bool:
    """Levenshtein distance ≤ 1, an adjacent transposition counting as one edit ("wepaons")."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k, (x, y) in enumerate(zip(short, long_, strict=False)) if x != y), len(short))
    return short[i:] == long_[i + 1 :]


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


# Words that link the words of an English name and name nothing themselves.
NAME_LINKS = frozenset({"of", "the", "for", "on", "and", "in", "to", "a", "an"})
# And the words any organisation's English name may add or drop: "the United Nations Office for …" is the Office.
_NAME_FILLERS = NAME_LINKS | {"united", "nations", "un", "s"}
# How many questions' phrases a lexicon keeps (`Lexicon.find_english`), the least recently asked dropped first.
FIND_CACHE = 4096
# Words too short to correct: one edit away from too many others ("arm" / "art" / "are").
MIN_FUZZY = 4


@dataclass(frozen=True)
class Lexicon:
    terms: tuple[Term, ...]
    by_zh: Mapping[str, Term]  # folded Chinese form -> its entry
    by_phrase: Mapping[str, tuple[Term, ...]]  # lower-case English form -> entries using it
    # First character -> lengths of the forms starting with it, longest first.
    _zh_lengths: Mapping[str, tuple[int, ...]]
    _phrases_by_first: Mapping[str, tuple[tuple[str, re.Pattern[str]], ...]]  # first English word -> phrases
    _vocabulary: tuple[str, ...]  # every English word of every form, sorted (prefix search)
    _terms_of_word: Mapping[str, tuple[Term, ...]]
    _fuzzy: Mapping[str, tuple[str, ...]]  # word or word less one letter -> vocabulary words
    # The phrases of the questions asked last (a conversation asks the same text in several places).
    _cache: _LRU = field(default_factory=lambda: _LRU(FIND_CACHE), compare=False, repr=False)

    # ------------------------------------------------------------ Chinese to English

    def term(self, zh: str) -> Term | None:
        return self.by_zh.get(fold(zh))

    def english(self, zh: str) -> str | None:
        """The preferred English of a Chinese term as printed (whitespace-insensitive); None when not an entry."""
        t = self.term(zh)
        return t.english if t else None

    def label_en(self, zh_label: str) -> str | None:
        """English for a row label, column header, heading or caption: the entry itself when there is one, else
        a composition of entries with the label's numbers, years and punctuation kept ("小计(1)" ->
        "Subtotal (1)", "2024 年估计(重计费用前)" -> "2024 estimate (before recosting)"). None when any hanzi
        would be left untranslated: the caller keeps the Chinese rather than print a mixed-script label."""
        text = fold(zh_label)
        if not text:
            return None
        whole = self.by_zh.get(text) or self.by_zh.get(text.strip("《》"))
        if whole:
            return whole.english
        steps = self._compose(text)
        return None if steps is None else _join(self._cased(steps))

    def _compose(self, text: str) -> list[_Step] | None:
        """The fewest pieces that cover `text` (so whole entries win over their parts), by dynamic programming."""
        best: list[list[_Step] | None] = [None] * (len(text) + 1)
        best[0] = []
        for i in range(len(text)):
            done = best[i]
            if done is None:
                continue
            for step in self._steps_at(text, i):
                path = best[step.end]
                if path is None or len(done) + 1 < len(path):
                    best[step.end] = [*done, step]
        return best[len(text)]

    def _steps_at(self, text: str, i: int) -> Iterator[_Step]:
        if (m := _FIGURE.match(text, i)) and (n := _cn_number(m[2])) is not None:
            yield _Step(m.end(), f"Figure {m[1]}.{_roman(n)}", role="number")
        if m := _YEAR.match(text, i):
            yield _Step(m.end(), m[1], role="year")
        if m := _ASCII.match(text, i):
            yield _Step(m.end(), m.group(0), role="number")
            # "A.2024 年…" once spaces are folded: the item letter may end at any full stop inside the run.
            for dot in (k + 1 for k in range(m.start(), m.end() - 1) if text[k] == "."):
                yield _Step(dot, text[i:dot], role="number")
        for length in self._zh_lengths.get(text[i], ()):
            if i + length <= len(text) and (t := self.by_zh.get(text[i : i + length])) is not None:
                yield _Step(i + length, t.english, t)
        for zh, en in _CONNECTORS.items():
            if text.startswith(zh, i):
                yield _Step(i + len(zh), en, role="punct")
        for zh, en in _PUNCT.items():
            if text.startswith(zh, i):
                yield _Step(i + len(zh), en, role="punct")

    @staticmethod
    def _cased(steps: Sequence[_Step]) -> list[str]:
        """Capitals as the English edition has them: the first term of a label keeps its capital ("(1) Regular
        budget"), and so does a title after an item number ("Table 4.24 Overall"); a common noun phrase after a
        year, a colon or another term starts lower case ("2024 estimate", "Subprogramme 1: deliverables").
        Names and acronyms keep their capitals."""
        out = []
        seen_term = False
        for k, step in enumerate(steps):
            text = step.text
            prev = steps[k - 1].role if k else None
            lower = prev == "year" or (seen_term and prev != "number")
            if lower and step.term and step.term.kind in _COMMON_KINDS and text[1:2].islower():
                text = text[0].lower() + text[1:]
            seen_term = seen_term or step.term is not None
            out.append(text)
        return out

    # ------------------------------------------------------------ English to Chinese

    def find_english(self, text: str) -> list[tuple[int, int, Term]]:
        """English phrases of the lexicon in `text` as (start, end, entry), in text order: whole words, any case,
        the longest phrase first ("small arms" before "arms"), none overlapping. Offsets are into `text` itself,
        whatever lower-casing does to its length. A phrase several entries use gives its first entry;
        `chinese_for` takes them all."""
        return [(s, e, self.by_phrase[phrase][0]) for s, e, phrase in self._found(text)]

    def _found(self, text: str) -> tuple[_Found, ...]:
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        lowered, origin = _lowered(text)
        present = set(_words(lowered))
        candidates = sorted(
            (p for w in present for p in self._phrases_by_first.get(w, ())), key=lambda p: (-len(p[0]), p[0])
        )
        taken: list[_Found] = []
        for phrase, pattern in candidates:
            for m in pattern.finditer(lowered):
                if all(m.end() <= s or m.start() >= e for s, e, _ in taken):
                    taken.append((m.start(), m.end(), phrase))
        if origin is not None:
            # Back to the characters of `text` the phrase was lower-cased from.
            taken = [(origin[s], origin[e - 1] + 1, phrase) for s, e, phrase in taken]
        found = tuple(sorted(taken, key=lambda t: t[0]))
        self._cache.put(text, found)
        return found

    def chinese_for(self, text: str) -> list[str]:
        """The Chinese forms of every English phrase found in `text`, in text order, without repeats."""
        out: list[str] = []
        for _, _, phrase in self._found(text):
            for t in self.by_phrase[phrase]:
                out.extend(z for z in t.zh if z not in out)
        return out

    def unmatched(self, text: str) -> str:
        """`text` lower-cased with every lexicon phrase blanked out: what the document's vocabulary cannot match."""
        out = text
        for start, end, _ in sorted(self._found(text), reverse=True):
            out = out[:start] + " " + out[end:]
        return out.lower()

    def names_one_entry(self, name: str) -> bool:
        """Whether one entry's English forms hold every content word of `name` ("Office for Disarmament Affairs"),
        a word typed with a slip counting as its correction: a name made of two entries' words ("Office" and
        "outer space") is no name the document has."""
        words = [w for w in _words(name) if w not in _NAME_FILLERS]
        if not words:
            return False
        common: set[Term] | None = None
        for w in words:
            found = {
                t
                for c in self._corrections(w) or self._corrections(w.rstrip("s"))
                for t in self._terms_of_word[c]
            }
            common = found if common is None else common & found
            if not common:
                return False
        return True

    # ------------------------------------------------------------ search box

    def complete(self, prefix: str) -> list[Term]:
        """Entries with an English word starting with `prefix` ("weapo" -> weapons …), shortest word first."""
        p = prefix.strip().lower()
        if not p:
            return []
        i = bisect.bisect_left(self._vocabulary, p)
        words = []
        while i < len(self._vocabulary) and self._vocabulary[i].startswith(p):
            words.append(self._vocabulary[i])
            i += 1
        return _unique(t for w in sorted(words, key=len) for t in self._terms_of_word[w])

    def near(self, text: str) -> list[Term]:
        """Entries for a word or phrase typed with a slip: each word within one edit of an English word of the
        lexicon ("wepons" -> weapons); for a phrase ("smal arms") the corrected phrase is looked up whole."""
        words = _words(text)
        if len(words) == 1:
            return _unique(t for w in self._corrections(words[0]) for t in self._terms_of_word[w])
        fixed = " ".join(next(iter(self._corrections(w)), w) for w in words)
        return _unique(t for _, _, t in self.find_english(fixed))

    def _corrections(self, word: str) -> list[str]:
        """Vocabulary words within one edit of `word`, the word itself first when it is one."""
        if word in self._terms_of_word:
            return [word]
        if len(word) < MIN_FUZZY:
            return []
        keys = {word} | _deletions(word)
        found = {w for k in keys for w in self._fuzzy.get(k, ()) if _within_one_edit(word, w)}
        return sorted(found, key=lambda w: (-len(self._terms_of_word[w]), w))


def _unique(terms: Iterable[Term]) -> list[Term]:
    return list(dict.fromkeys(terms))


# ---------------------------------------------------------------- loading


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])")


def _build(terms: tuple[Term, ...]) -> Lexicon:
    by_zh: dict[str, Term] = {}
    by_phrase: dict[str, list[Term]] = {}
    for t in terms:
        for z in t.zh:
            by_zh.setdefault(fold(z), t)
        for e in t.en:
            by_phrase.setdefault(e.lower(), []).append(t)
    lengths: dict[str, set[int]] = {}
    for z in by_zh:
        lengths.setdefault(z[0], set()).add(len(z))
    first: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    of_word: dict[str, list[Term]] = {}
    for phrase, ts in by_phrase.items():
        words = _words(phrase)
        if words:
            first.setdefault(words[0], []).append((phrase, _phrase_pattern(phrase)))
        for w in words:
            of_word.setdefault(w, []).extend(t for t in ts if t not in of_word.get(w, []))
    fuzzy: dict[str, list[str]] = {}
    for w in of_word:
        if len(w) >= MIN_FUZZY:
            for k in {w} | _deletions(w):
                fuzzy.setdefault(k, []).append(w)
    return Lexicon(
        terms=terms,
        by_zh=MappingProxyType(by_zh),
        by_phrase=MappingProxyType({p: tuple(ts) for p, ts in by_phrase.items()}),
        _zh_lengths=MappingProxyType({c: tuple(sorted(ls, reverse=True)) for c, ls in lengths.items()}),
        _phrases_by_first=MappingProxyType({w: tuple(ps) for w, ps in first.items()}),
        _vocabulary=tuple(sorted(of_word)),
        # Shortest English first: "weapo" offers "Weapons" before a heading that mentions weapons.
        _terms_of_word=MappingProxyType(
            {w: tuple(sorted(ts, key=lambda t: len(t.english))) for w, ts in of_word.items()}
        ),
        _fuzzy=MappingProxyType({k: tuple(ws) for k, ws in fuzzy.items()}),
    )


def read_terms(path: Path = LEXICON) -> tuple[Term, ...]:
    entries = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        Term(zh=tuple(e["zh"]), en=tuple(e["en"]), kind=e["kind"], search=bool(e.get("search")))
        for e in entries
    )


@lru_cache(maxsize=4)
def load_lexicon(path: Path = LEXICON) -> Lexicon:
    return _build(read_terms(path))


@lru_cache(maxsize=4)
def search_view(path: Path = LEXICON) -> Lexicon:
    """The entries marked `search` alone: what query expansion and the lexical tokenizer use."""
    return _build(tuple(t for t in read_terms(path) if t.search))


# ---------------------------------------------------------------- coverage of the document's vocabulary

# Row numbering the tables print before a label: "3. ", "(a) ", "A. ".
_ROW_NUMBER = re.compile(r"^\s*(?:\d+\.|\([a-z]\)|[A-Z]\.)\s*")
# What a name of a body, instrument or programme ends with.
_NAME_END = (
    "筹备委员会|委员会|理事会|大会|会议|中心|办公室|联络处|事务厅|研究所|组织|机构|联盟|共同体|论坛|秘书处"
    "|工作组|专家组|小组|机制|公约|条约|议定书|文书|纲领|宣言|准则|指南|议程|战略|契约|年鉴|登记册"
    "|方案|基金|股|处"
)
# A name starts after punctuation, a digit or a Latin letter, or after a word that cannot be part of one: a
# particle or preposition (的, 在, 向, 对 …) or a verb the document puts before names (支持, 执行 …). Longer words
# come first so that 其他 and 了解 are taken whole rather than leaving 他 or 解 at the head of a name.
_BEFORE_NAME = (
    "其他|了解|以及|各种|解决|根据|支持|支助|执行|协助|包括|通过|提交|设立|举行|编写|监督|促进|加强|参加"
    "|参与|召开|落实|利用|确认|启动|关于|按照|依照|继续|认可|决定|提供|管理|推动|实施|涉及|审议|强化"
    "|规定|确保|联络|支付|编列|召集|筹备|纪念和宣传|维护|视需要|同时|来自|面向|两次|一次|一个|三个"
    "|的|了|在|向|为|对|将|由|从|被|以|于|是|即|等|各|该|其|本|这|此|并|或|如|地|所|有|后|之|驻"
)
_NAME = re.compile(
    r"《([^《》]{2,120})》|([\u4e00-\u9fff、()]{1,60}?(?:" + _NAME_END + r"))(?![\u4e00-\u9fff])"
)
_SPLIT = re.compile(r"(?:" + _BEFORE_NAME + r")")
_EDGE = re.compile(r"^[、()和与及]+|[、(]+$")


@dataclass(frozen=True)
class Category:
    name: str
    terms: tuple[str, ...]
    covered: tuple[str, ...]

    @property
    def share(self) -> float:
        return len(self.covered) / len(self.terms) if self.terms else 1.0

    @property
    def uncovered(self) -> tuple[str, ...]:
        done = set(self.covered)
        return tuple(t for t in self.terms if t not in done)


def headings(passages: Iterable[Passage]) -> list[str]:
    return list(dict.fromkeys(h.strip() for p in passages for h in p.heading if h.strip()))


def row_labels(passages: Iterable[Passage]) -> list[str]:
    """Labels of rows that head figures or a block of rows; `text` rows are sentences spanning the table (a
    performance cell, a note), not labels."""
    out = []
    for p in passages:
        for r in p.table.rows if p.table else ():
            label = _ROW_NUMBER.sub("", r.label).strip().rstrip("：:")
            if r.kind != "text" and label and re.search(r"[\u4e00-\u9fffA-Za-z]", label):
                out.append(label)
    return list(dict.fromkeys(out))


def column_headers(passages: Iterable[Passage]) -> list[str]:
    out = [x.strip() for p in passages for c in (p.table.columns if p.table else ()) for x in c.path]
    stubs = [p.table.stub for p in passages if p.table and p.table.stub]
    return list(dict.fromkeys(x for x in [*out, *stubs] if x))


def named_bodies(passages: Iterable[Passage], lexicon: Lexicon) -> list[str]:
    """Names of bodies, instruments and programmes in the running text: every 《title》, and every run of hanzi
    ending in a name word (委员会, 会议, 公约, 方案 …: `_NAME_END`). A run is reduced to its maximal name: the
    longest tail of it that is an entry of the lexicon and longer than the name word ("支持安全理事会" ->
    "安全理事会"); failing that, what follows the last particle or verb that cannot be inside a name
    (`_BEFORE_NAME`), which then counts as covered only if `label_en` can compose it. A bare name word ("会议")
    is not a name."""
    out = []
    for p in passages:
        for m in _NAME.finditer(fold(p.text)):
            name = m.group(1) or _maximal_name(m.group(2), lexicon)
            if len(name) >= 3 and not re.fullmatch(_NAME_END, name):
                out.append(name)
    return list(dict.fromkeys(out))


def _known_tail(run: str, lexicon: Lexicon) -> str | None:
    end = re.search(r"(?:" + _NAME_END + r")$", run)
    floor = len(end.group(0)) if end else 0
    for i in range(len(run) - floor):
        if (t := lexicon.term(run[i:])) is not None and t.kind not in {"unit", "column"}:
            return run[i:]
    return None


def _maximal_name(run: str, lexicon: Lexicon) -> str:
    if known := _known_tail(run, lexicon):
        return known
    name = _EDGE.sub("", _SPLIT.split(run)[-1])
    return _known_tail(name, lexicon) or name


def coverage(passages: Sequence[Passage], lexicon: Lexicon | None = None) -> list[Category]:
    """Per category of the document's vocabulary, the terms and those with English (an entry, or a composition
    of entries by `label_en` with no hanzi left over)."""
    lex = lexicon or load_lexicon()
    lists = {
        "headings": headings(passages),
        "table row labels": row_labels(passages),
        "column headers": column_headers(passages),
        "named bodies": named_bodies(passages, lex),
    }
    return [
        Category(name, tuple(terms), tuple(t for t in terms if lex.label_en(t) is not None))
        for name, terms in lists.items()
    ]


def overall(categories: Sequence[Category]) -> float:
    total = sum(len(c.terms) for c in categories)
    return sum(len(c.covered) for c in categories) / total if total else 1.0


def report(categories: Sequence[Category], show: int = 8) -> str:
    lines = []
    for c in categories:
        lines.append(f"{c.name:18} {len(c.covered):4}/{len(c.terms):<4} {c.share:6.1%}")
        lines.extend(f"    uncovered: {t}" for t in c.uncovered[:show])
    lines.append(
        f"{'overall':18} {sum(len(c.covered) for c in categories):4}/"
        f"{sum(len(c.terms) for c in categories):<4} {overall(categories):6.1%}"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m corpus.lexicon",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--coverage", action="store_true", help="report the share of the document's terms with English"
    )
    parser.add_argument("--document", type=Path, default=None, help="the document (default: the bundled one)")
    parser.add_argument("--show", type=int, default=8, help="uncovered terms listed per category")
    args = parser.parse_args(argv)
    if not args.coverage:
        parser.print_help()
        return 0
    from .parser import DEFAULT_SOURCE, load_document

    passages = load_document(args.document or DEFAULT_SOURCE)
    lex = load_lexicon()
    print(
        f"{len(lex.terms)} entries: "
        + ", ".join(f"{k} {n}" for k in KINDS if (n := sum(t.kind == k for t in lex.terms)))
    )
    print(report(coverage(passages, lex), args.show))
    return 0


if __name__ == "__main__":
    sys.exit(main())
