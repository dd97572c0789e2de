"""For drafters: a passage by any id form, and the passages that cite a document symbol."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from corpus.ids import parse_table_ref
from corpus.model import Passage

from .limits import clean_text
from .routes_documents import DOC_HELP, citing, resolve_passage
from .schemas import CitingPassage, ErrorOut, PassageOut, References, SymbolLink, TablePassageOut
from .state import StateDep
from .table_views import focus_out, table_out

router = APIRouter(tags=["citations"], responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})


def passage_out(p: Passage) -> PassageOut:
    return PassageOut(id=p.id, doc=p.doc, kind=p.kind, text=p.text, heading=p.heading, parent=p.parent,
                      children=p.children, symbols=[SymbolLink(symbol=s.symbol, url=s.url) for s in p.symbols])


# Unset fields are left out, so that a passage that is no table reads exactly as a PassageOut.
@router.get("/passages/{passage_id:path}", response_model=TablePassageOut, response_model_exclude_unset=True)
def get_passage(passage_id: str, state: StateDep,
                doc: Annotated[str | None, Query(description=DOC_HELP)] = None) -> TablePassageOut:
    typed = clean_text(passage_id, state.settings, "passage id")
    return table_passage_out(resolve_passage(state, typed, doc), typed)


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
def get_references(symbol: str, state: StateDep,
                   doc: Annotated[str | None, Query(description=DOC_HELP)] = None) -> References:
    sym, found, url = citing(state, clean_text(symbol, state.settings, "symbol"), doc)
    return References(symbol=sym, url=url, passages=[
        CitingPassage(**passage_out(p).model_dump(), mentions=mentions) for p, mentions in found])
