"""A passage by whatever a drafter pastes: any id form, or a copy-ready citation whose document symbol names the
document to look in (`A/78/6 (Sect. 4)，第 4.88 (b) ㈠ 段`)."""

from __future__ import annotations

from fastapi import HTTPException

from corpus.ids import InvalidId, doc_key, parse_citation
from corpus.model import Passage
from index.library import Library
from index.query import AmbiguousId, UnknownDocument

from ..runtime.limits import BadInput


def resolve_passage(retriever: Library, text: str, doc: str | None) -> Passage:
    """The passage `text` names; a document symbol in it must be one the service holds and agree with `doc`."""
    try:
        named, _ = parse_citation(text)
    except InvalidId:
        named = None  # not an id: the retriever says so, with the nearest ids
    if named is not None:
        known = [d.symbol for d in retriever.documents]
        match = next((s for s in known if doc_key(s) == doc_key(named)), None)
        if match is None:
            raise HTTPException(404, str(UnknownDocument(named, known)))
        if doc is not None and doc_key(doc) != doc_key(match):
            raise BadInput(f"the id names document {match!r} and doc names {doc!r}; name one of them")
        doc = match
    try:
        return retriever.resolve(text, doc)
    except AmbiguousId as exc:
        raise BadInput(str(exc)) from exc
