"""Reading's domain values as the HTTP schemas: the one place a `Cited` becomes a `Citation`."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import Response

from corpus.model import Passage
from reader import explain
from reader.citations import citation_extras, first_cited_link
from reader.reply import Cited, Found, Reply
from reader.search import Page

from .schemas import Answer, Citation, Understood


def citation(c: Cited) -> Citation:
    return Citation(
        **passage_fields(c.passage), quote=c.quote_text, score=c.score, highlights=c.highlights, cell=c.cell
    )


def understood(reply: Reply) -> Understood:
    q = reply.question
    asks = "passage" if q.answer_type == "whole" else q.answer_type
    return Understood(question=reply.understood, asks=asks, unit=explain.unit(q), scope=explain.scope(q))


def new_answer_id() -> str:
    """Names one answer for `POST /feedback`: 128 random bits, so not guessable."""
    return secrets.token_urlsafe(16)


def answer(reply: Reply, conversation_id: str, took_ms: float) -> Answer:
    # `understood`: the question as resolved only, until the reader fills what is asked and the scope.
    return Answer(
        answer=reply.answer,
        abstained=reply.abstained,
        citations=[citation(c) for c in reply.citations],
        conversation_id=conversation_id,
        took_ms=took_ms,
        resolved_question=reply.resolved_question,
        answer_id=new_answer_id(),
        understood=understood(reply),
        matched=list(reply.matched),
        abstain_reason=reply.reason,
    )


def passage_fields(p: Passage) -> dict[str, Any]:
    """A passage's fixed fields in a search result: made once per loaded index (`deps.Loaded.fields`)."""
    return {
        "id": p.id,
        "doc": p.doc,
        "kind": p.kind,
        "heading": list(p.heading),
        "text": p.text,
        "url": first_cited_link(p),
        **citation_extras(p),
    }


def search_hit_dict(
    f: Found, fields: Mapping[tuple[str, str], dict[str, Any]], with_text: bool = True
) -> dict[str, Any]:
    """One result as `SearchHit`'s JSON."""
    start, end = f.snippet
    p = f.passage
    out = dict(fields.get((p.doc, p.id)) or passage_fields(p))
    if not with_text:
        out["text"] = None
    out.update(
        quote=f.quote_text,
        score=f.score,
        highlights=f.highlights,
        cell=f.cell,
        snippet={
            "text": f.passage.text[start:end],
            "start": start,
            "end": end,
            "highlights": f.snippet_highlights,
        },
    )
    return out


def search_results(
    page: Page,
    offset: int,
    took_ms: float,
    fields: Mapping[tuple[str, str], dict[str, Any]],
    with_text: bool = True,
) -> Response:
    """/search answers while people type: its JSON is written here directly from the page (one pass, no model
    validation; `tests/test_api_fast.py` validates responses against `SearchResults`)."""
    words = page.words
    body = {
        "results": [search_hit_dict(f, fields, with_text) for f in page.hits],
        "total": page.total,
        "offset": offset,
        "took_ms": took_ms,
        "facets": page.facets,
        "query": {
            "words": list(words.words),
            "fragment": words.fragment,
            "completions": list(words.completions),
            "corrections": dict(words.corrections),
        },
    }
    # orjson: a tenth of the stdlib's time for a page of ten passages (about 0.2 ms a request).
    return Response(orjson.dumps(body), media_type="application/json")
