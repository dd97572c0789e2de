"""What the kinds of fact a question asks for look like in this document's text.

An amount is "15 232 800 美元" in a sentence and "15 232.8" in a table of 千美元; a count is "6 515 份申请" or a bare
cell; a date is "2022 年 11 月 28 日"; a reason follows 原因是 / 由于 / 因为. Pure functions, unit-tested on
hand-written cases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Figures are printed with spaces between thousands ("15 232 800"), decimals in tables ("1 392.0").
_NUMBER = r"\d{1,3}(?:[ ,]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
MONEY = re.compile(rf"(?:{_NUMBER})\s?(?:美元|千美元|万美元|亿美元)")
# A share as a figure or in words: "10.1%", "百分之十", "一半", "三分之一".
PERCENT = re.compile(
    rf"(?:{_NUMBER})\s?%|百分之[一二三四五六七八九十百\d.]+|一半|半数|[一二三四五六七八九十]分之[一二三四五六七八九十]"
)
COUNT = re.compile(
    rf"(?<!第)(?<!第 )(?:{_NUMBER})\s?(?:个|次|份|名|人|项|周|天|期|场|国|件|位|种|所|家|起|批|篇|部|轮|届|小时)"
    r"|(?<!第)(?!一个|一项)[一二三四五六七八九十两]+(?:个|次|份|名|项|周|天|期|场|件|位|种)"
)
NUMBER = re.compile(rf"(?<![\d.])(?:{_NUMBER})(?![\d.])")
DATE = re.compile(
    r"(?:19|20)\d\d\s?年(?:\s?\d{1,2}\s?月)?(?:\s?\d{1,2}\s?日)?|\d{1,2}\s?月\s?\d{1,2}\s?日"
    r"|(?:19|20)\d\d(?:\s?[-—至]\s?(?:19|20)\d\d)"
)
# Why something is so: a cause, or where the text points for one. A purpose (用于, 以便) is another question.
# A lesson learned is the template's reason for a planned change ("本次级方案的经验教训是，需要…").
REASON = re.compile(r"原因是|原因在于|由于|因为|因此|所致|反映了|反映出|源于|归因于|是为了|主要是|经验教训是")
# Where a text says another paragraph gives the reason ("第 4.88 (b)段解释了拟议增加该数额的原因", "原因见第 4.12 段").
REASON_POINTER = re.compile(
    r"第\s*(\d+\.\d+\s*(?:[(（][a-z][)）])?\s*[㈠-㈩]?)\s*段\s*(?:解释|说明|列出|阐述)了?[^。]{0,16}原因"
    r"|原因见第\s*(\d+\.\d+\s*(?:[(（][a-z][)）])?\s*[㈠-㈩]?)\s*段"
)
PURPOSE = re.compile(r"用于|以便|为了|旨在|目的是|以期|从而|以加强|以支持|以确保|以提高")
OBJECTIVE = re.compile(r"目标是|促进实现的目标|目标为")
BODY = re.compile(
    r"委员会|大会|会议|理事会|机构|办公室|事务厅|裁军厅|中心|组织|秘书处|秘书长|工作组|专家组|小组|联络处|执行支助股"
    r"|研究所|联盟|缔约国|成员国|会员国|代表|主席"
)
# The document names people only where it is signed ("中满泉(签名)"); titles alone (主任) are posts, not people.
PERSON = re.compile(r"[(（]签名[)）]|先生|女士|阁下")
CHANGE = re.compile(r"增加|减少|增长|下降|变动|净增|净减|技术调整|新的/扩大的任务|其他变动|百分比")
# Where a document points a reader to its own paragraphs and tables ("第 4.87 (b)、4.88 (a)和 4.89 段").
POINTER = re.compile(r"第\s*\d+\.\d+|\d+\.\d+\s*(?:\([a-z]\))?\s*段|表\s*\d+\.\d+")
# Rows that add up the others, from the whole table's (共计) to a part's (小计(1)) to a component's (小计(C)).
TOTAL_ROW = re.compile(r"^(?:共计|小计|总计|合计)|^(?:\(\d\)\s*)?共计")


def total_level(label: str) -> float:
    """How much of a table a total row adds up: 1 the whole, 0.8 a part (小计(1)), 0.5 a component (小计(C))."""
    if not TOTAL_ROW.search(label):
        return 0.0
    if re.match(r"^小计\s*[(（]\d[)）]", label):
        return 0.8
    if label.startswith("小计"):
        return 0.5
    return 1.0


LIST = re.compile(r"、.+、|：\s*\(a\)|[㈠-㈩]|以下|下列|包括")
CELL_SEP = " | "


def has_type(text: str, answer_type: str, places: Iterable[str] = (), table_row: bool = False) -> bool:
    """Whether `text` holds the kind of fact asked for. Table rows hold figures without units, but only in their
    cells: a header line ("2024 年估计") or a caption names a year, not a figure."""
    if table_row and answer_type in ("money", "percent", "count"):
        return CELL_SEP in text and bool(NUMBER.search(text.split(CELL_SEP, 1)[1]))
    if answer_type == "money":
        return bool(MONEY.search(text))
    if answer_type == "percent":
        return bool(PERCENT.search(text))
    if answer_type == "count":
        return bool(COUNT.search(text)) or bool(re.search(r"\d+\s?个", text))
    if answer_type == "date":
        return bool(DATE.search(text))
    if answer_type == "place":
        return any(p in text for p in places)
    if answer_type == "reason":
        return bool(REASON.search(text) or REASON_POINTER.search(text))
    if answer_type == "purpose":
        return bool(PURPOSE.search(text))
    if answer_type == "objective":
        return bool(OBJECTIVE.search(text))
    if answer_type == "person":
        return bool(PERSON.search(text))
    if answer_type == "body":
        return bool(BODY.search(text))
    if answer_type == "where_cited":
        return bool(POINTER.search(text))
    if answer_type == "list":
        return bool(LIST.search(text))
    return True


def is_specific(answer_type: str) -> bool:
    """Types a candidate can visibly lack: an amount, a count, a date, a place …; not "what is X"."""
    return answer_type in {
        "money",
        "percent",
        "count",
        "date",
        "place",
        "person",
        "reason",
        "purpose",
        "objective",
    }
