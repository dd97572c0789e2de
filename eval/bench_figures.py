"""The benchmark's figures: samples summarised, compared with their targets, and printed as one table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from eval.metrics import median, p95


@dataclass(frozen=True)
class Stats:
    n: int
    median: float
    p95: float
    mean: float
    min: float
    max: float


def summarize(values: Sequence[float]) -> Stats | None:
    """Median (the figure to compare), p95, mean, min and max of some samples; None for no samples."""
    if not values:
        return None
    mean = sum(values) / len(values)
    return Stats(len(values), median(values), p95(values), mean, min(values), max(values))


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b <= 0 or math.isnan(a) or math.isnan(b):
        return None
    return a / b


@dataclass(frozen=True)
class Target:
    op: Literal["<=", ">=", "=="]
    bound: float
    text: str  # how the table shows it: "≤ 1.3×", "0 errors"

    def met(self, value: float) -> bool:
        if self.op == "<=":
            return value <= self.bound
        if self.op == ">=":
            return value >= self.bound
        return value == self.bound


@dataclass
class Figure:
    section: str
    name: str
    value: float | int | str | None
    unit: str = ""
    target: Target | None = None
    note: str = ""

    @property
    def status(self) -> str:
        if self.target is None:
            return "—"
        if not isinstance(self.value, int | float) or isinstance(self.value, bool) or math.isnan(self.value):
            return "NOT MEASURED"
        return "MET" if self.target.met(self.value) else "NOT MET"

    def shown(self) -> str:
        return format_value(self.value, self.unit)

    def to_dict(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, float):
            value = None if math.isnan(value) else round(value, 4)
        return {
            "section": self.section,
            "name": self.name,
            "value": value,
            "unit": self.unit,
            "target": self.target.text if self.target else None,
            "status": self.status,
            "note": self.note,
        }


def format_value(value: float | int | str | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, str):
        return value
    if unit == "×":
        return f"{value:.2f}×"
    if unit == "ms":
        return f"{value:.2f} ms" if abs(value) < 10 else f"{value:.1f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "GB":
        return f"{value:.3f} GB"
    if unit == "req/s" or unit == "emb/s":
        return f"{value:.1f} {unit}"
    if isinstance(value, int):
        return f"{value} {unit}".strip()
    return f"{value:.3g} {unit}".strip()


def format_table(figures: Sequence[Figure]) -> str:
    """A plain-text table: section, figure, value, target, status (and a note when there is one)."""
    header = ("section", "figure", "value", "target", "status")
    rows = [(f.section, f.name, f.shown(), f.target.text if f.target else "—", f.status) for f in figures]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    for f, row in zip(figures, rows, strict=True):
        out.append(line(row) + (f"  ({f.note})" if f.note else ""))
    met = sum(f.status == "MET" for f in figures)
    targeted = sum(f.target is not None for f in figures)
    out.append(f"{met} of {targeted} targets met")
    return "\n".join(out)


@dataclass
class Options:
    samples: int
    batch_reps: int
    duration: float
    clients: tuple[int, ...]
    endpoint: str
    skip_build: bool
    ready_timeout: float
    json_path: Path | None
    quick: bool
    cold_starts: int = 3
    cli_runs: int = 3
    sentence_transformers: bool = True  # also time the bare sentence-transformers engine (loads torch)


@dataclass
class Run:
    """Everything one run found: the figures, free-text notes and how long each section took."""

    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sections_s: dict[str, float] = field(default_factory=dict)
    load_average: dict[str, float] = field(default_factory=dict)  # the 1-minute load when each section began
    failed: list[str] = field(default_factory=list)

    def add(self, *figures: Figure) -> None:
        self.figures.extend(figures)
