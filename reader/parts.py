"""Two questions in one ("…是多少？其中为…编列了多少？", "When does X begin, and in which year is Y?"): each part
is answered on its own, the later ones as follow-ups of the first, and the answer gives every part or says which
one the document lacks.
"""

from __future__ import annotations

import re

# A question mark or a semicolon with more question after it ends a part; so does ", and when/where/why …".
_ZH_BREAK = re.compile(r"(?<=[？?；;])\s*(?=\S)")
_EN_BREAK = re.compile(
    r"(?<=\?)\s+(?=\S)|,?\s+and\s+(?=(?:(?:mainly|also|then)\s+)?(?:when|where|why|which|who|what|how|in which|by how|"
    r"is|are|was|were|does|do|did)\b)",
    re.I,
)
_ZH = re.compile(r"[\u4e00-\u9fff]")
# A part must ask something of its own to count as one: a few words at least.
_MIN_PART = {"zh": 4, "en": 2}


def split(text: str) -> list[str]:
    """The parts of a question; one part when it asks one thing."""
    lang = "zh" if _ZH.search(text) else "en"
    pieces = [p.strip() for p in (_ZH_BREAK if lang == "zh" else _EN_BREAK).split(text.strip()) if p.strip()]
    if len(pieces) < 2:
        return [text.strip()]
    if any(_size(p, lang) < _MIN_PART[lang] for p in pieces):
        return [text.strip()]
    return [_as_question(p, lang) for p in pieces]


def _size(part: str, lang: str) -> int:
    """Characters of a Chinese part, words of an English one."""
    return len(part) if lang == "zh" else len(part.split())


def _as_question(part: str, lang: str) -> str:
    part = part.rstrip("；;，, ")
    if lang == "en":
        part = part[0].upper() + part[1:]
    return part if part.endswith(("？", "?")) else part + ("？" if lang == "zh" else "?")


def join(answers: list[str], lang: str) -> str:
    """One answer from the parts' answers, each on its own line and numbered when there are several."""
    if len(answers) == 1:
        return answers[0]
    mark = "（{}）" if lang == "zh" else "({}) "
    return "\n".join(mark.format(i) + a for i, a in enumerate(answers, start=1))
