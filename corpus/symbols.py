"""Document symbols a passage cites (`77/71`, `S-10/2`, `A/77/7`, `1325 (2000)`) and their undocs.org links."""

from __future__ import annotations

import re

from .model import Symbol

# Written as the document writes them in running text; the link's path differs (A/RES/77/71 → 77/71).
_SYMBOL_RE = re.compile(
    r"(?<![A-Za-z0-9/.-])(?:"
    r"A/CONF\.\d+/\d+(?:/Corr\.\d+)?"
    r"|NPT/CONF\.\d+/[A-Z.\d/]+\d"
    r"|A/(?:S-)?\d+/\d+(?:/(?:Corr|Add)\.\d+)?"
    r"|S-\d+/\d+"
    r"|\d{4}\s?\(\d{4}\)"
    r"|\d{2,4}/\d{1,3}"
    r")(?![A-Za-z0-9/])"
)


def normalise_symbol(text: str) -> str:
    """`1325(2000)` and `1325 (2000)` are one symbol; spaces are kept the way the document prints them."""
    text = text.strip()
    m = re.fullmatch(r"(\d{4})\s?\((\d{4})\)", text)
    return f"{m[1]} ({m[2]})" if m else text


def symbol_of_link(url: str) -> str | None:
    """`https://undocs.org/ch/A/RES/77/71` → `77/71`; `…/S/RES/1325(2000)` → `1325 (2000)`."""
    m = re.match(r"^https?://undocs\.org/(?:[a-z]{2}/)?(.+)$", url)
    if not m:
        return None
    path = m[1]
    for prefix in ("A/RES/", "S/RES/", "E/RES/"):
        if path.startswith(prefix):
            return normalise_symbol(path[len(prefix) :])
    return normalise_symbol(path)


def link_table(links: list[str]) -> dict[str, str]:
    """Symbol → first link the document gives for it, preferring the Chinese edition."""
    table: dict[str, str] = {}
    for url in sorted(links, key=lambda u: "/ch/" not in u):
        sym = symbol_of_link(url)
        if sym and sym not in table:
            table[sym] = url
    return table


def find_symbols(text: str, links: dict[str, str]) -> list[Symbol]:
    """Symbols cited in `text`, in order of first mention, each with its link when the document gives one.

    A bare `dd/dd` is only a symbol when the document links it: that keeps ratios and page numbers out.
    """
    found: dict[str, Symbol] = {}
    for m in _SYMBOL_RE.finditer(text):
        sym = normalise_symbol(m.group(0))
        bare = re.fullmatch(r"\d{2,4}/\d{1,3}", sym) is not None
        if sym in found or (bare and sym not in links):
            continue
        found[sym] = Symbol(sym, links.get(sym))
    return list(found.values())


# How a user names a resolution the document prints as a bare `77/71`: its full symbol (A/RES/77/71, S/RES/1325
# (2000)), or the words around it, as the document writes them in running text ("大会第 77/71 号决议") or as
# English does ("General Assembly resolution 77/71", "GA res. 77/71"); a decision (第 77/512 号决定) alike.
_RESOLUTION_PREFIX = re.compile(r"(?<![A-Za-z0-9/])[AES]/RES/(?=(?:S-)?\d)", re.I)
_BODY_EN = (
    r"(?:the\s+)?(?:(?:united\s+nations|un)\s+)?(?:general\s+assembly|security\s+council|"
    r"economic\s+and\s+social\s+council|unga|unsc|ga|sc|ecosoc)"
)
_KIND_EN = r"(?:resolutions?|res\.?|decisions?|dec\.?)(?:\s*no\.?)?"
_BODY_ZH = r"(?:联合国)?(?:大会|安全理事会|安理会|经济及社会理事会|经社理事会)"
_WRAPPED = re.compile(
    rf"^\s*(?:(?:{_BODY_EN}\s*)?{_KIND_EN}\s*|{_BODY_ZH}?\s*(?:决议|决定)?\s*第?\s*)"
    r"(.+?)(?:\s*号)?(?:\s*(?:决议|决定))?\s*$",
    re.I,
)


def unprefixed(text: str) -> str:
    """`A/RES/77/71` → `77/71`, `S/RES/1325(2000)` → `1325(2000)`: the form the document's text prints."""
    return _RESOLUTION_PREFIX.sub("", text)


def parse_symbol(text: str) -> str:
    """A symbol as a user types it (`A/RES/77/71`, `第77/71号决议`, `大会第77/71号决议`, `resolution 77/71`,
    `GA resolution 77/71`, `General Assembly resolution 77/71`) → the document's form (`77/71`)."""
    inner = _WRAPPED.match(unprefixed(text))
    return normalise_symbol(inner[1] if inner else text)


def find_symbol_mentions(text: str) -> list[str]:
    """Symbols a user's query mentions (`77/71`, `A/77/7`, `A/RES/77/71`), normalised, for exact lookup."""
    return list(dict.fromkeys(normalise_symbol(m.group(0)) for m in _SYMBOL_RE.finditer(unprefixed(text))))


def symbol_pattern(symbol: str) -> re.Pattern[str]:
    """A symbol found back in running text, spaced or not (`1325 (2000)` / `1325(2000)`), not inside another."""
    body = re.escape(symbol).replace(r"\ ", r"\s?")
    return re.compile(r"(?<![A-Za-z0-9/.-])" + body + r"(?![A-Za-z0-9/])")


def mention_offsets(text: str, symbol: str) -> list[tuple[int, int]]:
    """[start, end) offsets of every mention of `symbol` in `text`."""
    return [(m.start(), m.end()) for m in symbol_pattern(symbol).finditer(text)]
