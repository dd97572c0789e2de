"""Copy-ready citations for drafters, and the link to the official document a passage is from.

Pure functions over canonical ids (corpus/ids.py) and document symbols: nothing here reads the index.
The forms follow UN editorial practice: "A/78/6 (Sect. 4)，第 4.88 (b) ㈠ 段" in Chinese,
"A/78/6 (Sect. 4), para. 4.88 (b) (i)" in English; a table is "表 4.24" / "table 4.24", and one of its parts
"表 4.24 (2)" / "table 4.24 (2)" (as the document cites them: "如表 4.24 (2)所示"). `corpus.ids.parse_id` reads
every form written here back to its passage.
"""

from __future__ import annotations

import re
from typing import Any

from corpus.ids import CIRCLED, HANZI_NUMERALS, ROMAN
from corpus.model import Passage

# The official documents system resolves a symbol written without spaces; `ch` is the Chinese edition,
# the one every quote is taken from.
ODS_BASE = "https://undocs.org"
ODS_LANGUAGE = "ch"
_ROMAN_UPPER = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
_PARA = re.compile(r"^(?P<para>\d+\.\d+)(?:\((?P<item>[a-z])\))?(?P<sub>[㈠-㈩])?$")


def source_url(symbol: str, language: str = ODS_LANGUAGE) -> str | None:
    """`A/78/6 (Sect. 4)` → `https://undocs.org/ch/A/78/6(Sect.4)`: the document on the official system."""
    compact = re.sub(r"\s+", "", symbol or "")
    if not re.fullmatch(r"[A-Z][A-Za-z0-9./()\-]*", compact) or "/" not in compact:
        return None
    return f"{ODS_BASE}/{language}/{compact}"


def _hanzi_value(numeral: str) -> int | None:
    """一 … 九十九 → 1 … 99 (figure numbers and annexes are written this way)."""
    if not numeral or any(c not in HANZI_NUMERALS for c in numeral):
        return None
    if "十" not in numeral:
        return HANZI_NUMERALS.index(numeral) + 1 if len(numeral) == 1 else None
    tens, _, ones = numeral.partition("十")
    value = (HANZI_NUMERALS.index(tens) + 1 if tens else 1) * 10
    return value + (HANZI_NUMERALS.index(ones) + 1 if ones else 0)


def _roman(n: int) -> str:
    """1 … 99 as upper-case Roman numerals (Figure 4.VII, annex I)."""
    tens = ["", "X", "XX", "XXX", "XL", "L", "LX", "LXX", "LXXX", "XC"]
    return tens[n // 10] + ([""] + _ROMAN_UPPER[:9])[n % 10]


def _part(pid: str, part: int | None) -> str:
    """` (2)` after a table's label when the citation names its part (`表 4.24 (2)`); nothing otherwise."""
    return f" ({part})" if part is not None and pid.startswith("表") else ""


def label_zh(pid: str, part: int | None = None) -> str:
    """`4.88(b)㈠` → `第 4.88 (b) ㈠ 段`; `表4.24` → `表 4.24` (part 2: `表 4.24 (2)`); `图4.七` → `图 4.七`; `前言`,
    `附件一` as they are."""
    if m := _PARA.match(pid):
        parts = [m["para"]] + ([f"({m['item']})"] if m["item"] else []) + ([m["sub"]] if m["sub"] else [])
        return f"第 {' '.join(parts)} 段"
    if m := re.match(r"^([表图])(\d+\..+)$", pid):
        return f"{m[1]} {m[2]}{_part(pid, part)}"
    return pid


def label_en(pid: str, part: int | None = None) -> str:
    """`4.88(b)㈠` → `para. 4.88 (b) (i)`; `表4.24` → `table 4.24` (part 2: `table 4.24 (2)`); `图4.七` →
    `figure 4.VII`; `附件一` → `annex I`."""
    if m := _PARA.match(pid):
        parts = [m["para"]] + ([f"({m['item']})"] if m["item"] else [])
        if m["sub"]:
            parts.append(f"({ROMAN[CIRCLED.index(m['sub'])]})")
        return f"para. {' '.join(parts)}"
    if m := re.match(r"^表(\d+\.\d+)$", pid):
        return f"table {m[1]}{_part(pid, part)}"
    if m := re.match(r"^图(\d+)\.(.+)$", pid):
        value = _hanzi_value(m[2])
        return f"figure {m[1]}.{_roman(value) if value else m[2]}"
    if m := re.match(r"^附件(.+)$", pid):
        value = _hanzi_value(m[1])
        return f"annex {_roman(value) if value else m[1]}"
    if pid == "前言":
        return "foreword"
    return pid


def prose_label(p: Passage, lang: str) -> str:
    """How an answer's sentence names a passage, with the citations' own labels: 第 4.86 段 / para. 4.86,
    表 4.24 / table 4.24, figure 4.IX, annex III, the foreword."""
    if lang == "zh":
        return label_zh(p.id)
    return "the foreword" if p.kind == "foreword" else label_en(p.id)


def cite_zh(doc: str, pid: str, part: int | None = None) -> str:
    """ "A/78/6 (Sect. 4)，第 4.88 (b) ㈠ 段": the Chinese full-width comma joins symbol and passage."""
    return f"{doc}，{label_zh(pid, part)}"


def cite_en(doc: str, pid: str, part: int | None = None) -> str:
    return f"{doc}, {label_en(pid, part)}"


def first_cited_link(passage: Passage) -> str | None:
    """What `Citation.url` has always held (deprecated): the link of the first document the passage cites."""
    return next((s.url for s in passage.symbols if s.url), None)


def citation_extras(passage: Passage) -> dict[str, Any]:
    """The fields of `schemas.Citation` a drafter copies or follows, for one passage."""
    return {
        "source_url": source_url(passage.doc),
        "cite_zh": cite_zh(passage.doc, passage.id),
        "cite_en": cite_en(passage.doc, passage.id),
        "label_zh": label_zh(passage.id),
        "label_en": label_en(passage.id),
        "symbols": [{"symbol": s.symbol, "url": s.url} for s in passage.symbols],
    }
