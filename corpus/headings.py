"""Headings between paragraphs and the heading path they give to what follows.

Every section of the programme budget follows one template, so the levels are named from it:
part (`A.`/`B.`) › component or subprogramme › section (目标, 战略, …) › result or topic › sub-topic.
"""

from __future__ import annotations

import re

from .clean import Line
from .text import YEAR

PART, COMPONENT, SECTION, TOPIC, SUBTOPIC = range(5)

_PART_RE = re.compile(r"^[A-Z]\.\s")
# "次级方案 3", and once the name on the next line is joined to it, "次级方案 3 常规武器".
_SUBPROGRAMME = re.compile(r"^次级方案\s*(\d+)\s*(.*)$")
_RESULT_RE = re.compile(r"^成果\s*\d+\s*[：:]")
_COMPONENTS = {
    "总方向",
    "工作方案",
    "概述",
    "决策机关",
    "行政领导和管理",
    "方案支助",
    "按因素、构成部分和次级方案列示的差异解释",
}
# Sections and sub-topics as the template names them, an edition's years written as YYYY: "2024 年计划成果" in this
# edition is "2025 年计划成果" in the next, and both are the same section.
_SECTIONS = {
    "任务和背景",
    "YYYY 年战略和外部因素",
    "疫情的影响和经验教训",
    "立法授权",
    "应交付产出",
    "评价活动",
    "目标",
    "战略",
    "YYYY 年方案执行情况",
    "YYYY 年计划成果",
    "总体资源变动",
    "技术调整",
    "新的/扩大的任务",
    "其他变动",
    "预算外资源",
}
_SUBTOPICS = {"YYYY 年方案执行情况和 YYYY 年具体目标", "YYYY 年拟议方案计划", "经验教训和计划作出的改变"}

_MAX_LEN = 45


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def subprogramme_heading(heading: str) -> tuple[str, str] | None:
    """A subprogramme's heading as its number and name ("次级方案 3 常规武器" → ("3", "常规武器")), else None."""
    m = _SUBPROGRAMME.match(heading)
    return (m[1], m[2].strip()) if m else None


def _number_line(text: str) -> bool:
    """ "次级方案 3" alone: the line that the subprogramme's name follows."""
    return (sp := subprogramme_heading(text)) is not None and not sp[1]


def is_heading_like(line: Line) -> bool:
    """Indented, short, not a sentence and not a row of figures."""
    text = line.text
    if line.indent < 2 or not text or (len(text) > _MAX_LEN and not _RESULT_RE.match(text)):
        return False
    if text[-1] in "。；，：:,;" or text[0] in "—(（":
        return False
    if text[-1].isdigit() and not _number_line(_squash(text)):
        return False
    return not re.fullmatch(r"[\d\s.,()%—-]+", text)


def level_of(text: str) -> int:
    text = _squash(text)
    if _PART_RE.match(text):
        return PART
    if _number_line(text) or text in _COMPONENTS:
        return COMPONENT
    generic = YEAR.sub("YYYY", text)
    if generic in _SECTIONS:
        return SECTION
    if generic in _SUBTOPICS:
        return SUBTOPIC
    return TOPIC


class HeadingPath:
    """The running heading path; `enter` applies a run of headings read between two passages."""

    def __init__(self) -> None:
        self._levels: dict[int, str] = {}

    def enter(self, texts: list[str]) -> None:
        i = 0
        while i < len(texts):
            text = _squash(texts[i])
            level = level_of(text)
            # A subprogramme's name is printed on the line after its number: "次级方案 3" / "常规武器".
            if _number_line(text) and i + 1 < len(texts) and level_of(texts[i + 1]) == TOPIC:
                text = f"{text} {_squash(texts[i + 1])}"
                i += 1
            self._levels = {k: v for k, v in self._levels.items() if k < level}
            self._levels[level] = text
            i += 1

    @property
    def path(self) -> list[str]:
        # 工作方案 only groups the subprogrammes; the path names the subprogramme itself.
        return [v for _, v in sorted(self._levels.items()) if v != "工作方案"]
