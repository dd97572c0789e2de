"""Cited answers without an LLM: the reader's best candidate, verified, as the shortest span that answers.

Three shapes of question: a passage named by id ("4.88 (b) 说了什么") gets that passage; "which paragraphs cite
77/71" gets the list; anything else gets the reader's best sentence, row or cell of the top passages — or an
abstention when the best one breaks a constraint the question states, lacks the kind of fact asked for, or
scores below the floor calibrated on the dev split.
"""

from __future__ import annotations

import re
import time

from corpus.candidates import Candidate
from corpus.facts import CHANGE, MONEY, NUMBER, PERCENT, REQUIRED_TYPES, has_type
from corpus.glossary import load_glossary, unmatched_words
from corpus.model import Passage
from corpus.question import FIGURE_TYPES, Question, analyse, named_bodies
from corpus.template import Template
from index.cache import LRU
from index.lexical import tokenize
from index.retriever import Hit, Retriever, normalise_query

from .citations import citation_extras
from .compose import QUESTION_WORDS, Span, best_span, highlights
from .conversations import Resolved
from .reader import DEPTH, TABLE_DEPTH, Reader, Scored, Weights, question_tokens
from .schemas import Answer, Citation
from .settings import Settings

_NO_ANSWER = {
    "zh": "本文件没有回答这个问题。最接近的段落列在引文中。",
    "en": "This document does not answer that question. The nearest passages are listed as citations.",
}
# Share of a question's content words that the document never uses, above which the question is about
# something else (another organisation, a person, a country). Chosen on the dev split.
MAX_UNKNOWN_SHARE = {"zh": 0.5, "en": 0.8}
# Hard constraints: a best candidate that breaks one of these answers another question than the one asked.
VIOLATIONS = ("year_bad", "scope_bad", "funding_bad", "component_bad", "recosting_bad")
_CLAUSE = re.compile(r"[，,；;]")
_LONG_SENTENCE = 60
_CHANGE_BONUS = 10.0


def label(p: Passage, lang: str) -> str:
    """How a reader names a passage: 第 4.86 段 / paragraph 4.86, 表4.24 / table 4.24."""
    if lang == "zh":
        return p.id if p.kind in ("table", "figure", "foreword", "annex") else f"第 {p.id} 段"
    if p.kind == "foreword":
        return "the foreword"
    if p.kind == "annex":
        return p.id
    prefix = {"table": "table ", "figure": "figure "}.get(p.kind, "paragraph ")
    return prefix + p.id.lstrip("表图")


class Answerer:
    def __init__(self, retriever: Retriever, settings: Settings, weights: Weights | None = None) -> None:
        self.retriever = retriever
        self.settings = settings
        self.template = Template.from_passages(retriever.passages)
        if weights is None and settings.reader_weights is not None:
            weights = Weights.load(settings.reader_weights)
        self.reader = Reader(retriever, self.template, weights)
        # Whole answers for repeated questions: the page and the chat clients resend the same ones.
        self._answers: LRU[tuple[str, list[Citation], bool]] = LRU(settings.query_cache_size)
        self._document = "\n".join(p.text for p in retriever.passages)
        self._known_acronyms = {w.upper() for ens, _ in load_glossary() for en in ens for w in en.split()}

    def analyse(self, text: str) -> Question:
        return analyse(text, self.template)

    # Citations -----------------------------------------------------------------------------------------

    def citation(self, p: Passage, score: float, terms: list[str], span: Span | None = None) -> Citation:
        if span is None:
            span = best_span(p.text, terms)
        quote = p.text[span.start : span.end] if span else p.text[:200]
        return Citation(
            id=p.id, doc=p.doc, kind=p.kind, heading=p.heading, text=p.text, quote=quote,
            score=round(float(score), 4), url=next((s.url for s in p.symbols if s.url), None),
            highlights=highlights(p.text, terms), **citation_extras(p),
        )

    # Answers -------------------------------------------------------------------------------------------

    def ask(self, question: str, top_k: int = 5, resolved: Resolved | None = None,
            conversation_id: str = "") -> Answer:
        start = time.perf_counter()
        query = resolved.question if resolved else question
        q = self.analyse(query)
        if resolved and resolved.refers_back:
            answer, citations, abstained = self._where_from(resolved.previous_cited, self.analyse(question).lang)
        else:
            answer, citations, abstained = self._answers.get_or_compute(
                (normalise_query(query), top_k), lambda: self._answer(q, top_k))
        return Answer(answer=answer, abstained=abstained, citations=citations, conversation_id=conversation_id,
                      took_ms=round((time.perf_counter() - start) * 1000, 2),
                      resolved_question=query if query != question else None)

    def _where_from(self, ids: list[str], lang: str) -> tuple[str, list[Citation], bool]:
        passages = [self.retriever.by_id[i] for i in ids if i in self.retriever.by_id]
        if not passages:
            return _NO_ANSWER[lang], [], True
        sep = "、" if lang == "zh" else ", "
        names = sep.join(label(p, lang) for p in passages)
        marks = " ".join(f"[{p.id}]" for p in passages)
        text = f"上一个回答出自{names}。{marks}" if lang == "zh" else f"The previous answer comes from {names}. {marks}"
        return text, [self.citation(p, 1.0, []) for p in passages], False

    def _abstain(self, q: Question, hits: list[Hit], top_k: int) -> tuple[str, list[Citation], bool]:
        terms = question_terms(q)
        return _NO_ANSWER[q.lang], [self.citation(h.passage, h.score, terms) for h in hits[:top_k]], True

    def _answer(self, q: Question, top_k: int) -> tuple[str, list[Citation], bool]:
        hits = self.hits(q, top_k)
        if not hits:
            return _NO_ANSWER[q.lang], [], True
        exact = [h for h in hits if h.exact]
        symbols = [s for s in q.symbols if s in self.retriever.links or exact]
        if exact and symbols and q.answer_type == "where_cited":
            return self._cited_by(symbols[0], exact, q)
        if exact and not symbols and (q.answer_type in ("whole", "definition", "text") or not self.reader.terms(q)):
            return self._named(q, exact[0])
        if self.about_something_else(q):
            return self._abstain(q, hits, top_k)
        scored = self.read(q, hits)
        if not scored:
            return self._abstain(q, hits, top_k)
        admissible = [s for s in scored if self.admissible(q, s)]
        if not admissible or admissible[0].score < self.reader.weights.floor:
            return self._abstain(q, hits, top_k)
        return self._compose(q, admissible[0], hits, top_k)

    def read(self, q: Question, hits: list[Hit]) -> list[Scored]:
        """The reader's candidates, best first. A question that names a passage or a symbol and asks something
        of it reads that passage only."""
        exact = [h for h in hits if h.exact]
        depth = len(exact) if exact else DEPTH
        return self.reader.read(q, hits, self.retriever.embed_query(q.text), depth=depth)

    def hits(self, q: Question, top_k: int = 5) -> list[Hit]:
        return self.retriever.search(q.text, max(top_k, TABLE_DEPTH))

    @staticmethod
    def admissible(q: Question, s: Scored) -> bool:
        """A candidate that can answer: it breaks no constraint the question states and, for a figure, holds
        one — for a year the question names, one said to be of that year (in the span, its column, its context or
        its heading path)."""
        if any(s.features.get(v, 0.0) > 0 for v in VIOLATIONS):
            return False
        if q.measure == "posts" and s.features.get("measure_bad", 0.0) > 0:
            return False  # a count of posts is not answered with an amount of money
        if q.answer_type in REQUIRED_TYPES and s.features.get("type_missing", 0.0) > 0:
            return False
        return q.answer_type not in FIGURE_TYPES or not q.years or s.features.get("year_ok", 0.0) > 0

    def _compose(self, q: Question, best: Scored, hits: list[Hit], top_k: int) -> tuple[str, list[Citation], bool]:
        p = best.passage
        c = best.candidate
        quote = Span(*c.quote, best.score)
        body = p.text[c.start : c.end]
        if c.kind == "cell":
            answer = f"{_cell_answer(p, c, body, q.lang)} [{p.id}]"
        else:
            if c.kind == "sentence" and q.answer_type in FIGURE_TYPES and len(body) > _LONG_SENTENCE:
                body = self._clause(q, body)
            prefix = "" if q.lang == "zh" else f"According to {label(p, 'en')}: "
            answer = f"{prefix}{body} [{p.id}]"
        terms = question_terms(q)
        first = self.citation(p, best.hit.score, terms, quote)
        if c.cell_id:
            first.cell = c.cell_id
        cites = [first]
        cites += [self.citation(h.passage, h.score, terms) for h in hits[:top_k] if h.passage.id != p.id]
        return answer, cites[:top_k], False

    def _clause(self, q: Question, sentence: str) -> str:
        """The clauses of a long sentence that hold the figure asked for, with the clause that names the subject
        when that is another one ("2024 年拟议资源总额在重计费用前为 15 232 800 美元" of a sentence of three)."""
        parts = [s for s in _CLAUSE.split(sentence) if s.strip()]
        if len(parts) < 2:
            return sentence
        terms = self.reader.terms(q)
        pattern = {"money": MONEY, "percent": PERCENT}.get(q.answer_type, NUMBER)

        def score(part: str) -> float:
            found = sum(w for t, w in terms.items() if t in part or (t.isascii() and t in part.replace(" ", "")))
            # A question about an increase wants the clause that says "增加", whatever else the others share.
            return found + (_CHANGE_BONUS if q.change and CHANGE.search(part) else 0.0)

        figured = [i for i, s in enumerate(parts) if pattern.search(s) and has_type(s, q.answer_type)]
        if not figured:
            return sentence
        best = max(figured, key=lambda i: (score(parts[i]), -i))
        # The subject may sit in an earlier clause ("与 2023 年批款相比，净增加 1 397 000 美元"): keep the run of
        # clauses from the best-scoring clause up to the figure.
        lead = max(range(best + 1), key=lambda i: (score(parts[i]), -abs(best - i)))
        chosen = sentence[sentence.find(parts[lead]) : sentence.find(parts[best]) + len(parts[best])]
        return chosen.strip() if chosen.strip() else sentence

    def _named(self, q: Question, hit: Hit) -> tuple[str, list[Citation], bool]:
        """A question that names a passage: that passage whole."""
        p = hit.passage
        span = Span(0, len(p.text), 1.0)
        prefix = f"{label(p, q.lang)}：" if q.lang == "zh" else f"{label(p, q.lang).capitalize()}: "
        return f"{prefix}{p.text} [{p.id}]", [self.citation(p, 1.0, question_terms(q), span)], False

    def _cited_by(self, symbol: str, exact: list[Hit], q: Question) -> tuple[str, list[Citation], bool]:
        passages = [h.passage for h in exact]
        marks = " ".join(f"[{p.id}]" for p in passages)
        if q.lang == "zh":
            text = f"引用 {symbol} 的有：" + "、".join(label(p, "zh") for p in passages) + f"。{marks}"
        else:
            text = f"{symbol} is cited in " + ", ".join(label(p, "en") for p in passages) + f". {marks}"
        cites = []
        terms = question_terms(q)
        for p in passages:
            s = p.text.find(symbol)
            span = Span(s, s + len(symbol), 1.0) if s >= 0 else None
            cites.append(self.citation(p, 1.0, [symbol, *terms], span))
        return text, cites, False

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

    def unknown_bodies(self, q: Question) -> list[str]:
        return [b for b in named_bodies(q.text) if b not in self._document and b not in self._known_acronyms]

    def unknown_share(self, q: Question) -> float:
        """Share of the question's content words that occur nowhere in the document."""
        if q.lang == "en":
            words = set(re.findall(r"[a-z][a-z'-]{3,}", q.text.lower()))
            return min(1.0, len(unmatched_words(q.text)) / max(1, len(words)))
        tokens = [t for t in tokenize(q.text) if len(t) >= 2 and t not in QUESTION_WORDS and not t.isdigit()]
        if not tokens:
            return 0.0
        return sum(1 for t in tokens if t not in self.reader.idf) / len(tokens)


def _cell_answer(p: Passage, c: Candidate, value: str, lang: str) -> str:
    """A cell with the labels that say what it is: "222（表4.6，实质性会议服务(3 小时会议次数)，2022 年实际）"; in
    English the frame is English and the labels stay as the document prints them."""
    unit = f" {c.unit}" if c.unit and c.unit not in c.row_label else ""
    row = c.row_label.split(" › ")[-1]
    column = c.column.replace(" › ", " ")
    if lang == "zh":
        return f"{value}{unit}（{p.id}，{row}，{column}）"
    return f"{label(p, 'en').capitalize()}, row {row}, column {column}: {value}{unit}"


def question_terms(q: Question) -> list[str]:
    """The question's content tokens (and an English question's Chinese translations), for highlighting."""
    return [t for t in question_tokens(q.text, q.translations) if t not in QUESTION_WORDS]
