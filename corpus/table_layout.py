"""The layout a table keeps in the extracted text, and the rules that read it (they hold for every table of the
programme-budget template):

* Each cell is written followed by one space; an empty cell is written as nothing, so it shows as an extra
  space: `专业及以上职类  40 — 1 …` has an empty cell after the label, `A. 协助…机构     ` is a label over empty
  cells. A line of spaces alone ends the header block, one space per layout column; when it is missing its
  spaces lead the first data line instead.
* A line that does not end with a space is wrapped: the cell (or label) goes on on the next line.
* The column heads, in reading order: a year (`2022 年`) takes the word after it (`计划`, `支出`, `批款`), a head
  ending in `/` goes on with the next word, a parenthesis (`(重计费用前)`) completes the head before it. A group
  head printed indented above them (`变动`) spans the run of columns that carry no year of their own.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from .clean import join_lines
from .tables import FIGURE_RE

log = logging.getLogger(__name__)

_YEAR_RE = re.compile(r"(\d{4})(?:\s*(年)([^\s(]*))?(?:\s*\(([^)]*)\))?")
_TOKEN_RE = re.compile(rf"{_YEAR_RE.pattern}|\([^)]*\)|\S+")


@dataclass
class SrcLine:
    """A source line with its spacing kept: the spaces are the layout."""

    text: str
    lead: int
    trail: int

    @classmethod
    def of(cls, raw: str) -> SrcLine:
        body = raw.rstrip(" ")
        return cls(body.strip(), len(raw) - len(raw.lstrip(" ")), len(raw) - len(body))

    @property
    def blank(self) -> bool:
        return not self.text

    @property
    def body(self) -> str:
        """The text with its trailing spaces (cell separators), without the indentation."""
        return self.text + " " * self.trail


class Unaligned(ValueError):
    """The block cannot be put into a grid; the message says why."""


@dataclass
class Head:
    """A column head being assembled from header tokens."""

    path: list[str]
    year: int | None = None
    qualifier: str | None = None  # what the year's figure is: 计划, 实际, 支出, 批款, 核定, 拟议, 估计
    waiting: bool = False  # a bare year waiting for its qualifier


def read_heads(lines: list[SrcLine]) -> list[Head]:
    heads: list[Head] = []
    for line in lines:
        for m in _TOKEN_RE.finditer(line.text):
            token = m.group(0)
            if m.group(1):  # a year
                year = m.group(1) + (f" {m.group(2)}{m.group(3) or ''}" if m.group(2) else "")
                qual = m.group(4)
                heads.append(
                    Head(
                        [year] + ([qual] if qual else []),
                        year=int(m.group(1)),
                        qualifier=qual or m.group(3) or None,
                        waiting=not qual and not m.group(3),
                    )
                )
            elif token.startswith("(") and heads:
                heads[-1].path[-1] += token
            elif heads and heads[-1].waiting:
                heads[-1].path.append(token)
                heads[-1].qualifier = token
                heads[-1].waiting = False
            elif heads and heads[-1].path[-1].endswith("/"):
                heads[-1].path[-1] += token
            else:
                heads.append(Head([token]))
    return heads


def group_heads(heads: list[Head], band: list[str]) -> None:
    """Put each group head of the band over its run of year-less columns."""
    runs: list[list[Head]] = []
    for i, h in enumerate(heads):
        if h.year is not None or i == 0:
            continue
        if runs and runs[-1][-1] is heads[i - 1]:
            runs[-1].append(h)
        elif heads[i - 1].year is not None:
            runs.append([h])
    if len(runs) != len(band):
        raise Unaligned(f"group heads {band} do not match the {len(runs)} runs of year-less columns")
    for name, run in zip(band, runs, strict=True):
        for h in run:
            h.path.insert(0, name)


def split_row(s: str) -> tuple[str, list[str]]:
    """A row string (cells joined by single spaces, the terminator removed) → label and trailing cells."""
    cells: list[str] = []
    rest = s
    while rest:
        if rest.endswith(" "):
            cells.insert(0, "")
            rest = rest[:-1]
            continue
        m = FIGURE_RE.search(rest)
        if not m:
            break
        cells.insert(0, m.group(1))
        rest = rest[: m.start(1)]
        rest = rest[:-1] if rest.endswith(" ") else rest
    return rest, cells


def squeeze(cells: list[str], width: int) -> list[str]:
    """A figure too wide for its column is printed with a second space before it (`1 492.5  1 428.2`): an
    empty cell between two figures, in a row with more cells than the layout, is that space."""
    cells = list(cells)
    j = len(cells) - 2
    while len(cells) > width and j > 0:
        if not cells[j] and cells[j - 1] and cells[j + 1]:
            log.info("dropped a doubled space between %r and %r", cells[j - 1], cells[j + 1])
            del cells[j]
        j -= 1
    return cells


def combine(lines: list[SrcLine]) -> str:
    """Lines of one row as one string: wrapped lines joined as prose, separators kept."""
    acc = ""
    for line in lines:
        if not acc or acc.endswith(" "):
            acc += line.body
        else:
            acc = join_lines([acc, line.text]) + " " * line.trail
    return acc


def figures_only(line: SrcLine) -> bool:
    label, cells = split_row(line.text)
    return not label and bool(cells)
