"""Many documents at the edge: `GET /documents`.

Without `doc`, an index of one document behaves as it always has. With several: `/search` ranks every document
and merges the hits; `/ask` and chat answer from the document of the best hit; `/passages/{id}` resolves an id
held by one document, and answers 422 listing the documents when several hold it. An unknown `doc` is a 404
(like an unknown passage) that lists the documents there are (`deps.DocDep`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from .deps import StateDep
from .schemas import ErrorOut

router = APIRouter(tags=["documents"], responses={422: {"model": ErrorOut}})

NO_DOCUMENT: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "no such document (`doc`), or nothing found"}
}


class DocumentOut(BaseModel):
    symbol: str
    language: str
    source: str = Field(description="the file the document was read from, by name (never a server path)")
    passages: int


class Documents(BaseModel):
    documents: list[DocumentOut]


@router.get("/documents", response_model=Documents)
def list_documents(state: StateDep) -> Documents:
    r = state.loaded.retriever
    return Documents(
        documents=[
            DocumentOut(
                symbol=d.symbol,
                language=d.language,
                source=d.source.rsplit("/", 1)[-1],
                passages=len(r.view(d.symbol).passages),
            )
            for d in r.documents
        ]
    )
