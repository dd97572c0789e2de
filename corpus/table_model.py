"""A table as data: columns named by their header path, rows with their label and place, cells with their value.

Every row and cell carries [start, end) offsets into the table passage's text, so a quote taken from them is a
verbatim substring of what is cited.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

RowKind = Literal["data", "section", "text"]
_ACROSS_PARTS = re.compile(r"^\(\d+\)(?:\+\(\d+\))+\s")


def total_part(numbers: list[str], label: str) -> str:
    """The part of a total across parts: their numbers joined by `+`, then the row's own label (`(1)+(2) 共计`)."""
    return f"{'+'.join(numbers)} {label}"


def across_parts(part: str | None) -> bool:
    """Whether a part (or a column path that starts with one) is a total across parts: `(1)+(2) 共计`."""
    return bool(part and _ACROSS_PARTS.match(part))


@dataclass
class Column:
    """`index` is 1-based and excludes the row-label column; `path` reads top-down through the header band:
    [`2022 年`, `实际`], [`变动`, `技术调整`], [`(1) 经常预算`, `2024 年估计(重计费用前)`]."""

    index: int
    path: list[str]
    part: str | None = None  # `(1) 经常预算`; `(1)+(2) 共计` for the total across parts (`total_part`)
    year: int | None = None  # the year a column's figures are for; None for the change columns (变动 …)
    qualifier: str | None = None  # what they are: 计划 (planned), 实际 (actual), 支出, 批款, 核定, 拟议, 估计

    @property
    def label(self) -> str:
        """The path without the part, as one phrase: `2022 年实际`, `变动 技术调整`, `2024 年估计(重计费用前)`."""
        own = self.path[1:] if self.part and self.path and self.path[0] == self.part else self.path
        return " ".join(own).replace("年 ", "年")


@dataclass
class Cell:
    id: str
    row: int
    col: int
    raw: str
    value: float | None
    unit: str | None
    start: int
    end: int


@dataclass
class Row:
    """`kind`: `data` (has cells), `section` (a label over the rows that follow: `A. …`, `C. 工作方案`) or `text`
    (a sentence spanning the table, as in the deliverable tables' parts C and D, or an unaligned table's line)."""

    id: str
    index: int
    label: str
    level: int
    parent: str | None
    part: str | None
    start: int
    end: int
    cells: list[Cell] = field(default_factory=list)
    kind: RowKind = "data"
    unit: str | None = None
    # For a paragraph of an unaligned performance table: the columns it may be under (one when certain).
    cols: list[int] = field(default_factory=list)


@dataclass
class Table:
    id: str
    caption: str
    unit: str | None
    columns: list[Column]
    rows: list[Row]
    aligned: bool
    note: str | None = None
    reason: str | None = None  # why an unaligned table could not be put in a grid
    stub: str | None = None  # the head of the row-label column (`类别和次类别`); None when rows have no label

    def row(self, index: int) -> Row | None:
        return self.rows[index - 1] if 1 <= index <= len(self.rows) else None

    def column(self, index: int) -> Column | None:
        return self.columns[index - 1] if 1 <= index <= len(self.columns) else None

    def find(self, row: int, col: int | None = None) -> tuple[Row, Cell | None] | None:
        """The row, and the cell of column `col` in it; None when the table has no such row or cell."""
        r = self.row(row)
        if r is None:
            return None
        if col is None:
            return r, None
        cell = next((c for c in r.cells if c.col == col), None)
        return (r, cell) if cell else None

    def nearest(self, row: int | None, col: int | None) -> list[str]:
        """Ids that do exist next to a row or cell id that does not: the table, the row, its last cell."""
        out = [self.id]
        r = self.row(min(row or 1, len(self.rows))) if self.rows else None
        if r is not None:
            out.append(r.id)
            if col is not None and r.cells:
                out.append(r.cells[-1].id)
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Table:
        fields = dict(data)
        fields["columns"] = [Column(**c) for c in data.get("columns", [])]
        rows = []
        for r in data.get("rows", []):
            rf = dict(r)
            rf["cells"] = [Cell(**c) for c in r.get("cells", [])]
            rows.append(Row(**rf))
        fields["rows"] = rows
        return cls(**fields)
