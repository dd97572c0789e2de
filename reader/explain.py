"""Reading said in words, in the question's language: the scope a question was understood to ask about, the
requirements an answer meets, and why the service abstained — with what the document has instead.
"""

from __future__ import annotations

from corpus.lexicon import fold, load_lexicon

from .question import Question
from .requirements import Unmet

_MEASURES = {
    "money": ("经费数额", "an amount of money"),
    "percent": ("百分比", "a percentage"),
    "posts": ("员额数", "a number of posts"),
    "meetings": ("会议次数", "a number of meetings"),
    "documents": ("文件数", "a number of documents"),
    "countries": ("国家数", "a number of countries"),
    "people": ("人数", "a number of people"),
    "days": ("天数", "a number of days"),
    "weeks": ("周数", "a number of weeks"),
    "events": ("活动次数", "a number of events"),
    "visitors": ("访客人数", "a number of visitors"),
    "pages": ("页数", "a number of pages"),
    "count": ("数目", "a count"),
    "duration": ("时长", "a length of time"),
}
_FUNDING = {"regular": ("经常预算", "regular budget"), "extrabudgetary": ("预算外", "extrabudgetary")}
_RECOSTING = {"before": ("重计费用前", "before recosting"), "after": ("重计费用后", "after recosting")}
_STATES = {
    "plan": ("计划", "planned"),
    "actual": ("实际", "actual"),
    "approved": ("核定", "approved"),
    "proposed": ("拟议", "proposed"),
    "estimate": ("估计", "estimate"),
    "expenditure": ("支出", "expenditure"),
    "appropriation": ("批款", "appropriation"),
}
_TYPED = {
    "place": ("地点", "the place"),
    "date": ("日期", "the date"),
    "person": ("人名", "the name of a person"),
    "reason": ("原因", "the reason"),
    "purpose": ("用途", "the purpose"),
    "list": ("清单", "a list"),
}
_CONSTRAINTS = {
    "year": ("所问年份", "the year asked"),
    "subprogramme": ("所问次级方案", "the subprogramme asked"),
    "component": ("所问构成部分", "the component asked"),
    "funding": ("所问资金来源", "the funding source asked"),
    "recosting": ("重计费用后的数字", "figures after recosting"),
    "section": (
        "所问部分（如任务和背景、经验教训）",
        "the part of the programme asked (its mandate, lessons learned …)",
    ),
}
# What an amount is for, as `reader.vocabulary.COST_OF` names it.
_COST_OF = {"posts": ("员额", "posts"), "non-post": ("非员额", "non-post items")}


def _say(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def measure(name: str, lang: str) -> str:
    return _say(_MEASURES.get(name, _MEASURES["count"]), lang)


def scope(q: Question) -> list[str]:
    """What the answer must be about, as chips: the section or its part, the years, the state, the funding
    source, before/after recosting, and the named things."""
    zh = q.lang == "zh"
    out: list[str] = []
    if q.subprogrammes:
        out += [f"次级方案 {n}" if zh else f"subprogramme {n}" for n in q.subprogrammes]
    if q.components:
        out += [c if zh else (load_lexicon().english(c) or c) for c in q.components]
    if q.whole and q.total:
        out.append("整个款次" if zh else "the whole section")
    out += [f"{y} 年" if zh else y for y in q.years]
    out += [_say(_STATES[s], q.lang) for s in q.states]
    if q.funding:
        out.append(_say(_FUNDING[q.funding], q.lang))
    if q.recosting:
        out.append(_say(_RECOSTING[q.recosting], q.lang))
    out += [n.label for n in q.names]
    return out


def unit(q: Question) -> str | None:
    """The unit asked for, where the question asks a figure."""
    if q.answer_type == "money":
        return (
            ("千美元" if q.lang == "zh" else "thousands of dollars")
            if q.thousands
            else ("美元" if q.lang == "zh" else "dollars")
        )
    if q.answer_type == "percent":
        return "%"
    if q.answer_type == "count":
        return measure(q.counted or "count", q.lang)
    return None


def matched(q: Question) -> list[str]:
    """The requirements an admissible answer was checked against, all met."""
    out = scope(q)
    if q.wants_figure and (u := unit(q)):
        out.insert(0, (f"单位：{u}" if q.lang == "zh" else f"unit: {u}"))
    return out


def reason(q: Question, unmet: list[Unmet], document: str) -> str:
    """One line: why no candidate answers, from the requirements the nearest candidate fails."""
    zh = q.lang == "zh"
    names = [u for u in unmet if u.kind == "name"]
    missing = [u.wanted for u in names if not any(f in document for f in _forms(q, u.wanted))]
    if missing:
        shown = "、".join(f"「{m}」" for m in missing) if zh else ", ".join(missing)
        return f"本文件没有提到{shown}。" if zh else f"The document does not mention {shown}."
    measures = [u for u in unmet if u.kind == "measure"]
    subject = next((n.label for n in q.names), "")
    if measures and measures[0].found:
        have, want = measure(measures[0].found, q.lang), measure(measures[0].wanted, q.lang)
        if zh:
            return f"本文件{('只给出「' + subject + '」的') if subject else '这里给出的是'}{have}，未给出{want}。"
        return f"The document gives {have}{' for ' + subject if subject else ''} here, not {want}."
    said_of = [
        u
        for u in unmet
        if u.kind in ("type", "list") and u.wanted and any(u.wanted == n.label for n in q.names)
    ]
    if said_of and not names:
        what = _say(_TYPED[q.answer_type], q.lang)
        return (
            f"本文件没有给出「{said_of[0].wanted}」的{what}。"
            if zh
            else f"The document does not give {what} for {said_of[0].wanted}."
        )
    if names:
        shown = "、".join(f"「{u.wanted}」" for u in names) if zh else ", ".join(u.wanted for u in names)
        if zh:
            asked = measure(q.counted or q.answer_type, q.lang) if q.wants_figure else "这一信息"
            return f"本文件没有给出{shown}的{asked}。"
        asked = measure(q.counted or q.answer_type, q.lang) if q.wants_figure else "the answer"
        return f"The document does not give {asked} for {shown}."
    if any(u.kind == "whole" for u in unmet):
        part = next(u.found for u in unmet if u.kind == "whole")
        return (
            f"本文件在这里只给出部分（{part}）的数字，没有整个款次的数字。"
            if zh
            else f"The document gives only a part's figure here ({part}), not the section's."
        )
    if any(u.kind == "year" for u in unmet):
        years = "、".join(q.years)
        return (
            f"本文件没有 {years} 年的这一数字。" if zh else f"The document gives no such figure for {years}."
        )
    kinds = [u.kind for u in unmet if u.kind in _CONSTRAINTS]
    if kinds:
        return (
            f"本文件没有符合{_say(_CONSTRAINTS[kinds[0]], 'zh')}的答案。"
            if zh
            else f"No passage of the document meets {_say(_CONSTRAINTS[kinds[0]], 'en')}."
        )
    return next((line for u in unmet if (line := _lacks(q, u))), None) or below_floor(q.lang)


def _lacks(q: Question, u: Unmet) -> str | None:
    """The line for what the nearest candidate lacks besides a name, a measure it gives instead, the whole or a
    constraint: the kind of fact, a change or a level, what an amount is for, the unit, any figure of the
    measure."""
    zh = q.lang == "zh"
    if u.kind in ("type", "list") and q.answer_type in _TYPED:
        what = _say(_TYPED[q.answer_type], q.lang)
        return f"本文件没有给出所问的{what}。" if zh else f"No passage of the document gives {what}."
    if u.kind == "change" and u.wanted == "change":
        return (
            "本文件在这里给出的是数额本身，不是所问的变动。"
            if zh
            else "The document gives a level here, not the change asked for."
        )
    if u.kind == "change" and u.wanted == "level":
        return (
            "本文件在这里给出的是变动，不是所问的数额本身。"
            if zh
            else "The document gives a change here, not the level asked for."
        )
    if u.kind == "change":
        part = f"（{u.found}）" if zh and u.found else (f" ({u.found})" if u.found else "")
        return (
            f"本文件在这里只给出变动的一部分{part}，不是变动共计。"
            if zh
            else f"The document gives only one part of the change here{part}, not the whole change."
        )
    if u.kind == "cost_of" and u.wanted in _COST_OF:
        what = _say(_COST_OF[u.wanted], q.lang)
        return (
            f"本文件在这里没有给出{what}的经费。" if zh else f"The document gives no amount for {what} here."
        )
    if u.kind == "unit":
        return (
            f"本文件在这里没有以{u.wanted}计的数字。"
            if zh
            else "The document gives no figure in the unit asked here."
        )
    if u.kind == "measure" and not u.found:
        want = measure(u.wanted, q.lang)
        return f"本文件在这里没有给出{want}。" if zh else f"The document does not give {want} here."
    return None


def below_floor(lang: str) -> str:
    return (
        "本文件中没有足够确定的答案。"
        if lang == "zh"
        else "No passage of the document answers it with enough certainty."
    )


def other_subject(q: Question, missing: list[str]) -> str:
    """The question is about something the document does not have at all."""
    if missing:
        shown = "、".join(f"「{m}」" for m in missing) if q.lang == "zh" else ", ".join(missing)
        return f"本文件没有提到{shown}。" if q.lang == "zh" else f"The document does not mention {shown}."
    return (
        "这个问题问的似乎是本文件以外的内容。"
        if q.lang == "zh"
        else "The question seems to be about something this document does not cover."
    )


def _forms(q: Question, label: str) -> tuple[str, ...]:
    return next((n.forms for n in q.names if n.label == label), (fold(label),))
