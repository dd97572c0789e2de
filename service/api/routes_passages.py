"""For drafters: a passage by any id form, and the passages that cite a document symbol."""

from __future__ import annotations

from fastapi import APIRouter

from ..runtime.limits import clean_text
from .deps import DocDep, StateDep
from .lookup import resolve_passage
from .schemas import CitingPassage, ErrorOut, References, TablePassageOut
from .table_views import passage_out, table_passage_out

router = APIRouter(tags=["citations"], responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}})


# Unset fields are left out, so that a passage that is no table reads exactly as a PassageOut (`citeqa show --json`
# prints the same through table_views.passage_json).
@router.get("/passages/{passage_id:path}", response_model=TablePassageOut, response_model_exclude_unset=True)
def get_passage(passage_id: str, state: StateDep, doc: DocDep) -> TablePassageOut:
    typed = clean_text(passage_id, state.settings, "passage id")
    return table_passage_out(resolve_passage(state.loaded.retriever, typed, doc), typed)


@router.get("/references/{symbol:path}", response_model=References)
def get_references(symbol: str, state: StateDep, doc: DocDep) -> References:
    sym, found, url = state.loaded.retriever.citing(clean_text(symbol, state.settings, "symbol"), doc)
    return References(
        symbol=sym,
        url=url,
        passages=[CitingPassage(**passage_out(p).model_dump(), mentions=mentions) for p, mentions in found],
    )
