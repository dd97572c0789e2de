"""Raw document text → passages: paragraphs with their items, tables, figures, foreword and annexes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .clean import Line, clean, join_lines
from .headings import HeadingPath, is_heading_like
from .ids import CIRCLED, FOREWORD
from .model import Kind, Passage
from .symbols import find_symbols, link_table
from .table_grid import build_table
from .tables import table_rows

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_SOURCE = DATA_DIR / "A-78-6-Sect4.zh.txt"
DEFAULT_SYMBOL = "A/78/6 (Sect. 4)"

_PARA_RE = re.compile(r"^(\d+)\.(\d+)\s+(.*)$")
_TABLE_RE = re.compile(r"^表\s*(\d+)\.(\d+)$")
_FIGURE_RE = re.compile(r"^图\s*(\d+)\.([一二三四五六七八九十]+)$")
_ANNEX_RE = re.compile(r"^附件([一二三四五六七八九十]+)$")
_ITEM_RE = re.compile(r"^\(([a-z])\)\s*")
_SUB_RE = re.compile(rf"^([{CIRCLED}])\s*")
# Chart labels the extraction strands after a paragraph: short, unpunctuated fragments.
_FRAGMENT_RE = re.compile(r"^[^，。；：、]{1,14}$")
_MIN_FRAGMENT_RUN = 3


@dataclass
class _Block:
    kind: Kind
    id: str
    start: int  # index into the cleaned lines of the block's first line
    end: int = 0
    heading_lines: list[Line] = field(default_factory=list)  # headings read just before the block


def _section_number(lines: list[Line]) -> str:
    for line in lines:
        m = _PARA_RE.match(line.text)
        if m and m[2] == "1":
            return m[1]
    raise ValueError("no paragraph numbered N.1 found: is this a programme budget section?")


def _find_blocks(lines: list[Line]) -> list[_Block]:
    section = _section_number(lines)
    blocks: list[_Block] = []
    expected = 1
    for i, line in enumerate(lines):
        text = line.text
        if (m := _PARA_RE.match(text)) and m[1] == section and int(m[2]) == expected:
            # Paragraph numbers only go up by one: a cross-reference that starts a line ("4.88 (a)和 4.89 段")
            # inside 4.101 is not the next paragraph.
            blocks.append(_Block("paragraph", f"{section}.{expected}", i))
            expected += 1
        elif (m := _TABLE_RE.match(text)) and m[1] == section:
            blocks.append(_Block("table", f"表{section}.{int(m[2])}", i))
        elif (m := _FIGURE_RE.match(text)) and m[1] == section:
            blocks.append(_Block("figure", f"图{section}.{m[2]}", i))
        elif m := _ANNEX_RE.match(text):
            blocks.append(_Block("annex", f"附件{m[1]}", i))
    if lines and lines[0].text == FOREWORD:
        blocks.insert(0, _Block("foreword", FOREWORD, 1))
    for block, nxt in zip(blocks, blocks[1:] + [None], strict=True):
        block.end = nxt.start if nxt else len(lines)
    _move_headings(blocks, lines)
    return blocks


def _move_headings(blocks: list[_Block], lines: list[Line]) -> None:
    """Headings printed just before a paragraph belong to what follows, not to the block they end."""
    for prev, block in zip(blocks, blocks[1:], strict=False):
        if block.kind not in ("paragraph", "annex"):
            continue
        first = block.start
        while first - 1 > prev.start and is_heading_like(lines[first - 1]):
            first -= 1
        block.heading_lines = lines[first : block.start]
        prev.end = first


def _strip_fragments(lines: list[Line]) -> tuple[list[Line], list[Line]]:
    """Split a paragraph's lines into its text and a trailing run of stranded chart labels."""
    cut = len(lines)
    while cut > 1 and _FRAGMENT_RE.match(lines[cut - 1].text):
        cut -= 1
    if len(lines) - cut >= _MIN_FRAGMENT_RUN and lines[cut - 1].text[-1] in "。；":
        return lines[:cut], lines[cut:]
    return lines, []


def _join_with_offsets(parts: list[str]) -> tuple[str, list[int]]:
    """Join lines as `join_lines` does, returning where each line starts in the result."""
    offsets = []
    text = ""
    for part in parts:
        joined = join_lines([text, part]) if text else part.strip()
        offsets.append(len(joined) - len(part.strip()))
        text = joined
    return text, offsets


def _paragraph(lines: list[Line], base: Passage) -> list[Passage]:
    first = _PARA_RE.match(lines[0].text)
    assert first is not None
    parts = [first[3], *(line.text for line in lines[1:])]
    text, offsets = _join_with_offsets(parts)
    base.text = text
    out = [base]
    # Items start a line and run a, b, c … in order; an "(b)" that starts a line after an inline "(a)" is prose.
    starts: list[tuple[int, str, str | None]] = []  # (line index, item id, parent id)
    letter, sub, item_id = "a", 0, None
    for k, part in enumerate(parts):
        if k and (m := _ITEM_RE.match(part)) and m[1] == letter:
            item_id = f"{base.id}({letter})"
            starts.append((k, item_id, base.id))
            letter, sub = chr(ord(letter) + 1), 0
        elif k and (m := _SUB_RE.match(part)) and m[1] == CIRCLED[sub] and sub < len(CIRCLED):
            starts.append((k, f"{item_id or base.id}{m[1]}", item_id or base.id))
            sub += 1

    def depth(iid: str) -> int:
        return iid.count("(") + sum(c in CIRCLED for c in iid)

    for n, (k, iid, parent) in enumerate(starts):
        # An item runs to the next item at its own depth or above: (b) holds its ㈠ and ㈡, ㈠ stops at ㈡.
        end = next((offsets[k2] for k2, iid2, _ in starts[n + 1 :] if depth(iid2) <= depth(iid)), len(text))
        out.append(
            Passage(
                id=iid,
                doc=base.doc,
                kind="item",
                text=text[offsets[k] : end].strip(),
                heading=base.heading,
                parent=parent,
            )
        )
    by_id = {p.id: p for p in out}
    for p in out[1:]:
        if p.parent:
            by_id[p.parent].children.append(p.id)
    return out


def _layout_rows(body: list[Line], source_rows: list[str]) -> list[str]:
    """A table's source rows with their spaces: its cleaned lines, and the lines of spaces between them that
    clean() drops as blank but that mark the table's layout columns."""
    if not body:
        return []
    kept = {line.no for line in body}
    return [
        row
        for no, row in enumerate(source_rows[body[0].no : body[-1].no + 1], start=body[0].no)
        if no in kept or (row and not row.strip(" "))
    ]


@dataclass
class Parsed:
    """The passages, and the lines that went into no passage text: headings and unit labels, page furniture."""

    passages: list[Passage]
    headings: list[str]
    furniture: list[str]


def parse_document(raw: str, doc: str = DEFAULT_SYMBOL) -> Parsed:
    cleaned = clean(raw)
    lines = cleaned.lines
    # Tables read their layout from the spaces the cleaned lines drop; line numbers are clean()'s.
    source_rows = raw.replace("\r\n", "\n").replace("\f", "\n").split("\n")
    links = link_table(cleaned.links)
    blocks = _find_blocks(lines)
    path = HeadingPath()
    passages: list[Passage] = []
    headings: list[str] = []
    if blocks and blocks[0].kind == "foreword":
        headings = [line.text for line in lines[: blocks[0].start]]
    elif blocks:
        # With no foreword, whatever precedes the first paragraph is its heading run.
        blocks[0].heading_lines = lines[: blocks[0].start]
    last_paragraph: Passage | None = None
    last_figure: Passage | None = None
    for block in blocks:
        body = lines[block.start : block.end]
        headings.extend(line.text for line in block.heading_lines)
        if block.kind == "annex":
            # An annex stands outside the parts A and B: its path is its own title.
            title = [body[1].text] if len(body) > 1 and is_heading_like(body[1]) else []
            heading = [" ".join([body[0].text, *title])]
            headings.extend([body[0].text, *title])
            body = body[1 + len(title) :]
        else:
            path.enter([line.text for line in block.heading_lines])
            heading = path.path
        base = Passage(id=block.id, doc=doc, kind=block.kind, text="", heading=heading)
        if block.kind == "paragraph":
            body, stranded = _strip_fragments(body)
            if stranded and last_figure is not None:
                last_figure.text += "\n" + "\n".join(line.text for line in stranded)
            elif stranded:
                body = body + stranded
            passages.extend(_paragraph(body, base))
            last_paragraph = base
            continue
        if block.kind in ("table", "figure"):
            headings.append(body[0].text)
            base.parent = last_paragraph.id if last_paragraph else None
            if block.kind == "table":
                built = build_table(block.id, _layout_rows(body[1:], source_rows))
                base.text, base.table = built.text, built.table
                headings.extend(built.header_lines)
            else:
                base.text = "\n".join(table_rows(body[1:]))
                last_figure = base
        else:
            base.text = join_lines([line.text for line in body])
        passages.append(base)
    for p in passages:
        p.symbols = find_symbols(p.text, links)
    _link_tables(passages)
    return Parsed(passages, headings, [line.text for line in cleaned.furniture])


def parse(raw: str, doc: str = DEFAULT_SYMBOL) -> list[Passage]:
    """Every passage of the document in reading order: parents before their items."""
    return parse_document(raw, doc).passages


_TABLE_MENTION = re.compile(
    r"(表|图)\s*(\d+)\.(\d+|[一二三四五六七八九十]+)(?:\s*\(\d+\))?"
    r"((?:\s*(?:至|和|、|及|与|-)\s*\d+\.(?:\d+|[一二三四五六七八九十]+)(?:\s*\(\d+\))?)*)"
)
_MORE = re.compile(r"(至|和|、|及|与|-)\s*\d+\.(\d+|[一二三四五六七八九十]+)")


def mentioned_units(text: str) -> list[str]:
    """Tables and figures a paragraph mentions: `表 4.24 至 4.26` is three tables, `表 4.24 (1)和 4.25 (1)` two."""
    out: list[str] = []
    for m in _TABLE_MENTION.finditer(text):
        kind, section, num = m[1], m[2], m[3]
        out.append(f"{kind}{section}.{num}")
        prev = num
        for more in _MORE.finditer(m[4]):
            if more[1] in "至-" and prev.isdigit() and more[2].isdigit():
                out.extend(f"{kind}{section}.{n}" for n in range(int(prev) + 1, int(more[2]) + 1))
            else:
                out.append(f"{kind}{section}.{more[2]}")
            prev = more[2]
    return list(dict.fromkeys(out))


def _link_tables(passages: list[Passage]) -> None:
    """A table or figure hangs from the paragraph that first mentions it, else from the paragraph it follows."""
    by_id = {p.id: p for p in passages}
    first_mention: dict[str, str] = {}
    for p in passages:
        if p.kind == "paragraph":
            for unit in mentioned_units(p.text):
                first_mention.setdefault(unit, p.id)
    for p in passages:
        if p.kind not in ("table", "figure"):
            continue
        p.parent = first_mention.get(p.id, p.parent)
        if p.parent and p.id not in by_id[p.parent].children:
            by_id[p.parent].children.append(p.id)


@lru_cache(maxsize=4)
def load_document(path: Path = DEFAULT_SOURCE, doc: str = DEFAULT_SYMBOL) -> tuple[Passage, ...]:
    """The passages of a document file (cached: the parse is pure)."""
    return tuple(parse(path.read_text(encoding="utf-8"), doc))
