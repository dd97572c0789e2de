"""Requirements and verification on hand-written cases: each requirement kind rejects a candidate that breaks
it and accepts one that meets it. Passages, candidates and the lexicon are written here, not taken from the
evaluation set."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from corpus.candidates import Candidate
from corpus.lexicon import fold, load_lexicon
from corpus.model import Passage
from index.query import Hit
from reader import explain
from reader.names import NameFinder, chinese_numeral
from reader.question import Question, analyse, counted
from reader.requirements import Requirements, Unmet, focus, measures_of
from reader.scoring import Scored
from reader.template import Template

DOC = "A/1 (Sect. 1)"
OVERVIEW = ["B. 所需资源", "概述"]
SP3 = ["B. 所需资源", "次级方案 3 常规武器"]


def _lexicon(tmp_path: Path) -> NameFinder:
    entries = [
        {"zh": ["裁军谈判会议", "裁谈会"], "en": ["Conference on Disarmament", "CD"], "kind": "body"},
        {"zh": ["第十次审议大会"], "en": ["Tenth Review Conference"], "kind": "treaty"},
        {"zh": ["审议大会"], "en": ["Review Conference"], "kind": "treaty"},
        {"zh": ["方案"], "en": ["Programme"], "kind": "programme"},
        {"zh": ["次级方案"], "en": ["Subprogramme"], "kind": "term"},
        {"zh": ["大会"], "en": ["General Assembly"], "kind": "body"},
        {"zh": ["裁军事务厅", "裁军厅"], "en": ["Office for Disarmament Affairs", "UNODA"], "kind": "body"},
    ]
    path = tmp_path / "lexicon.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    # Twenty-two passages: fifteen print 大会 and two the Office, names of the document's setting rather than
    # subjects (as the real document prints the Office in 36 passages of 246); one prints 裁谈会.
    texts = (
        ["大会决定。"] * 15 + ["裁谈会举行会议。"] + ["裁军厅支持会员国。"] * 2 + ["本方案支持会员国。"] * 4
    )
    return NameFinder(load_lexicon(path), texts)


def _template(names: NameFinder | None = None) -> Template:
    return Template(
        subprogrammes={"3": "常规武器"},
        headings={"次级方案 3 常规武器": "3"},
        names=names,
        places={"日内瓦": ("geneva",), "纽约": ("new york",)},
    )


def _scored(
    text: str,
    kind: str = "sentence",
    heading: list[str] | None = None,
    unit: str = "",
    row_label: str = "",
    column: str = "",
    context: str = "",
    features: dict[str, float] | None = None,
) -> Scored:
    p = Passage("4.1", DOC, "table" if kind == "cell" else "paragraph", text, heading or OVERVIEW)
    c = Candidate("4.1", 0, len(text), kind, context, row_label=row_label, column=column, unit=unit)  # type: ignore[arg-type]
    return Scored(c, p, Hit(p, 1.0, 1.0, 1.0, False), 1.0, features or {})


def _q(text: str, names: NameFinder | None = None) -> Question:
    return analyse(text, _template(names))


# ---------------------------------------------------------------- names


def test_names_are_words_of_the_question_longest_first(tmp_path: Path) -> None:
    finder = _lexicon(tmp_path)
    assert [n.label for n in finder.find("裁军谈判会议第十次审议大会在哪里举行？", "zh")] == [
        "裁军谈判会议",
        "第十次审议大会",
    ]
    # 方案 inside 次级方案 is no name; the Office is what the whole document is about.
    assert finder.find("次级方案 3 的裁军事务厅资源是多少？", "zh") == ()
    # 大会 is printed by fifteen passages of twenty: the document's setting, not a subject.
    assert finder.find("大会要求什么？", "zh") == ()


def test_an_ordinal_is_a_name_of_its_own(tmp_path: Path) -> None:
    finder = _lexicon(tmp_path)
    zh = finder.find("第十二次审议大会在哪一年举行？", "zh")
    assert [n.label for n in zh] == ["审议大会", "第十二次"]
    en = finder.find("When is the Twelfth Review Conference?", "en")
    assert [n.forms for n in en] == [("审议大会",), ("第十二次", "第十二届")]
    # An ordinal that numbers no meeting ("the first question") is not one.
    assert finder.find("What is the first item of the list?", "en") == ()
    assert [chinese_numeral(n) for n in (1, 10, 11, 12, 20, 21)] == [
        "一",
        "十",
        "十一",
        "十二",
        "二十",
        "二十一",
    ]


@pytest.mark.parametrize(
    ("question", "unit"),
    [
        ("2024 年拟议多少个员额？", "posts"),
        ("举行了几次会议？", "meetings"),
        ("选出多少名青年卫士？", "people"),
        ("How many countries took part?", "countries"),
        ("How many sessions did it hold?", "meetings"),
        ("How many weeks does it meet?", "weeks"),
        ("有多少独立访客？", "visitors"),
        ("资源是多少？", None),
    ],
)
def test_what_a_count_counts(question: str, unit: str | None) -> None:
    assert counted(question) == unit


# ---------------------------------------------------------------- the measure


def test_money_is_not_answered_with_a_count_of_posts_or_meetings() -> None:
    req = Requirements(_template(), {})
    q = _q("拟议资源是多少千美元？")
    assert req.unmet(q, _scored("66", "cell", unit="员额数目"), strict=False) == [
        Unmet("measure", "money", "posts")
    ]
    assert req.unmet(q, _scored("25", "cell", unit="3 小时会议次数"), strict=False)[0].found == "meetings"
    assert req.unmet(q, _scored("3 059.4", "cell", unit="千美元"), strict=False) == []


def test_posts_are_counted_with_the_word_or_a_grade_never_with_money() -> None:
    req = Requirements(_template(), {})
    q = _q("拟议多少个员额？")
    assert req.unmet(q, _scored("拟议设立 7 个员额。")) == []
    assert req.unmet(q, _scored("拟议设立 1 个 P-4 和 2 D-1。")) == []
    assert req.unmet(q, _scored("资源为 3 059 400 美元。"))[0].kind == "measure"
    # A figure with a fraction is an amount, not a count, whatever its row says.
    assert req.unmet(q, _scored("1 171.9", "cell", unit="", row_label="员额"))[0].kind == "measure"


def test_a_sentence_counts_with_a_measure_word_not_with_a_symbol() -> None:
    req = Requirements(_template(), {})
    q = _q("多少个国家批准了该条约？")
    assert req.unmet(q, _scored("已有 68 个国家批准。")) == []
    assert req.unmet(q, _scored("见大会第 76/515 号决议和有关国家的报告。"))[0].kind == "measure"


def test_a_percentage_in_words_is_a_share() -> None:
    s = _scored("一半的援助以虚拟形式提供。")
    assert measures_of(s) == ["percent"]


def test_thousands_of_dollars_prefer_a_table_but_take_a_sentence_when_no_table_answers() -> None:
    req = Requirements(_template(), {})
    q = _q("次级方案 3 的资源是多少千美元？")
    sentence = _scored("资源为 3 059 400 美元。", heading=SP3)
    assert req.unmet(q, sentence) == [Unmet("unit", "千美元")]
    assert req.unmet(q, sentence, strict=False) == []
    # Asked without a unit, an amount is preferred as the paragraphs say it, in dollars.
    dollars = _q("次级方案 3 的资源是多少？")
    assert req.unmet(dollars, _scored("3 059.4", "cell", unit="千美元", heading=SP3)) == [
        Unmet("unit", "美元")
    ]
    assert req.unmet(dollars, sentence) == []


def test_a_list_of_a_named_thing_names_several_of_them(tmp_path: Path) -> None:
    finder = _lexicon(tmp_path)
    req = Requirements(_template(finder), {})
    q = _q("审议大会有哪些？", finder)
    assert req.unmet(q, _scored("裁军厅支持三次审议大会。")) == [Unmet("list", "审议大会")]
    assert req.unmet(q, _scored("第九次审议大会、第十次审议大会和第十一次审议大会。")) == []
    assert req.unmet(q, _scored("审议大会包括：")) == []


def test_a_place_is_said_of_its_name_in_the_same_words(tmp_path: Path) -> None:
    finder = _lexicon(tmp_path)
    req = Requirements(_template(finder), {})
    q = _q("裁军谈判会议在哪里举行？", finder)
    assert q.answer_type == "place"
    # The paragraph names the body elsewhere; the sentence with the place does not.
    text = "裁谈会每年开会。另一个会议在纽约举行。"
    p = Passage("4.1", DOC, "paragraph", text, OVERVIEW)
    c = Candidate("4.1", text.index("另"), len(text), "sentence", "")
    assert req.unmet(q, Scored(c, p, Hit(p, 1.0, 1.0, 1.0, False), 1.0, {})) == [
        Unmet("type", "裁军谈判会议")
    ]
    assert req.unmet(q, _scored("裁谈会在日内瓦举行。")) == []
    assert explain.reason(q, [Unmet("type", "裁军谈判会议")], "") == "本文件没有给出「裁军谈判会议」的地点。"


def test_an_amount_for_posts_is_the_posts_row_not_the_non_post_one() -> None:
    req = Requirements(_template(), {})
    q = _q("非员额资源是多少千美元？")
    assert req.unmet(q, _scored("120.0", "cell", unit="千美元", row_label="员额"))[0].kind == "cost_of"
    assert req.unmet(q, _scored("15.0", "cell", unit="千美元", row_label="非员额")) == []


# ---------------------------------------------------------------- the whole or a part


def test_a_question_about_the_whole_is_not_answered_with_a_part() -> None:
    req = Requirements(_template(), {})
    q = _q("拟议员额一共多少个？")
    assert q.whole
    assert req.unmet(q, _scored("66", "cell", unit="员额数目", row_label="小计(1)")) == []
    assert req.unmet(q, _scored("7", "cell", unit="员额数目", row_label="3. 常规武器")) == [
        Unmet("whole", found="常规武器")
    ]
    assert req.unmet(q, _scored("50", "cell", unit="员额数目", row_label="小计(C)"))[0].kind == "whole"
    assert req.unmet(q, _scored("设立 7 个员额。", heading=SP3))[0].kind == "whole"
    # Naming the part makes the part right.
    assert not _q("次级方案 3 的 2024 年拟议员额是多少个？").whole


def test_a_question_about_a_part_is_not_answered_with_the_whole() -> None:
    req = Requirements(_template(), {})
    year_ok = {"year_ok": 1.0}  # the year asked is met: what is tested is the part
    q = _q("次级方案 3 的 2024 年拟议员额是多少个？")
    # The section's figure, printed in the overview and naming no subprogramme, is not subprogramme 3's …
    assert req.unmet(q, _scored("2024 年拟议 66 个员额。", features=year_ok)) == [Unmet("subprogramme", "3")]
    assert req.unmet(q, _scored("66", "cell", unit="员额数目", row_label="小计(1)", features=year_ok)) == [
        Unmet("subprogramme", "3")
    ]
    # … one printed under it, or in a row or a sentence that names it, is.
    assert req.unmet(q, _scored("2024 年拟议 7 个员额。", heading=SP3, features=year_ok)) == []
    assert (
        req.unmet(q, _scored("7", "cell", unit="员额数目", row_label="3. 常规武器", features=year_ok)) == []
    )
    assert req.unmet(q, _scored("次级方案 3 在 2024 年拟议 7 个员额。", features=year_ok)) == []


# ---------------------------------------------------------------- named things


def test_every_named_thing_must_be_in_the_evidence(tmp_path: Path) -> None:
    finder = _lexicon(tmp_path)
    req = Requirements(_template(finder), {})
    q = _q("第十二次审议大会在哪一年举行？", finder)
    assert req.unmet(q, _scored("第十次审议大会于 2022 年举行。"))[0] == Unmet("name", "第十二次")
    assert req.unmet(q, _scored("第十二次审议大会将于 2030 年举行。")) == []
    # The name may be said by what the span is about: its heading or its lead-in.
    cd = _q("裁军谈判会议每年举行几次会议？", finder)
    assert req.unmet(cd, _scored("2024 年会议数量：1 次会议。", context="裁谈会")) == []
    assert req.unmet(cd, _scored("2024 年会议数量：1 次会议。"))[0].kind == "name"


# ---------------------------------------------------------------- saying why


def test_the_nearest_candidate_that_names_what_was_asked_says_why(tmp_path: Path) -> None:
    finder = _lexicon(tmp_path)
    req = Requirements(_template(finder), {})
    q = _q("裁军谈判会议的经费是多少美元？", finder)
    elsewhere = _scored("区域中心的资源为 3 000 美元。")
    meetings = _scored("25", "cell", unit="3 小时会议次数", context="裁谈会")
    chosen, why = req.choose(q, [elsewhere, meetings])
    assert chosen is None and why == [Unmet("measure", "money", "meetings")]
    # Without a candidate that names it, the nearest of all.
    assert req.choose(q, [elsewhere]) == (None, [Unmet("name", "裁军谈判会议")])
    # One that meets every requirement is chosen whatever comes before it.
    money = _scored("裁谈会的资源为 9 200 美元。")
    assert req.choose(q, [elsewhere, meetings, money]) == (money, [])


def test_an_abstention_says_what_the_document_has_instead(tmp_path: Path) -> None:
    finder = _lexicon(tmp_path)
    q = _q("裁军谈判会议的经费是多少美元？", finder)
    why = explain.reason(q, [Unmet("measure", "money", "meetings")], "裁谈会举行会议")
    assert why == "本文件只给出「裁军谈判会议」的会议次数，未给出经费数额。"
    en = _q("How much money does the Conference on Disarmament get?", finder)
    assert explain.reason(en, [Unmet("measure", "money", "meetings")], "") == (
        "The document gives a number of meetings for Conference on Disarmament here, not an amount of money."
    )
    # A name the document never prints is said to be missing, whatever else failed.
    twelfth = _q("第十二次审议大会在哪一年举行？", finder)
    assert (
        explain.reason(twelfth, [Unmet("name", "第十二次")], "第十次审议大会")
        == "本文件没有提到「第十二次」。"
    )
    assert (
        explain.reason(_q("2025 年拟议资源是多少？"), [Unmet("year", "2025")], "")
        == "本文件没有 2025 年的这一数字。"
    )


def test_a_table_of_money_and_posts_says_which_by_its_section_of_rows() -> None:
    req = Requirements(_template(), {})
    posts = _scored(
        "8.2", "cell", unit="千美元/员额数目", row_label="按职类列示的员额资源 › 共计", column="变动 百分比"
    )
    money = _scored(
        "10.1",
        "cell",
        unit="千美元/员额数目",
        row_label="按主要支出类别列示的财政资源 › 共计",
        column="变动 百分比",
    )
    q = _q("员额总数变动的百分比是多少？")
    assert req.unmet(q, posts) == [] and req.unmet(q, money) == [Unmet("measure", "posts", "money")]
    count = _q("员额共计多少个？")
    assert (
        req.unmet(
            count, _scored("66", "cell", unit="千美元/员额数目", row_label="按职类列示的员额资源 › 共计")
        )
        == []
    )
    assert (
        req.unmet(
            count,
            _scored(
                "15 232.8", "cell", unit="千美元/员额数目", row_label="按主要支出类别列示的财政资源 › 共计"
            ),
        )[0].kind
        == "measure"
    )


def test_a_level_is_not_answered_with_a_change_column_nor_a_change_with_a_level() -> None:
    req = Requirements(_template(), {})
    change = _scored("(278.2)", "cell", unit="千美元", column="变动 共计", features={"change_bad": 1.0})
    assert req.unmet(_q("资源减少了多少千美元？"), change) == [Unmet("change", "change")]


@pytest.mark.parametrize(
    ("question", "kind", "unit"),
    [
        ("经常预算员额 2024 年拟议是多少？", "count", None),
        ("员额费用是多少千美元？", "money", None),
        ("审议大会推迟了多久？", "count", "duration"),
        ("How long was it postponed?", "count", "duration"),
    ],
)
def test_posts_asked_without_money_words_are_a_count(question: str, kind: str, unit: str | None) -> None:
    q = _q(question)
    assert (q.answer_type, q.counted) == (kind, unit)


def test_a_duration_is_counted_in_years_months_or_days() -> None:
    req = Requirements(_template(), {})
    assert req.unmet(_q("审议大会推迟了多久？"), _scored("审议大会推迟两年举行。")) == []


def test_a_sentence_that_names_a_part_is_that_parts() -> None:
    req = Requirements(_template(), {})
    q = _q("拟议员额一共多少个？")
    assert req.unmet(q, _scored("次级方案 3 下 3 个 NPO 和 1 个 GS (PL)。")) == [
        Unmet("whole", found="次级方案 3")
    ]
    assert req.unmet(q, _scored("拟议员额共计 66 个员额。")) == []


def test_a_word_inside_another_is_no_change() -> None:
    assert not _q("What was executive direction's expenditure?").change
    assert _q("What cuts are proposed?").change and _q("资源减少了多少？").change


def test_a_change_asked_in_words_is_a_change() -> None:
    q = _q("比 2023 年批款少了多少千美元？")
    assert q.change and not _q("2024 年拟议资源是多少千美元？").change


def test_a_long_row_label_is_a_name_a_short_one_is_not(tmp_path: Path) -> None:
    entries = [
        {"zh": ["专业及以上职类"], "en": ["Professional and higher"], "kind": "row"},
        {"zh": ["共计"], "en": ["Total"], "kind": "row"},
    ]
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    finder = NameFinder(load_lexicon(path), [])
    assert [n.label for n in finder.find("And in the Professional and higher category, in total?", "en")] == [
        "Professional and higher"
    ]


def test_a_question_with_a_word_of_its_own_is_not_about_the_whole_section() -> None:
    from reader.terms import TermWeights

    # Twenty passages: every one speaks of resources; one of a fellowship programme.
    passages = [
        Passage(
            f"4.{i}", DOC, "paragraph", "2024 年拟议资源为 100 美元。" + ("研究金方案。" if i == 1 else "")
        )
        for i in range(20)
    ]
    req = Requirements(_template(), {}, TermWeights(passages))
    part = _scored("研究金方案资源为 100 美元。", heading=SP3)
    assert req.whole(_q("2024 年拟议资源是多少？"))
    assert not req.whole(_q("研究金方案 2024 年拟议资源是多少？"))  # a word a tenth of the passages use
    assert req.whole(_q("研究金方案 2024 年拟议资源总额是多少？"))  # unless it says total
    assert req.unmet(_q("研究金方案拟议资源是多少？"), part) == []


def test_a_line_of_post_changes_gives_no_number_of_posts() -> None:
    req = Requirements(_template(), {})
    assert req.unmet(_q("拟议多少个员额？"), _scored("设立 5 个员额：1 个 P-4。"))[0] == Unmet(
        "change", "level"
    )
    new = _q("2024 年拟议新设多少个员额？")
    assert new.change and req.unmet(new, _scored("设立 5 个员额：1 个 P-4。"), strict=False) == [
        Unmet("year", "2024")
    ]


def test_a_line_of_a_years_posts_gives_no_change_in_them() -> None:
    req = Requirements(_template(), {})
    new = _q("2025 年拟议新设多少个员额？")
    level = _scored("2025 年拟议 12 3 个 P-3、9 个 GS (OL)")
    assert req.unmet(new, level, strict=False) == [Unmet("change", "change"), Unmet("year", "2025")]
    # Asked for the level, the same line answers; a sentence that starts with the year is no table line.
    assert req.unmet(_q("2025 年拟议多少个员额？"), level, strict=False) == [Unmet("year", "2025")]
    assert Unmet("change", "change") not in req.unmet(
        new, _scored("2025 年拟议新设 2 个员额。"), strict=False
    )


def test_a_change_asked_without_its_cause_prefers_the_whole_change() -> None:
    req = Requirements(_template(), {})
    q = _q("比 2023 年批款少了多少千美元？")
    factor = _scored("(52.9)", "cell", unit="千美元", column="变动 技术调整", features={"year_ok": 1.0})
    whole = _scored("(157.9)", "cell", unit="千美元", column="变动 共计", features={"year_ok": 1.0})
    assert (
        req.unmet(q, factor) == [Unmet("change", "共计", "技术调整")]
        and req.unmet(q, factor, strict=False) == []
    )
    assert req.unmet(q, whole) == []
    assert req.unmet(_q("技术调整比 2023 年少了多少千美元？"), factor) == []
    # The cause may be named in English: the lexicon's sense of the words counts as naming it.
    en = replace(q, text="How much less for technical adjustments?", senses=("技术调整",))
    assert req.unmet(en, factor) == []


# ---------------------------------------------------------------- ordinals, a wrong year, abstention lines


def test_no_ordinal_below_the_first(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        chinese_numeral(0)
    assert chinese_numeral(1) == "一" and chinese_numeral(20) == "二十" and chinese_numeral(99) == "九十九"
    finder = _lexicon(tmp_path)
    labels = [n.label for n in finder.find("When is the 0th meeting of the Conference on Disarmament?", "en")]
    assert labels == ["Conference on Disarmament"]


def test_a_wrong_year_is_one_unmet_requirement() -> None:
    req = Requirements(_template(), {})
    q = _q("2025 年拟议资源是多少美元？")
    wrong = _scored("2024 年拟议资源为 3 000 美元。", features={"year_bad": 1.0})
    assert [u for u in req.unmet(q, wrong, strict=False) if u.kind == "year"] == [Unmet("year", "2025")]


@pytest.mark.parametrize(
    ("question", "unmet", "line"),
    [
        ("2024 年资源减少的原因是什么？", Unmet("type", "reason"), "本文件没有给出所问的原因。"),
        (
            "Why did the resources decrease in 2024?",
            Unmet("type", "reason"),
            "No passage of the document gives the reason.",
        ),
        (
            "When will the workshop be held?",
            Unmet("type", "date"),
            "No passage of the document gives the date.",
        ),
        (
            "2024 年拟议资源比 2023 年增加多少？",
            Unmet("change", "change"),
            "本文件在这里给出的是数额本身，不是所问的变动。",
        ),
        (
            "How much do resources change in 2024?",
            Unmet("change", "共计", "技术调整"),
            "The document gives only one part of the change here (技术调整), not the whole change.",
        ),
        ("非员额资源是多少美元？", Unmet("cost_of", "non-post"), "本文件在这里没有给出非员额的经费。"),
        (
            "How much money is proposed for posts?",
            Unmet("measure", "money", ""),
            "The document does not give an amount of money here.",
        ),
    ],
)
def test_an_abstention_says_what_the_nearest_candidate_lacks(question: str, unmet: Unmet, line: str) -> None:
    q = _q(question)
    assert explain.reason(q, [unmet], "") == line
    assert line != explain.below_floor(q.lang)


def test_a_subprogramme_is_named_in_english_by_any_entry_of_the_lexicon() -> None:
    # Subprogramme 1's English name is no entry query expansion widens with; a question still names it.
    name = "裁军和军备限制问题多边谈判和审议"
    p = Passage("4.1", DOC, "paragraph", "本次级方案支持谈判。", ["A. 工作方案", f"次级方案 1 {name}"])
    template = Template.from_passages([p])
    assert "multilateral negotiations on arms limitation and disarmament" in template.english_names[name]
    q = analyse(
        "What does Multilateral negotiations on arms limitation and disarmament plan for 2024?", template
    )
    assert q.subprogrammes == ("1",)
    assert template.component_en["行政领导和管理"][:2] == ("executive direction and management", "edm")


def test_what_is_asked_of_a_name_is_said_outside_it(tmp_path: Path) -> None:
    entries = [
        {"zh": ["日内瓦办事处"], "en": ["Geneva Branch"], "kind": "body"},
        {"zh": ["下列机构的会议"], "en": ["Meetings of"], "kind": "row"},
    ]
    path = tmp_path / "lexicon.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    finder = NameFinder(
        load_lexicon(path), ["日内瓦办事处负责会议服务。", "下列机构的会议：大会。"] + ["其他。"] * 30
    )
    req = Requirements(_template(finder), {})
    q = _q("日内瓦办事处设在哪里？", finder)
    assert [n.label for n in q.names] == ["日内瓦办事处"]
    # Geneva in the name is not where it is …
    assert req.unmet(q, _scored("日内瓦办事处负责会议服务。"))[0].kind == "type"
    # … a place said of it is.
    assert req.unmet(q, _scored("日内瓦办事处设在纽约。")) == []
    # One English word and a preposition ("Meetings of") name nothing an answer must repeat.
    assert finder.find("How many meetings of the Board are planned?", "en") == ()
    assert [n.label for n in finder.find("Where is the Geneva Branch?", "en")] == ["Geneva Branch"]


def test_a_figures_line_is_a_level_unless_it_says_it_changed() -> None:
    req = Requirements(_template(), {})
    q = _q("次级方案 3 的资源比 2023 年减少了多少千美元？")
    year_ok = {"year_ok": 1.0}
    level = _scored("财政资源分配 | 1 908.2", "row", heading=SP3, unit="千美元", features=year_ok)
    assert Unmet("change", "change") in req.unmet(q, level)
    change = _scored("资源变动 | (157.9)", "row", heading=SP3, unit="千美元", features=year_ok)
    assert all(u.kind != "change" for u in req.unmet(q, change))
    # A level asked is answered by the level's line.
    assert all(u.kind != "change" for u in req.unmet(_q("次级方案 3 的 2023 年资源是多少千美元？"), level))


def test_a_line_of_spending_asked_is_named_by_the_sentence_that_answers(tmp_path: Path) -> None:
    entries = [{"zh": ["咨询人"], "en": ["Consultants"], "kind": "object"}]
    path = tmp_path / "lexicon.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    finder = NameFinder(load_lexicon(path), ["咨询人项下 3 000 美元。"] + ["其他。"] * 30)
    req = Requirements(_template(finder), {})
    q = _q("研究金方案在咨询人项下编列了多少美元？", finder)
    assert [(n.label, n.kind) for n in q.names] == [("咨询人", "object")]
    paragraph = "增加 9 000 美元，用于研究金方案。咨询人项下 3 000 美元，用于编写材料。"
    whole = _scored(paragraph)
    first = replace(whole, candidate=replace(whole.candidate, end=paragraph.index("。") + 1))
    second = replace(whole, candidate=replace(whole.candidate, start=paragraph.index("。") + 1))
    # The sentence of the paragraph that names the line answers first …
    assert req.unmet(q, second) == []
    assert req.unmet(q, first) == [Unmet("named_here", "咨询人")]
    # … and the other is still admissible when no sentence names it.
    assert req.unmet(q, first, strict=False) == []


def test_a_date_is_said_of_a_name_the_paragraph_gave_before(tmp_path: Path) -> None:
    finder = _lexicon(tmp_path)
    req = Requirements(_template(finder), {})
    q = _q("裁军谈判会议第十次审议大会在哪一年举行？", finder)
    paragraph = "裁谈会筹备了第十次审议大会。该次会议将在 2026 年举行。"
    second = paragraph.index("该次")
    later = _scored(paragraph)
    later = replace(later, candidate=replace(later.candidate, start=second))
    # The Conference and the ordinal are said before the clause with the year: it answers …
    assert (
        focus(q, "该次会议将在 2026 年举行。", _template(finder), paragraph[:second]) == []
    )  # names neither
    with_one = "第十次审议大会将在 2026 年举行。"
    assert focus(q, with_one, _template(finder), "裁谈会筹备了会议。") == ["第十次审议大会将在 2026 年举行"]
    # … but not when the ordinal is only said before it: the Tenth's year is not asked of another.
    q11 = _q("裁军谈判会议第十一次审议大会在哪一年举行？", finder)
    assert focus(q11, "审议大会将在 2026 年举行。", _template(finder), "裁谈会第十一次会议。") == []
    # Without what came before, a clause names everything itself.
    assert focus(q, with_one, _template(finder)) == []
    assert req.unmet(q, later)  # a clause that names nothing asked is no answer


def test_a_long_name_is_found_with_its_parts_apart(tmp_path: Path) -> None:
    entries = [
        {
            "zh": ["某条约缔约国第十次审议大会"],
            "en": ["Tenth Review Conference of the Some Treaty"],
            "kind": "treaty",
        },
        {"zh": ["某条约", "某约"], "en": ["Some Treaty"], "kind": "treaty"},
        {"zh": ["缔约国"], "en": ["States parties"], "kind": "term"},
        {"zh": ["审议大会"], "en": ["Review Conference"], "kind": "treaty"},
    ]
    path = tmp_path / "lexicon.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    finder = NameFinder(load_lexicon(path), ["其他。"] * 30)
    (name,) = [n for n in finder.find("某条约缔约国第十次审议大会在哪里举行？", "zh") if n.kind]
    assert name.parts == (("某条约", "某约"), ("缔约国",), ("第十次",), ("审议大会",))
    # Printed whole, or with a year put inside it and a part in its other form …
    assert name.found_in(fold("某条约缔约国第十次审议大会"))
    assert name.found_in(fold("某约缔约国 2026 年第十次审议大会"))
    # … but not with another ordinal, nor with its parts scattered over a long list.
    assert not name.found_in(fold("某约缔约国 2026 年第十一次审议大会"))
    assert not name.found_in(
        fold("某约；" + "其他文书；" * 10 + "缔约国第十次会议；" + "其他；" * 10 + "审议大会")
    )


def test_an_object_of_expenditure_is_named_by_its_own_word(tmp_path: Path) -> None:
    entries = [
        {"zh": ["咨询人"], "en": ["Consultants", "consultant"], "kind": "object"},
        {"zh": ["工作人员差旅"], "en": ["Travel of staff", "travel"], "kind": "object"},
    ]
    path = tmp_path / "lexicon.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    finder = NameFinder(load_lexicon(path), ["其他。"] * 30)
    assert [n.forms for n in finder.find("How much of that is for consultants?", "en")] == [("咨询人",)]
    assert [n.forms for n in finder.find("How much is for travel of staff?", "en")] == [("工作人员差旅",)]
    # "travel" alone is a word the line is also called by, too loose to require ("travel of participants").
    assert finder.find("How much is for travel?", "en") == ()


def test_a_question_naming_a_part_of_the_programme_is_answered_from_it() -> None:
    req = Requirements(_template(), {})
    q = _q("What is the mandate of the Office?")
    assert "任务和背景" in q.sections
    mandate = _scored("本厅负责支持多边裁军努力。", heading=["A. 方案", "总方向", "任务和背景"])
    elsewhere = _scored("确保有效执行本厅的方案任务。", heading=["B. 所需资源", "行政领导和管理"])
    assert req.unmet(q, mandate) == []
    assert req.unmet(q, elsewhere) == [Unmet("section", "任务和背景")]
    # A section named by words every budget question uses (资源) only weighs in the score.
    assert req.unmet(_q("本厅的资源用于什么？"), elsewhere) == []
