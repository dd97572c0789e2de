"""For drafters: a passage by any id form, and the passages that cite a document symbol."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from corpus.model import Passage

from .limits import clean_text
from .routes_documents import DOC_HELP, citing, resolve_passage
from .schemas import ErrorOut, PassageOut, References, SymbolLink
from .state import StateDep

router = APIRouter(tags=["citations"], responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})


def passage_out(p: Passage) -> PassageOut:
    return PassageOut(id=p.id, doc=p.doc, kind=p.kind, text=p.text, heading=p.heading, parent=p.parent,
                      children=p.children, symbols=[SymbolLink(symbol=s.symbol, url=s.url) for s in p.symbols])


@router.get("/passages/{passage_id:path}", response_model=PassageOut)
def get_passage(passage_id: str, state: StateDep,
                doc: Annotated[str | None, Query(description=DOC_HELP)] = None) -> PassageOut:
    return passage_out(resolve_passage(state, clean_text(passage_id, state.settings, "passage id"), doc))


@router.get("/references/{symbol:path}", response_model=References)
def get_references(symbol: str, state: StateDep,
                   doc: Annotated[str | None, Query(description=DOC_HELP)] = None) -> References:
    sym, passages, url = citing(state, clean_text(symbol, state.settings, "symbol"), doc)
    return References(symbol=sym, url=url, passages=[passage_out(p) for p in passages])
