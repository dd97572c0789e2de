"""Question analysis, once: what a question asks for and the constraints it names, in Chinese or English.

One value that retrieval, candidate scoring, verification and follow-up resolution all read. Pure: no model,
no index; the document's own vocabulary (subprogramme names, places) comes in through `Template`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Literal

from .glossary import expand, unknown_names
from .ids import find_ids
from .symbols import find_symbol_mentions
from .template import Template

AnswerType = Literal["money", "count", "percent", "date", "place", "person", "body", "reason", "purpose", "list",
                     "objective", "definition", "yesno", "whole", "where_cited", "text"]
Funding = Literal["regular", "extrabudgetary"]
Recosting = Literal["before", "after"]
# The state of a figure in a budget table: planned, actual, approved, proposed, estimated, spent, appropriated.
State = Literal["plan", "actual", "approved", "proposed", "estimate", "expenditure", "appropriation"]
Measure = Literal["posts", "resources"]

_CJK = re.compile(r"[\u4e00-\u9fff]")

# Order matters: the first type whose pattern matches wins ("多少个员额" is a count before it is an amount).
_TYPES: list[tuple[AnswerType, re.Pattern[str]]] = [
    ("where_cited", re.compile(r"哪些段|哪一?段|哪几段|哪张表|哪个表|哪一表|在哪.{0,4}(?:段|表)|引用了?|提到.{0,6}的(?:段|有)"
                               r"|which (?:paragraphs?|passages?|tables?)|what paragraph|cite[sd]?\b|refer(?:s|red)? to"
                               r"|where (?:is|are) .{1,40} (?:mentioned|cited)", re.I)),
    ("whole", re.compile(r"说了什么|讲了什么|讲的是什么|讲什么|内容是什么|写了什么|全文|原文|what does .{1,30} say"
                         r"|what is in |text of|show me", re.I)),
    ("money", re.compile(r"多少(?:千|万|亿)?美元|美元.{0,4}(?:多少|几何)|(?:in )?(?:thousands of )?(?:US )?dollars", re.I)),
    ("percent", re.compile(r"百分之几|百分比|百分数|比例|增长率|遵守率|空缺率|率是多少|几成|%|percentage|per ?cent|\brate\b", re.I)),
    ("count", re.compile(r"多少(?:个|次|份|名|人|项|周|天|期|场|国|件|位|种|所|家|年)|几(?:个|次|份|名|人|项|周|天|期|场|国|件|位|种)"
                         r"|员额.{0,6}(?:多少|几)|(?:多少|几).{0,4}员额|how many|number of|count of", re.I)),
    ("money", re.compile(r"多少(?:钱|美元|千美元|资金|经费)|(?:资源|预算|经费|批款|支出|费用|补助金|拨款|资金|数额|金额|总额|款项|开支)"
                         r".{0,12}(?:多少|几何|是多少|为多少)|(?:多少|几何).{0,6}(?:资源|预算|经费|美元)|增加了多少|减少了多少"
                         r"|how much|budget|cost|funding|dollars|expenditure|appropriation|subvention|amount|resources"
                         r"|grant", re.I)),
    ("date", re.compile(r"何时|什么时候|哪一年|哪年|哪天|哪一天|几月|日期|哪个月|何年|从何时|when\b|what date|which year|what year"
                        r"|in what year|which month|since when", re.I)),
    ("place", re.compile(r"哪里|在哪|哪个城市|哪座城市|何地|地点|设在哪|where\b|which city|what city|located|duty station",
                         re.I)),
    ("reason", re.compile(r"为什么|为何|原因|何故|因为什么|why\b|reason|what caused|because", re.I)),
    ("purpose", re.compile(r"用于什么|用于何|用途|用来做什么|为了什么|目的是|做什么用|what for|purpose|used for|intended to",
                           re.I)),
    ("objective", re.compile(r"目标是什么|目标是|的目标|objective|\baim\b|goal", re.I)),
    ("person", re.compile(r"叫什么名字|姓名|负责人是谁|主任是谁|总干事是谁|是谁(?:担任|领导|负责)|由谁(?:担任|领导)|谁(?:担任|领导|负责|是)"
                          r"|who (?:heads|leads|chairs|is the (?:head|director|chief|chair))|name of the (?:head|director)"
                          r"|现任.{0,8}谁", re.I)),
    ("body", re.compile(r"谁|哪个机构|哪一机构|哪个组织|哪个部门|哪个委员会|哪个会议|由哪|哪位|who\b|whom|which (?:body|organi[sz]ation|"
                        r"entity|office|committee|conference)", re.I)),
    ("list", re.compile(r"哪些|哪几|有哪|列出|包括什么|包括哪|which\b|what are|list\b", re.I)),
    ("yesno", re.compile(r"是否|有没有|能否|吗[？?]?$|^(?:does|do|did|is|are|was|were|will|has|have|can)\b", re.I)),
    ("definition", re.compile(r"是什么|指什么|什么是|何谓|what is|what was|what does .{1,30} mean|define", re.I)),
]
# A budget section gives levels (资源为 …) and changes (增加 …, 减少 …, 变动 …): a question says which it wants.
_CHANGE = re.compile(r"增加|减少|增长|下降|变动|变化|净增|净减|increase|decrease|grow|growth|change|rise|fall|cut|reduc",
                     re.I)
_TOTAL = re.compile(r"总额|总数|总计|共计|合计|一共|总共|总体|全部|\bin total\b|\btotal\b|\boverall\b|altogether", re.I)
FIGURE_TYPES: frozenset[str] = frozenset({"money", "count", "percent"})

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_SUBPROGRAMME = re.compile(r"(?:次级方案|sub-?programmes?|subprograms?)\s*(\d{1,2})(?!\d)", re.I)
_FUNDING: list[tuple[Funding, re.Pattern[str]]] = [
    ("extrabudgetary", re.compile(r"预算外|extra-?budgetary|voluntary contributions", re.I)),
    ("regular", re.compile(r"经常预算|regular budget|regular-budget|assessed", re.I)),
]
_RECOSTING: list[tuple[Recosting, re.Pattern[str]]] = [
    ("after", re.compile(r"重计费用后|after recosting|recosted", re.I)),
    ("before", re.compile(r"重计费用前|before recosting|prior to recosting", re.I)),
]
_STATES: list[tuple[State, re.Pattern[str]]] = [
    ("actual", re.compile(r"实际|actual(?:ly)?|delivered|achieved", re.I)),
    ("plan", re.compile(r"计划|planned|\bplan\b|target", re.I)),
    ("approved", re.compile(r"核定|approved", re.I)),
    ("appropriation", re.compile(r"批款|appropriat", re.I)),
    ("expenditure", re.compile(r"支出|expenditure|spent|spend", re.I)),
    ("proposed", re.compile(r"拟议|proposed|proposal", re.I)),
    ("estimate", re.compile(r"估计|estimate", re.I)),
]
_MEASURES: list[tuple[Measure, re.Pattern[str]]] = [
    ("posts", re.compile(r"(?<!非)员额|职位|\bposts?\b|staffing|positions", re.I)),
    ("resources", re.compile(r"资源|预算|经费|资金|美元|批款|支出|费用|resources|budget|funding|dollars|expenditure|cost", re.I)),
]
# Grades as the staffing tables print them; "一般事务" alone names both GS grades.
_GRADE = re.compile(r"(?<![A-Za-z])(?:USG|ASG|[PD]-\s?\d(?:/\d)?|NPO|NO|LL|GS\s?\((?:PL|OL)\))(?![A-Za-z])"
                    r"|一般事务人员\s?[(（](?:特等|其他职等)[)）]|一般事务|本国专业干事|general service|national professional", re.I)
# The template's sections, as a question names them ("次级方案 4 的目标", "the strategy of subprogramme 2").
_SECTIONS: list[tuple[str, re.Pattern[str]]] = [
    ("目标", re.compile(r"目标(?!是否)|objective", re.I)),
    ("战略", re.compile(r"战略(?!计划)|strategy|strategies", re.I)),
    ("经验教训", re.compile(r"经验教训|教训|lessons? learned|lesson", re.I)),
    ("应交付产出", re.compile(r"应交付产出|交付产出|产出|deliverables?", re.I)),
    ("计划成果", re.compile(r"计划成果|planned results?|具体目标|targets? for 2024", re.I)),
    ("方案执行情况", re.compile(r"方案执行情况|执行情况|programme performance|performance in 2022", re.I)),
    ("评价活动", re.compile(r"评价|evaluations?", re.I)),
    ("资源", re.compile(r"资源|预算|员额|经费|resources|budget|posts", re.I)),
    ("外部因素", re.compile(r"外部因素|规划假设|external factors|planning assumptions", re.I)),
    ("立法授权", re.compile(r"立法授权|授权清单|legislative mandates|mandates list", re.I)),
    ("任务和背景", re.compile(r"任务和背景|mandate and background", re.I)),
]


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
    places: tuple[str, ...] = ()  # in the document's own spelling (日内瓦)
    ids: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()
    unknown_names: tuple[str, ...] = ()  # English capitalised names the glossary cannot translate
    change: bool = False  # asks for an increase, a decrease or a change, not a level
    total: bool = False  # asks for a total (共计, 总额, in total), not one component's figure
    translations: tuple[str, ...] = field(default=(), compare=False)  # Chinese terms for an English question

    @property
    def wants_figure(self) -> bool:
        return self.answer_type in FIGURE_TYPES

    def search_text(self) -> str:
        """The words to retrieve with: the question and, for English, the Chinese terms it translates to."""
        return " ".join([self.text, *self.translations]) if self.translations else self.text

    def with_text(self, text: str) -> Question:
        return replace(self, text=text)


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def language(text: str) -> Literal["zh", "en"]:
    return "zh" if _CJK.search(text) else "en"


def answer_type(text: str) -> AnswerType:
    for kind, pattern in _TYPES:
        if pattern.search(text):
            return kind
    return "text"


def _first(options: list[tuple[str, re.Pattern[str]]], text: str) -> str | None:
    return next((name for name, pattern in options if pattern.search(text)), None)


def _all(options: list[tuple[str, re.Pattern[str]]], text: str) -> tuple[str, ...]:
    return tuple(name for name, pattern in options if pattern.search(text))


_GRADE_NAMES = {"一般事务人员(特等)": "GS(PL)", "一般事务人员(其他职等)": "GS(OL)", "一般事务": "GS", "generalservice": "GS",
                "本国专业干事": "NPO", "nationalprofessional": "NPO", "NO": "NPO"}


def _grade(text: str) -> str:
    """One spelling per grade, as the tables print it without spaces ("GS(PL)", "P-4")."""
    text = re.sub(r"\s", "", text).replace("（", "(").replace("）", ")")
    return _GRADE_NAMES.get(text, _GRADE_NAMES.get(text.lower(), text))


def analyse(raw: str, template: Template | None = None) -> Question:
    """The question's answer type and constraints; `template` adds what only the document knows (names)."""
    text = normalise(raw)
    lang = language(text)
    lowered = text.lower()
    template = template or Template()
    subprogrammes = list(dict.fromkeys(m[1] for m in _SUBPROGRAMME.finditer(text)))
    for number, name in template.subprogrammes.items():
        if number not in subprogrammes and any(n and n.lower() in lowered for n in name_forms(name, template)):
            subprogrammes.append(number)
    components = tuple(c for c in template.components if c in text or any(
        en in lowered for en in template.component_en.get(c, ())))
    places = tuple(zh for zh, ens in template.places.items() if zh in text or any(
        re.search(rf"(?<![a-z]){re.escape(en)}(?![a-z])", lowered) for en in ens))
    translations = tuple(expand(text)) if lang == "en" else ()
    kind = answer_type(text)
    return Question(
        text=text, lang=lang, answer_type=kind,
        years=tuple(dict.fromkeys(_YEAR.findall(text))),
        subprogrammes=tuple(subprogrammes), components=components,
        funding=_first(_FUNDING, text),  # type: ignore[arg-type]
        recosting=_first(_RECOSTING, text),  # type: ignore[arg-type]
        states=_all(_STATES, text),  # type: ignore[arg-type]
        # "员额费用是多少千美元" asks money about posts: an amount is always a question about resources.
        measure="resources" if kind == "money" else _first(_MEASURES, text),  # type: ignore[arg-type]
        grades=tuple(dict.fromkeys(_grade(m.group(0)) for m in _GRADE.finditer(text))),
        sections=_all(_SECTIONS, text),
        places=places,
        ids=tuple(find_ids(text)),
        symbols=tuple(find_symbol_mentions(text)),
        unknown_names=tuple(unknown_names(text)) if lang == "en" else (),
        change=bool(_CHANGE.search(text)),
        total=bool(_TOTAL.search(text)),
        translations=translations,
    )


# Names of bodies as a Chinese question writes them ("政治和建设和平事务部", "国际原子能机构", "世界卫生组织"), and
# acronyms in an English one ("UNICEF", "WHO"): a question about a body the document never names is about another
# document. A name is its last two hanzi before the suffix and the suffix ("和平事务部", "子能机构"): long enough to
# be told apart, short enough not to take in the question's own words. 组织 is also a verb ("组织培训"): a name
# only when the question goes on to ask about it.
_ZH_BODY = re.compile(r"(?<![哪个何某该])([\u4e00-\u9fff]{2})(事务部|部|署|机构|基金会|计划署|银行|大学|协会"
                      r"|组织(?=的|现任|是|在|主|总|有|[？?，,]|$))")
_ACRONYM = re.compile(r"(?<![A-Za-z])[A-Z]{3,}(?![A-Za-z])")
_NOT_A_NAME = re.compile(r"[哪什么多少几个是的在了为与或其本该此]")


def named_bodies(text: str) -> list[str]:
    """Organisation names and acronyms a question names, as written; the caller checks them against the document."""
    text = normalise(text)
    names = [m.group(1) + m.group(2) for m in _ZH_BODY.finditer(text) if not _NOT_A_NAME.search(m.group(1))]
    return names + [m.group(0) for m in _ACRONYM.finditer(text)]


def name_forms(name: str, template: Template) -> tuple[str, ...]:
    """A subprogramme's name as a question may give it: the Chinese heading, or its English glossary name."""
    return (name, *template.english_names.get(name, ()))
