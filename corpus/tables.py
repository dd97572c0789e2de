"""Table text with its row structure kept: one row a line, cells separated by ` | `."""

from __future__ import annotations

import re

from .clean import Line

CELL_SEP = " | "
# A figure in these tables: thousands grouped by spaces only when there is a decimal part (amounts in
# thousands of dollars); bare integers (post counts, percentages) are never grouped, so `100 100 100` stays
# three cells. Negative amounts are printed in parentheses; `—` is an empty cell.
_CELL = r"\(?-?(?:\d{1,3}(?: \d{3})+\.\d+|\d+(?:\.\d+)?)\)?%?|—|–|-"
_TAIL_RE = re.compile(rf"(?:^|(?<=\s))({_CELL})\s*$")
_ROW_LABEL_RE = re.compile(r"^(?:[A-Z]\.|\d+\.|\(\d+\))\s")
# Text that stops mid-phrase: an ordinal or conjunction waiting for its object (`第`, `至`, `和`, `、`), or a
# date cut short (`3 月`, `2022 年`). A bare integer after it is the wrapped sentence going on, not a cell:
# `宣布 3 月 5` / `日为…`, `第 7 条和第 8` / `条第 9 款`.
_MID_PHRASE_RE = re.compile(r"(?:[第至和及与或、，,（(]|\d\s*[年月])$")
_BARE_INT_RE = re.compile(r"\d+")


def split_cells(text: str) -> tuple[str, list[str]]:
    """`3. 常规武器 1 392.0 1 156.7 —` → (`3. 常规武器`, [`1 392.0`, `1 156.7`, `—`])."""
    cells: list[str] = []
    rest = text.strip()
    while rest:
        m = _TAIL_RE.search(rest)
        if not m:
            break
        cells.insert(0, m.group(1))
        rest = rest[: m.start(1)].rstrip()
    if len(cells) == 1 and _BARE_INT_RE.fullmatch(cells[0]) and _MID_PHRASE_RE.search(rest):
        return text.strip(), []
    return rest, cells


def table_rows(lines: list[Line]) -> list[str]:
    """Rows of a table, with a label wrapped over lines joined to the figures that follow it."""
    rows: list[str] = []
    pending: list[str] = []
    for line in lines:
        label, cells = split_cells(line.text)
        if label and not cells:
            pending.append(label)
            continue
        if not label and pending:
            # Figures alone on a line belong to the label wrapped just above them.
            take = 2 if len(pending) >= 2 and _ROW_LABEL_RE.match(pending[-2]) else 1
            label = "".join(pending[-take:])
            pending = pending[:-take]
        rows.extend(pending)
        pending = []
        rows.append(CELL_SEP.join([label, *cells]) if label else CELL_SEP.join(cells))
    rows.extend(pending)
    return rows


# One figure of a grid row: `1 392.0`, `(278.2)`, `2.9`, `100`, or `—`/`-` (nothing). Same grammar as _CELL.
FIGURE_RE = re.compile(rf"(?:^|(?<= ))({_CELL})$")
_EMPTY = {"", "—", "–", "-"}


def parse_value(raw: str) -> float | None:
    """`1 392.0` → 1392.0, `(278.2)` → -278.2, `2.9` → 2.9, `—` → None; text → None."""
    text = raw.strip().rstrip("%")
    if text in _EMPTY:
        return None
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()").replace(" ", "")
    try:
        value = float(text)
    except ValueError:
        return None
    return -value if negative else value
