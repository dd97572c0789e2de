"""A table block of the extracted text → its grid (columns, rows, cells) and the passage text they point into.

The layout rules are in table_layout; here the block is read in the template's order: caption, unit, then for
each part (`(1) 经常预算`) its header block and its rows. The header block repeats verbatim after a page break.
Layout columns empty in every row of a part are an artefact of the header grid and are dropped. A table whose
first head is a year has no row labels: its single row is one text block per column (performance measures);
a block may open with `— ` for an empty year before it.

A table in parts ends with the total across them (`共计`), printed under the last part's column heads: it is a
part of its own (`(1)+(2) 共计`, see `total_part`), with columns of its own under the same heads.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from itertools import combinations
from typing import NamedTuple

from .clean import join_lines
from .headings import _RESULT_RE, SECTION, SUBTOPIC, level_of
from .table_layout import (
    Head,
    SrcLine,
    Unaligned,
    combine,
    figures_only,
    group_heads,
    read_heads,
    split_row,
    squeeze,
)
from .table_model import Cell, Column, Row, RowKind, Table, total_part
from .tables import CELL_SEP, FIGURE_RE, parse_value, table_rows

log = logging.getLogger(__name__)

_UNIT_RE = re.compile(r"^\(([^()]+)\)$")
_PART_RE = re.compile(r"^(\(\d+\))\s*(\S.*)$")
_NOTE_RE = re.compile(r"^注[：:]")
_LETTER_RE = re.compile(r"^([A-Z])\.\s")
_NUMBERED_RE = re.compile(r"^\d+\.\s")
_SUBTOTAL_RE = re.compile(r"^小计(?:\s*\(([A-Z0-9])\))?")
_TOTAL_RE = re.compile(r"^(?:共计|总计)")
_ROW_UNIT_RE = re.compile(r"\(([^()]*(?:数目|次数|天数|千页|千美元))\)$")
_PERCENT = "百分比"


@dataclass
class _Part:
    name: str | None
    stub: str | None
    heads: list[Head]
    layout: int
    header_texts: list[str]
    rows: list[tuple[str, list[str], RowKind]] = field(default_factory=list)
    reason: str | None = None  # set when the heads are known but the cells cannot be put under them


class _Reader:
    def __init__(self, table_id: str, lines: list[SrcLine]) -> None:
        self.id = table_id
        self.lines = [ln for ln in lines if not ln.blank or ln.trail]
        self.i = 0
        self.consumed: list[str] = []  # header lines read, first and repeated: no row's text

    def peek(self, k: int = 0) -> SrcLine | None:
        j = self.i + k
        return self.lines[j] if j < len(self.lines) else None

    def header(self, part: str | None) -> _Part:
        band: list[str] = []
        while (ln := self.peek()) and not ln.blank and ln.lead >= 2:
            band.append(ln.text)
            self.consumed.append(ln.text)
            self.i += 1
        stub: str | None = None
        if (ln := self.peek()) and ln.blank and ln.trail == 1:
            stub = ""
            self.i += 1
        head_lines: list[SrcLine] = []
        layout = 0
        while (ln := self.peek()) is not None:
            if ln.blank and ln.trail >= 2:
                layout = ln.trail
                self.i += 1
                break
            if head_lines and ln.lead >= 2:
                layout = ln.lead  # the blank layout line fused with the first data line
                break
            head_lines.append(ln)
            self.consumed.append(ln.text)
            self.i += 1
        if not layout:
            raise Unaligned("no blank layout line after the header: the column count is unknown")
        heads = read_heads(head_lines)
        if stub is None and heads and heads[0].year is None:
            stub = " ".join(heads.pop(0).path)
        if band:
            group_heads(heads, band)
        return _Part(part, stub, heads, layout, [ln.text for ln in head_lines])

    def repeated_header(self, part: _Part) -> bool:
        n = len(part.header_texts)
        texts = [ln.text for ln in self.lines[self.i : self.i + n]]
        if n < 2 or texts != part.header_texts:
            return False
        self.consumed.extend(texts)
        self.i += n
        if (ln := self.peek()) and ln.blank:
            self.i += 1
        return True


def _grid_rows(reader: _Reader, part: _Part, parts_announced: bool) -> list[SrcLine]:
    """Read the rows of a labelled part into `part.rows`; returns the lines left after it (notes)."""
    pending: list[SrcLine] = []

    def flush(kind_if_label: RowKind = "section") -> None:
        if not pending:
            return
        s = combine(pending)
        s = s[:-1] if s.endswith(" ") else s
        label, cells = split_row(s)
        if any(cells):
            if not label:
                # Kept (they are what the document prints), but a row no label names is worth a look.
                log.warning("table %s: a row of figures without a label: %r", reader.id, s)
            part.rows.append((label, squeeze(cells, part.layout - 1), "data"))
        else:
            part.rows.append((label.strip() or s.strip(), [], kind_if_label))
        pending.clear()

    while (ln := reader.peek()) is not None:
        if parts_announced and _PART_RE.match(ln.text) and not pending:
            break
        if _NOTE_RE.match(ln.text):
            flush()
            return reader.lines[reader.i :]
        if reader.repeated_header(part):
            flush()
            continue
        reader.i += 1
        if ln.blank:
            continue
        pending.append(ln)
        if not ln.trail:
            continue
        s = combine(pending)[:-1]
        label, cells = split_row(s)
        if label and not any(cells) and (nxt := reader.peek()) is not None and figures_only(nxt):
            continue  # a label wrapped over lines, its figures on the next one
        kind: RowKind = "section" if _LETTER_RE.match(label) or ln.trail > 1 else "text"
        flush(kind)
    flush()
    return []


def _text_blocks(reader: _Reader) -> tuple[list[str], list[SrcLine]]:
    """The blocks of a label-less table, and the lines after them that are headings, not cells."""
    blocks: list[str] = []
    pending: list[SrcLine] = []
    while (ln := reader.peek()) is not None:
        if not pending and (_RESULT_RE.match(ln.text) or level_of(ln.text) in (SECTION, SUBTOPIC)):
            break
        reader.i += 1
        if ln.blank:
            continue
        pending.append(ln)
        if ln.trail:
            text = join_lines([p.text for p in pending])
            while text.startswith("— ") and len(text) > 2:
                blocks.append("—")
                text = text[2:]
            blocks.append(text)
            pending = []
    if pending:
        blocks.append(join_lines([p.text for p in pending]))
    return blocks, reader.lines[reader.i :]


@dataclass
class _Text:
    """The passage text being written, with the offsets of what is written into it."""

    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> tuple[int, int]:
        start = sum(len(x) + 1 for x in self.lines)
        self.lines.append(line)
        return start, start + len(line)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _row_rank(label: str, kind: RowKind) -> float:
    if _LETTER_RE.match(label):
        return 1
    if _NUMBERED_RE.match(label):
        return 3
    return 1.5 if kind == "section" else 2


def _units(unit: str | None, section_label: str | None) -> str | None:
    """`千美元/员额数目` names one unit per block of rows: the posts block's label says `员额`."""
    if unit is None or "/" not in unit:
        return unit
    first, second = unit.split("/", 1)
    stem = second.removesuffix("数目")
    return second if section_label and stem and stem in section_label else first


class BuiltTable(NamedTuple):
    text: str
    table: Table
    header_lines: list[str]  # source lines of the header blocks, which the text names in its own head lines


def build_table(table_id: str, raw_lines: list[str]) -> BuiltTable:
    """The passage text and grid of the table whose body (after its `表 N.M` line) is `raw_lines`."""
    src = [SrcLine.of(r) for r in raw_lines]
    reader = _Reader(table_id, src)
    try:
        text, table = _build(reader)
        if not table.aligned:
            log.warning("table %s not aligned, kept as paragraphs: %s", table_id, table.reason)
        return BuiltTable(text, table, reader.consumed)
    except Unaligned as exc:
        log.warning("table %s not aligned, kept as row text: %s", table_id, exc)
        text, table = _fallback(table_id, src, str(exc))
        return BuiltTable(text, table, [])


def _fallback(table_id: str, src: list[SrcLine], reason: str) -> tuple[str, Table]:
    from .clean import Line

    rows_text = table_rows([Line(k, ln.text) for k, ln in enumerate(src) if not ln.blank])
    out = _Text()
    caption = rows_text[0] if rows_text else ""
    rows: list[Row] = []
    for k, line in enumerate(rows_text):
        start, end = out.add(line)
        if k:
            rows.append(
                Row(
                    id=f"{table_id}/r{k}",
                    index=k,
                    label=line,
                    level=1,
                    parent=None,
                    part=None,
                    start=start,
                    end=end,
                    kind="text",
                )
            )
    unit = next((m[1] for ln in src[1:3] if (m := _UNIT_RE.match(ln.text))), None)
    return out.text, Table(
        id=table_id, caption=caption, unit=unit, columns=[], rows=rows, aligned=False, reason=reason
    )


def _build(reader: _Reader) -> tuple[str, Table]:
    table_id = reader.id
    out = _Text()
    first = reader.peek()
    if first is None:
        raise Unaligned("empty table")
    caption = first.text
    out.add(caption)
    reader.i += 1
    unit: str | None = None
    if (ln := reader.peek()) and (m := _UNIT_RE.match(ln.text)):
        unit = m[1]
        out.add(ln.text)
        reader.i += 1
    parts: list[_Part] = []
    tail: list[SrcLine] = []
    announced = bool((ln := reader.peek()) and _PART_RE.match(ln.text))
    while reader.peek() is not None:
        name = None
        if announced and (ln := reader.peek()) and _PART_RE.match(ln.text):
            name = ln.text
            reader.i += 1
        part = reader.header(name)
        parts.append(part)
        if part.stub is None:
            blocks, tail = _text_blocks(reader)
            if len(part.heads) != part.layout:
                raise Unaligned(f"{len(part.heads)} column heads for {part.layout} layout columns")
            if len(blocks) == len(part.heads):
                part.rows.append(("", blocks, "data"))
            else:
                # The years are known, and each paragraph is whole; which year a paragraph belongs to is not.
                part.reason = (
                    f"{len(blocks)} text blocks for {len(part.heads)} columns: a cell holds several "
                    f"paragraphs, and the extraction does not say where a column ends"
                )
                part.rows.extend((block, [], "text") for block in blocks)
            break
        tail = _grid_rows(reader, part, announced)
        if tail:
            break
    return _write(table_id, caption, unit, parts, tail, out)


def _kept_columns(part: _Part, n_layout: int) -> list[int]:
    """The layout columns that hold cells (the others are the header grid's), checked against the heads."""
    data = [cells for _, cells, kind in part.rows if kind == "data"]
    if not data:
        raise Unaligned(f"no row of part {part.name or '(only)'} has figures")
    widths = {len(c) for c in data}
    if widths != {n_layout}:
        bad = next(label for label, c, k in part.rows if k == "data" and len(c) != n_layout)
        raise Unaligned(f"row {bad!r} has {sorted(widths)} cells where the layout has {n_layout}")
    keep = [j for j in range(n_layout) if any(c[j] for c in data)]
    if len(keep) != len(part.heads):
        raise Unaligned(
            f"{len(keep)} filled columns for {len(part.heads)} column heads {[h.path for h in part.heads]}"
        )
    return keep


def _write(
    table_id: str, caption: str, unit: str | None, parts: list[_Part], tail: list[SrcLine], out: _Text
) -> tuple[str, Table]:
    columns: list[Column] = []
    rows: list[Row] = []
    for part in parts:
        labelled = part.stub is not None
        n_layout = part.layout - (1 if labelled else 0)
        keep = [] if part.reason else _kept_columns(part, n_layout)
        base = len(columns)
        for k, h in enumerate(part.heads):
            path = ([part.name] if part.name else []) + h.path
            columns.append(
                Column(index=base + k + 1, path=path, part=part.name, year=h.year, qualifier=h.qualifier)
            )
        if part.name:
            out.add(part.name)
        head_line = (
            CELL_SEP.join([part.stub or ""] + [" ".join(h.path) for h in part.heads])
            if labelled
            else CELL_SEP.join(" ".join(h.path) for h in part.heads)
        )
        out.add(head_line)
        _write_rows(table_id, part, keep, base, columns, rows, unit, out)
    after = [ln.text for ln in tail if not ln.blank]
    note = join_lines(after) if after and _NOTE_RE.match(after[0]) else None
    # Lines after the grid that are no note are headings the extraction printed inside the block: kept as read.
    for line in [note] if note else after:
        out.add(line)
    _total_across_parts(table_id, parts, columns, rows)
    reason = next((p.reason for p in parts if p.reason), None)
    return out.text, Table(
        id=table_id,
        caption=caption,
        unit=unit,
        columns=columns,
        rows=rows,
        aligned=reason is None,
        note=note,
        stub=parts[0].stub,
        reason=reason,
    )


def _write_rows(
    table_id: str,
    part: _Part,
    keep: list[int],
    base: int,
    columns: list[Column],
    rows: list[Row],
    unit: str | None,
    out: _Text,
) -> None:
    stack: list[tuple[float, Row]] = []
    first = len(rows)
    section_label: str | None = None
    row_unit: str | None = None
    for label, cells, kind in part.rows:
        index = len(rows) + 1
        rid = f"{table_id}/r{index}"
        parent, level = _place(rid, label, kind, stack, rows)
        if kind == "section" and not _LETTER_RE.match(label):
            section_label = label
        if (m := _ROW_UNIT_RE.search(label)) and not _NUMBERED_RE.match(label):
            row_unit = m[1]
        elif _LETTER_RE.match(label):
            row_unit = None
        if kind != "data":
            start, end = out.add(label)
            rows.append(
                Row(
                    id=rid,
                    index=index,
                    label=label,
                    level=level,
                    parent=parent,
                    part=part.name,
                    start=start,
                    end=end,
                    kind=kind,
                    cols=_possible_cols(part, len(rows) - first, base),
                )
            )
            continue
        kept = [cells[j] for j in keep]
        pieces = ([label] if part.stub is not None else []) + kept
        line = CELL_SEP.join(pieces)
        start, end = out.add(line)
        row = Row(
            id=rid,
            index=index,
            label=label,
            level=level,
            parent=parent,
            part=part.name,
            start=start,
            end=end,
            unit=row_unit or _units(unit, section_label),
        )
        pos = start + (len(label) + len(CELL_SEP) if part.stub is not None else 0)
        for k, raw in enumerate(kept):
            col = columns[base + k]
            cell_unit = "%" if col.path[-1] == _PERCENT or unit == _PERCENT else row.unit
            value = parse_value(raw) if FIGURE_RE.fullmatch(raw) else None
            row.cells.append(
                Cell(
                    id=f"{rid}/c{col.index}",
                    row=index,
                    col=col.index,
                    raw=raw,
                    value=value,
                    unit=cell_unit if raw else None,
                    start=pos,
                    end=pos + len(raw),
                )
            )
            pos += len(raw) + len(CELL_SEP)
        rows.append(row)


def _total_across_parts(table_id: str, parts: list[_Part], columns: list[Column], rows: list[Row]) -> None:
    """The last part's `共计` row, when it adds up the parts (its last figure is the sum of the last figures of
    each part's own total, `小计(1)`, `小计(2)`), becomes a part of its own, with columns of its own under the
    heads it is printed under."""
    named = {p.name: m[1] for p in parts if p.name and (m := _PART_RE.match(p.name))}
    if len(parts) < 2 or len(named) != len(parts):
        return
    last = list(named)[-1]

    def last_figure(row: Row) -> float | None:
        return next((c.value for c in reversed(row.cells) if c.raw), None)

    for row in rows:
        if row.part != last or row.kind != "data" or not _TOTAL_RE.match(row.label):
            continue
        subtotals = [
            last_figure(r)
            for name, number in named.items()
            for r in rows
            if r.part == name and r.label.replace(" ", "") == f"小计{number}"
        ]
        total = last_figure(row)
        if (
            len(subtotals) != len(named)
            or total is None
            or None in subtotals
            or abs(sum(v or 0.0 for v in subtotals) - total) > 0.1 * len(named)
        ):
            log.debug(
                "table %s: %r does not add up its parts' totals; kept in part %s", table_id, row.label, last
            )
            continue
        part = total_part(list(named.values()), row.label)
        under = {c.index: c for c in columns if c.part == last}
        for cell in row.cells:
            head = under[cell.col]
            col = Column(
                index=len(columns) + 1,
                path=[part, *head.path[1:]],
                part=part,
                year=head.year,
                qualifier=head.qualifier,
            )
            columns.append(col)
            cell.col, cell.id = col.index, f"{row.id}/c{col.index}"
        row.part = part


def _possible_cols(part: _Part, k: int, base: int) -> list[int]:
    """The columns the k-th paragraph (0-based) of a label-less part may sit under, when there are more
    paragraphs than columns. They run in column order, each column holds at least one, and a `—` is a whole
    (empty) cell: every split of the paragraphs into runs that keeps to that is tried (there are few)."""
    if not part.reason or part.stub is not None:
        return []
    blocks = [label for label, _, _ in part.rows]
    n = len(part.heads)
    seen: set[int] = set()
    for cuts in combinations(range(1, len(blocks)), n - 1):
        bounds = [0, *cuts, len(blocks)]
        runs = [blocks[bounds[j] : bounds[j + 1]] for j in range(n)]
        if any(len(run) > 1 and "—" in run for run in runs):
            continue
        seen.add(next(j for j in range(n) if bounds[j] <= k < bounds[j + 1]))
    return [base + j + 1 for j in sorted(seen)]


def _place(
    rid: str, label: str, kind: RowKind, stack: list[tuple[float, Row]], rows: list[Row]
) -> tuple[str | None, int]:
    """The parent row id and level (1 = top) of a row, from the template's label forms."""
    if _TOTAL_RE.match(label) or ((m := _SUBTOTAL_RE.match(label)) and m[1] and m[1].isdigit()):
        return None, 1
    if (m := _SUBTOTAL_RE.match(label)) is not None:
        target = next((r for r in reversed(rows) if m[1] and r.label.startswith(f"{m[1]}.")), None) or next(
            (r for _, r in reversed(stack) if r.kind == "section"), None
        )
        return (target.id, target.level + 1) if target else (None, 1)
    rank = _row_rank(label, kind)
    while stack and stack[-1][0] >= rank:
        stack.pop()
    parent = stack[-1][1] if stack else None
    level = parent.level + 1 if parent else 1
    # What later rows need of this one (id, level, kind) is known now; its offsets come when it is written.
    stack.append(
        (
            rank,
            Row(
                id=rid,
                index=len(rows) + 1,
                label=label,
                level=level,
                parent=None,
                part=None,
                start=0,
                end=0,
                kind=kind,
            ),
        )
    )
    return (parent.id if parent else None), level
