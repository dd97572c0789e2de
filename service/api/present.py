"""Reading's domain values as the HTTP schemas: the one place a `Cited` becomes a `Citation`."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import orjson
from fastapi import Response

from corpus.model import Passage
from reader.citations import citation_extras, first_cited_link
from reader.reply import Cited, Found, Reply
from reader.search import Page

from .schemas import Answer, Citation, SearchHit, Snippet


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


def answer(reply: Reply, conversation_id: str, took_ms: float) -> Answer:
    return Answer(answer=reply.answer, abstained=reply.abstained, citations=[citation(c) for c in reply.citations],
                  conversation_id=conversation_id, took_ms=took_ms, resolved_question=reply.resolved_question)


# /search answers while people type: its JSON is written here directly from the page (one pass, no model
# validation; `tests/test_api_fast.py` validates responses against `SearchResults`), with each passage's fixed
# fields made once and kept.
_PASSAGE_FIELDS: OrderedDict[int, tuple[Passage, dict[str, Any]]] = OrderedDict()
_PASSAGE_FIELDS_MAX = 4096


def _passage_fields(p: Passage) -> dict[str, Any]:
    kept = _PASSAGE_FIELDS.get(id(p))
    if kept is not None and kept[0] is p:
        return kept[1]
    fields = {"id": p.id, "doc": p.doc, "kind": p.kind, "heading": list(p.heading), "text": p.text,
              "url": first_cited_link(p), **citation_extras(p)}
    _PASSAGE_FIELDS[id(p)] = (p, fields)
    while len(_PASSAGE_FIELDS) > _PASSAGE_FIELDS_MAX:
        _PASSAGE_FIELDS.popitem(last=False)
    return fields


def search_hit_dict(f: Found, with_text: bool = True) -> dict[str, Any]:
    """One result as `SearchHit`'s JSON."""
    start, end = f.snippet
    out = dict(_passage_fields(f.passage))
    if not with_text:
        out["text"] = None
    out.update(quote=f.quote_text, score=f.score, highlights=f.highlights, cell=f.cell,
               snippet={"text": f.passage.text[start:end], "start": start, "end": end,
                        "highlights": f.snippet_highlights})
    return out


def search_results(page: Page, offset: int, took_ms: float, with_text: bool = True) -> Response:
    words = page.words
    body = {
        "results": [search_hit_dict(f, with_text) for f in page.hits],
        "total": page.total, "offset": offset, "took_ms": took_ms, "facets": page.facets,
        "query": {"words": list(words.words), "fragment": words.fragment, "completions": list(words.completions),
                  "corrections": dict(words.corrections)},
    }
    # orjson: a tenth of the stdlib's time for a page of ten passages (about 0.2 ms a request).
    return Response(orjson.dumps(body), media_type="application/json")
