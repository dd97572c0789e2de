"""Cited answers without an LLM: the sentence or row that answers, taken verbatim, with its passage id.

Three shapes of question: a passage named by id ("4.88 (b) 说了什么") gets that passage; "which paragraphs cite
77/71" gets the list; anything else gets the best-supported sentence of the top passages, or an abstention when
nothing in the document supports an answer.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass
from pathlib import Path

from corpus.glossary import expand, unknown_names, unmatched_words
from corpus.model import Passage
from corpus.symbols import find_symbol_mentions
from index.cache import LRU
from index.lexical import tokenize
from index.retriever import Hit, Retriever, normalise_query

from .citations import citation_extras
from .compose import QUESTION_WORDS, Span, best_span, coverage, highlights, rank_spans, spans, with_figure
from .conversations import Resolved
from .schemas import Answer, Citation
from .settings import Settings

CALIBRATION = Path(__file__).with_name("calibration.json")
_WHERE_CITED = re.compile(r"哪些|哪一?段|哪几段|哪张表|哪里|在哪|出现|引用|提到|cite|refer|mention|where|which (?:paragraph|passage|table)s?", re.I)
_WHOLE = re.compile(r"说了什么|讲了什么|讲的是什么|内容|是什么|说什么|全文|what does|what is in|show|text of|^\s*\S+\s*$", re.I)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NO_ANSWER = {
    "zh": "本文件没有回答这个问题。最接近的段落列在引文中。",
    "en": "This document does not answer that question. The nearest passages are listed as citations.",
}


SECOND_SPAN_RATIO = 0.75
UNKNOWN_PENALTY = 0.8
UNKNOWN_NAME_FACTOR = 0.3


def _idf_weights(passages: list[Passage]) -> dict[str, float]:
    """Term weights for picking sentences: a term most passages use (次级方案, 2024) says little."""
    df: dict[str, int] = {}
    for p in passages:
        for token in set(tokenize(p.text)):
            df[token] = df.get(token, 0) + 1
    n = len(passages)
    return {t: max(0.2, math.log((n + 1) / (d + 0.5))) for t, d in df.items()}


def language(text: str) -> str:
    return "zh" if _CJK.search(text) else "en"


def label(p: Passage, lang: str) -> str:
    """How a reader names a passage: 第 4.86 段 / paragraph 4.86, 表4.24 / table 4.24."""
    if lang == "zh":
        return p.id if p.kind in ("table", "figure", "foreword", "annex") else f"第 {p.id} 段"
    names = {"table": "table ", "figure": "figure ", "foreword": "", "annex": ""}
    if p.kind == "foreword":
        return "the foreword"
    if p.kind == "annex":
        return p.id
    return names.get(p.kind, "paragraph ") + p.id.lstrip("表图")


@dataclass(frozen=True)
class Calibration:
    """Below `min_confidence` the service abstains; fitted on the evaluation set by `eval.calibrate`."""

    min_confidence: float = 0.5
    dense_weight: float = 1.0
    coverage_weight: float = 1.0
    dense_floor: dict[str, float] | None = None

    @classmethod
    def load(cls, path: Path = CALIBRATION) -> Calibration:
        if not path.exists():
            return cls()
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def question_terms(question: str) -> list[str]:
    """The question's content tokens, and for an English question the Chinese terms its words translate to."""
    terms = [t for t in tokenize(question) if t not in QUESTION_WORDS and len(t) > 0]
    extra = expand(question)
    if extra:
        terms += [t for t in tokenize(" ".join(extra)) if t not in QUESTION_WORDS]
    return list(dict.fromkeys(terms))


class Answerer:
    def __init__(self, retriever: Retriever, settings: Settings, calibration: Calibration | None = None) -> None:
        self.retriever = retriever
        self.settings = settings
        self.calibration = calibration or Calibration.load()
        # Whole results for repeated queries: the search box asks the same thing on every keystroke pause.
        self._searches: LRU[list[Citation]] = LRU(settings.query_cache_size)
        self._answers: LRU[tuple[str, list[Citation], bool]] = LRU(settings.query_cache_size)
        self.weights = _idf_weights(retriever.passages)

    # Citations -----------------------------------------------------------------------------------------

    def citation(self, p: Passage, score: float, terms: list[str], span: Span | None = None) -> Citation:
        if span is None:
            span = best_span(p.text, "", terms)
        quote = p.text[span.start : span.end] if span else p.text[:200]
        return Citation(
            id=p.id, doc=p.doc, kind=p.kind, heading=p.heading, text=p.text, quote=quote,
            score=round(float(score), 4), url=next((s.url for s in p.symbols if s.url), None),
            highlights=highlights(p.text, terms), **citation_extras(p),
        )

    def search(self, query: str, top_k: int) -> list[Citation]:
        def compute() -> list[Citation]:
            terms = question_terms(query)
            return [self.citation(h.passage, h.score, terms) for h in self.retriever.search(query, top_k)]

        return list(self._searches.get_or_compute((normalise_query(query), top_k), compute))

    # Answers -------------------------------------------------------------------------------------------

    def confidence(self, question: str, hit: Hit, terms: list[str]) -> float:
        """How well the best passage speaks to the question: its dense similarity and its term coverage."""
        lang = language(question)
        floors = self.calibration.dense_floor or {"zh": 0.85, "en": 0.75}
        dense = max(0.0, (hit.dense - floors.get(lang, 0.8)) / (1.0 - floors.get(lang, 0.8)))
        cov = coverage(hit.passage.text + " ".join(hit.passage.heading), terms)
        score = self.calibration.dense_weight * dense + self.calibration.coverage_weight * cov
        # A year the question asks about that the passage never mentions: the document answers another year.
        years = set(_YEAR.findall(question))
        if years and not all(y in hit.passage.text or y in " ".join(hit.passage.heading) for y in years):
            score *= 0.5
        # Words the whole document never uses (another organisation, a person, a country): likely not here.
        score *= 1.0 - UNKNOWN_PENALTY * self.unknown_share(question)
        if unknown_names(question):
            score *= UNKNOWN_NAME_FACTOR
        return score / (self.calibration.dense_weight + self.calibration.coverage_weight)

    def unknown_share(self, question: str) -> float:
        """Share of the question's content words that occur nowhere in the document."""
        if language(question) == "en":
            words = re.findall(r"[a-z][a-z'-]{3,}", question.lower())
            unknown = unmatched_words(question)
            return min(1.0, len(unknown) / max(1, len(set(words))))
        tokens = [t for t in tokenize(question) if len(t) >= 2 and t not in QUESTION_WORDS and not t.isdigit()]
        if not tokens:
            return 0.0
        return sum(1 for t in tokens if t not in self.weights) / len(tokens)

    def ask(self, question: str, top_k: int = 5, resolved: Resolved | None = None,
            conversation_id: str = "") -> Answer:
        start = time.perf_counter()
        query = resolved.question if resolved else question
        lang = language(question)
        if resolved and resolved.refers_back:
            answer, citations, abstained = self._where_from(resolved.previous_cited, lang)
        else:
            answer, citations, abstained = self._answers.get_or_compute(
                (normalise_query(query), normalise_query(question), top_k, lang),
                lambda: self._answer(query, top_k, lang, intent=question))
        return Answer(answer=answer, abstained=abstained, citations=citations, conversation_id=conversation_id,
                      took_ms=round((time.perf_counter() - start) * 1000, 2),
                      resolved_question=query if query != question else None)

    def _where_from(self, ids: list[str], lang: str) -> tuple[str, list[Citation], bool]:
        passages = [self.retriever.by_id[i] for i in ids if i in self.retriever.by_id]
        if not passages:
            return _NO_ANSWER[lang], [], True
        names = "、".join(label(p, lang) for p in passages) if lang == "zh" else ", ".join(
            label(p, lang) for p in passages)
        marks = " ".join(f"[{p.id}]" for p in passages)
        text = f"上一个回答出自{names}。{marks}" if lang == "zh" else f"The previous answer comes from {names}. {marks}"
        return text, [self.citation(p, 1.0, []) for p in passages], False

    def _answer(self, query: str, top_k: int, lang: str, intent: str | None = None) -> tuple[str, list[Citation], bool]:
        """`query` is what to search (a follow-up merged with its context); `intent` the words that say what
        kind of fact is wanted (the follow-up's own: "会议在哪里举行？" asks for a place, whatever came before)."""
        intent = intent or query
        terms = question_terms(query)
        hits = self.retriever.search(query, max(top_k, 5))
        if not hits:
            return _NO_ANSWER[lang], [], True
        exact = [h for h in hits if h.exact]
        symbols = [s for s in find_symbol_mentions(query) if s in self.retriever.links or exact]
        if exact and symbols and _WHERE_CITED.search(query):
            return self._cited_by(symbols[0], exact, terms, lang)
        if exact and not symbols:
            return self._named(query, exact[0], terms, lang)
        # A symbol in a question that asks something else ("what does the fellowship set up by 77/71 cost?")
        # narrows the search; the passages citing it compete with the rest on what they say.
        candidates = hits[:3] if not exact else hits[: len(exact) + 3]
        scored: list[tuple[float, Hit, list[Span]]] = []
        scope = self._scope_names(query)
        for rank, hit in enumerate(candidates):
            ranked = rank_spans(hit.passage.text, intent, terms, scope, self.weights)
            if ranked:
                scored.append((ranked[0].score * (1.0 - 0.15 * rank) + hit.score, hit, ranked))
        if not scored:
            return _NO_ANSWER[lang], [self.citation(h.passage, h.score, terms) for h in hits[:top_k]], True
        _, best, ranked = max(scored, key=lambda t: t[0])
        span = with_figure(best.passage.text, intent, ranked[0], spans(best.passage.text))
        conf = self.confidence(query, best, terms)
        if conf < self.calibration.min_confidence:
            return _NO_ANSWER[lang], [self.citation(h.passage, h.score, terms) for h in hits[:top_k]], True
        # A close second sentence often holds the figure the best one introduces ("…原因是：" / "增加 … 美元").
        second = ranked[1] if len(ranked) > 1 and ranked[1].score >= SECOND_SPAN_RATIO * span.score > 0 else None
        shown = [span] if second is None else sorted([span, second], key=lambda sp: sp.start)
        body = " … ".join(best.passage.text[sp.start : sp.end] for sp in shown)
        prefix = "" if lang == "zh" else f"According to {label(best.passage, lang)}: "
        answer = f"{prefix}{body} [{best.passage.id}]"
        cites = [self.citation(best.passage, best.score, terms, span)]
        cites += [self.citation(h.passage, h.score, terms) for h in hits[:top_k] if h.passage.id != best.passage.id]
        return answer, cites[:top_k], False

    def _named(self, query: str, hit: Hit, terms: list[str], lang: str) -> tuple[str, list[Citation], bool]:
        """A question that names a passage: that passage whole, or its best sentence if it asks for a detail."""
        p = hit.passage
        specific = [t for t in terms if not re.fullmatch(r"[\d.]+[A-Z]?|表|图|段|para|paragraph|table", t)]
        span = best_span(p.text, query, specific) if specific and not _WHOLE.search(query) else None
        if span is not None and span.score > 1.0:
            body = p.text[span.start : span.end]
        else:
            span = Span(0, len(p.text), 1.0)
            body = p.text
        prefix = f"{label(p, lang)}：" if lang == "zh" else f"{label(p, lang).capitalize()}: "
        return f"{prefix}{body} [{p.id}]", [self.citation(p, 1.0, terms, span)], False

    def _cited_by(self, symbol: str, exact: list[Hit], terms: list[str], lang: str) -> tuple[str, list[Citation], bool]:
        passages = [h.passage for h in exact]
        marks = " ".join(f"[{p.id}]" for p in passages)
        if lang == "zh":
            names = "、".join(label(p, lang) for p in passages)
            text = f"引用 {symbol} 的有：{names}。{marks}"
        else:
            text = f"{symbol} is cited in " + ", ".join(label(p, lang) for p in passages) + f". {marks}"
        cites = []
        for p in passages:
            s = p.text.find(symbol)
            span = Span(s, s + len(symbol), 1.0) if s >= 0 else None
            cites.append(self.citation(p, 1.0, [symbol, *terms], span))
        return text, cites, False

    def _scope_names(self, query: str) -> list[str]:
        """The names a row or sentence uses for the subprogramme the question names ("3. 常规武器", "次级方案 3")."""
        return [name for h in self.retriever.scopes_of(query) for name in self.retriever.scopes[h].names]
