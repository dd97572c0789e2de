"""Synthetic programme-budget sections in the template of tests/data/tiny.zh.txt, for multi-document tests.

`section_text(section, paragraphs)` writes a section the parser reads like a real one: a foreword, a running
header and page footer, paragraphs numbered N.1, N.2 … under 次级方案 headings, items (a)/(b), one table
表N.1 in 千美元 and an annex. `paragraphs` is the paragraph count of each subprogramme. Sentences carry
tests.tiny's keywords, so the keyword embedder ranks them by hand-computable cosines, plus a marker word
(`marker`) that only this document uses.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from .tiny import KEYWORDS

_TOPICS = ["数据库", "统计", "监测", "合作", "能力建设", "报告", "会议", "评估", "渔业", "养护"]
_PLACES = ["斐济", "萨摩亚", "汤加", "瓦努阿图", "基里巴斯", "图瓦卢"]


def _sentence(rng: random.Random, marker: str) -> str:
    k1, k2 = rng.sample(KEYWORDS, 2)
    return (
        f"本次级方案将在{rng.choice(_PLACES)}开展{k1}和{k2}方面的{rng.choice(_TOPICS)}工作，"
        f"并就{marker}提交{rng.randint(2, 9)} 份报告。"
    )


def section_text(
    section: int, paragraphs: list[int], marker: str = "试点", title: str = "海洋事务", seed: int = 0
) -> str:
    rng = random.Random(seed * 1000 + section)
    out = [
        " 前言 ",
        f" 2024 年期间，本厅将继续支持会员国在{title}方面的工作，感谢各方的合作与支持。 ",
        "  A. 2024 年拟议方案计划和 2022 年方案执行情况 ",
        "  总方向 ",
        "  任务和背景 ",
    ]
    number = 1
    out.append(f" {section}.{number} 本厅负责协调{title}，任务源自大会相关决议和决定所确定的优先事项。 ")
    for sub, count in enumerate(paragraphs, start=1):
        out += [f"  次级方案 {sub} ", f"  {_TOPICS[(sub - 1) % len(_TOPICS)]} ", "  战略 "]
        for i in range(count):
            number += 1
            if i == 0:
                out += [
                    f" {section}.{number} 为促进实现这一目标，本方案将： ",
                    f"(a) {_sentence(rng, marker)} ",
                    f"(b) {_sentence(rng, marker)} ",
                ]
            else:
                out.append(f" {section}.{number} {_sentence(rng, marker)}{_sentence(rng, marker)} ")
        if sub == 1:
            # A page break inside the text: the running header and the page footer are furniture.
            out += [f"第 {section} 款  {title} ", " ", f"3/9 23-9{section:04d} ", " "]
    number += 1
    out += [
        f" {section}.{number} 表 {section}.1 列出按次级方案分列的拟议资源。 ",
        f"表 {section}.1 ",
        "按次级方案分列的资源 ",
        "(千美元) ",
    ]
    out += [f"{sub}. 次级方案{sub} {sub} 234.5 {sub + 1} 345.6 " for sub in range(1, len(paragraphs) + 1)]
    out += [" 附件一  ", "  2024 年组织结构和员额分配 ", "缩写：NPO，本国专业干事；XB，预算外。 "]
    return "\n\n".join(out) + "\n"


def write_section(
    directory: Path,
    name: str,
    section: int,
    paragraphs: list[int],
    symbol: str | None = None,
    marker: str = "试点",
    seed: int = 0,
) -> Path:
    """Write `NAME.zh.txt` (and its sidecar `NAME.zh.json` when `symbol` is given); return the text's path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.zh.txt"
    path.write_text(section_text(section, paragraphs, marker=marker, seed=seed), encoding="utf-8")
    if symbol is not None:
        path.with_suffix(".json").write_text(
            json.dumps({"symbol": symbol}, ensure_ascii=False), encoding="utf-8"
        )
    return path
