"""Cited answers without an LLM: a question in, a `Reply` out, in one pass down the reading path.

    resolve the follow-up (followups) → analyse the question (question) → retrieve (index) → tell a question
    about another document (verify) → score the candidates (scoring) → keep the admissible ones
    (requirements) → compose the answer (replies)

Three shapes of question: a passage named by id ("4.88 (b) 说了什么") gets that passage; "which paragraphs cite
77/71" gets the list; anything else gets the reader's best sentence, row or cell of the top passages — or an
abstention when the best one breaks a constraint the question states, lacks the kind of fact asked for, or
scores below the floor calibrated on the dev split.
"""

from __future__ import annotations

from corpus.ids import InvalidId, parse_id
from corpus.model import Passage
from index.cache import LRU
from index.query import Hit, UnknownSymbol
from index.ranking import DocumentRetriever

from . import explain, parts, replies
from .facts import REASON_POINTER
from .followups import Resolved, Turn, resolve
from .question import AnswerType, Question, analyse
from .reply import Cited, Reply
from .requirements import Requirements, Unmet
from .scoring import DEPTH, TABLE_DEPTH, Reader, Scored, Weights
from .template import Template
from .terms import terms
from .verify import Scope


class Answerer:
    """Answers from one document; shared by every request, so it keeps nothing of any one of them."""

    def __init__(
        self, retriever: DocumentRetriever, weights: Weights | None = None, cache_size: int = 2048
    ) -> None:
        self.retriever = retriever
        self.template = Template.from_passages(retriever.passages)
        self.reader = Reader(retriever, self.template, weights)
        self.scope = Scope(retriever.passages, self.template, self.reader.term_weights)
        self.requirements = Requirements(self.template, retriever.by_id, self.reader.term_weights)
        # Whole answers for repeated questions: the page and the chat clients resend the same ones.
        self._answers: LRU[replies.Answer] = LRU(cache_size)

    def analyse(self, text: str, kind: AnswerType | None = None) -> Question:
        return analyse(text, self.template, kind)

    def resolve(self, text: str, previous: Turn | None, leans: bool = False) -> tuple[Question, Resolved]:
        """A turn as asked, and what it means after `previous` (a follow-up takes the previous subject)."""
        asked = self.analyse(text)
        return asked, resolve(text, previous, bool(asked.ids or asked.symbols), leans)

    def ask(self, text: str, top_k: int = 5, previous: Turn | None = None) -> Reply:
        """The answer to a turn; a question of several parts gets each part answered, the later parts read as
        follow-ups of the first."""
        pieces = parts.split(text)
        if len(pieces) == 1:
            return self._ask(text, top_k, previous)
        first = self._ask(pieces[0], top_k, previous)
        rest = [self._ask(p, top_k, first.turn, leans=True) for p in pieces[1:]]
        return _together(text, [first, *rest], top_k)

    def _ask(self, text: str, top_k: int, previous: Turn | None, leans: bool = False) -> Reply:
        asked, resolved = self.resolve(text, previous, leans)
        if resolved.refers_back:
            passages = [self.retriever.by_id[i] for i in resolved.previous_cited if i in self.retriever.by_id]
            q, out = asked, replies.where_from(passages, asked.lang)
        else:
            q = self.analyse(resolved.question, self._asks(asked, resolved, previous))
            out = self._answers.get_or_compute(
                (q.text, q.answer_type, top_k, resolved.within),
                lambda: self._answer(q, top_k, resolved.within),
            )
        # An abstention's nearest passages are not an answer: "它在哪一段？" after one has nothing to point to.
        cited = [] if out.abstained else [c.passage.id for c in out.cited[:1]]
        return Reply(
            out.text,
            out.abstained,
            out.cited,
            text,
            resolved.question,
            Turn(resolved.question, cited),
            q,
            out.reason,
            out.matched,
        )

    def _asks(self, asked: Question, resolved: Resolved, previous: Turn | None) -> AnswerType | None:
        """What a follow-up asks: its own ask when it has one ("Mainly why?" after an amount is a reason,
        whatever the subject's words say), else the previous turn's ("其中次级方案 1 有多少？" after an amount
        in thousands of dollars asks an amount)."""
        if previous is None or resolved.question == asked.text:
            return None
        if asked.answer_type != "text":
            return asked.answer_type
        before = self.analyse(previous.question).answer_type
        return before if before != "text" else None

    def _answer(self, q: Question, top_k: int, within: tuple[str, ...] = ()) -> replies.Answer:
        hits = self.hits(q, top_k)
        marked = terms(q)
        if not hits:
            return replies.Answer(replies.NO_ANSWER[q.lang], [], True)
        exact = [h for h in hits if h.exact]
        symbols = [s for s in q.symbols if s in self.retriever.links or exact]
        weights = self.reader.term_weights.of(q)
        if exact and symbols and q.answer_type == "where_cited":
            try:
                symbol, found, _ = self.retriever.citing(symbols[0])
            except UnknownSymbol:  # printed without a link: the passages that print it
                symbol, found = symbols[0], [(h.passage, []) for h in exact]
            return replies.cited_by(symbol, found, q, marked)
        if exact and not symbols and (q.answer_type in ("whole", "definition", "text") or not weights):
            return replies.named(q, exact[0].passage, marked)
        if self.scope.about_something_else(q):
            return replies.abstain(q, hits, top_k, marked, explain.other_subject(q, self.scope.missing(q)))
        scored = self.read(q, hits)
        if within:
            # A part or a property of the previous answer: its passage's candidates first, best first.
            scored = sorted(scored, key=lambda s: s.passage.id not in within)
        chosen, nearest = self.choose(q, scored)
        if chosen is None:
            return replies.abstain(q, hits, top_k, marked, explain.reason(q, nearest, self.scope.document))
        if chosen.score < self.reader.weights.floor_for(q.lang):
            return replies.abstain(q, hits, top_k, marked, explain.below_floor(q.lang))
        return replies.best(
            q,
            chosen,
            hits,
            top_k,
            marked,
            weights,
            self.template,
            tuple(explain.matched(q)),
            self._pointed_reason(q, chosen),
        )

    def _pointed_reason(self, q: Question, chosen: Scored) -> Passage | None:
        """For a reason question, the passage the chosen sentence says gives the reason ("第 4.88 (b)段解释了…
        原因"), when the document has it."""
        if q.answer_type != "reason":
            return None
        c = chosen.candidate
        m = REASON_POINTER.search(chosen.passage.text[c.start : c.end])
        if m is None:
            return None
        try:
            return self.retriever.by_id.get(parse_id(m[1] or m[2]))
        except InvalidId:
            return None

    def choose(self, q: Question, scored: list[Scored]) -> tuple[Scored | None, list[Unmet]]:
        return self.requirements.choose(q, scored)

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


def _together(text: str, answered: list[Reply], top_k: int) -> Reply:
    """The parts' answers as one: each part's answer (or why the document lacks it), every part's citations."""
    first = answered[0]
    lang = first.question.lang
    cited: list[Cited] = []
    for r in answered:
        cited += [c for c in r.citations[:1] if all(c.passage.id != x.passage.id for x in cited)]
    for r in answered:
        cited += [c for c in r.citations[1:] if all(c.passage.id != x.passage.id for x in cited)]
    reasons = [f"({i}) {r.reason}" for i, r in enumerate(answered, start=1) if r.abstained and r.reason]
    matched = tuple(dict.fromkeys(m for r in answered for m in r.matched))
    understood = " / ".join(r.understood for r in answered)
    return Reply(
        parts.join([r.answer for r in answered], lang),
        all(r.abstained for r in answered),
        cited[: max(top_k, len(answered))],
        text,
        understood,
        first.turn,
        first.question,
        " ".join(reasons) or None,
        matched,
    )
