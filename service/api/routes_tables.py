"""For drafters: a table as a CSV file."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from ..runtime.limits import clean_text
from .deps import DocDep, StateDep
from .lookup import resolve_passage
from .schemas import ErrorOut
from .table_views import NotAligned, table_csv

router = APIRouter(
    tags=["citations"],
    responses={404: {"model": ErrorOut}, 409: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)

PRINTED_HELP = (
    "write every cell as the document prints it (`2 630.4`, `(278.2)`, `—`) and keep the section rows "
    "(`C. 工作方案`), instead of numbers (`2630.4`, `-278.2`, empty)"
)


# `{table_id:path}`: a pasted citation keeps its document symbol, slashes and all (`A/78/6 (Sect. 4)，表 4.24`).
@router.get(
    "/tables/{table_id:path}.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "the table, UTF-8 with a BOM"}},
)
def get_table_csv(
    table_id: str,
    state: StateDep,
    doc: DocDep,
    printed: Annotated[bool, Query(description=PRINTED_HELP)] = False,
) -> Response:
    p = resolve_passage(state.loaded.retriever, clean_text(table_id, state.settings, "table id"), doc)
    if p.table is None:
        return JSONResponse(
            {"detail": f"{p.id} is a {p.kind}, not a table; ask for a table id such as 表4.24"},
            status_code=404,
        )
    try:
        body = table_csv(p.table, printed=printed)
    except NotAligned as exc:
        return JSONResponse({"detail": str(exc)}, status_code=409)
    name = quote(f"{p.table.id}{'-printed' if printed else ''}.csv")
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=\"table.csv\"; filename*=UTF-8''{name}"},
    )
