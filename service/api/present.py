"""Reading's domain values as the HTTP schemas: the one place a `Cited` becomes a `Citation`."""

from __future__ import annotations

import secrets

from reader import explain
from reader.citations import citation_extras, first_cited_link
from reader.reply import Cited, Found, Reply

from .schemas import Answer, Citation, SearchHit, Snippet, Understood


def citation(c: Cited) -> Citation:
    p = c.passage
    return Citation(id=p.id, doc=p.doc, kind=p.kind, heading=p.heading, text=p.text, quote=c.quote_text,
                    score=c.score, url=first_cited_link(p), highlights=c.highlights, cell=c.cell,
                    **citation_extras(p))


def search_hit(f: Found) -> SearchHit:
    start, end = f.snippet
    return SearchHit(**citation(f).model_dump(),
                     snippet=Snippet(text=f.passage.text[start:end], start=start, end=end,
                                     highlights=f.snippet_highlights))


def understood(reply: Reply) -> Understood:
    q = reply.question
    asks = "passage" if q.answer_type == "whole" else q.answer_type
    return Understood(question=reply.understood, asks=asks, unit=explain.unit(q), scope=explain.scope(q))


def new_answer_id() -> str:
    """Names one answer for `POST /feedback`: 128 random bits, so not guessable."""
    return secrets.token_urlsafe(16)


def answer(reply: Reply, conversation_id: str, took_ms: float) -> Answer:
    # `understood`: the question as resolved only, until the reader fills what is asked and the scope.
    return Answer(answer=reply.answer, abstained=reply.abstained, citations=[citation(c) for c in reply.citations],
                  conversation_id=conversation_id, took_ms=took_ms, resolved_question=reply.resolved_question,
                  answer_id=new_answer_id(), understood=understood(reply), matched=list(reply.matched),
                  abstain_reason=reply.reason)
