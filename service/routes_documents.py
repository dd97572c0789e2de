"""Many documents at the edge: `GET /documents`, and the `doc=` choice the other routes delegate here.

Without `doc`, a store of one document behaves as today. With several: `/search` ranks every document and
merges the hits; `/ask` answers from the document of the best hit; `/passages/{id}` resolves an id held by
one document, and answers 422 listing the documents when several hold it. An unknown `doc` is a 404 (like
an unknown passage) that lists the documents there are.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from corpus.ids import InvalidId, doc_key, parse_citation
from corpus.model import Passage
from index.retriever import Retriever
from index.store_retriever import AmbiguousId, StoreRetriever, UnknownDocument

from .answer import Answerer
from .errors import BadInput
from .limits import clean_text
from .schemas import ErrorOut
from .state import AppState, StateDep

router = APIRouter(tags=["documents"], responses={422: {"model": ErrorOut}})

NO_DOCUMENT: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "no such document (`doc`), or nothing found"}}
DOC_HELP = "the document to search or look in (its symbol, as GET /documents lists it); optional with one document"


class DocumentOut(BaseModel):
    symbol: str
    language: str
    source: str
    passages: int


class Documents(BaseModel):
    documents: list[DocumentOut]


@router.get("/documents", response_model=Documents)
def list_documents(state: StateDep) -> Documents:
    r = state.retriever
    if isinstance(r, StoreRetriever):
        return Documents(documents=[DocumentOut(symbol=d.symbol, language=d.language, source=d.source,
                                                passages=len(r.views[d.symbol].passages)) for d in r.documents])
    return Documents(documents=[DocumentOut(symbol=r.manifest.doc, language="zh", source=state.settings.corpus.name,
                                            passages=len(r.passages))])


def _symbols(r: Retriever) -> list[str]:
    return r.symbols if isinstance(r, StoreRetriever) else [r.manifest.doc]


def _doc(state: AppState, doc: str | None) -> str | None:
    if doc is None:
        return None
    doc = clean_text(doc, state.settings, "doc")
    if doc not in _symbols(state.retriever):
        raise HTTPException(404, str(UnknownDocument(doc, _symbols(state.retriever))))
    return doc


# One Answerer per document view, made on first use and dropped with the retriever it answers from.
_answerers: WeakKeyDictionary[Retriever, dict[str, Answerer]] = WeakKeyDictionary()


def answerer_for(state: AppState, doc: str | None, question: str | None = None) -> Answerer:
    """The answerer for `doc`; with none named and several documents, `/search` merges across them (the
    default answerer) and `/ask` (`question` given) answers from the document of the best hit."""
    doc = _doc(state, doc)
    r = state.retriever
    if not isinstance(r, StoreRetriever) or len(r.views) == 1:
        return state.answerer
    if doc is None and question is not None:
        hits = r.search(question, 1)
        doc = hits[0].passage.doc if hits else r.symbols[0]
    if doc is None:
        return state.answerer
    cache = _answerers.setdefault(r, {})
    if doc not in cache:
        cache[doc] = Answerer(r.views[doc], state.settings, state.answerer.reader.weights)
    return cache[doc]


def retriever_for(state: AppState, doc: str | None) -> Retriever:
    """What `/search` ranks: the named document's view, else every document."""
    doc = _doc(state, doc)
    r = state.retriever
    return r.views[doc] if doc is not None and isinstance(r, StoreRetriever) else r


def resolve_passage(state: AppState, text: str, doc: str | None) -> Passage:
    """A passage by any id form; a document symbol before the id (`A/78/6 (Sect. 4)，第 4.88 段`, as the copy-ready
    citations write it) names the document to look in, and must be one the service holds."""
    try:
        named, _ = parse_citation(text)
    except InvalidId:
        named = None  # not an id: the retriever says so, with the nearest ids
    if named is not None:
        known = _symbols(state.retriever)
        match = next((s for s in known if doc_key(s) == doc_key(named)), None)
        if match is None:
            raise HTTPException(404, str(UnknownDocument(named, known)))
        if doc is not None and doc_key(doc) != doc_key(match):
            raise BadInput(f"the id names document {match!r} and doc names {doc!r}; name one of them")
        doc = match
    doc = _doc(state, doc)
    r = state.retriever
    if not isinstance(r, StoreRetriever):
        return r.resolve(text)
    try:
        return r.resolve(text, doc=doc)
    except AmbiguousId as exc:
        raise BadInput(str(exc)) from exc


def citing(state: AppState, symbol: str, doc: str | None) -> tuple[str, list[tuple[Passage, list[tuple[int, int]]]],
                                                                    str | None]:
    doc = _doc(state, doc)
    r = state.retriever
    return r.citing(symbol, doc=doc) if isinstance(r, StoreRetriever) else r.citing(symbol)
