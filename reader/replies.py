"""The text of an answer, with its citations: a named passage whole, the passages citing a symbol, the reader's
best candidate as the shortest span that answers, where the previous answer came from, or an abstention.

Pure functions over passages and candidates; every quote is a pair of offsets into its passage's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from corpus.candidates import CELL_SEP, Candidate, sentence_spans
from corpus.lexicon import load_lexicon
from corpus.model import Passage
from index.query import Hit

from .citations import prose_label
from .compose import Span, best_span, highlights
from .facts import CHANGE, MONEY, NUMBER, PERCENT, has_type
from .question import FIGURE_TYPES, Question
from .reply import Cited
from .requirements import focus
from .scoring import Scored
from .template import Template

_NOT_ANSWERED = {"zh": "本文件没有回答这个问题。", "en": "This document does not answer that question."}
_NEAREST = {"zh": "最接近的段落列在引文中。", "en": "The nearest passages are listed as citations."}
NO_ANSWER = {
    lang: f"{_NOT_ANSWERED[lang]}{'' if lang == 'zh' else ' '}{_NEAREST[lang]}" for lang in ("zh", "en")
}
_CLAUSE = re.compile(r"[，,；;]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LONG_SENTENCE = 60
_CHANGE_BONUS = 10.0
# Where no sentence matches, a citation quotes the passage's opening.
_OPENING = 200


@dataclass(frozen=True)
class Answer:
    """An answer's text and citations; for an abstention, why in one line; for an answer, the requirements it
    was checked against."""

    text: str
    cited: list[Cited]
    abstained: bool
    reason: str | None = None
    matched: tuple[str, ...] = field(default=())


def cite(
    p: Passage, score: float, terms: list[str], span: Span | None = None, cell: str | None = None
) -> Cited:
    """A passage cited: `span` quoted, else its sentence that holds most of the terms."""
    if span is None:
        span = best_span(p.text, terms)
    quote = (span.start, span.end) if span else (0, min(len(p.text), _OPENING))
    return Cited(p, round(float(score), 4), quote, highlights(p.text, terms), cell)


def abstain(q: Question, hits: list[Hit], top_k: int, terms: list[str], reason: str | None = None) -> Answer:
    """No answer: what the document lacks, and the nearest passages as citations."""
    sep = "" if q.lang == "zh" else " "
    text = sep.join((_NOT_ANSWERED[q.lang], reason, _NEAREST[q.lang])) if reason else NO_ANSWER[q.lang]
    return Answer(text, [cite(h.passage, h.score, terms) for h in hits[:top_k]], True, reason)


def where_from(passages: list[Passage], lang: str) -> Answer:
    """ "它在哪一段？": the passages the previous answer cited."""
    if not passages:
        return Answer(NO_ANSWER[lang], [], True)
    sep = "、" if lang == "zh" else ", "
    names = sep.join(prose_label(p, lang) for p in passages)
    marks = " ".join(f"[{p.id}]" for p in passages)
    text = (
        f"上一个回答出自{names}。{marks}"
        if lang == "zh"
        else f"The previous answer comes from {names}. {marks}"
    )
    return Answer(text, [cite(p, 1.0, []) for p in passages], False)


def named(q: Question, p: Passage, terms: list[str]) -> Answer:
    """A question that names a passage: that passage whole."""
    prefix = f"{prose_label(p, q.lang)}：" if q.lang == "zh" else f"{_first_up(prose_label(p, q.lang))}: "
    return Answer(f"{prefix}{p.text} [{p.id}]", [cite(p, 1.0, terms, Span(0, len(p.text), 1.0))], False)


def cited_by(
    symbol: str, found: list[tuple[Passage, list[tuple[int, int]]]], q: Question, terms: list[str]
) -> Answer:
    """ "Which paragraphs cite 77/71": the passages `/references` lists (the item, not its paragraph), each quoting
    the sentence around its first mention."""
    passages = [p for p, _ in found]
    marks = " ".join(f"[{p.id}]" for p in passages)
    if q.lang == "zh":
        text = f"引用 {symbol} 的有：" + "、".join(prose_label(p, "zh") for p in passages) + f"。{marks}"
    else:
        text = f"{symbol} is cited in " + ", ".join(prose_label(p, "en") for p in passages) + f". {marks}"
    cites = []
    for p, mentions in found:
        at = mentions[0][0] if mentions else 0
        around = next(((a, b) for a, b in sentence_spans(p.text) if a <= at < b), (0, len(p.text)))
        cites.append(cite(p, 1.0, [symbol, *terms], Span(*around, 1.0)))
    return Answer(text, cites, False)


def best(
    q: Question,
    chosen: Scored,
    hits: list[Hit],
    top_k: int,
    terms: list[str],
    weights: dict[str, float],
    template: Template,
    matched: tuple[str, ...] = (),
    reason: Passage | None = None,
) -> Answer:
    """The reader's chosen candidate as the answer, cited first, then the other top passages. `weights` are the
    question's term weights, which pick the clause of a long sentence; `reason` is the passage the chosen
    sentence says gives the reason asked for, quoted after it."""
    p = chosen.passage
    c = chosen.candidate
    end = extent(p.text, c.start, c.end) if c.kind != "cell" else c.end
    body = p.text[c.start : end]
    if c.kind == "cell":
        answer = f"{_cell_answer(p, c, body, q.lang)} [{p.id}]"
    else:
        if q.grades and q.answer_type == "count" and (items := grade_items(body, q.grades)):
            # A line of every grade's posts answers one grade with that grade's item, after what the line is.
            lead = _LINE_LEAD.match(body)
            body = f"{lead[1]} … {items}" if lead else items
        elif c.kind == "sentence" and q.answer_type in FIGURE_TYPES and len(body) > _LONG_SENTENCE:
            body = _clause(q, body, weights)
        elif q.names and (kept := focus(q, body, template)) and kept != [body]:
            # A long list or sentence answers with the clauses that name what was asked.
            body = "；".join(kept) if q.lang == "zh" or _CJK.search(body) else "; ".join(kept)
        prefix = "" if q.lang == "zh" else f"According to {prose_label(p, 'en')}: "
        answer = f"{prefix}{body} [{p.id}]"
    quote = Span(c.quote[0], max(c.quote[1], end), chosen.score)
    first = cite(p, chosen.hit.score, terms, quote, c.cell_id or None)
    cites = [first]
    if reason is not None:
        said = reason.text[: extent(reason.text, 0, _first_sentences(reason.text))]
        answer += f"\n{said} [{reason.id}]"
        cites.append(cite(reason, chosen.hit.score, terms, Span(0, len(said), chosen.score)))
    cites += [
        cite(h.passage, h.score, terms)
        for h in hits[:top_k]
        if h.passage.id not in {x.passage.id for x in cites}
    ]
    return Answer(answer, cites[:top_k], False, matched=matched)


# The sentences of a pointed-to passage quoted as the reason: enough to say it, not the whole item.
_REASON_CHARS = 300


def _first_sentences(text: str) -> int:
    """The end of the first sentences of `text` that fit `_REASON_CHARS`, at least one."""
    ends = [m.end() for m in re.finditer(r"[。；]", text)]
    fitting = [e for e in ends if e <= _REASON_CHARS]
    return fitting[-1] if fitting else (ends[0] if ends else len(text))


def extent(text: str, start: int, end: int) -> int:
    """Where an answer that starts at `start` really ends: a lead-in ("…如下：") goes on through the items it
    introduces, and a line of a table of text that the PDF wrapped ("包括 5 个核") through its continuation
    lines; never inside a word or a number."""
    span = text[start:end].rstrip()
    if span.endswith(("：", ":")):
        return _items_end(text, end)
    if "\n" in text[end : end + 1] and CELL_SEP not in span and not span.endswith(_SENTENCE_ENDS):
        lines = text[end + 1 :].split("\n")
        for line in lines[:_MAX_WRAPPED_LINES]:
            # A continuation goes on with words; a line of figures, a new entry or a row of cells does not.
            if CELL_SEP in line or _LABELLED.match(line) or not _CONTINUES.match(line):
                break
            end += 1 + len(line)
            if line.rstrip().endswith(_SENTENCE_ENDS):
                break
    return end


# A list is answered whole up to this length; a longer one up to its last item that fits.
_MAX_LIST_CHARS = 700
_MAX_WRAPPED_LINES = 3
_SENTENCE_ENDS = ("。", "；", "！", "？", ".", ";")
# A line of a table of text that starts a new entry ("任务：…", "成员：…").
_LABELLED = re.compile(r"^\s*[^：:，。；,;]{1,12}[：:]")
_CONTINUES = re.compile(r"^\s*[\u4e00-\u9fff（(《“]")
_ITEM_START = re.compile(r"\s*(?:[(（][a-z][)）]|[㈠-㈩])")


def _items_end(text: str, end: int) -> int:
    """The end of the items a lead-in introduces: the rest of the passage, or its items that fit the bound."""
    if len(text) - end <= _MAX_LIST_CHARS:
        return len(text)
    starts = [m.start() for m in _ITEM_START.finditer(text, end) if m.start() - end <= _MAX_LIST_CHARS]
    cut = max((s for s in starts if s > end), default=len(text))
    return cut if cut > end else len(text)


# What a staffing line is before its figures: "2024 年拟议" of "2024 年拟议 66 1 个 USG、…".
_LINE_LEAD = re.compile(r"^\s*(\d{4}\s*年\s*[\u4e00-\u9fff]{1,4})(?=\s*\d)")


# Grades the staffing lines print two ways: national professional officers as NPO and as NO.
_GRADE_PRINTED = {"NPO": ("NPO", "NO")}


def grade_items(text: str, grades: tuple[str, ...]) -> str:
    """The items of a list of posts by grade ("12 个 P-5") for the grades asked, as printed; "" when the text
    lists none of them."""
    found = []
    for grade in grades:
        for printed in _GRADE_PRINTED.get(grade, (grade,)):
            spaced = r"\s*".join(re.escape(ch) for ch in printed if not ch.isspace())
            found += [m.group(0) for m in re.finditer(rf"\d+\s*个\s*{spaced}(?![\w-])", text)]
    return "、".join(dict.fromkeys(found))


def _clause(q: Question, sentence: str, weights: dict[str, float]) -> str:
    """The clauses of a long sentence that hold the figure asked for, with the clause that names the subject when
    that is another one ("2024 年拟议资源总额在重计费用前为 15 232 800 美元" of a sentence of three)."""
    parts = [s for s in _CLAUSE.split(sentence) if s.strip()]
    if len(parts) < 2:
        return sentence
    pattern = {"money": MONEY, "percent": PERCENT}.get(q.answer_type, NUMBER)

    def score(part: str) -> float:
        found = sum(
            w for t, w in weights.items() if t in part or (t.isascii() and t in part.replace(" ", ""))
        )
        # A question about an increase wants the clause that says "增加", whatever else the others share.
        return found + (_CHANGE_BONUS if q.change and CHANGE.search(part) else 0.0)

    figured = [i for i, s in enumerate(parts) if pattern.search(s) and has_type(s, q.answer_type)]
    if not figured:
        return sentence
    chosen = max(figured, key=lambda i: (score(parts[i]), -i))
    # The subject may sit in an earlier clause ("与 2023 年批款相比，净增加 1 397 000 美元"): keep the run of
    # clauses from the best-scoring clause up to the figure.
    lead = max(range(chosen + 1), key=lambda i: (score(parts[i]), -abs(chosen - i)))
    run = sentence[sentence.find(parts[lead]) : sentence.find(parts[chosen]) + len(parts[chosen])]
    return run.strip() if run.strip() else sentence


def _cell_answer(p: Passage, c: Candidate, value: str, lang: str) -> str:
    """A cell with the labels that say what it is: "222（表4.6，实质性会议服务(3 小时会议次数)，2022 年实际）"; in
    English every label in English from the lexicon ("Table 4.25, Subtotal (1), (1) Regular budget, 2024
    proposed: 66 posts"), the figure as printed."""
    row = c.row_label.split(" › ")[-1]
    if lang == "zh":
        unit = f" {c.unit}" if c.unit and c.unit not in c.row_label else ""
        return f"{value}{unit}（{p.id}，{row}，{c.column.replace(' › ', ' ')}）"
    column = ", ".join(english(part) for part in c.column.split(" › ") if part)
    unit = english_unit(c.unit) if c.unit and c.unit not in c.row_label else ""
    return f"{_first_up(prose_label(p, 'en'))}, {english(row)}, {column}: {value}{' ' + unit if unit else ''}"


# A label's numbering ("3. ", "(1)+(2) ", "B. "): kept as printed in front of its translated words.
_NUMBERING = re.compile(r"^((?:\(\d\)\+?)+\s*|[A-Z]\.\s*|\d+\.\s*)")


def english(label: str) -> str:
    """A row label or column header in English from the lexicon; as printed where the lexicon cannot say it
    without leaving Chinese in it."""
    lexicon = load_lexicon()
    if found := lexicon.label_en(label):
        return found
    if (m := _NUMBERING.match(label)) and (rest := lexicon.label_en(label[m.end() :])):
        return f"{m[1].strip()} {rest}"
    return label


def english_unit(unit: str) -> str:
    """员额数目 → posts, 千美元 → thousands of United States dollars, 3 小时会议次数 → three-hour meetings."""
    said = load_lexicon().label_en(unit)
    if said is None:
        return unit
    return re.sub(r"^number of ", "", said[0].lower() + said[1:], flags=re.I)


def _first_up(label: str) -> str:
    """A label that starts a sentence: "Figure 4.IX", not str.capitalize's "Figure 4.ix"."""
    return label[:1].upper() + label[1:]
