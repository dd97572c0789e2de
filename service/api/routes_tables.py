"""For drafters: a table as a CSV file."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from ..runtime.limits import clean_text
from .deps import StateDep
from .schemas import ErrorOut
from .table_views import NotAligned, table_csv

router = APIRouter(tags=["citations"], responses={404: {"model": ErrorOut}, 409: {"model": ErrorOut},
                                                   422: {"model": ErrorOut}})


@router.get("/tables/{table_id}.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "the table, UTF-8 with a BOM"}})
def get_table_csv(table_id: str, state: StateDep) -> Response:
    p = state.loaded.retriever.resolve(clean_text(table_id, state.settings, "table id"))
    if p.table is None:
        return JSONResponse({"detail": f"{p.id} is a {p.kind}, not a table; ask for a table id such as 表4.24"},
                            status_code=404)
    try:
        body = table_csv(p.table)
    except NotAligned as exc:
        return JSONResponse({"detail": str(exc)}, status_code=409)
    name = quote(f"{p.table.id}.csv")
    return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=\"table.csv\"; filename*=UTF-8''{name}"})
