"""A passage by whatever a drafter pastes: any id form, or a copy-ready citation whose document symbol names the
document to look in (`A/78/6 (Sect. 4)，第 4.88 (b) ㈠ 段`)."""

from __future__ import annotations

from corpus.ids import InvalidId, doc_key, parse_citation
from corpus.model import Passage
from index.library import Library
from index.query import AmbiguousId, UnknownDocument

from ..runtime.limits import BadInput


def named_document(retriever: Library, text: str) -> str | None:
    """The loaded document a pasted citation's symbol names (as the service spells it); None when `text` names
    no document. A symbol of a document the service does not hold raises UnknownDocument (a 404 at the edge)."""
    try:
        named, _ = parse_citation(text)
    except InvalidId:
        return None  # not an id: the retriever says so, with the nearest ids
    if named is None:
        return None
    known = [d.symbol for d in retriever.documents]
    match = next((s for s in known if doc_key(s) == doc_key(named)), None)
    if match is None:
        raise UnknownDocument(named, known)
    return match


def resolve_passage(retriever: Library, text: str, doc: str | None) -> Passage:
    """The passage `text` names; a document symbol in it must be one the service holds and agree with `doc`."""
    match = named_document(retriever, text)
    if match is not None:
        if doc is not None and doc_key(doc) != doc_key(match):
            raise BadInput(f"the id names document {match!r} and doc names {doc!r}; name one of them")
        doc = match
    try:
        return retriever.resolve(text, doc)
    except AmbiguousId as exc:
        raise BadInput(str(exc)) from exc
