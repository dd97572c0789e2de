"""A passage as the API shows it (`GET /passages/{id}`, and `citeqa show --json`): a table's grid, the part, row or
cell an id names, and CSV for drafters."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from corpus.ids import TableRef, parse_table_ref
from corpus.model import Passage
from corpus.table_model import Cell, Table
from corpus.tables import FIGURE_RE
from index.query import UnknownId

from .schemas import FocusOut, PassageOut, SymbolLink, TableOut, TablePassageOut


class NotAligned(LookupError):
    """The table's grid could not be recovered, so it has no columns to export."""


class UnknownPart(UnknownId):
    """A part number the table does not have (`表4.24 (3)`): a 404 naming the parts it has, as `nearest`."""

    def __init__(self, table: Table, part: int, parts: list[str]) -> None:
        super().__init__(f"{table.id} ({part})", [f"{table.id} {name.split()[0]}" for name in parts])
        has = f"its parts are {'; '.join(parts)}" if parts else f"it has no parts: cite it as {table.id}"
        self.args = (f"{table.id} has no part ({part}); {has}",)


def passage_out(p: Passage) -> PassageOut:
    return PassageOut(
        id=p.id,
        doc=p.doc,
        kind=p.kind,
        text=p.text,
        heading=p.heading,
        parent=p.parent,
        children=p.children,
        symbols=[SymbolLink(symbol=s.symbol, url=s.url) for s in p.symbols],
    )


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


def passage_json(p: Passage, typed: str) -> dict[str, Any]:
    """The JSON body of `GET /passages/{typed}` (unset fields left out, as the route's response model does)."""
    return table_passage_out(p, typed).model_dump(mode="json", exclude_unset=True)


def table_out(table: Table) -> TableOut:
    return TableOut.model_validate(table.to_dict())


def focus_out(p: Passage, ref: TableRef) -> FocusOut | None:
    """What a part, row or cell id names in its table; None for the bare table id."""
    table = p.table
    if table is None:
        return None
    if ref.row is None:
        if ref.part is None:
            return None
        return _part_focus(p, table, ref.part)
    found = table.find(ref.row, ref.col)
    if found is None:
        return None
    row, cell = found
    column = table.column(cell.col) if cell else None
    return FocusOut(
        id=cell.id if cell else row.id,
        kind="cell" if cell else "row",
        part=row.part,
        row=row.index,
        row_label=row.label,
        col=cell.col if cell else None,
        column_path=column.path if column else None,
        raw=cell.raw if cell else None,
        value=cell.value if cell else None,
        unit=cell.unit if cell else row.unit,
        quote=p.text[row.start : row.end],
        start=row.start,
        end=row.end,
        cell_start=cell.start if cell else None,
        cell_end=cell.end if cell else None,
    )


def _part_focus(p: Passage, table: Table, part: int) -> FocusOut | None:
    """The part `part` of the table; UnknownPart when the table has no such part (or no parts)."""
    name = next((c.part for c in table.columns if c.part and re.match(rf"\({part}\)\s", c.part)), None)
    if name is None:
        raise UnknownPart(table, part, list(dict.fromkeys(c.part for c in table.columns if c.part)))
    if (start := p.text.find(name)) < 0:
        return None
    return FocusOut(
        id=table.id,
        kind="part",
        part=name,
        row=None,
        row_label=None,
        col=None,
        column_path=None,
        raw=None,
        value=None,
        unit=None,
        quote=name,
        start=start,
        end=start + len(name),
        cell_start=None,
        cell_end=None,
    )


def _number(raw: str, value: float) -> str:
    """A figure as a spreadsheet reads it, to the decimals printed: `2 630.4` → `2630.4`, `(278.2)` → `-278.2`."""
    decimals = len(raw.split(".", 1)[1].rstrip(")%")) if "." in raw else 0
    return f"{value:.{decimals}f}"


def _csv_cell(cell: Cell | None, printed: bool) -> str:
    if cell is None or printed:
        return cell.raw if cell else ""
    if cell.value is not None:
        return _number(cell.raw, cell.value)
    # `—` is no figure (empty); a performance table's paragraph is text, kept as it is.
    return "" if FIGURE_RE.fullmatch(cell.raw) else cell.raw


def csv_columns(table: Table) -> list[tuple[str, list[int]]]:
    """The CSV's value columns: each column's path without its part (`Column.label`), in order of first
    appearance; the columns of several parts with one label share a CSV column, so the parts stack (two columns
    of one part never do: the second is `label (2)`)."""
    out: dict[str, list[int]] = {}
    parts: dict[str, set[str | None]] = {}
    for c in table.columns:
        name, k = c.label, 1
        while c.part in parts.get(name, set()):
            k += 1
            name = f"{c.label} ({k})"
        out.setdefault(name, []).append(c.index)
        parts.setdefault(name, set()).add(c.part)
    return list(out.items())


def table_csv(table: Table, printed: bool = False) -> str:
    """One header row, then one row per data row: `part` (a table in parts only), the row label (headed by the
    table's stub), `unit` (the row's), then a column per distinct column label. Values are numbers (`2630.4`,
    `-278.2`; empty for `—`); `printed` writes every cell as printed instead, and keeps the section rows."""
    if not table.aligned:
        raise NotAligned(
            f"{table.id} could not be put into a grid ({table.reason}); its text is at /passages/{table.id}"
        )
    parts = any(c.part for c in table.columns)
    columns = csv_columns(table)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        (["part"] if parts else []) + [table.stub or "label", "unit"] + [label for label, _ in columns]
    )
    for row in table.rows:
        if row.kind != "data" and not (printed and row.kind == "section"):
            continue
        by_col = {c.col: c for c in row.cells}
        values = [
            _csv_cell(next((by_col[i] for i in cols if i in by_col), None), printed) for _, cols in columns
        ]
        writer.writerow(([row.part or ""] if parts else []) + [row.label, row.unit or ""] + values)
    # A byte-order mark, so that Excel reads the file as UTF-8 and shows the hanzi.
    return "\ufeff" + out.getvalue()
