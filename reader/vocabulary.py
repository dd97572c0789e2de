"""The constraint vocabulary, once: how a question names each value of a constraint, and how the document prints it.

One table feeds question analysis (`reader.question`: which values a question names), candidate scoring
(`reader.scoring`: whether a candidate says the value asked for, or another one) and follow-ups
(`reader.followups`: the words of a slot a follow-up swaps into the previous question).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from corpus.lexicon import load_lexicon
from corpus.text import YEAR


@dataclass(frozen=True)
class Value:
    name: str
    asked: re.Pattern[str]  # how a question names this value, in either language
    printed: tuple[str, ...] = ()  # how the document prints it


@dataclass(frozen=True)
class Slot:
    """A kind of constraint and its values; `followup` is how a follow-up names any value of it ("员额呢？")."""

    name: str
    values: tuple[Value, ...] = ()
    followup: re.Pattern[str] | None = None

    def first(self, text: str) -> str | None:
        """The first value (in table order) the text names."""
        return next((v.name for v in self.values if v.asked.search(text)), None)

    def named(self, text: str) -> tuple[str, ...]:
        """Every value the text names, in table order."""
        return tuple(v.name for v in self.values if v.asked.search(text))

    def printed(self, wanted: Iterable[str]) -> tuple[list[str], list[str]]:
        """The words that print the wanted values, and those that print the slot's other values."""
        chosen = set(wanted)
        return (
            [w for v in self.values if v.name in chosen for w in v.printed],
            [w for v in self.values if v.name not in chosen for w in v.printed],
        )


def _v(name: str, asked: str, *printed: str) -> Value:
    return Value(name, re.compile(asked, re.I), printed)


SUBPROGRAMME = re.compile(r"(?:次级方案|sub-?programmes?|subprograms?)\s*(\d{1,2})(?!\d)", re.I)

FUNDING = Slot(
    "funding",
    (
        _v("extrabudgetary", r"预算外|extra-?budgetary|voluntary contributions", "预算外"),
        _v("regular", r"经常预算|regular budget|regular-budget|assessed", "经常预算"),
    ),
    re.compile(r"经常预算|预算外|extra-?budgetary|regular[ -]budget", re.I),
)

RECOSTING = Slot(
    "recosting",
    (
        _v("after", r"重计费用后|after recosting|recosted", "重计费用后"),
        _v("before", r"重计费用前|before recosting|prior to recosting", "重计费用前"),
    ),
)

# The state of a figure in a budget table: planned, actual, approved, proposed, estimated, spent, appropriated.
# The order is the order a question's states are listed in.
STATE = Slot(
    "state",
    (
        _v("actual", r"实际|actual(?:ly)?|delivered|achieved", "实际"),
        _v("plan", r"计划|planned|\bplan\b|target", "计划"),
        _v("approved", r"核定|approved", "核定"),
        _v("appropriation", r"批款|appropriat", "批款"),
        _v("expenditure", r"支出|expenditure|spent|spend", "支出"),
        _v("proposed", r"拟议|proposed|proposal", "拟议"),
        _v("estimate", r"估计|estimate", "估计"),
    ),
    re.compile(
        r"实际|计划|核定|拟议|估计|批款|支出|\bactual\b|\bplanned\b|\bapproved\b|\bproposed\b"
        r"|\bestimated?\b|\bappropriation\b|\bexpenditure\b",
        re.I,
    ),
)

MEASURE = Slot(
    "measure",
    (
        _v("posts", r"(?<!非)员额|职位|\bposts?\b|staffing|positions", "员额"),
        _v(
            "resources",
            r"资源|预算|经费|资金|美元|批款|支出|费用|resources|budget|funding|dollars|expenditure|cost",
            "美元",
            "资源",
            "千美元",
        ),
    ),
    re.compile(r"(?<!非)员额|非员额资源|资源|经费|\bposts?\b|\bresources\b|\bnon-post resources\b", re.I),
)

# Grades as the staffing tables print them; "一般事务" alone names both GS grades.
GRADE = re.compile(
    r"(?<![A-Za-z])(?:USG|ASG|[PD]-\s?\d(?:/\d)?|NPO|NO|LL|GS\s?\((?:PL|OL)\))(?![A-Za-z])"
    r"|一般事务人员\s?[(（](?:特等|其他职等)[)）]|一般事务|本国专业干事|general service|national professional",
    re.I,
)
GRADE_SLOT = Slot(
    "grade",
    followup=re.compile(r"(?<![A-Za-z])(?:USG|D-[12]|P-[1-5](?:/1)?|GS\s?\((?:PL|OL)\)|NPO|LL)(?![A-Za-z])"),
)

COMPONENT_SLOT = Slot(
    "component",
    followup=re.compile(
        r"决策机关|行政领导和管理|方案支助|policymaking organs|executive direction and management|programme support",
        re.I,
    ),
)


def _objects_of_expenditure() -> re.Pattern[str]:
    """Any object of expenditure, as the lexicon names it in either language ("订约承办事务", "travel"); a
    Chinese form not inside a longer word (专家 of 专家组 is a group of experts, not the line)."""
    forms = sorted(
        {f for t in load_lexicon().terms if t.kind == "object" for f in (*t.zh, *t.en)}, key=len, reverse=True
    )
    return re.compile(
        "|".join(
            rf"(?<![A-Za-z]){re.escape(f)}(?![A-Za-z])" if f.isascii() else rf"{re.escape(f)}(?![组会])"
            for f in forms
        ),
        re.I,
    )


# A line of spending a follow-up swaps for the last one ("订约承办事务呢？" after travel of staff).
OBJECT_SLOT = Slot("object", followup=_objects_of_expenditure())

# An edition's years ("2024 年计划成果", "targets for 2024") are matched as any year, so the next edition's sections
# are found too.
_ANY_YEAR = r"(?:19|20)\d\d"
SECTION = Slot(
    "section",
    (
        _v("目标", r"目标(?!是否)|objective"),
        _v("战略", r"战略(?!计划)|strategy|strategies"),
        _v("经验教训", r"经验教训|教训|lessons? learned|lesson"),
        _v("应交付产出", r"应交付产出|交付产出|产出|deliverables?"),
        _v("计划成果", rf"计划成果|planned results?|具体目标|targets? for {_ANY_YEAR}"),
        _v("方案执行情况", rf"方案执行情况|执行情况|programme performance|performance in {_ANY_YEAR}"),
        _v("评价活动", r"评价|evaluations?"),
        _v("资源", r"资源|预算|员额|经费|resources|budget|posts"),
        _v("外部因素", r"外部因素|规划假设|external factors|planning assumptions"),
        _v("立法授权", r"立法授权|授权清单|legislative mandates|mandates list"),
        _v("任务和背景", r"任务和背景|mandate and background|的任务是什么|\bmandate of\b"),
    ),
)

# What a count counts, as a question names it after 多少/几 or "how many", and as the document prints it beside a
# figure or in a table's unit, row or column.
COUNTED = Slot(
    "counted",
    (
        # A post is counted by its grade too ("1 个 P-4", "2 D-1").
        _v(
            "posts",
            r"员额|职位|\bposts?\b|\bpositions?\b",
            "员额",
            "P-",
            "D-",
            "GS",
            "NPO",
            "USG",
            "ASG",
            "LL",
        ),
        _v("meetings", r"会议|届会|会期|\bmeetings?\b|\bsessions?\b", "会议", "届会"),
        _v(
            "documents",
            r"文件|报告|出版物|\bdocuments?\b|\breports?\b|\bpublications?\b",
            "文件",
            "报告",
            "出版物",
        ),
        _v("countries", r"国家|会员国|缔约国|\bcountries\b|\bstates\b", "国家", "会员国", "缔约国"),
        _v(
            "people",
            r"人|^名(?!称)|成员|参与者|学员|研究员|申请者|代表|专家|\bpeople\b|\bpersons?\b|\bparticipants?\b"
            r"|\bfellows?\b|\bapplicants?\b|\bexperts?\b|\bchampions?\b|\bofficials?\b|\bmembers?\b",
            "名",
            "人",
            "参与者",
            "学员",
            "研究员",
            "申请者",
            "专家",
        ),
        _v("days", r"天|日|\bdays?\b", "天", "日"),
        _v("weeks", r"周|星期|\bweeks?\b", "周"),
        _v(
            "events",
            r"讲习班|活动|培训班|课程|讲座|研讨会|\bworkshops?\b|\bevents?\b|\bcourses?\b"
            r"|\bseminars?\b|\btrainings?\b",
            "讲习班",
            "活动",
            "培训",
            "课程",
            "研讨会",
        ),
        _v("visitors", r"访客|访问者|\bvisitors?\b", "访客"),
        _v("duration", r"多久|多长时间|how long", "年", "个月", "月", "周", "天", "日"),
    ),
)
# Where a count's noun follows: 多少(个)X, 几(次)X, how many X.
COUNT_NOUN = re.compile(
    r"(?:多少|几)([个次份名人项周天期场件位种所家届]?.{0,8})|how many\s+(.{1,40})"
    r"|(多久|多长时间|how long)",
    re.I,
)

# A question for a total, not one component's figure (共计, 总额, in total).
TOTAL = re.compile(
    r"总额|总数|总计|共计|合计|一共|总共|总体|全部|\bin total\b|\btotal\b|\boverall\b|altogether", re.I
)

# What an amount of money is for, when a question says: posts (员额费用) or everything else (非员额).
COST_OF = Slot(
    "cost_of",
    (
        _v("non-post", r"非员额|non-?post", "非员额"),
        _v("posts", r"(?<!非)员额|(?<!non-)(?<!non )\bposts?\b", "员额"),
    ),
)

# The slots a follow-up may name alone ("2023年呢？", "员额呢？"), in the order their values are swapped in.
FOLLOWUP_SLOTS: dict[str, re.Pattern[str]] = {
    "subprogramme": re.compile(SUBPROGRAMME.pattern.replace("(\\d{1,2})", "\\d{1,2}"), re.I),
    "year": YEAR,
    **{
        s.name: s.followup
        for s in (FUNDING, STATE, MEASURE, GRADE_SLOT, COMPONENT_SLOT, OBJECT_SLOT)
        if s.followup
    },
}
