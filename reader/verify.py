"""Scope: whether a question is about this document at all.

A question that names what the document does not have (a subprogramme it lacks, a body it never names, mostly
words it never uses) is about another document. Whether a candidate may answer a question about this one is
`reader.requirements`.
"""

from __future__ import annotations

import re

from corpus.glossary import unmatched_words
from corpus.lexicon import fold, load_lexicon
from corpus.model import Passage
from index.lexical import tokenize

from .question import Question
from .template import Template
from .terms import STOP, TermWeights

# Share of a question's content words that the document never uses, above which the question is about
# something else (another organisation, a person, a country). Chosen on the dev split.
MAX_UNKNOWN_SHARE = {"zh": 0.5, "en": 0.8}


class Scope:
    """What one document has: its subprogrammes, the names it prints, its vocabulary."""

    def __init__(self, passages: list[Passage], template: Template, weights: TermWeights) -> None:
        self.template = template
        self.weights = weights
        self._document = "\n".join(p.text for p in passages)
        self.document = fold(self._document)
        # Every entry's English words, upper-cased: an acronym of any entry is a name the lexicon knows, whether
        # or not query expansion widens with that entry.
        self._lexicon = load_lexicon()
        self._known_acronyms = {w.upper() for t in self._lexicon.terms for en in t.en for w in en.split()}

    def about_something_else(self, q: Question) -> bool:
        """The question names what this document does not have: a subprogramme it lacks, a body it never names,
        or mostly words it never uses."""
        if any(n not in self.template.subprogrammes for n in q.subprogrammes):
            return True
        if self.unknown_bodies(q):
            return True
        share = self.unknown_share(q)
        # A capitalised name the glossary cannot translate ("World Health Organization") says little alone (the
        # glossary misses names the document has); with most of the other words unknown too, it is another body.
        return share > MAX_UNKNOWN_SHARE[q.lang] or (bool(q.unknown_names) and share > 0.5)

    def missing(self, q: Question) -> list[str]:
        """What the question names that the document has not: a subprogramme, a body."""
        lacking = [
            f"次级方案 {n}" if q.lang == "zh" else f"subprogramme {n}"
            for n in q.subprogrammes
            if n not in self.template.subprogrammes
        ]
        return lacking + self.unknown_bodies(q)

    def unknown_bodies(self, q: Question) -> list[str]:
        # A body is known when the document prints it, the lexicon has its acronym, or the lexicon names it
        # with a form the document prints ("CCW": 特定常规武器公约).
        # An English name of several words is known when one lexicon entry is named so.
        printed = {n.label for n in q.names if any(f in self.document for f in n.forms)}
        return [
            b
            for b in q.bodies
            if b not in self._document
            and b not in self._known_acronyms
            and b not in printed
            and not (" " in b and self._lexicon.names_one_entry(b))
        ]

    def unknown_share(self, q: Question) -> float:
        """Share of the question's content words that occur nowhere in the document."""
        if q.lang == "en":
            words = set(re.findall(r"[a-z][a-z'-]{3,}", q.text.lower()))
            return min(1.0, len(unmatched_words(q.text)) / max(1, len(words)))
        tokens = [t for t in tokenize(q.text) if len(t) >= 2 and t not in STOP and not t.isdigit()]
        if not tokens:
            return 0.0
        return sum(1 for t in tokens if t not in self.weights) / len(tokens)
