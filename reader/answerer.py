"""Cited answers without an LLM: a question in, a `Reply` out, in one pass down the reading path.

    resolve the follow-up (followups) → analyse the question (question) → retrieve (index) → read the candidates
    (scoring) → keep the admissible ones (verify) → compose the answer (replies)

Three shapes of question: a passage named by id ("4.88 (b) 说了什么") gets that passage; "which paragraphs cite
77/71" gets the list; anything else gets the reader's best sentence, row or cell of the top passages — or an
abstention when the best one breaks a constraint the question states, lacks the kind of fact asked for, or
scores below the floor calibrated on the dev split.
"""

from __future__ import annotations

from index.cache import LRU
from index.query import Hit
from index.ranking import DocumentRetriever

from . import replies
from .followups import Resolved, Turn, resolve
from .question import Question, analyse
from .reply import Reply
from .scoring import DEPTH, TABLE_DEPTH, Reader, Scored, Weights
from .template import Template
from .terms import terms
from .verify import Scope, admissible


class Answerer:
    """Answers from one document; shared by every request, so it keeps nothing of any one of them."""

    def __init__(self, retriever: DocumentRetriever, weights: Weights | None = None, cache_size: int = 2048) -> None:
        self.retriever = retriever
        self.template = Template.from_passages(retriever.passages)
        self.reader = Reader(retriever, self.template, weights)
        self.scope = Scope(retriever.passages, self.template, self.reader.term_weights)
        # Whole answers for repeated questions: the page and the chat clients resend the same ones.
        self._answers: LRU[replies.Answer] = LRU(cache_size)

    def analyse(self, text: str) -> Question:
        return analyse(text, self.template)

    def resolve(self, text: str, previous: Turn | None) -> tuple[Question, Resolved]:
        """A turn as asked, and what it means after `previous` (a follow-up takes the previous subject)."""
        asked = self.analyse(text)
        return asked, resolve(text, previous, bool(asked.ids or asked.symbols))

    def ask(self, text: str, top_k: int = 5, previous: Turn | None = None) -> Reply:
        asked, resolved = self.resolve(text, previous)
        if resolved.refers_back:
            passages = [self.retriever.by_id[i] for i in resolved.previous_cited if i in self.retriever.by_id]
            answer, cited, abstained = replies.where_from(passages, asked.lang)
        else:
            q = self.analyse(resolved.question)
            answer, cited, abstained = self._answers.get_or_compute((q.text, top_k), lambda: self._answer(q, top_k))
        return Reply(answer, abstained, cited, text, resolved.question,
                     Turn(resolved.question, [c.passage.id for c in cited[:1]]))

    def _answer(self, q: Question, top_k: int) -> replies.Answer:
        hits = self.hits(q, top_k)
        marked = terms(q)
        if not hits:
            return replies.NO_ANSWER[q.lang], [], True
        exact = [h for h in hits if h.exact]
        symbols = [s for s in q.symbols if s in self.retriever.links or exact]
        weights = self.reader.term_weights.of(q)
        if exact and symbols and q.answer_type == "where_cited":
            return replies.cited_by(symbols[0], [h.passage for h in exact], q, marked)
        if exact and not symbols and (q.answer_type in ("whole", "definition", "text") or not weights):
            return replies.named(q, exact[0].passage, marked)
        if self.scope.about_something_else(q):
            return replies.abstain(q, hits, top_k, marked)
        chosen = next((s for s in self.read(q, hits) if admissible(q, s)), None)
        if chosen is None or chosen.score < self.reader.weights.floor:
            return replies.abstain(q, hits, top_k, marked)
        return replies.best(q, chosen, hits, top_k, marked, weights)

    def hits(self, q: Question, top_k: int = 5) -> list[Hit]:
        return self.retriever.search(q, max(top_k, TABLE_DEPTH))

    def read(self, q: Question, hits: list[Hit]) -> list[Scored]:
        """The reader's candidates, best first. A question that names a passage or a symbol and asks something
        of it reads that passage only."""
        exact = [h for h in hits if h.exact]
        depth = len(exact) if exact else DEPTH
        return self.reader.read(q, hits, self.retriever.embed_query(q), depth=depth)

    def replay(self, turns: list[tuple[str, list[str]]]) -> Turn | None:
        """A conversation's earlier turns (each question with the ids its reply cited) as the turn the next
        question follows: each question resolved after the one before it, as /ask would have resolved it."""
        previous: Turn | None = None
        for text, cited in turns:
            _, resolved = self.resolve(text, previous)
            previous = Turn(resolved.question, cited[:1])
        return previous
