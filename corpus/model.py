"""The passage record: the unit that is retrieved, cited and shown."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from .table_model import Table

Kind = Literal["paragraph", "item", "table", "figure", "foreword", "annex"]


@dataclass(frozen=True)
class Symbol:
    """A document symbol a passage cites (`77/71`, `A/77/7`), with its link when the document gives one."""

    symbol: str
    url: str | None = None


@dataclass
class Passage:
    id: str
    doc: str
    kind: Kind
    text: str
    heading: list[str] = field(default_factory=list)
    parent: str | None = None
    children: list[str] = field(default_factory=list)
    symbols: list[Symbol] = field(default_factory=list)
    table: Table | None = None  # the grid of a table passage, with offsets into `text`

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        fields = dict(data)
        fields["symbols"] = [Symbol(**s) for s in data.get("symbols", [])]
        table = data.get("table")
        fields["table"] = Table.from_dict(table) if table else None
        return cls(**fields)
