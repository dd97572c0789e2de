"""A table passage as the API shows it: its grid, the row or cell an id names, and CSV for drafters."""

from __future__ import annotations

import csv
import io

from corpus.ids import TableRef
from corpus.model import Passage
from corpus.table_model import Table

from .schemas import FocusOut, TableOut


class NotAligned(LookupError):
    """The table's grid could not be recovered, so it has no columns to export."""


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
        id=cell.id if cell else row.id, kind="cell" if cell else "row", part=row.part, row=row.index,
        row_label=row.label, col=cell.col if cell else None, column_path=column.path if column else None,
        raw=cell.raw if cell else None, value=cell.value if cell else None, unit=cell.unit if cell else row.unit,
        quote=p.text[row.start:row.end], start=row.start, end=row.end,
        cell_start=cell.start if cell else None, cell_end=cell.end if cell else None,
    )


def _part_focus(p: Passage, table: Table, part: int) -> FocusOut | None:
    name = next((c.part for c in table.columns if c.part and c.part.startswith(f"({part})")), None)
    if name is None or (start := p.text.find(name)) < 0:
        return None
    return FocusOut(id=table.id, kind="part", part=name, row=None, row_label=None, col=None, column_path=None,
                    raw=None, value=None, unit=None, quote=name, start=start, end=start + len(name),
                    cell_start=None, cell_end=None)


def table_csv(table: Table) -> str:
    """Header rows from the column paths (one row per level, the part first), then one row per table row."""
    if not table.aligned:
        raise NotAligned(f"{table.id} could not be put into a grid ({table.reason}); its text is at "
                         f"/passages/{table.id}")
    depth = max((len(c.path) for c in table.columns), default=1)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for level in range(depth):
        head = ["" if level < depth - 1 else table.stub or ""]
        head += [c.path[level] if level < len(c.path) else "" for c in table.columns]
        writer.writerow(head)
    for row in table.rows:
        by_col = {c.col: c.raw for c in row.cells}
        writer.writerow([row.label] + [by_col.get(c.index, "") for c in table.columns])
    # A byte-order mark, so that Excel reads the file as UTF-8 and shows the hanzi.
    return "\ufeff" + out.getvalue()
