"""For drafters: a passage by any id form, and the passages that cite a document symbol."""

from __future__ import annotations

from fastapi import APIRouter

from corpus.model import Passage

from .limits import clean_text
from .schemas import CitingPassage, ErrorOut, PassageOut, References, SymbolLink
from .state import StateDep

router = APIRouter(tags=["citations"], responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})


def passage_out(p: Passage) -> PassageOut:
    return PassageOut(id=p.id, doc=p.doc, kind=p.kind, text=p.text, heading=p.heading, parent=p.parent,
                      children=p.children, symbols=[SymbolLink(symbol=s.symbol, url=s.url) for s in p.symbols])


@router.get("/passages/{passage_id:path}", response_model=PassageOut)
def get_passage(passage_id: str, state: StateDep) -> PassageOut:
    return passage_out(state.retriever.resolve(clean_text(passage_id, state.settings, "passage id")))


@router.get("/references/{symbol:path}", response_model=References)
def get_references(symbol: str, state: StateDep) -> References:
    sym, citing, url = state.retriever.citing(clean_text(symbol, state.settings, "symbol"))
    return References(symbol=sym, url=url, passages=[
        CitingPassage(**passage_out(p).model_dump(), mentions=mentions) for p, mentions in citing])
