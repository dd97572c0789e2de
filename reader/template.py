"""The programme-budget template as this document fills it: its subprogrammes, components, sections, places.

Every section of the programme budget follows one template (each subprogramme has 目标, 战略, 2022 年方案执行
情况, 计划成果, 经验教训, 应交付产出, then resources per component and funding source), so the heading path says
where a passage sits. This module is the one place that reads that from headings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from corpus.glossary import load_places
from corpus.headings import subprogramme_heading
from corpus.lexicon import fold, load_lexicon
from corpus.model import Passage

from .names import NameFinder

# Components of a budget section that are not subprogrammes (part B's 资源 per component).
COMPONENTS = ("决策机关", "行政领导和管理", "方案支助")
# Headings whose words name a template section; the section of a passage is the deepest one on its path. An
# edition's years are any year ("2024 年计划成果" here, "2025 年计划成果" in the next edition).
_Y = r"(?:19|20)\d\d\s?年"
SECTION_OF_HEADING: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"^{p}$"), s)
    for p, s in (
        ("目标", "目标"),
        ("战略", "战略"),
        (f"{_Y}方案执行情况", "方案执行情况"),
        (f"{_Y}计划成果", "计划成果"),
        ("经验教训和计划作出的改变", "经验教训"),
        ("疫情的影响和经验教训", "经验教训"),
        ("应交付产出", "应交付产出"),
        ("评价活动", "评价活动"),
        ("任务和背景", "任务和背景"),
        (f"{_Y}战略和外部因素", "外部因素"),
        ("立法授权", "立法授权"),
        (f"{_Y}方案执行情况和 {_Y}具体目标", "计划成果"),
        (f"{_Y}拟议方案计划", "计划成果"),
    )
)


# A title in the document's quotation marks: 《…》.
_TITLE = re.compile(r"《[^《》]*》")


@dataclass(frozen=True)
class Template:
    subprogrammes: dict[str, str] = field(default_factory=dict)  # "3" -> "常规武器"
    headings: dict[str, str] = field(default_factory=dict)  # "次级方案 3 常规武器" -> "3"
    english_names: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # "常规武器" -> ("conventional arms", …)
    components: tuple[str, ...] = COMPONENTS
    component_en: dict[str, tuple[str, ...]] = field(default_factory=dict)
    places: dict[str, tuple[str, ...]] = field(default_factory=dict)  # "日内瓦" -> ("geneva",)
    names: NameFinder | None = None  # the document's named things, to find in questions

    @classmethod
    def from_passages(cls, passages: Iterable[Passage]) -> Template:
        passages = list(passages)
        subprogrammes: dict[str, str] = {}
        headings: dict[str, str] = {}
        for p in passages:
            for h in p.heading:
                if sp := subprogramme_heading(h):
                    subprogrammes.setdefault(*sp)
                    headings[h] = sp[0]
        # Every entry's English, not only those query expansion widens with (`search`): subprogramme 1's name is
        # no search entry, and a question still names the subprogramme by it.
        english: dict[str, list[str]] = {}
        for t in load_lexicon().terms:
            for zh in t.zh:
                english.setdefault(zh, []).extend(e.lower() for e in t.en)
        return cls(
            subprogrammes=subprogrammes,
            headings=headings,
            english_names={
                name: tuple(dict.fromkeys(english.get(name, ()))) for name in subprogrammes.values()
            },
            component_en={c: tuple(dict.fromkeys(english.get(c, ()))) for c in COMPONENTS},
            places={zh: tuple(ens) for zh, ens in load_places().items()},
            names=NameFinder(load_lexicon(), [p.text for p in passages]),
        )

    def subprogramme_of(self, p: Passage) -> str | None:
        """The number of the subprogramme a passage sits under, or None (overview, part B totals, annexes)."""
        return next((self.headings[h] for h in p.heading if h in self.headings), None)

    def named_in(self, text: str) -> set[str]:
        """The subprogrammes `text` names, by number or by name; a name inside a title is the title's
        ("常规武器" in 《特定常规武器公约》 is a treaty, not subprogramme 3)."""
        bare = fold(_TITLE.sub(" ", text))
        return {
            n for n in self.subprogrammes if any(name and fold(name) in bare for name in self.names_of(n))
        }

    def names_of(self, number: str) -> list[str]:
        """How sentences and table rows name a subprogramme: "次级方案 3", "3. 常规武器", "常规武器"."""
        name = self.subprogrammes.get(number, "")
        return [f"次级方案 {number}"] + ([f"{number}. {name}", name] if name else [])


def section_of(p: Passage) -> str | None:
    """The template section a passage sits in (目标, 战略, …), from the deepest heading that names one; part B
    (员额资源和非员额资源) is all 资源."""
    if p.heading and p.heading[0].startswith("B."):
        return "资源"
    for h in reversed(p.heading):
        section = next((name for pattern, name in SECTION_OF_HEADING if pattern.match(h)), None)
        if section:
            return section
    return None


def component_of(p: Passage) -> str | None:
    return next((h for h in p.heading if h in COMPONENTS), None)


def is_overview(p: Passage) -> bool:
    """A passage of the resource overview (part B › 概述): where the section's own totals are given."""
    return (
        len(p.heading) >= 2
        and p.heading[0].startswith("B.")
        and p.heading[1] == "概述"
        and p.kind != "figure"
    )
