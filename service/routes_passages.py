"""For drafters: a passage by any id form, and the passages that cite a document symbol."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from .limits import clean_text
from .routes_documents import DOC_HELP, citing, resolve_passage
from .schemas import CitingPassage, ErrorOut, References, TablePassageOut
from .state import StateDep
from .table_views import passage_out, table_passage_out

router = APIRouter(tags=["citations"], responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})


# Unset fields are left out, so that a passage that is no table reads exactly as a PassageOut (`citeqa show --json`
# prints the same through table_views.passage_json).
@router.get("/passages/{passage_id:path}", response_model=TablePassageOut, response_model_exclude_unset=True)
def get_passage(passage_id: str, state: StateDep,
                doc: Annotated[str | None, Query(description=DOC_HELP)] = None) -> TablePassageOut:
    typed = clean_text(passage_id, state.settings, "passage id")
    return table_passage_out(resolve_passage(state, typed, doc), typed)


@router.get("/references/{symbol:path}", response_model=References)
def get_references(symbol: str, state: StateDep,
                   doc: Annotated[str | None, Query(description=DOC_HELP)] = None) -> References:
    sym, found, url = citing(state, clean_text(symbol, state.settings, "symbol"), doc)
    return References(symbol=sym, url=url, passages=[
        CitingPassage(**passage_out(p).model_dump(), mentions=mentions) for p, mentions in found])
