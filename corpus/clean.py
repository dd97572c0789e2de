"""Page furniture and line wraps: what the PDF extraction adds that the document does not say."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Footers carry the page number and the job number, in either order: `43/55 23-05904`, `23-05904 20/55`.
_FOOTER_RE = re.compile(r"^(?:\d{1,3}/\d{1,3}\s+\d{2}-\d{5}|\d{2}-\d{5}\s+\d{1,3}/\d{1,3})$")
_LINK_RE = re.compile(r"^https?://\S+$")
# Running headers (`第 4 款  裁军`, `第二编  政治事务`) sit a few lines from the footer of the same page.
_HEADER_RE = re.compile(r"^第\s*\S+\s*(?:款|编)\s+\S{1,12}$")
_HEADER_REACH = 6


@dataclass(frozen=True)
class Line:
    """A line of the source that carries document text, with its 0-based line number in the raw file."""

    no: int
    raw: str

    @property
    def text(self) -> str:
        return self.raw.strip()

    @property
    def indent(self) -> int:
        return len(self.raw) - len(self.raw.lstrip(" "))


@dataclass(frozen=True)
class Cleaned:
    lines: list[Line]
    links: list[str]
    furniture: list[Line]


def clean(raw: str) -> Cleaned:
    """Drop blank lines, page headers/footers and link blocks; keep every other line with its number."""
    rows = raw.replace("\r\n", "\n").replace("\f", "\n").split("\n")
    footers = [no for no, row in enumerate(rows) if _FOOTER_RE.match(row.strip())]
    kept: list[Line] = []
    links: list[str] = []
    furniture: list[Line] = []
    for no, row in enumerate(rows):
        text = row.strip()
        if not text:
            continue
        if _LINK_RE.match(text):
            links.append(text)
        elif _FOOTER_RE.match(text) or (
            _HEADER_RE.match(text) and any(abs(no - f) <= _HEADER_REACH for f in footers)
        ):
            furniture.append(Line(no, row))
        else:
            kept.append(Line(no, row.rstrip()))
    return Cleaned(kept, links, furniture)


_CJK_PUNCT = re.compile(r"[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20《》“”‘’、，。；：？！]")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef\u2460-\u24ff\u3200-\u32ff《》“”‘’、—…]")


def join_lines(parts: list[str]) -> str:
    """Join wrapped lines so a sentence reads as one line: no space between hanzi, one beside Latin or digits."""
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if not out:
            out = part
            continue
        left, right = out[-1], part[0]
        # Chinese punctuation takes no space on either side ("、4.88", "（见"), hanzi none between them.
        if _CJK_PUNCT.match(left) or _CJK_PUNCT.match(right) or (_CJK.match(left) and _CJK.match(right)):
            out += part
        elif _CJK.match(left) and right in "(（" or left in "(（/-":
            out += part
        else:
            out += " " + part
    return out
