"""Answer candidates: the spans a reader may answer with, each a pair of offsets into its passage's text.

Sentences and clauses of paragraphs, each item and sub-item's own sentences, and the rows (or, where the table
model aligned them, the cells) of tables and figures. Each candidate carries the context it needs to be
understood alone (heading path, the paragraph's lead-in, the table's caption and column headers), which is what
gets embedded; the span itself is what gets quoted, so a quote is always a verbatim substring of its passage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from .model import Passage

CandidateKind = Literal["sentence", "row", "cell"]
# Bump when the way candidates are cut or contextualised changes: an index built from others is stale.
CANDIDATES_VERSION = 3
CELL_SEP = " | "
# Sentence ends; a lead-in colon before an item list; a circled sub-item marker starts a new span.
_SENTENCE_END = re.compile(r"[。；！？\n]|(?<=[：:])(?=\s*[(（][a-z][)）])|(?=[㈠-㈩])")
_LEAD_CHARS = 60
_MIN_CHARS = 2


@dataclass(frozen=True)
class Candidate:
    passage_id: str
    start: int
    end: int
    kind: CandidateKind
    context: str  # what the span needs to be understood alone; embedded with it, never quoted
    row_label: str = (
        ""  # table rows and cells: the row's label, under its parent's ("C. 工作方案 › 3. 常规武器")
    )
    column: str = (
        ""  # cells: the column's header path with its part ("(1) 经常预算 › 2024 年估计(重计费用前)")
    )
    cell_id: str = ""  # cells: the table model's id ("表4.24/r6/c8")
    quote_start: int = -1  # cells: the row's line, which is what a citation quotes; else the span itself
    quote_end: int = -1
    unit: str = ""  # cells: the unit of the figure (千美元, 员额数目)

    @property
    def quote(self) -> tuple[int, int]:
        return (self.quote_start, self.quote_end) if self.quote_start >= 0 else (self.start, self.end)

    def text(self, passages: dict[str, Passage]) -> str:
        return passages[self.passage_id].text[self.start : self.end]

    def embed_text(self, span: str) -> str:
        return f"{self.context}\n{span}" if self.context else span

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Candidate:
        return cls(**data)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentences, the clause before an item list, and sub-items of `text[start:end]`, as trimmed offsets."""
    end = len(text) if end is None else end
    out: list[tuple[int, int]] = []
    s = start
    for m in _SENTENCE_END.finditer(text, start, end):
        e = m.end() if m.group(0) and m.group(0) != "\n" else m.start()
        if e > s:
            out.append((s, e))
        s = m.end() if m.group(0) == "\n" else e
    if s < end:
        out.append((s, end))
    trimmed = []
    for a, b in out:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b - a >= _MIN_CHARS:
            trimmed.append((a, b))
    return trimmed


def own_end(p: Passage, by_id: dict[str, Passage]) -> int:
    """Where a passage's own words stop: before its first item (the items' words are the items' own)."""
    items = [by_id[c] for c in p.children if c in by_id and by_id[c].kind == "item"]
    if not items:
        return len(p.text)
    first = p.text.find(items[0].text)
    return first if first >= 0 else len(p.text)


def _context(p: Passage, by_id: dict[str, Passage]) -> str:
    names = list(dict.fromkeys(p.heading[-2:]))
    parent = by_id.get(p.parent or "")
    if p.kind == "item" and parent is not None:
        names.append(parent.text[: min(own_end(parent, by_id), _LEAD_CHARS)].strip())
    if p.kind in ("table", "figure"):
        names.append(f"{p.id} {p.text.split(chr(10), 1)[0]}")
    return " › ".join(n for n in names if n)


def _rows(p: Passage, context: str) -> list[Candidate]:
    out = []
    offset = 0
    for line in p.text.split("\n"):
        stripped = line.strip()
        if len(stripped) >= _MIN_CHARS:
            a = offset + line.find(stripped)
            label = stripped.split(CELL_SEP, 1)[0] if CELL_SEP in stripped else ""
            out.append(Candidate(p.id, a, a + len(stripped), "row", context, row_label=label))
        offset += len(line) + 1
    return out


def _cells(p: Passage) -> list[Candidate]:
    """Every cell of an aligned table, told apart by its row label (under its parent row), its column's header
    path and part, and the table's caption and unit; rows that span the table (sentences) stay rows."""
    table = p.table
    assert table is not None
    labels = {r.id: r.label for r in table.rows}
    caption = f"{p.id} {table.caption}" + (f"（{table.unit}）" if table.unit else "")
    out: list[Candidate] = []
    for r in table.rows:
        row_label = " › ".join(x for x in (labels.get(r.parent or ""), r.label) if x)
        if not r.cells:
            if r.kind == "text" and r.end - r.start >= _MIN_CHARS:
                out.append(Candidate(p.id, r.start, r.end, "row", caption, row_label=r.label))
            continue
        for cell in r.cells:
            column = table.column(cell.col)
            name = column.label if column else ""
            part = (column.part if column else None) or r.part or ""
            col_path = " › ".join(x for x in (part, name) if x)
            unit = cell.unit or r.unit or table.unit or ""
            context = f"{caption} › {row_label} › {col_path}"
            out.append(
                Candidate(
                    p.id,
                    cell.start,
                    cell.end,
                    "cell",
                    context,
                    row_label=row_label,
                    column=col_path,
                    cell_id=cell.id,
                    quote_start=r.start,
                    quote_end=r.end,
                    unit=unit,
                )
            )
    return out


def candidates(passages: Iterable[Passage]) -> list[Candidate]:
    """Every candidate of every passage, in reading order; each span of text belongs to one passage only."""
    all_passages = list(passages)
    by_id = {p.id: p for p in all_passages}
    out: list[Candidate] = []
    for p in all_passages:
        context = _context(p, by_id)
        if p.kind == "table" and p.table is not None and p.table.aligned:
            out.extend(_cells(p))
            continue
        if p.kind == "table" and p.table is not None:
            # Unaligned: the table model's rows are whole (a paragraph of a performance table, not its wrapped
            # lines), and its header lines are not among them.
            out.extend(
                Candidate(p.id, r.start, r.end, "row", context, row_label=r.label)
                for r in p.table.rows
                if r.end - r.start >= _MIN_CHARS
            )
            continue
        if p.kind == "figure":
            out.extend(_rows(p, context))
            continue
        # An item holding sub-items ((b) with ㈠ ㈡) owns only its words before the first one, like a paragraph.
        spans = sentence_spans(p.text, 0, own_end(p, by_id))
        out.extend(Candidate(p.id, a, b, "sentence", context) for a, b in spans)
    return out
