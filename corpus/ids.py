"""The id grammar of docs/DESIGN.md §1: every form a user may type, turned into the canonical id."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

CIRCLED = "㈠㈡㈢㈣㈤㈥㈦㈧㈨㈩"
HANZI_NUMERALS = "一二三四五六七八九十"
ROMAN = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"]
ANNEX_NUMERALS = {
    "1": "一",
    "2": "二",
    "3": "三",
    "4": "四",
    "5": "五",
    "i": "一",
    "ii": "二",
    "iii": "三",
    "iv": "四",
    "v": "五",
}

FOREWORD = "前言"


class InvalidId(ValueError):
    """The text is not a passage id in any accepted form."""


def hanzi_number(n: int) -> str:
    """1..99 as the document writes figure numbers (一, 十, 十四, 二十一)."""
    if not 1 <= n <= 99:
        raise ValueError(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else HANZI_NUMERALS[tens - 1] + "十")
    return head + (HANZI_NUMERALS[ones - 1] if ones else "")


def _sub_item(token: str) -> str:
    """`㈠`, `(一)`, `(i)`, `(1)` → `㈠`."""
    token = token.strip("()")
    if token in CIRCLED:
        return token
    if token in HANZI_NUMERALS:
        return CIRCLED[HANZI_NUMERALS.index(token)]
    if token.lower() in ROMAN:
        return CIRCLED[ROMAN.index(token.lower())]
    if token.isdigit() and 1 <= int(token) <= 10:
        return CIRCLED[int(token) - 1]
    raise InvalidId(f"({token}) is not a sub-item; use ㈠…㈩, (一)…(十), (i)…(x) or (1)…(10)")


def _normalise(text: str) -> str:
    # NFKC folds full-width brackets, digits and letters; it would also turn ㈠ into "(一)", which _sub_item accepts.
    text = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"\s+", "", text)


_PARA = r"(?P<sec>\d+)\.(?P<num>\d+)"
_ITEM = r"(?:\((?P<item>[a-z])\)|(?P<bare>[a-z]))"
_SUB = r"(?P<sub>\((?:[一二三四五六七八九十]|[ivx]+|\d{1,2})\))"
_PARA_RE = re.compile(rf"^(?:第|para(?:graph)?s?\.?|§)?{_PARA}(?:{_ITEM})?{_SUB}?(?:段|段落)?$")
# A table, one of its parts as the document writes it (`表 4.24 (1)`), a row (`表4.6/r1`) or a cell (`表4.6/r1/c2`).
_TABLE_RE = re.compile(
    r"^(?:表|table|tab\.?)(?P<sec>\d+)\.(?P<num>\d+)(?:\((?P<part>\d+)\))?"
    r"(?:/?(?:r|row)(?P<row>\d+)(?:/?(?:c|col)(?P<col>\d+))?)?$"
)
_FIGURE_RE = re.compile(
    r"^(?:图|figure|fig\.?)(?P<sec>\d+)\.(?P<num>[一二三四五六七八九十]+|\d{1,2}|[ivxl]+)$"
)
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50}


def roman_number(text: str) -> int:
    """`vii` → 7, `xiv` → 14 (figures are numbered in hanzi in Chinese, in roman numerals in English)."""
    total = 0
    values = [_ROMAN_VALUES[c] for c in text.lower()]
    for k, v in enumerate(values):
        total += -v if k + 1 < len(values) and values[k + 1] > v else v
    return total


@dataclass(frozen=True)
class TableRef:
    """What a table id names: the table passage, and within it a part, a row or a cell (1-based)."""

    table: str
    part: int | None = None
    row: int | None = None
    col: int | None = None

    @property
    def id(self) -> str:
        """The canonical id: `表4.6`, `表4.6/r1`, `表4.6/r1/c2` (a part is no id of its own: `表4.24`)."""
        out = self.table
        if self.row is not None:
            out += f"/r{self.row}"
            if self.col is not None:
                out += f"/c{self.col}"
        return out


def parse_table_ref(text: str) -> TableRef | None:
    """`表 4.24 (1)`, `table 4.6/r1/c2`, `表4.6 / r1` (after a document symbol too: `A/78/6 (Sect. 4)，表 4.24 (2)`)
    → what they name; None for any other text."""
    ref = _table_ref(text)
    if ref is None and (split := split_doc(text)):
        ref = _table_ref(split[1])
    return ref


def _table_ref(text: str) -> TableRef | None:
    m = _TABLE_RE.match(_normalise(text))
    if not m:
        return None

    def num(group: str) -> int | None:
        return int(m[group]) if m[group] else None

    return TableRef(f"表{int(m['sec'])}.{int(m['num'])}", num("part"), num("row"), num("col"))


_ANNEX_RE = re.compile(r"^(?:附件|annex)(?P<num>[一二三四五]|[1-5]|iv|v|i{1,3})$")


# A copy-ready citation names its document first: `A/78/6 (Sect. 4)，第 4.88 (b) ㈠ 段`, `A/78/6 (Sect. 4), para.
# 4.88 (b) (i)`. A symbol is letters and digits in `/`-separated parts, perhaps with a parenthesis (`(Sect. 4)`).
_DOC_PREFIX_RE = re.compile(
    r"^\s*(?P<doc>[a-z][a-z0-9.\-]*(?:/[a-z0-9.\-]+)+(?:\s*\([^()]*\))?)\s*,?\s*(?P<rest>\S.*)$", re.I | re.S
)


def doc_key(symbol: str) -> str:
    """A document symbol compared the way people type it: `A/78/6 (Sect. 4)` == `a/78/6(sect.4)`."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", symbol)).casefold()


def split_doc(text: str) -> tuple[str, str] | None:
    """`A/78/6 (Sect. 4)，第 4.88 段` → (`A/78/6 (Sect. 4)`, `第 4.88 段`); None when no symbol leads the text."""
    m = _DOC_PREFIX_RE.match(unicodedata.normalize("NFKC", text))
    return (m["doc"], m["rest"]) if m else None


def parse_citation(text: str) -> tuple[str | None, str]:
    """Any accepted id form, perhaps after its document's symbol as the copy-ready citations write it →
    (the symbol or None, the canonical id); InvalidId saying what is accepted otherwise."""
    try:
        return None, _parse_bare(text)
    except InvalidId as exc:
        split = split_doc(text)
        if split is None:
            raise
        try:
            return split[0], _parse_bare(split[1])
        except InvalidId:
            raise exc from None


def parse_id(text: str) -> str:
    """Return the canonical id for any accepted form, or raise InvalidId saying what is accepted. A document
    symbol before it (`A/78/6 (Sect. 4)，第 4.88 段`, as `cite_zh` / `cite_en` write it) is accepted and dropped;
    `parse_citation` returns it too."""
    return parse_citation(text)[1]


def _parse_bare(text: str) -> str:
    norm = _normalise(text)
    if norm in {"前言", "foreword", "preface"}:
        return FOREWORD
    if m := _PARA_RE.match(norm):
        canonical = f"{int(m['sec'])}.{int(m['num'])}"
        letter = m["item"] or m["bare"]
        if letter:
            canonical += f"({letter})"
        if m["sub"]:
            try:
                canonical += _sub_item(m["sub"])
            except InvalidId as exc:
                raise InvalidId(f"{text!r}: {exc}") from exc
        return canonical
    if ref := _table_ref(norm):
        return ref.id
    if m := _FIGURE_RE.match(norm):
        num = m["num"]
        value = int(num) if num.isdigit() else roman_number(num) if num[0] in _ROMAN_VALUES else None
        if value is not None and not 1 <= value <= 99:
            raise InvalidId(f"{text!r}: figures are numbered 一 to 九十九 (1 to 99, I to XCIX)")
        return f"图{int(m['sec'])}.{hanzi_number(value) if value is not None else num}"
    if m := _ANNEX_RE.match(norm):
        return f"附件{ANNEX_NUMERALS.get(m['num'], m['num'])}"
    raise InvalidId(
        f"{text!r} is not a passage id; use a form like 4.88, 4.88(b), 4.88(b)㈠, 表4.24, 表4.6/r1/c2 (a table's "
        f"row 1, column 2), 图4.七, 前言 or 附件一, perhaps after the document's symbol (A/78/6 (Sect. 4)，第 4.88 段)"
    )


def try_parse_id(text: str) -> str | None:
    try:
        return parse_id(text)
    except InvalidId:
        return None


def ancestors(canonical: str) -> list[str]:
    """`4.88(b)㈠` → [`4.88(b)`, `4.88`]; other ids have none."""
    m = re.match(r"^(\d+\.\d+)(\([a-z]\))?([㈠-㈩])?$", canonical)
    if not m:
        return []
    out = []
    if m[3]:
        out.append(m[1] + (m[2] or ""))
    if m[2]:
        out.append(m[1])
    return out


# Ids mentioned inside free text ("4.88 (b)㈠ 段说了什么", "what does table 4.24 say").
_MENTION_RE = re.compile(
    r"(?:第\s*)?(?<![\d.])\d+\s?\.\s?\d+(?![\d.])(?:\s?[(（][a-z][)）](?:\s?(?:[㈠-㈩]|[(（](?:[一二三四五六七八九十]|[ivx]+)[)）]))?)?"
    r"|(?:表|[Tt]able)\s?\d+\.\d+"
    r"|(?:图|[Ff]igure)\s?\d+\.(?:[一二三四五六七八九十]+|\d{1,2}(?![\d.])|[IVXL]+\b|[ivxl]+\b)"
    r"|附件[一二三四五]|[Aa]nnex\s+(?:IV|V|I{1,3}|[1-5])\b"
    r"|前言|[Ff]oreword",
)


def find_ids(text: str) -> list[str]:
    """Canonical ids mentioned in free text, in order, without repeats."""
    found: list[str] = []
    for m in _MENTION_RE.finditer(text):
        cid = try_parse_id(m.group(0))
        if cid and cid not in found:
            found.append(cid)
    return found
