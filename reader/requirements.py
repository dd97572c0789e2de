"""Every requirement of a question, checked against a candidate's evidence before it may answer.

A candidate is admissible only if its evidence — its own words, and what says what they are about (its
heading path, the lead-in of its paragraph, its table's caption, its row and column labels, its unit) — meets
every requirement the question states:

- the constraints the scorer already weighs: year, subprogramme, component, funding source, recosting;
- the measure: an amount of money is answered in money, a count of posts with a count of posts, a meeting count
  only where meetings are asked for, a share with a percentage;
- the whole or a part: a question about the section as a whole is not answered with one component's figure;
- every named thing: a body, treaty, programme, fund, centre or place the question names, and its ordinal.

What a candidate fails is kept (`Unmet`), so an abstention can say what the document has instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.candidates import CELL_SEP
from corpus.lexicon import fold
from corpus.model import Passage

from .facts import COUNT, MONEY, NUMBER, PERCENT, has_type
from .question import FIGURE_TYPES, Question
from .scoring import Scored
from .template import Template, component_of, is_overview, section_of
from .terms import TermWeights
from .vocabulary import COUNTED, SUBPROGRAMME

# What the scorer's features already tell: a candidate that breaks one of these answers another question.
_BROKEN = {
    "year_bad": "year",
    "scope_bad": "subprogramme",
    "funding_bad": "funding",
    "component_bad": "component",
    "recosting_bad": "recosting",
}
# A table cell's unit, as the tables print it, to the measure it is.
_CELL_MEASURES = (
    ("%", "percent"),
    ("百分比", "percent"),
    ("千美元", "money"),
    ("美元", "money"),
    ("员额", "posts"),
    ("会议次数", "meetings"),
    ("文件数目", "documents"),
    ("出版物数目", "documents"),
    ("材料数目", "documents"),
    ("天数", "days"),
    ("项目数目", "events"),
    ("千页", "pages"),
)
# A figure that may count something: not part of a symbol (76/515) or a paragraph number (4.88).
_COUNTED_FIGURE = re.compile(
    r"(?<![\d./])\d{1,3}(?:[ ,]\d{3})*(?![\d./])|[一二三四五六七八九十两]+(?=\s?[个次份名项届年月周天])"
)
# How far after a figure its counted noun may stand: "10 名青年卫士", "25 次第一委员会会议".
_NOUN_REACH = 12
# A row of a resources table that is one component's or one subprogramme's: "A. 决策机关", "3. 常规武器",
# "小计(C)", "C. 工作方案".
_LETTERED = re.compile(r"^[A-H]\.\s*")
_NUMBERED = re.compile(r"^\d{1,2}\.\s*(.+)$")
_PART_SUBTOTAL = re.compile(r"^小计\s*[(（][A-H][)）]")
_PROGRAMME_OF_WORK = "工作方案"


@dataclass(frozen=True)
class Unmet:
    """A requirement a candidate fails: its kind, and what the candidate has instead where that says something
    (the measure it gives, the name it lacks)."""

    # name, measure, whole, year, subprogramme, component, funding, recosting, type, list, change, unit, cost_of,
    # named_here (a preference: the name in the candidate itself, not only in its paragraph)
    kind: str
    wanted: str = ""
    found: str = ""


def measures_of(s: Scored) -> list[str]:
    """What a candidate's figures measure — money, percent, posts, meetings … or a plain count — most telling
    first; [] when it holds no figure. A sentence may hold several ("1 397 000 美元(10.1%)")."""
    c = s.candidate
    if c.kind == "cell":
        label = f"{c.unit} {c.column}"
        if "/" in c.unit and "百分比" not in label:
            return [base_measure(s)]
        return [next((m for word, m in _CELL_MEASURES if word in label), "count")]
    if c.kind == "row" and CELL_SEP in s.passage.text[c.start : c.end]:
        return _row_measures(s)
    return _sentence_measures(s.passage.text[c.start : c.end])


def base_measure(s: Scored) -> str:
    """What a table cell's figures are of — money or posts — even for a percentage or a change: the unit, and
    where a table gives both ("千美元/员额数目"), the section of rows it sits in ("…财政资源", "…员额资源")."""
    c = s.candidate
    if "/" in c.unit or c.unit in ("", "%"):
        sections = c.row_label.split(" › ")[:-1] + [_section_row(s)]
        if any("员额" in x and "财政" not in x for x in sections):
            return "posts"
        if any("财政" in x for x in sections):
            return "money"
    return "posts" if "员额" in c.unit else "money" if "美元" in c.unit else "count"


def _section_row(s: Scored) -> str:
    """The label of the section row a cell's row sits under in its table ("按职类列示的员额资源"), or ""."""
    table, cell_id = s.passage.table, s.candidate.cell_id
    m = re.search(r"/r(\d+)/", cell_id)
    if table is None or m is None:
        return ""
    index = int(m[1])
    above = [r for r in table.rows if r.index < index and r.kind == "section"]
    return above[-1].label if above else ""


def _row_measures(s: Scored) -> list[str]:
    c = s.candidate
    span = s.passage.text[c.start : c.end]
    units = [m for word, m in _CELL_MEASURES if word in _unit_line(s.passage)]
    if len(set(units)) > 1:
        # A figure in two units ("员额数目/千美元"): a count is a whole number, an amount has decimals.
        figures = NUMBER.findall(span.split(CELL_SEP, 1)[1])
        return ["count" if all(_whole(f) for f in figures) else "money"]
    return units[:1] or ["count"]


def _sentence_measures(span: str) -> list[str]:
    found = [m for m, pattern in (("money", MONEY), ("percent", PERCENT)) if pattern.search(span)]
    # A sentence counts with a measure word ("6 个会员国", "25 次会议"); a bare number in it is a symbol or a date.
    if COUNT.search(span):
        found.append("count")
    return found


_UNIT_LINE = re.compile(r"^\s*[(（]([^()（）]{1,20})[)）]\s*$", re.M)


def _unit_line(p: Passage) -> str:
    """The unit a table or figure states under its caption ("(千美元)", "(员额数目/千美元)")."""
    if p.table is not None and p.table.unit:
        return p.table.unit
    m = _UNIT_LINE.search(p.text[:200])
    return m[1] if m else ""


# The factors a change column splits a change into; 共计 (the whole change) and 百分比 are not factors.
_FACTORS = ("技术调整", "新的/扩大的任务", "其他")


def _change_factor(column: str) -> str:
    """The factor of a change a column gives ("变动 技术调整" → "技术调整"), or ""."""
    return next((f for f in _FACTORS if "变动" in column and f in column), "")


def _whole(figure: str) -> bool:
    """A figure that can be a count: no fraction ("7", "1 171.0"), unlike an amount in thousands ("1 171.9")."""
    whole, _, fraction = figure.replace(" ", "").partition(".")
    return not fraction.strip("0")


def _counts(span: str, wanted: str) -> bool:
    """The span counts `wanted` (posts, meetings …): a figure with that noun shortly after it."""
    value = next(v for v in COUNTED.values if v.name == wanted)
    for m in _COUNTED_FIGURE.finditer(span):
        after = span[m.end() : m.end() + _NOUN_REACH]
        if any(w in after for w in value.printed) or value.asked.search(after):
            return True
    return False


class Requirements:
    """Checks candidates of one document against a question's requirements."""

    def __init__(
        self, template: Template, by_id: dict[str, Passage], weights: TermWeights | None = None
    ) -> None:
        self.template = template
        self.by_id = by_id
        self.weights = weights
        self._part_names = (
            set(template.subprogrammes.values()) | set(template.components) | {_PROGRAMME_OF_WORK}
        )

    def evidence(self, s: Scored) -> str:
        """What a candidate says and what says what it is about, whitespace folded: its span, its context (heading
        path, lead-in, caption), its row and column labels, and for a sentence its paragraph up to it."""
        c, p = s.candidate, s.passage
        parts = self._labelled(s)
        if c.kind == "sentence" or (c.kind == "row" and CELL_SEP not in p.text[c.start : c.end]):
            # The paragraph (or the block of a table of text) the span is part of, which says what it is about,
            # and for an item its paragraph's lead-in.
            parts.append(p.text)
            parent = self.by_id.get(p.parent or "")
            if parent is not None and p.kind == "item":
                parts.append(parent.text[: max(0, parent.text.find(p.text))] if p.text in parent.text else "")
        return fold(" ".join(parts))

    @staticmethod
    def _labelled(s: Scored) -> list[str]:
        """What a candidate says itself and what labels it: its span, context, row and column, unit, heading."""
        c, p = s.candidate, s.passage
        return [p.text[c.start : c.end], c.context, c.row_label, c.column, c.unit, " ".join(p.heading)]

    def _near(self, s: Scored) -> str:
        """The candidate without the rest of its paragraph, whitespace folded."""
        return fold(" ".join(self._labelled(s)))

    def unmet(self, q: Question, s: Scored, strict: bool = True) -> list[Unmet]:
        """Every requirement of `q` that `s` fails; [] when it may answer. `strict` adds the preferences a
        candidate should meet when another does (an amount in the unit asked: thousands of dollars from a
        table rather than dollars from a sentence)."""
        out = [
            Unmet(kind, " ".join(q.years) if kind == "year" else "")
            for feature, kind in _BROKEN.items()
            if s.features.get(feature, 0.0) > 0
        ]
        if q.wants_figure:
            out += self._measure(q, s)
            if (
                q.subprogrammes
                and not any(u.kind == "subprogramme" for u in out)
                and not self._of_subprogramme(q, s)
            ):
                # A figure of a subprogramme is printed under it or where its name is said (its row, its
                # paragraph); one that is neither (the section's 21 706 200 美元) is the whole's, not the part's.
                out.append(Unmet("subprogramme", " ".join(q.subprogrammes)))
            if s.candidate.kind == "cell" and s.features.get("change_bad", 0.0) > 0:
                # A column says whether its figures are levels or changes (变动): a question says which it wants.
                out.append(Unmet("change", "change" if q.change else "level"))
            elif (
                q.change
                and s.candidate.kind == "row"
                and CELL_SEP in self._span(s)
                and not _CHANGE_PRINTED.search(f"{self._span(s)} {s.candidate.row_label}")
            ):
                # A figure's line ("财政资源分配 | 1 908.2") is a level unless it says it is a change.
                out.append(Unmet("change", "change"))
            elif q.counted == "posts" and not q.change and _POST_ACTION.match(self._span(s)):
                # A line of post changes ("设立 5 …", "裁撤 1 个 P-3") gives no number of posts.
                out.append(Unmet("change", "level"))
            elif q.counted == "posts" and q.change and _POST_LEVEL.match(self._span(s)):
                # And a staffing table's line of a year's posts ("2024 年拟议 66 …") gives no change in them.
                out.append(Unmet("change", "change"))
            if (
                strict
                and q.change
                and (factor := _change_factor(s.candidate.column))
                and factor not in q.text
                and factor not in q.senses
            ):
                # "How much less" without a cause asks the whole change (变动 共计), not one factor of it.
                out.append(Unmet("change", "共计", factor))
            if strict and q.answer_type == "money" and q.thousands == (s.candidate.kind == "sentence"):
                # The unit asked: thousands of dollars from a table, else dollars as the paragraphs say them.
                out.append(Unmet("unit", "千美元" if q.thousands else "美元"))
            if q.cost_of and not self._cost_of(q.cost_of, s):
                out.append(Unmet("cost_of", q.cost_of))
            if (
                q.years
                and not s.features.get("year_ok", 0.0) > 0
                and not any(u.kind == "year" for u in out)  # another year, said once
            ):
                out.append(Unmet("year", " ".join(q.years)))
            if self.whole(q) and self.is_part(s):
                out.append(Unmet("whole", found=self.part_name(s)))
        elif q.answer_type in _TYPED and s.features.get("type_missing", 0.0) > 0:
            out.append(Unmet("type", q.answer_type))
        if wanted := [x for x in q.sections if x in _NAMED_SECTIONS]:
            # "What is the mandate of the Office?" asks what 任务和背景 says, not any sentence that says 任务.
            if section_of(s.passage) not in wanted:
                out.append(Unmet("section", wanted[0]))
        if q.names:
            out += [Unmet("name", n.label) for n in q.names if not n.found_in(self.evidence(s))]
            lines = [n for n in q.names if n.kind == "object" and not n.found_in(self._near(s))]
            if strict and not out and (lacking := lines):
                # Of two sentences of one paragraph, the one that names the line of spending asked ("咨询人项下
                # 356 100 美元") answers before one that only shares its paragraph ("增加 1 491 100 美元"); a
                # body or programme the paragraph is about need not be repeated in each of its sentences.
                out.append(Unmet("named_here", lacking[0].label))
            if (
                not out
                and q.answer_type in _TYPED + ("list",)
                and not focus(q, self._span(s), self.template, s.passage.text[: s.candidate.start])
            ):
                # A date, place or person is said of the name in the same clause, and a list names several of
                # it ("三个区域中心" once is a count, not a list).
                out.append(Unmet("list" if q.answer_type == "list" else "type", q.names[0].label))
        return out

    def _of_subprogramme(self, q: Question, s: Scored) -> bool:
        """The candidate is printed under a subprogramme asked, or its evidence names one."""
        if s.features.get("scope_ok", 0.0) > 0:
            return True
        return bool(self.template.named_in(self.evidence(s)) & set(q.subprogrammes))

    @staticmethod
    def _span(s: Scored) -> str:
        return s.passage.text[s.candidate.start : s.candidate.end]

    @staticmethod
    def _cost_of(wanted: str, s: Scored) -> bool:
        c = s.candidate
        said = f"{s.passage.text[c.start : c.end]} {c.row_label}"
        return "非员额" in said if wanted == "non-post" else bool(re.search(r"(?<!非)员额", said))

    def _measure(self, q: Question, s: Scored) -> list[Unmet]:
        c = s.candidate
        if (
            q.answer_type == "count"
            and q.counted
            and c.kind != "cell"
            and _counts(s.passage.text[c.start : c.end], q.counted)
        ):
            return []
        have = measures_of(s)
        if not have:
            return [Unmet("measure", _asked(q), "")]
        if q.answer_type in ("money", "percent"):
            if q.answer_type not in have:
                return [Unmet("measure", q.answer_type, have[0])]
            # A share of posts is not a share of money ("the percentage change in posts").
            if (
                q.answer_type == "percent"
                and q.measure == "posts"
                and c.kind == "cell"
                and base_measure(s) == "money"
            ):
                return [Unmet("measure", "posts", "money")]
            return []
        # A count: never an amount of money or a share; what it counts, where the question says.
        counts = [m for m in have if m not in ("money", "percent")]
        if not counts or (c.kind == "cell" and not _whole(s.passage.text[c.start : c.end])):
            return [Unmet("measure", _asked(q), have[0])]
        if q.counted is None or q.counted in counts:
            return []
        if (
            c.kind == "cell"
            and counts == ["count"]
            and any(w in f"{c.row_label} {c.column}" for w in _printed(q.counted))
        ):
            return []
        return [Unmet("measure", q.counted, counts[0])]

    def is_part(self, s: Scored) -> bool:
        """The candidate is one part's (a subprogramme's, a component's), not the section's as a whole."""
        return bool(self.part_name(s))

    def part_name(self, s: Scored) -> str:
        p, c = s.passage, s.candidate
        if not is_overview(p):
            under = self.template.subprogramme_of(p) or component_of(p)
            if under:
                return self.template.subprogrammes.get(under, under)
        if c.kind != "cell" and (named := self._part_in(p.text[c.start : c.end])):
            return named
        for level in c.row_label.split(" › ") if c.row_label else ():
            label = level.strip()
            if _PART_SUBTOTAL.match(label):
                return label
            rest = _LETTERED.sub("", label)
            if rest != label and any(name in rest for name in self._part_names):
                return rest
            if (m := _NUMBERED.match(label)) and m[1].strip() in self._part_names:
                return m[1].strip()
        return ""

    def whole(self, q: Question) -> bool:
        """The question asks the section's figure: it says total (总额, in total), or it names nothing that narrows
        it — no part, no name, and no word fewer than a tenth of the passages use (研究金, 青年)."""
        if not q.whole:
            return False
        return q.total or self.weights is None or not self.weights.specific(q)

    def _part_in(self, span: str) -> str:
        """A part a sentence or a row of text names itself ("次级方案 5 下 3 个 NPO")."""
        if m := SUBPROGRAMME.search(span):
            return f"次级方案 {m[1]}"
        return next((c for c in self.template.components if c in span), "")

    def choose(self, q: Question, scored: list[Scored]) -> tuple[Scored | None, list[Unmet]]:
        """The best candidate that meets every requirement and preference, else the best that meets every
        requirement; or None and what the nearest one fails."""
        for strict in (True, False):
            nearest: list[Unmet] = []
            named: list[Unmet] = []
            for s in scored:
                unmet = self.unmet(q, s, strict)
                if not unmet:
                    return s, []
                nearest = nearest or unmet
                if not named and all(u.kind != "name" for u in unmet):
                    named = unmet
        # The nearest that speaks of what was named says best what the document has instead ("its meetings are
        # counted, not costed"); without one, the nearest of all.
        return None, named or nearest

    def admissible(self, q: Question, s: Scored) -> bool:
        return not self.unmet(q, s)


# Template sections a question names only by their own words ("mandate", "lessons learned", "external
# factors"): the answer is in that section. Sections named by common words (资源, 目标, 产出) only weigh in scoring.
_NAMED_SECTIONS = frozenset({"任务和背景", "立法授权", "外部因素", "经验教训", "评价活动"})
# Answer types whose absence from a candidate is visible: a date, a place, a person, a reason, a purpose.
_TYPED = ("date", "place", "person", "reason", "purpose")
# How a figure or a table of text says a figure is a change.
_CHANGE_PRINTED = re.compile(r"变动|增加|减少|增长|下降|净增|净减|差额")
# How staffing tables begin a line of post changes: established, abolished, reclassified, redeployed.
_POST_ACTION = re.compile(r"^\s*(?:设立|新设|裁撤|改叙|调动|调入|调出|改划)")
# How they print a year's posts: the year, its state, the number.
_POST_LEVEL = re.compile(r"^\s*\d{4}\s*年\s*(?:核定|拟议|估计)\s*\d")


# Where a long span breaks into the items a list is read from (clause punctuation, and the document symbols a list
# of mandates starts its items with: "77/83 联合国和平与…"), and into the sentences a date, place or person is said
# in together with its name.
_ITEMS = re.compile(r"[，,。；;\n]|、(?=\S{4})|\s(?=\d{2,3}/\d{1,3}\s)")
_SENTENCES = re.compile(r"[。；;\n]|\s(?=\d{2,3}/\d{1,3}\s)")


def focus(q: Question, span: str, template: Template, before: str | None = None) -> list[str]:
    """The clauses or items of `span` that answer a question naming something: those that name it (and, for
    a date, place or person, hold one); for a list, [] unless several do, or the span is a lead-in. With
    `before` (the passage up to the span), a name said before a clause counts as said of it; without, the
    clauses that name everything themselves (what an answer shows)."""
    if q.answer_type == "list" and span.rstrip().endswith(("：", ":")):
        return [span]
    cut = _ITEMS if q.answer_type == "list" else _SENTENCES
    segments = [x.strip() for x in cut.split(span) if x.strip()]
    if q.answer_type == "list":
        named = [x for x in segments if all(n.found_in(fold(x)) for n in q.names)]
        return named if len(named) >= 2 else []
    # A date, place or person is said in a clause that names what was asked; a name may instead be said before
    # the clause (`before`: the passage up to the span), as a paragraph names its subject once, but an ordinal
    # is said in the clause itself: the Tenth's date is not the Eleventh's.
    named = []
    for i, x in enumerate(segments):
        said_before = fold(before + "".join(segments[:i])) if before is not None else ""
        here = fold(x)
        if all(n.found_in(here) or (n.kind and n.found_in(said_before)) for n in q.names) and any(
            n.found_in(here) for n in q.names
        ):
            named.append(x)
    # The fact asked is said of the name, not inside it: "非洲" in "和平与裁军非洲区域中心" is no place it is in.
    return [x for x in named if has_type(_outside_names(fold(x), q), q.answer_type, template.places)]


def _outside_names(folded: str, q: Question) -> str:
    for n in q.names:
        for f in sorted(n.forms, key=len, reverse=True):
            folded = folded.replace(f, " ")
    return folded


def _asked(q: Question) -> str:
    return q.counted or q.answer_type if q.answer_type in FIGURE_TYPES else q.answer_type


def _printed(counted: str) -> tuple[str, ...]:
    return next(v.printed for v in COUNTED.values if v.name == counted)
