"""For drafters: a passage by any id form, and the passages that cite a document symbol."""

from __future__ import annotations

from fastapi import APIRouter

from corpus.ids import parse_table_ref
from corpus.model import Passage
from index.query import AmbiguousId

from ..runtime.limits import BadInput, clean_text
from .deps import DocDep, StateDep
from .schemas import CitingPassage, ErrorOut, PassageOut, References, SymbolLink, TablePassageOut
from .table_views import focus_out, table_out

router = APIRouter(tags=["citations"], responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})


def passage_out(p: Passage) -> PassageOut:
    return PassageOut(id=p.id, doc=p.doc, kind=p.kind, text=p.text, heading=p.heading, parent=p.parent,
                      children=p.children, symbols=[SymbolLink(symbol=s.symbol, url=s.url) for s in p.symbols])


# Unset fields are left out, so that a passage that is no table reads exactly as a PassageOut.
@router.get("/passages/{passage_id:path}", response_model=TablePassageOut, response_model_exclude_unset=True)
def get_passage(passage_id: str, state: StateDep, doc: DocDep) -> TablePassageOut:
    typed = clean_text(passage_id, state.settings, "passage id")
    try:
        p = state.loaded.retriever.resolve(typed, doc)
    except AmbiguousId as exc:
        raise BadInput(str(exc)) from exc
    return table_passage_out(p, typed)


def table_passage_out(p: Passage, typed: str) -> TablePassageOut:
    """A passage; a table with its grid, and with the `focus` its part, row or cell id names."""
    out = TablePassageOut(**passage_out(p).model_dump())
    if p.table is None:
        return out
    out.table = table_out(p.table)
    ref = parse_table_ref(typed)
    if ref and (focus := focus_out(p, ref)):
        out.focus = focus
    return out


@router.get("/references/{symbol:path}", response_model=References)
def get_references(symbol: str, state: StateDep, doc: DocDep) -> References:
    sym, found, url = state.loaded.retriever.citing(clean_text(symbol, state.settings, "symbol"), doc)
    return References(symbol=sym, url=url, passages=[
        CitingPassage(**passage_out(p).model_dump(), mentions=mentions) for p, mentions in found])
