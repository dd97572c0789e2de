"""Follow-ups by cue and by slots, not by concatenation.

A turn is a follow-up only when it shows it: an anaphor (它、其中、这笔、this, it, they), only slots ("员额呢？",
"And in 2022?"), a comparison ("比 2023 年…"), or an ellipsis ("那…呢？", "What about …"). Anything else is
answered on its own, however short ("联合国秘书长是谁？" after a budget question).

A follow-up ("那次级方案 2 呢？", "员额呢？", "2023年呢？", "And for subprogramme 4?", "What about extrabudgetary?")
keeps the previous turn's subject and replaces only the slots it names; one that asks something new of the same
subject ("会议在哪里举行？", "它的资源是多少？") keeps the subject's words and takes its own question; a question that
names its own subject ("附件三讲的是什么？") starts afresh. The resolved question is bounded: it is rebuilt from the
previous turn's subject each time, never appended to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .vocabulary import FOLLOWUP_SLOTS as _SLOTS
from .vocabulary import TOTAL

# The most a resolved question may hold: the longest self-contained question plus a short subject.
MAX_RESOLVED_CHARS = 600
_SUBJECT_CHARS = 160

_ZH = re.compile(r"[\u4e00-\u9fff]")
# Said at the start or the end of a question, these lean on the previous turn whatever its length.
_EDGE = re.compile(
    r"^(?:那么?|而|还有|另外|它|其|这|该|此|同样|那它|比|其中|分别|以及|相比)|呢[？?]?$"
    r"|^(?:and|what about|how about|what of|same for|and for|and the|and in)\b",
    re.I,
)
# Words that point back whatever the question's length ("这笔钱用于什么？", "What is it meant to strengthen?").
_STRONG_ANAPHORA = re.compile(r"它|其中|这笔|上述|该项|\b(?:it|its|they|their|them)\b", re.I)
# Words that point back only in a short question: a long one that says "this" or "该" names its own subject
# ("该厅" is the Office itself).
_ANAPHORA = re.compile(
    r"它|其中|这笔|这些|这个|这项|这一|该项|上述|该(?!厅)|\b(?:it|its|that|this|those|these|they|them|ones?)\b",
    re.I,
)
# A part or a property of the previous answer itself: "其中…", "这笔钱…", "of that", "that money".
_OF_THE_ANSWER = re.compile(
    r"^其中|这笔|该笔|上述|\b(?:of (?:it|that|this|those|these)|that (?:money|amount|sum)|this (?:money|amount|sum))\b",
    re.I,
)
# "How much of it …", "its resources": a part of something said before, however long the question.
_PART_OF = re.compile(r"\b(?:of it|of them|of those|of these|its|their)\b|其中", re.I)
_SHORT_ZH = 20
# A question made only of slots asks the last one again when it names one or two ("2024 年的计划是多少？"); one that
# names more ("2024 年拟议经常预算资源是多少？": year, state, funding, measure) is a question of its own.
_MAX_SLOTS_OF_A_FOLLOWUP = 2
_SHORT_EN = 8
_WHERE_CITED = re.compile(
    r"(?:在|出自|引自)?哪一?段|哪几段|出处|出自哪|which paragraph|what paragraph|(?:the )?source"
    r"|where (?:is|does) (?:it|that|this)(?: come)?(?: from)?",
    re.I,
)
_WHERE_FILLER = re.compile(
    r"(?i)[它这那其该此是的呢吗？?。.，,\s]|\b(?:is|that|this|it|in|from|does|come|what|the)\b"
)
# What a pure slot follow-up says besides its slots: nothing that asks.
_FILLER = re.compile(
    r"(?i)[\s那么呢吗？?，,。.年的了是多少和及]|\b(?:what|how|about|and|in|for|of|the|is|are|was|were|"
    r"with|ones?|one|then|same|much|many)\b"
)
# Question words: what a subject loses when a follow-up brings its own question. The unit asked stays ("多少千美元"
# keeps 千美元, "in thousands of dollars" stays whole): a part of an amount in thousands is in thousands too.
_ASKING = re.compile(
    r"(?i)是多少|是什么时候|什么时候|是什么|是哪些|是哪|有哪些|有多少|多少|哪些|哪里|在哪|为什么|如何|怎样|是否|吗|呢"
    r"|[？?。]|\b(?:what|which|how many|how much|when|where|why|who|is|are|was|were|does|do|did)\b"
)


@dataclass
class Turn:
    question: str  # as resolved, so a chain of follow-ups keeps its subject
    cited: list[str]


@dataclass(frozen=True)
class Resolved:
    question: str  # what to search and answer
    refers_back: bool  # asks where the previous answer came from ("它在哪一段？")
    previous_cited: list[str]
    # Asks a part or a property of the previous answer itself ("其中咨询人项下是多少？", "这笔钱用来做什么？"):
    # the passage that answer came from answers first.
    within: tuple[str, ...] = ()


def is_followup(question: str, names_a_passage: bool = False) -> bool:
    """Whether a question leans on the one before it. `names_a_passage`: it names a passage or a document symbol
    (question analysis found ids or symbols in it), so it has a subject of its own."""
    text = question.strip()
    zh = _ZH.search(text) is not None
    if names_a_passage:
        return False
    named = slots(text)
    if 0 < len(named) <= _MAX_SLOTS_OF_A_FOLLOWUP and not _ANAPHORA.sub(
        "", _FILLER.sub("", _without_slots(text))
    ):
        return (
            True  # it names a slot or two and nothing else ("2024 年的计划是多少？"): the last question again
        )
    if _WHERE_CITED.search(text) and not _WHERE_FILLER.sub("", _WHERE_CITED.sub("", text)):
        return True  # "出处？", "Which paragraph?": where the last answer came from
    short = len(text) <= _SHORT_ZH if zh else len(text.split()) <= _SHORT_EN
    return bool(
        _EDGE.search(text)
        or _PART_OF.search(text)
        or _STRONG_ANAPHORA.search(text)
        or _COMPARISON.search(text)
        or (short and _ANAPHORA.search(text))
    )


def slots(text: str) -> dict[str, list[str]]:
    return {name: [m.group(0) for m in p.finditer(text)] for name, p in _SLOTS.items() if p.search(text)}


_COMPARISON = re.compile(r"^比|相比|相较|\b(?:compared (?:with|to)|than|versus|vs\.?)\b", re.I)


def _without_slots(text: str) -> str:
    for pattern in _SLOTS.values():
        text = pattern.sub("", text)
    return text


def _swap(previous: str, name: str, value: str) -> str:
    """`previous` with the first value of slot `name` replaced by `value`, or `value` added when it has none. A
    part swapped into a question about the whole narrows it: "那次级方案 3 呢？" after a section total asks for
    subprogramme 3's figure, not the total again."""
    if name in _PARTS:
        previous = _without_total(previous)
    pattern = _SLOTS[name]
    if pattern.search(previous):
        return pattern.sub(lambda _: value, previous, count=1)
    if _ZH.search(previous):
        return f"{value} {previous}" if name == "year" else _insert_zh(previous, value, name in _PARTS)
    return f"{previous.rstrip('?？. ')} ({value})?"


# Slots that name a part of the section: swapped into a total, they take its place.
_PARTS = ("subprogramme", "component")
# Where a Chinese question names what it asks about: a part goes before the funding source ("次级方案 3 经常预算
# 资源"), another slot before the measure ("预算外资源"); never inside a word (预算 of 经常预算).
_PART_ANCHOR = re.compile(r"经常预算|预算外|资源|员额|经费|是多少|是什么|多少")
_SLOT_ANCHOR = re.compile(r"(?<!经常)(?:资源|员额|预算(?!外)|经费)|是多少|是什么|多少")


def _insert_zh(previous: str, value: str, part: bool = False) -> str:
    """Add a slot value in front of what a Chinese question asks about ("预算外" before "资源是多少")."""
    m = (_PART_ANCHOR if part else _SLOT_ANCHOR).search(previous)
    return previous[: m.start()] + value + previous[m.start() :] if m else f"{value} {previous}"


def _without_total(question: str) -> str:
    return re.sub(r"\s+", " ", TOTAL.sub("", question)).replace(" ?", "?").strip()


def subject(previous: str) -> str:
    """The previous question without what it asked: the words a new question about the same subject keeps."""
    text = _ASKING.sub(" ", previous)
    text = re.sub(r"\s+", " ", text).strip(" ，,")
    return text[:_SUBJECT_CHARS]


def resolve(
    question: str, previous: Turn | None, names_a_passage: bool = False, leans: bool = False
) -> Resolved:
    """What a question means after `previous`: itself, the previous subject with slots swapped, or the previous
    subject's words with this question's ask. `leans`: it is a follow-up whatever its words (the second part of
    a two-part question leans on the first)."""
    if previous is None or not (leans or is_followup(question, names_a_passage)):
        return Resolved(question, False, [])
    if (
        _WHERE_CITED.search(question)
        and previous.cited
        and not _WHERE_FILLER.sub("", _WHERE_CITED.sub("", question))
    ):
        return Resolved(previous.question, True, previous.cited)
    named = slots(question)
    if named and not _ANAPHORA.sub("", _FILLER.sub("", _without_slots(question))):
        merged = previous.question
        for name, values in named.items():
            merged = _swap(merged, name, values[0])
        return Resolved(merged[:MAX_RESOLVED_CHARS], False, [], _within(question, previous))
    # A new ask about the same subject: the subject's words, with the slots this question names swapped in
    # ("那 2024 年计划是多少天？" after a 2022-actual question keeps no 2022 and no 实际 to mislead).
    kept = subject(previous.question)
    # In a comparison ("比 2023 年批款增加了多少？") the slots name the base compared with, not a new subject.
    swaps: dict[str, list[str]] = {} if _COMPARISON.search(question) else named
    for name, values in swaps.items():
        if _SLOTS[name].search(kept):
            kept = _swap(kept, name, values[0])
    return Resolved(f"{kept} {question}"[:MAX_RESOLVED_CHARS], False, [], _within(question, previous))


def _within(question: str, previous: Turn) -> tuple[str, ...]:
    """The previous answer's passages, when the question asks a part or a property of that answer."""
    return tuple(previous.cited) if _OF_THE_ANSWER.search(question) else ()
