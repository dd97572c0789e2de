"""The HTTP contract of docs/DESIGN.md §2, as the models the routes return."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, computed_field

from reader import citations


def _a_number(value: object) -> object:
    if isinstance(value, str | bool):
        raise ValueError("must be a JSON number, not a string or a boolean")
    return value


# An integer as JSON Schema has it (5 or 5.0, not "5" or true): what the schema calls invalid is refused.
JsonInt = Annotated[int, BeforeValidator(_a_number)]
# One or more; the bound inside, so the schema says `minimum` (also as the member of an optional field's anyOf).
PositiveJsonInt = Annotated[int, Field(ge=1), BeforeValidator(_a_number)]
Kind = Literal["paragraph", "item", "table", "figure", "foreword", "annex"]


class SymbolLink(BaseModel):
    symbol: str
    url: str | None


class Citation(BaseModel):
    id: str
    doc: str
    kind: Kind
    heading: list[str]
    text: str
    quote: str = Field(description="a verbatim substring of `text`: the part that answers or matches")
    score: float
    url: str | None = Field(
        None,
        deprecated=True,
        description=(
            "deprecated, kept for old clients: the link of the first document this passage *cites*, not of the "
            "passage's own document; use `source_url` for that and `symbols` for every cited document"
        ),
    )
    highlights: list[tuple[int, int]] = Field(
        default_factory=list, description="[start, end) character offsets into `text` of the matching parts"
    )
    source_url: str | None = Field(
        None,
        description=(
            "the official document the passage is from (`doc`) on the UN documents system, Chinese edition"
        ),
    )
    cite_zh: str | None = Field(None, description="copy-ready: A/78/6 (Sect. 4)，第 4.88 (b) ㈠ 段")
    cite_en: str | None = Field(None, description="copy-ready: A/78/6 (Sect. 4), para. 4.88 (b) (i)")
    label_zh: str | None = Field(
        None, description="the passage as Chinese text names it: 第 4.88 (b) ㈠ 段, 表 4.24"
    )
    label_en: str | None = Field(None, description="the passage as English text names it: para. 4.88 (b) (i)")
    symbols: list[SymbolLink] = Field(
        default_factory=list, description="documents the passage cites, with links"
    )
    cell: str | None = Field(
        None,
        description=(
            "for an answer read from a table cell: the cell's id (`表4.6/r3/c2`), resolvable at /passages/{id}"
        ),
    )


class AskRequest(BaseModel):
    question: str = Field(min_length=1, description="the question, in Chinese or English")
    top_k: JsonInt = Field(5, ge=1, le=50)
    conversation_id: str | None = Field(None, max_length=128)


class Understood(BaseModel):
    """How the question was read, shown on every turn so a reader can catch a wrong reading at a glance."""

    question: str = Field(
        description="the question as understood: after a follow-up, the previous subject with "
        "what this turn changed; else the question itself"
    )
    asks: str = Field(
        description="what is asked for: money, count, percent, date, place, person, body, list, "
        "reason, purpose, objective, definition, yesno, passage, where_cited, text"
    )
    unit: str | None = Field(
        None, description="the unit of a count or amount asked for: posts, meetings, dollars …"
    )
    scope: list[str] = Field(
        default_factory=list,
        description=(
            "what the answer must be about, in the question's language: the section or its part (subprogramme, "
            "component), years, plan/actual/proposed, funding source, before/after recosting, named bodies"
        ),
    )


class Answer(BaseModel):
    answer: str
    abstained: bool
    citations: list[Citation]
    conversation_id: str
    took_ms: float
    resolved_question: str | None = Field(None, description="the question as understood after a follow-up")
    answer_id: str = Field("", description="names this answer for `POST /feedback`")
    understood: Understood | None = Field(None, description="how the question was read (every turn)")
    matched: list[str] = Field(
        default_factory=list,
        description=(
            "the requirements of the question the answer was checked against and meets, in the question's language"
        ),
    )
    abstain_reason: str | None = Field(
        None,
        description=(
            "for an abstention: why, in one line, and what the document has instead where it has something close"
        ),
    )
    new_conversation: bool = Field(
        False,
        description=(
            "true when no earlier turn was found under `conversation_id` (none sent, or one unknown or expired): "
            "the question was taken on its own"
        ),
    )


class Snippet(BaseModel):
    text: str = Field(
        description="a window of the passage text around the best match, cut on word boundaries"
    )
    start: int = Field(description="where the window starts in the passage `text`")
    end: int
    highlights: list[tuple[int, int]] = Field(
        default_factory=list, description="[start, end) offsets into `snippet.text`"
    )


class SearchHit(Citation):
    text: str | None = Field(
        description="the whole passage text, which `highlights` and the quote index into; "
        "null when the request says `with_text=false`"
    )  # type: ignore[assignment]
    snippet: Snippet


class SearchFacets(BaseModel):
    """For each value of each filter, the `total` that value would give with the *other* filters as they are
    (a filter's own values are not narrowed by itself, so a front end can offer them all). Passages with no
    subprogramme or section (the overview, part B's totals) have no value in those facets."""

    kind: dict[str, int] = Field(
        default_factory=dict, description="paragraph, item, table, figure, foreword, annex"
    )
    subprogramme: dict[str, int] = Field(default_factory=dict, description='by number: `"3"` is 次级方案 3')
    section: dict[str, int] = Field(
        default_factory=dict,
        description=(
            "the template section a passage sits in: 目标, 战略, 方案执行情况, 计划成果, 经验教训, 应交付产出, 评价活动, "
            "任务和背景, 外部因素, 立法授权, 资源"
        ),
    )
    doc: dict[str, int] = Field(default_factory=dict, description="by document symbol")


class SearchQuery(BaseModel):
    """How the search text was read: what a passage's text must contain one of to match."""

    words: list[str] = Field(
        description=(
            "a passage matches when its text contains one of these (or the query names it by id or symbol, or it is "
            "very close in meaning): the query's own words without sub-words, question words and lone hanzi, the "
            "Chinese of its English words, and the completions of the last word"
        )
    )
    fragment: str | None = Field(
        None, description="the last word, read as a prefix still being typed (小武, weapo)"
    )
    completions: list[str] = Field(
        default_factory=list, description="what `fragment` was completed to (小武器)"
    )
    corrections: dict[str, str] = Field(
        default_factory=dict,
        description=(
            'English words read as the word of the document\'s lexicon within one edit: {"smal": "small"}'
        ),
    )


# `GET /search?q=小武&kind=item&top_k=1` on A/78/6 (Sect. 4): 小武 is being typed, completed to 小武器.
_SEARCH_EXAMPLE: Any = {
    "results": [
        {
            "id": "4.44(b)㈣",
            "doc": "A/78/6 (Sect. 4)",
            "kind": "item",
            "heading": ["A. 2024 年拟议方案计划和 2022 年方案执行情况", "次级方案 3 常规武器", "战略"],
            "text": "㈣ 小武器管制执行工作模块简编;",
            "url": None,
            "source_url": "https://undocs.org/ch/A/78/6(Sect.4)",
            "cite_zh": "A/78/6 (Sect. 4)，第 4.44 (b) ㈣ 段",
            "cite_en": "A/78/6 (Sect. 4), para. 4.44 (b) (iv)",
            "label_zh": "第 4.44 (b) ㈣ 段",
            "label_en": "para. 4.44 (b) (iv)",
            "symbols": [],
            "quote": "㈣ 小武器管制执行工作模块简编;",
            "score": 0.408,
            "highlights": [[2, 5]],
            "cell": None,
            "snippet": {
                "text": "㈣ 小武器管制执行工作模块简编;",
                "start": 0,
                "end": 16,
                "highlights": [[2, 5]],
            },
        }
    ],
    "total": 12,
    "offset": 0,
    "took_ms": 31.4,
    "facets": {
        "kind": {"paragraph": 13, "item": 12, "table": 5, "annex": 1, "figure": 1, "foreword": 1},
        "subprogramme": {"3": 9, "5": 2},
        "section": {"战略": 11, "资源": 1},
        "doc": {"A/78/6 (Sect. 4)": 12},
    },
    "query": {"words": ["小武器"], "fragment": "小武", "completions": ["小武器"], "corrections": {}},
}


class SearchResults(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_SEARCH_EXAMPLE]})

    results: list[SearchHit]
    total: int = Field(
        description=(
            "how many passages match in all, under the filters; page with `offset` (the last page ends at `total`)"
        )
    )
    offset: int
    took_ms: float
    facets: SearchFacets = Field(default_factory=SearchFacets, description="counts per filter value")
    query: SearchQuery | None = Field(None, description="how the search text was read")


class PassageOut(BaseModel):
    id: str
    doc: str
    kind: Kind
    text: str
    heading: list[str]
    parent: str | None
    children: list[str]
    symbols: list[SymbolLink]

    # The same copy-ready forms and source link a citation of this passage carries (reader/citations.py).
    @computed_field  # type: ignore[prop-decorator]
    @property
    def cite_zh(self) -> str:
        return citations.cite_zh(self.doc, self.id, self._cited_part())

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cite_en(self) -> str:
        return citations.cite_en(self.doc, self.id, self._cited_part())

    @computed_field  # type: ignore[prop-decorator]
    @property
    def label_zh(self) -> str:
        return citations.label_zh(self.id, self._cited_part())

    @computed_field  # type: ignore[prop-decorator]
    @property
    def label_en(self) -> str:
        return citations.label_en(self.id, self._cited_part())

    def _cited_part(self) -> int | None:
        """The part of a table the citation names (`表 4.24 (2)`); None: the whole passage."""
        return None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def source_url(self) -> str | None:
        return citations.source_url(self.doc)


class CitingPassage(PassageOut):
    mentions: list[tuple[int, int]] = Field(description="[start, end) offsets into `text` of each mention")


class CellOut(BaseModel):
    id: str = Field(
        description="`表4.6/r10/c2`: row 10, column 2 of 表4.6; resolvable through /passages/{id}"
    )
    row: int
    col: int = Field(description="the `index` of its column (1-based, the row-label column not counted)")
    raw: str = Field(description="the cell as printed; `text[start:end] == raw`")
    value: float | None = Field(
        description="the figure: `1 392.0` → 1392.0, `(278.2)` → -278.2; null for `—` or text"
    )
    unit: str | None = Field(
        description="`千美元`, `员额数目`, `%`, or a row's own unit such as `3 小时会议次数`"
    )
    start: int
    end: int


class RowOut(BaseModel):
    id: str
    index: int
    label: str
    level: int = Field(description="1 for the top rows (`A. …`, `共计`), deeper for the rows under them")
    parent: str | None = Field(description="the row id of the row this one sits under")
    part: str | None = Field(
        description="the part of a multi-part table: `(1) 经常预算`, `(2) 预算外`, and "
        "`(1)+(2) 共计` for the total across the parts"
    )
    kind: Literal["data", "section", "text"] = Field(
        description="`data` has cells; `section` heads the rows below it; `text` is a sentence across the table"
    )
    unit: str | None
    start: int = Field(description="`text[start:end]` is the row's line in the passage text")
    end: int
    cells: list[CellOut]
    cols: list[int] = Field(
        default_factory=list,
        description="for a paragraph of an unaligned table whose column "
        "heads are known: the columns it may be under (exactly one when that is certain)",
    )


class ColumnOut(BaseModel):
    index: int
    path: list[str] = Field(
        description="the header path, top-down: [`2022 年`, `实际`], [`变动`, `技术调整`]"
    )
    part: str | None
    year: int | None = Field(
        None, description="the year of a year column (2022); null for the change columns"
    )
    qualifier: str | None = Field(
        None,
        description="what a year column holds: 计划 (planned), 实际 (actual), "
        "支出 (expenditure), 批款 (appropriation), 核定, 拟议, 估计",
    )


class TableOut(BaseModel):
    id: str
    caption: str
    unit: str | None = Field(
        description="the unit the caption gives, as printed: `千美元`, `千美元/员额数目`"
    )
    columns: list[ColumnOut]
    rows: list[RowOut]
    aligned: bool = Field(
        description="false when the grid could not be recovered: `rows` are then the text lines "
        "and `reason` says why"
    )
    note: str | None
    reason: str | None
    stub: str | None = Field(description="the head of the row-label column")


class FocusOut(BaseModel):
    """The part, row or cell a table id names, within the table passage returned with it."""

    id: str
    kind: Literal["part", "row", "cell"]
    part: str | None
    row: int | None
    row_label: str | None
    col: int | None
    column_path: list[str] | None
    raw: str | None
    value: float | None
    unit: str | None
    quote: str = Field(
        description="the row's line (the part's head for a part): a verbatim substring of `text`"
    )
    start: int
    end: int
    cell_start: int | None = Field(description="`text[cell_start:cell_end] == raw` for a cell")
    cell_end: int | None


class TablePassageOut(PassageOut):
    """A passage; for a table also its grid, and for a row, cell or part id the `focus` it names."""

    table: TableOut | None = None
    focus: FocusOut | None = None

    def _cited_part(self) -> int | None:
        # A part, or a row or cell of one, is cited as the document cites it: `表 4.24 (2)`.
        m = re.match(r"^\((\d+)\)\s", self.focus.part or "") if self.focus else None
        return int(m[1]) if m else None


class References(BaseModel):
    symbol: str
    url: str | None
    passages: list[CitingPassage] = Field(
        description="the most specific passages mentioning the symbol: an item, "
        "not its paragraph, when the mention is in the item"
    )


class Health(BaseModel):
    status: str
    passages: int | None = None
    model: str | None = None
    shared_state: str | None = Field(
        None,
        description="`/readyz`: where conversations and rate limits live: "
        "`local` (this process), `redis`, or `unavailable` (Redis "
        "is configured but away: single turns, per-replica limits)",
    )


class ErrorOut(BaseModel):
    detail: str
    nearest: list[str] | None = Field(None, description="for an unknown id or symbol: the nearest valid ones")


class FeedbackIn(BaseModel):
    """A verdict on one answer (`POST /feedback`): its `answer_id`, 👍 or 👎, and optionally why."""

    answer_id: str = Field(
        min_length=1, max_length=64, description="the `answer_id` of an /ask or chat answer"
    )
    verdict: Literal["up", "down"]
    comment: str | None = Field(None, description="free text; cut to CITEQA_FEEDBACK_COMMENT_CHARS (1000)")
    passage: str | None = Field(
        None,
        max_length=64,
        description=(
            "the passage that answers, in any id form (4.88(b)㈠, 表 4.24); checked against the document"
        ),
    )


class FeedbackCreated(BaseModel):
    id: int = Field(description="the feedback row")
    answer_id: str
    verdict: Literal["up", "down"]
    passage: str | None = Field(description="the canonical id of the passage named")


class FeedbackCitation(BaseModel):
    id: str
    quote: str
    cell: str | None = None


class FeedbackItem(BaseModel):
    id: int
    created: str = Field(description="UTC, ISO 8601")
    caller: str = Field(description="who gave it: the caller's key digest, or `anonymous`")
    doc: str
    question: str
    resolved_question: str | None
    lang: Literal["zh", "en"]
    answer: str
    abstained: bool
    citations: list[FeedbackCitation]
    cited: list[str] = Field(
        description="the ids the answer text marks; the other citations were related passages"
    )
    verdict: Literal["up", "down"]
    comment: str
    passage: str | None


class FeedbackPage(BaseModel):
    items: list[FeedbackItem]
    total: int
    offset: int
