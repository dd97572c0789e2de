"""For the search box and for delegates: ranked passages, and cited answers with follow-ups."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import StringConstraints

from reader.search import SECTION_EN, SECTIONS, BadFilter

from ..runtime.limits import BadInput, check_top_k, clean_text, off_loop
from ..runtime.middleware import caller_id
from . import present
from .deps import DocDep, StateDep
from .routes_documents import NO_DOCUMENT
from .routes_feedback import remember
from .schemas import Answer, AskRequest, ErrorOut, Kind, SearchResults

router = APIRouter(tags=["answers"], responses={422: {"model": ErrorOut}, 503: {"model": ErrorOut}})


SubprogrammeValue = Annotated[str, StringConstraints(pattern=r"^(?:次级方案|subprogramme)?\s?\d{1,2}$")]
SectionValue = Annotated[str, StringConstraints(pattern="^(?:" + "|".join([*SECTIONS, *SECTION_EN]) + ")$")]

SEARCH_HELP = """Ranked passages for a search box, paged with `offset`, narrowed by filters, with facet counts.

**What matches** (what `total` counts): a passage the query names (an id such as `4.88 (b)`, a symbol such as
`77/71`); a passage whose text contains one of the query's words (sub-words do not count: `小武器` matches passages
that print 小武器, not every passage that prints 武器; lone hanzi and question words are not words); the Chinese
forms of the query's English words through the document's bilingual lexicon (`small arms` → 小武器); or a passage
very close in meaning (dense similarity ≥ 0.89). An item is never listed beside its paragraph.

**While typing**: the last word is a prefix unless the text ends in punctuation: `小武` → 小武器, `小` → the 8
most frequent words starting with 小, `weapo` → weapons (武器). An English word within one edit of a lexicon word
is read as it (`smal arms`, `wepons`); `query` in the response says how the text was read.

**Snippets** are centred on the query's rarest word in the passage (a symbol or id first), which is highlighted.
"""


@router.get(
    "/search",
    response_model=SearchResults,
    responses=NO_DOCUMENT,
    summary="Search passages",
    description=SEARCH_HELP,
)
async def search(
    state: StateDep,
    doc: DocDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            description="the search text, Chinese or English, as typed so far",
            openapi_examples={
                "term": {"value": "小武器"},
                "typing": {"value": "小武"},
                "english": {"value": "weapo"},
                "slip": {"value": "smal arms"},
                "symbol": {"value": "第77/71号决议"},
            },
        ),
    ],
    top_k: Annotated[int, Query(ge=1, le=50, description="results per page")] = 10,
    offset: Annotated[int, Query(ge=0, le=10_000, description="results to skip: the page start")] = 0,
    min_score: Annotated[
        float, Query(ge=0.0, le=1.0, description="drop results scored below (also from `total`)")
    ] = 0.0,
    kind: Annotated[
        list[Kind] | None,
        Query(
            description=("only passages of these kinds (repeat the parameter for several: any of them)"),
            openapi_examples={"tables": {"value": ["table"]}, "text": {"value": ["paragraph", "item"]}},
        ),
    ] = None,
    subprogramme: Annotated[
        list[SubprogrammeValue] | None,
        Query(
            description=(
                "only passages under these subprogrammes, by number (`3`, `次级方案 3`, `subprogramme 3`; a number the "
                "document lacks lists nothing); repeat for several"
            ),
            openapi_examples={"number": {"value": ["3"]}},
        ),
    ] = None,
    section: Annotated[
        list[SectionValue] | None,
        Query(
            description=(
                "only passages in these template sections: "
                + ", ".join(SECTIONS)
                + ", or the English name in lower case "
                "(" + ", ".join(SECTION_EN) + "); repeat for several"
            ),
            openapi_examples={"zh": {"value": ["应交付产出"]}, "en": {"value": ["objective"]}},
        ),
    ] = None,
    with_text: Annotated[
        bool,
        Query(
            description=(
                "false leaves each result's whole passage `text` out (null): the snippet, quote and highlights stay, and "
                "`GET /passages/{id}` gives the text; a search box that shows snippets only gets a response a tenth "
                "the size"
            )
        ),
    ] = True,
) -> Response:
    start = time.perf_counter()
    query = clean_text(q, state.settings, "q")
    check_top_k(top_k, state.settings)
    loaded = state.loaded  # read once: a reload during the search must not pair its page with other fields
    searcher = loaded.searcher
    try:
        filters = searcher.filters(kind or (), subprogramme or (), section or ())
    except BadFilter as exc:
        raise BadInput(str(exc)) from exc
    page = await off_loop(
        state.settings, lambda: searcher.page(query, top_k, offset, min_score, doc, filters)
    )
    took = round((time.perf_counter() - start) * 1000, 2)
    return present.search_results(page, offset, took, loaded.fields, with_text)


@router.post("/ask", response_model=Answer, responses=NO_DOCUMENT)
async def ask(req: AskRequest, state: StateDep, doc: DocDep, request: Request) -> Answer:
    start = time.perf_counter()
    question = clean_text(req.question, state.settings)
    check_top_k(req.top_k, state.settings)
    conv = await state.conversations.begin(req.conversation_id, caller_id(request.headers))
    previous = conv.turns[-1] if conv.turns else None
    loaded = state.loaded
    # Choosing the document may search (several documents, none named): off the event loop too.
    reply = await off_loop(
        state.settings,
        lambda: loaded.answerer_for(doc, question, previous).ask(question, req.top_k, previous),
    )
    await state.conversations.keep(conv, reply.turn)
    state.metrics.answers.labels(str(reply.abstained).lower()).inc()
    answer = present.answer(reply, conv.id, round((time.perf_counter() - start) * 1000, 2))
    answer.new_conversation = previous is None
    remember(request, answer, question, doc or loaded.retriever.symbols[0])
    return answer
