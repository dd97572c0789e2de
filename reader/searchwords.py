"""What a search-box query matches: its words, the last one completed as it is being typed, English slips
corrected.

The rule (README, "The search box"), in order:

1. **Words of the query**: its tokens as the lexical index cuts them (`index.lexical.tokenize`), without the
   sub-words jieba's search mode adds (小武器 does not also give 武器), question words (`reader.terms.STOP`),
   one-hanzi tokens (第, 号: too common to match on their own), one- and two-digit figures, and Latin words
   of fewer than three letters.
2. **English through the lexicon** (`corpus.lexicon`, every entry): each Latin word that is no word of the
   lexicon is read as the lexicon word within one edit of it ("smal" → "small", "wepons" → "weapons"; words
   of four letters or more, the lexicon's own rule), then every lexicon phrase in the corrected text gives its
   Chinese forms ("small arms" → 小武器), the longest phrase first.
3. **The last word is a prefix** unless the query ends in punctuation: the user may still be typing it.
   - Chinese: the last word of the query's final run of hanzi (jieba's accurate cut), or the last two words
     together when they start a longer word, is completed to the `PREFIX_WORDS` most frequent words of the
     document that start with it ("小武" → 小武器, "小" → 小组, 小武器, …); one hanzi is always completed
     (never matched alone); a word the document uses whole is not completed (containment already matches
     every longer word that holds it).
   - English: the lexicon phrases that start with the last words ("small arm" → small arms …; "weapo" →
     weapons …), shortest first, at most `PREFIX_WORDS`; failing any, the entries with a word starting with
     the last word (`Lexicon.complete`).
   A completed fragment is replaced by its completions; one nothing completes stays a word (two hanzi or more).

A passage matches a word when its text contains it: hanzi whatever whitespace the PDF put between them, Latin
case-blind and whole, figures whatever their grouping (`15232800` is `15 232 800`). So one hanzi costs at most
`PREFIX_WORDS` lookups, and a longer prefix no more.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from corpus.glossary import expand
from corpus.lexicon import LEXICON, Lexicon, load_lexicon
from index.cache import LRU
from index.lexical import tokenize, word_spans

from .question import Question
from .terms import STOP, term_pattern

PREFIX_WORDS = 8
# How many typed prefixes a vocabulary keeps the completions of.
PREFIX_CACHE = 8192
# A fragment longer than this is no fragment: nobody types a 9-hanzi word as a prefix.
MAX_FRAGMENT = 8

_HANZI = re.compile(r"[\u3400-\u9fff]")
_FINAL_HANZI = re.compile(r"[\u3400-\u9fff]+$")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_EN_WORD = re.compile(r"[a-z0-9][a-z0-9'’$#.-]*[a-z0-9$]|[a-z0-9]")  # `corpus.lexicon`'s English words
_TYPING = re.compile(r"\w$")  # a query ending in a letter, digit or hanzi: its last word may be unfinished


@dataclass(frozen=True)
class Words:
    """A query as the search box reads it."""

    words: tuple[str, ...]  # a passage matches when its text contains one of these
    fragment: str | None = None  # the last word, read as a prefix
    completions: tuple[str, ...] = ()  # what it became (in `words` unless a shorter word covers it)
    corrections: tuple[tuple[str, str], ...] = ()  # (typed, read as) for English words within one edit
    translations: tuple[str, ...] = ()  # Chinese for the English and the completions: for BM25 as well


class Vocabulary:
    """The loaded documents' words (the lexical tokenizer's, with how many passages use each, as an IDF: a word
    several documents use has its lowest), sorted for prefix lookup. Built once per loaded index from what the
    reader already counted (`TermWeights.idf`)."""

    def __init__(self, idf: Mapping[str, float]) -> None:
        self._idf = dict(idf)
        self._sorted = sorted(w for w in idf if len(w) >= 2 and _HANZI.match(w))
        # The prefixes typed last, the least recently typed dropped first.
        self._cache: LRU[tuple[str, ...]] = LRU(PREFIX_CACHE)

    def __contains__(self, word: str) -> bool:
        return word in self._idf

    def starting(self, prefix: str, n: int = PREFIX_WORDS) -> tuple[str, ...]:
        """The `n` most frequent words longer than `prefix` that start with it (then shorter, then in order)."""
        return self._cache.get_or_compute((prefix, n), lambda: self._starting(prefix, n))

    def _starting(self, prefix: str, n: int) -> tuple[str, ...]:
        i = bisect.bisect_left(self._sorted, prefix)
        found: list[str] = []
        while i < len(self._sorted) and self._sorted[i].startswith(prefix):
            if len(self._sorted[i]) > len(prefix):
                found.append(self._sorted[i])
            i += 1
        return tuple(sorted(found, key=lambda w: (self._idf[w], len(w), w))[:n])


class English:
    """The lexicon's English side as the search box reads it: its words (for corrections) and its phrases
    sorted (for completion)."""

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        # Positional, as `corpus.glossary` asks for it: lru_cache keys `load_lexicon()` apart from
        # `load_lexicon(LEXICON)`, and a second build of the lexicon costs a third of a second at start.
        self.lexicon = lexicon or load_lexicon(LEXICON)
        self._phrases = sorted(self.lexicon.by_phrase)
        self.words = frozenset(w for p in self._phrases for w in _EN_WORD.findall(p))
        self._sorted_words = sorted(self.words)

    def is_prefix(self, fragment: str) -> bool:
        i = bisect.bisect_left(self._sorted_words, fragment)
        return i < len(self._sorted_words) and self._sorted_words[i].startswith(fragment)

    def corrected(self, word: str) -> str | None:
        """The lexicon word within one edit of `word` (the most used one), or None."""
        # The lexicon's own one-edit rule: words of MIN_FUZZY letters or more, a transposition counts as one.
        found = self.lexicon._corrections(word)  # noqa: SLF001 -- its rule, not a copy of it
        return found[0] if found and found[0] != word else None

    def chinese(self, text: str) -> list[str]:
        return self.lexicon.chinese_for(text)

    def completions(self, words: list[str], n: int = PREFIX_WORDS) -> list[str]:
        """Chinese forms of the phrases starting with the last words (three, two, then one), else of the entries
        with a word starting with the last word."""
        for k in range(min(3, len(words)), 0, -1):
            prefix = " ".join(words[-k:])
            i = bisect.bisect_left(self._phrases, prefix)
            found: list[str] = []
            while i < len(self._phrases) and self._phrases[i].startswith(prefix):
                found.append(self._phrases[i])
                i += 1
            if found:
                return _unique(
                    z
                    for p in sorted(found, key=lambda p: (len(p), p))[:n]
                    for t in self.lexicon.by_phrase[p]
                    for z in t.zh
                )
        return _unique(z for t in self.lexicon.complete(words[-1])[:n] for z in t.zh)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _hanzi_fragment(text: str, vocabulary: Vocabulary) -> tuple[int, tuple[str, ...]] | None:
    """Where the Chinese fragment being typed starts in `text`, and its completions; None when the last word is
    complete (or nothing completes it)."""
    run = _FINAL_HANZI.search(text)
    if run is None:
        return None
    starts = [run.start() + s for _, s, _ in word_spans(run.group(0))]
    for start in starts[-2:]:  # the last two words together first, then the last alone
        fragment = text[start:]
        if len(fragment) > MAX_FRAGMENT:
            continue
        if len(fragment) >= 2 and fragment in vocabulary:
            return None  # a word the document uses, typed whole
        if len(fragment) == 1 and not tokenize(fragment):
            return None  # 的, 和, 年: a particle, never a prefix
        completions = vocabulary.starting(fragment)
        if completions:
            return start, completions
    return None


def _fewest(words: list[str]) -> list[str]:
    """The words without repeats, and without a Chinese word that holds another of them (武器 matches every
    passage 核武器 does): the same passages match, with fewer words to look for."""
    unique = [w for w in _unique(words) if w.strip()]
    folded = {w: re.sub(r"\s", "", w) for w in unique}
    return [
        w
        for w in unique
        if not (
            _HANZI.search(w)
            and any(
                o != w and _HANZI.search(o) and folded[o] in folded[w] and folded[o] != folded[w]
                for o in unique
            )
        )
    ]


def _words_of(text: str) -> list[str]:
    """The query's own words (rule 1)."""
    tokens = list(dict.fromkeys(tokenize(text)))
    whole = [t for t in tokens if not any(t != o and t in o for o in tokens)]
    return [t for t in whole if t not in STOP and _matchable(t)]


def _matchable(token: str) -> bool:
    if _HANZI.match(token):
        return len(token) >= 2
    if token.isdigit():
        return len(token) >= 3
    if token.isalpha():
        return len(token) >= 3
    return True  # symbols, ids, grades, grouped figures: 77/71, 4.88B, P-4, 15232800


def read(q: Question, vocabulary: Vocabulary, english: English) -> Words:
    """The search box's reading of an analysed query (the rule at the top of this module)."""
    text = q.text
    typing = bool(_TYPING.search(text))
    own, fragment, completions = text, None, []
    hanzi = _hanzi_fragment(text, vocabulary) if typing else None
    if hanzi is not None:
        start, done = hanzi
        own, fragment, completions = text[:start], text[start:], list(done)
    # English: each word that is no lexicon word read as the one within one edit of it; the last word may be a
    # prefix still being typed, and is then left as it is for completion.
    latin = list(_LATIN_WORD.finditer(own))
    last_typing = typing and hanzi is None and bool(latin) and latin[-1].end() == len(text)
    corrections: dict[str, str] = {}
    for i, m in enumerate(latin):
        w = m.group(0).lower()
        if w in english.words or (last_typing and i == len(latin) - 1 and english.is_prefix(w)):
            continue
        if (c := english.corrected(w)) is not None:
            corrections[w] = c
    fixed = _LATIN_WORD.sub(lambda m: corrections.get(m.group(0).lower(), m.group(0)), own)
    translations = _unique([*expand(fixed), *english.chinese(fixed)]) if latin else list(q.translations)
    literal = fixed
    if last_typing:
        typed = latin[-1].group(0).lower()
        completions = english.completions(
            [corrections.get(w, w) for w in (m.group(0).lower() for m in latin)]
        )
        if typed not in corrections:
            fragment = typed
            if completions and typed not in english.words:
                # "weapo" is no word of its own once completed.
                literal = _LATIN_WORD.sub(
                    lambda m: corrections.get(m.group(0).lower(), m.group(0)), own[: latin[-1].start()]
                )
    words = _fewest(_words_of(literal) + translations + completions)
    return Words(
        words=tuple(words),
        fragment=fragment,
        completions=tuple(completions),
        corrections=tuple(corrections.items()),
        translations=tuple(_unique([*translations, *completions])),
    )


@lru_cache(maxsize=8192)
def pattern(word: str) -> re.Pattern[str]:
    """A word as a passage's text may print it: hanzi with any whitespace between them (PDF line wraps, a space
    before a figure), Latin words whole and case-blind, figures and symbols as `reader.terms.term_pattern` finds
    them (`15232800` in `15 232 800`, `GSPL` in `GS (PL)`)."""
    if _HANZI.search(word):
        parts = []
        for c in word:
            parts.append(re.escape(c) if not c.isspace() else "")
        return re.compile(r"\s*".join(p for p in parts if p))
    if word.isalpha():
        return re.compile(r"(?<![A-Za-z])" + re.escape(word) + r"(?![A-Za-z])", re.I)
    return term_pattern(word)
