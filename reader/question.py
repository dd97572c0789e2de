"""Question analysis, once: what a question asks for and everything it names, in Chinese or English.

`Question` is the one value the rest of reading passes around: retrieval reads its ids, symbols, subprogrammes
and translations (`index.query.Query`), the scorer and the verifier its answer type and constraints, and a
follow-up is resolved into a new question before it is analysed. Pure: no model, no index; the document's own
vocabulary (subprogramme names, places) comes in through `Template`, the constraint words through
`reader.vocabulary`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from corpus.glossary import expand, unknown_names
from corpus.ids import find_ids
from corpus.lexicon import load_lexicon
from corpus.symbols import find_symbol_mentions
from corpus.text import YEAR, normalise

from .names import Name
from .template import Template
from .vocabulary import (
    COST_OF,
    COUNT_NOUN,
    COUNTED,
    FUNDING,
    GRADE,
    MEASURE,
    RECOSTING,
    SECTION,
    STATE,
    SUBPROGRAMME,
    TOTAL,
)

AnswerType = Literal[
    "money",
    "count",
    "percent",
    "date",
    "place",
    "person",
    "body",
    "reason",
    "purpose",
    "list",
    "objective",
    "definition",
    "yesno",
    "whole",
    "where_cited",
    "text",
]
Funding = Literal["regular", "extrabudgetary"]
Recosting = Literal["before", "after"]
# The state of a figure in a budget table: planned, actual, approved, proposed, estimated, spent, appropriated.
State = Literal["plan", "actual", "approved", "proposed", "estimate", "expenditure", "appropriation"]
Measure = Literal["posts", "resources"]

_CJK = re.compile(r"[\u4e00-\u9fff]")

# Order matters: the first type whose pattern matches wins ("多少个员额" is a count before it is an amount).
_TYPES: list[tuple[AnswerType, re.Pattern[str]]] = [
    (
        "where_cited",
        re.compile(
            r"哪些段|哪一?段|哪几段|哪张表|哪个表|哪一表|在哪.{0,4}(?:段|表)|引用了?|提到.{0,6}的(?:段|有)"
            r"|which (?:paragraphs?|passages?|tables?)|what paragraph|cite[sd]?\b|refer(?:s|red)? to"
            r"|where (?:is|are) .{1,40} (?:mentioned|cited)",
            re.I,
        ),
    ),
    (
        "whole",
        re.compile(
            r"说了什么|讲了什么|讲的是什么|讲什么|内容是什么|写了什么|全文|原文|what does .{1,30} say"
            r"|what is in |text of|show me",
            re.I,
        ),
    ),
    # A question that opens with why asks a reason, whatever budget words it goes on to name; one that asks what
    # money is for, or what it pays for, asks a purpose.
    ("reason", re.compile(r"^(?:why|为什么|为何)\b|^\S{0,12}(?:为什么|为何)", re.I)),
    (
        "purpose",
        re.compile(
            r"^what (?:is|are|was|were|will|would) .{1,80}\bfor\?$|^(?!.*\bhow (?:many|much)\b).*\b(?:pay|pays|paid) for\b",
            re.I,
        ),
    ),
    (
        "money",
        re.compile(
            r"多少(?:千|万|亿)?美元|多少(?:钱|资金|经费)|美元.{0,4}(?:多少|几何)|(?:in )?(?:thousands of )?(?:US )?dollars",
            re.I,
        ),
    ),
    (
        "percent",
        re.compile(
            r"百分之几|百分比|百分数|比例|增长率|遵守率|空缺率|率是多少|几成|%|percentage|per ?cent|\brate\b",
            re.I,
        ),
    ),
    (
        "count",
        re.compile(
            r"(?<!非)员额(?:(?!费用|资源|经费|支出|成本|美元).){0,12}(?:多少|几)|多久|多长时间|how long\b"
            r"|多少(?:个|次|份|名|人|项|周|天|期|场|国|件|位|种|所|家|年)|几(?:个|次|份|名|人|项|周|天|期|场|国|件|位|种|届)"
            r"|多少(?!钱|美元|千美元|资金|经费|资源|预算|费用|款)(?=[\u4e00-\u9fff])"
            r"|(?<!非)员额(?:(?!费用|资源|经费|支出|成本|美元).){0,6}(?:多少|几)|(?:多少|几).{0,4}员额|how many|number of|count of",
            re.I,
        ),
    ),
    (
        "money",
        re.compile(
            r"多少(?:钱|美元|千美元|资金|经费)|(?:资源|预算|经费|批款|支出|费用|补助金|拨款|资金|数额|金额|总额|款项|开支)"
            r".{0,12}(?:多少|几何|是多少|为多少)|(?:多少|几何).{0,6}(?:资源|预算|经费|美元)|增加了多少|减少了多少"
            r"|how much|budget|cost|funding|dollars|expenditure|appropriation|subvention|amount|(?<!human )resources"
            r"|grant",
            re.I,
        ),
    ),
    (
        "date",
        re.compile(
            r"何时|什么时候|哪[一两几]?年|哪些年|哪天|哪一天|几月|日期|哪个月|何年|从何时|when\b|what date|which years?|what year"
            r"|in what year|which month|since when",
            re.I,
        ),
    ),
    (
        "place",
        re.compile(
            r"哪里|在哪|哪个城市|哪座城市|何地|地点|设在哪|where\b|which city|what city|located|duty station",
            re.I,
        ),
    ),
    # "Why" asks when it opens a question or a clause of it ("…, and why?"), not inside one ("help people
    # understand why disarmament matters").
    (
        "reason",
        re.compile(
            r"为什么|为何|原因|何故|因为什么|(?:^|[,;]\s*|\band\s+)(?:\w+\s+)?why\b|reason|what caused"
            r"|because",
            re.I,
        ),
    ),
    (
        "purpose",
        re.compile(
            r"用于什么|用于何|用途|用来做什么|为了什么|目的是|做什么用|what for|purpose|used for|intended to",
            re.I,
        ),
    ),
    ("objective", re.compile(r"目标是什么|目标是|的目标|objective|\baim\b|goal", re.I)),
    (
        "person",
        re.compile(
            r"叫什么名字|姓名|负责人是谁|主任是谁|总干事是谁|是谁(?:担任|领导|负责)|由谁(?:担任|领导)|谁(?:担任|领导|负责|是)"
            r"|who (?:heads|leads|chairs|is the (?:head|director|chief|chair))|name of the (?:head|director)"
            r"|现任.{0,8}谁|(?:长|主任|主席|代表|负责人|干事|署名人|签署人)是谁"
            r"|who is the (?:[\w-]+ ){0,3}(?:director|head|chief|chair|president|representative)",
            re.I,
        ),
    ),
    (
        "body",
        re.compile(
            r"谁|哪个机构|哪一机构|哪个组织|哪个部门|哪个委员会|哪个会议|由哪|哪位|who\b|whom|which (?:body|organi[sz]ation|"
            r"entity|office|committee|conference)",
            re.I,
        ),
    ),
    # A list is asked in the plural: "哪些", "which centres"; "哪次会议" or "which resolution" asks for one thing.
    (
        "list",
        re.compile(
            r"哪些|哪几|列出|包括什么|包括哪些|what are|\blist\b"
            r"|which (?:(?:other|main|remaining|regional|new|specific|two|three|four|five|six) )?[a-z-]{2,}(?<!s)s\b",
            re.I,
        ),
    ),
    (
        "yesno",
        re.compile(r"是否|有没有|能否|吗[？?]?$|^(?:does|do|did|is|are|was|were|will|has|have|can)\b", re.I),
    ),
    (
        "definition",
        re.compile(r"是什么|指什么|什么是|何谓|what is|what was|what does .{1,30} mean|define", re.I),
    ),
]
# A budget section gives levels (资源为 …) and changes (增加 …, 减少 …, 变动 …): a question says which it wants.
_CHANGE = re.compile(
    r"增加|减少|增长|下降|变动|变化|净增|净减|新设|新增|新的?员额|设立|裁撤|比.{0,16}(?:少|多|增|减|高|低)"
    r"|\bnew posts?\b|\bestablish\w*|\babolish\w*|\b(?:increase|decrease|grow|growth|change|rise|rising|fall"
    r"|falling|cuts?|reduc\w*)",
    re.I,
)
FIGURE_TYPES: frozenset[str] = frozenset({"money", "count", "percent"})
# Amounts "in thousands of dollars" are printed only in tables and figures; paragraphs say 美元.
_THOUSANDS = re.compile(r"千美元|thousands? of (?:US )?dollars|in thousands", re.I)
# A bare number is a paragraph id unless a unit follows it: "增长 4.1%" or "4.5 千美元" is not paragraph 4.1.
_NOT_AN_ID_AFTER = re.compile(r"^\s?(?:%|美元|千|万|亿|个|名|年|倍|million|percent|per\s?cent|dollars)")


@dataclass(frozen=True)
class Question:
    """What a question asks and what it pins down; every field is read by someone downstream."""

    text: str  # NFKC-normalised, whitespace squashed
    lang: Literal["zh", "en"]
    answer_type: AnswerType
    years: tuple[str, ...] = ()
    subprogrammes: tuple[str, ...] = ()  # numbers as the document prints them ("3")
    components: tuple[str, ...] = ()  # 决策机关, 行政领导和管理, 方案支助
    funding: Funding | None = None
    recosting: Recosting | None = None
    states: tuple[State, ...] = ()
    measure: Measure | None = None
    grades: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()  # passage ids it names; a figure such as "9.1%" is not paragraph 9.1
    symbols: tuple[str, ...] = ()
    bodies: tuple[str, ...] = ()  # organisations it names, as written ("世界卫生组织", "UNICEF")
    names: tuple[
        Name, ...
    ] = ()  # what it names that the document has: bodies, treaties, ordinals … (names.py)
    counted: str | None = None  # what a count counts: posts, meetings, documents, countries, people …
    cost_of: str | None = None  # what an amount is for: posts or non-post
    unknown_names: tuple[str, ...] = ()  # English capitalised names the glossary cannot translate
    change: bool = False  # asks for an increase, a decrease or a change, not a level
    total: bool = False  # asks for a total (共计, 总额, in total), not one component's figure
    thousands: bool = False  # asks for amounts in thousands of dollars
    translations: tuple[str, ...] = ()  # the Chinese terms its English words widen a search with (glossary)
    # Every Chinese term of the lexicon its English phrases name: what a candidate's words are weighed against.
    # Wider than `translations`, which widen retrieval and cost it precision when wider.
    senses: tuple[str, ...] = ()

    @property
    def wants_figure(self) -> bool:
        return self.answer_type in FIGURE_TYPES

    @property
    def whole(self) -> bool:
        """A figure of the section as a whole: the question names no subprogramme, component or other thing that
        narrows it ("2024 年拟议资源总额", "how many posts in total"), so a part's figure does not answer it."""
        return self.wants_figure and not (
            self.subprogrammes or self.components or self.names or self.ids or self.symbols or self.grades
        )


def language(text: str) -> Literal["zh", "en"]:
    return "zh" if _CJK.search(text) else "en"


# A figure the question states ("the 429,900 dollars", "这 28 600 美元") is what it asks about, not what it asks for.
_STATED_FIGURE = re.compile(
    r"\d[\d,.\s]*\s*(?:thousand |million )?(?:(?:US|United States) )?dollars|\$\s?\d[\d,.]*|\d[\d,.\s]*\s*(?:千)?美元"
)


def answer_type(text: str) -> AnswerType:
    text = _STATED_FIGURE.sub(" FIGURE ", text)
    for kind, pattern in _TYPES:
        if pattern.search(text):
            return kind
    return "text"


_GRADE_NAMES = {
    "一般事务人员(特等)": "GS(PL)",
    "一般事务人员(其他职等)": "GS(OL)",
    "一般事务": "GS",
    "generalservice": "GS",
    "本国专业干事": "NPO",
    "nationalprofessional": "NPO",
    "NO": "NPO",
}


def _grade(text: str) -> str:
    """One spelling per grade, as the tables print it without spaces ("GS(PL)", "P-4")."""
    text = re.sub(r"\s", "", text).replace("（", "(").replace("）", ")")
    return _GRADE_NAMES.get(text, _GRADE_NAMES.get(text.lower(), text))


def counted(text: str) -> str | None:
    """What a count question counts, from the words after 多少/几 or "how many" ("多少个员额" → posts)."""
    for m in COUNT_NOUN.finditer(text):
        if found := COUNTED.first(m[1] or m[2] or m[3]):
            return found
    return None


def _ids(text: str) -> tuple[str, ...]:
    """Passage ids the text names; a paragraph number every mention of which carries a unit is a figure."""
    return tuple(cid for cid in find_ids(text) if not _is_quantity(text, cid))


def _is_quantity(text: str, cid: str) -> bool:
    if not re.fullmatch(r"\d+\.\d+", cid):
        return False
    return all(_NOT_AN_ID_AFTER.match(text[m.end() :]) for m in re.finditer(re.escape(cid) + r"(?!\d)", text))


def analyse(raw: str, template: Template | None = None, kind: AnswerType | None = None) -> Question:
    """The question's answer type and constraints; `template` adds what only the document knows (names).
    `kind`: the answer type when the text alone does not say it (a follow-up's own ask, not its subject's)."""
    text = normalise(raw)
    lang = language(text)
    lowered = text.lower()
    template = template or Template()
    subprogrammes = list(dict.fromkeys(m[1] for m in SUBPROGRAMME.finditer(text)))
    for number, name in template.subprogrammes.items():
        if number not in subprogrammes and any(
            n and n.lower() in lowered for n in name_forms(name, template)
        ):
            subprogrammes.append(number)
    components = tuple(
        c
        for c in template.components
        if c in text or any(en in lowered for en in template.component_en.get(c, ()))
    )
    kind = kind or answer_type(text)
    return Question(
        text=text,
        lang=lang,
        answer_type=kind,
        years=tuple(dict.fromkeys(YEAR.findall(text))),
        subprogrammes=tuple(subprogrammes),
        components=components,
        funding=FUNDING.first(text),  # type: ignore[arg-type]
        recosting=RECOSTING.first(text),  # type: ignore[arg-type]
        states=STATE.named(text),  # type: ignore[arg-type]
        # "员额费用是多少千美元" asks money about posts: an amount is always a question about resources.
        measure="resources" if kind == "money" else MEASURE.first(text),  # type: ignore[arg-type]
        grades=tuple(dict.fromkeys(_grade(m.group(0)) for m in GRADE.finditer(text))),
        sections=SECTION.named(text),
        ids=_ids(text),
        symbols=tuple(find_symbol_mentions(text)),
        bodies=tuple(named_bodies(text)),
        names=template.names.find(text, lang) if template.names else (),
        counted=counted(text) if kind == "count" else None,
        cost_of=COST_OF.first(text) if kind == "money" else None,
        unknown_names=tuple(unknown_names(text)) if lang == "en" else (),
        change=bool(_CHANGE.search(text)),
        total=bool(TOTAL.search(text)),
        thousands=bool(_THOUSANDS.search(text)),
        translations=tuple(expand(text)),
        senses=tuple(load_lexicon().chinese_for(text)) if lang == "en" else (),
    )


# Names of bodies as a Chinese question writes them ("政治和建设和平事务部", "国际原子能机构", "世界卫生组织"), and
# acronyms in an English one ("UNICEF", "WHO"): a question about a body the document never names is about another
# document. A name is its last two hanzi before the suffix and the suffix ("和平事务部", "子能机构"): long enough to
# be told apart, short enough not to take in the question's own words. 组织 is also a verb ("组织培训"): a name
# only when the question goes on to ask about it.
_ZH_BODY = re.compile(
    r"(?<![哪个何某该])([\u4e00-\u9fff]{2})(事务部|部|署|机构|基金会|计划署|银行|大学|协会"
    r"|组织(?=的|现任|是|在|主|总|有|[？?，,]|$))"
)
_ACRONYM = re.compile(r"(?<![A-Za-z])[A-Z]{3,}(?![A-Za-z])")
# An English organisation's name: capitalised words, joined by of/for/on/and/the, one of them a word organisations
# are named with ("Office for Outer Space Affairs", "World Health Organization"). The verifier asks the lexicon
# whether one entry is named so.
_EN_BODY = re.compile(
    r"(?:[A-Z][a-z]+(?:\s+(?:of|for|on|and|the))*\s+)*"
    r"(?:Office|Department|Organi[sz]ation|Agency|Commission|Council|Fund|Programme|Program|Institute|Bank|Union"
    r"|Court|Secretariat|Authority|Bureau|Foundation|University|Association)\b"
    r"(?:(?:\s+(?:of|for|on|and|the))*\s+[A-Z][a-z]+)*"
)
# What opens a question, capitalised as any first word is: not part of a name.
_EN_OPENERS = re.compile(
    r"^(?:(?:What|Which|Who|How|When|Where|Why|Does|Do|Is|Are|Was|The|In|According|To)\s+)+"
)
_NOT_A_NAME = re.compile(r"[哪什么多少几个是的在了为与或其本该此]")


def named_bodies(text: str) -> list[str]:
    """Organisation names and acronyms a question names, as written; the verifier checks them against the
    document."""
    names = [m.group(1) + m.group(2) for m in _ZH_BODY.finditer(text) if not _NOT_A_NAME.search(m.group(1))]
    english = [_EN_OPENERS.sub("", m.group(0)) for m in _EN_BODY.finditer(text) if " " in m.group(0).strip()]
    return names + [m.group(0) for m in _ACRONYM.finditer(text)] + [e for e in english if " " in e]


def name_forms(name: str, template: Template) -> tuple[str, ...]:
    """A subprogramme's name as a question may give it: the Chinese heading, or its English glossary name."""
    return (name, *template.english_names.get(name, ()))
