"""The bilingual lexicon: its data against the document, label composition, English matching, the search-box
helpers, the coverage report, and the glossary functions that now read it."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from corpus import glossary
from corpus.lexicon import (
    KINDS,
    LEXICON,
    Lexicon,
    coverage,
    fold,
    load_lexicon,
    named_bodies,
    overall,
    read_terms,
)
from corpus.model import Passage
from corpus.parser import DEFAULT_SOURCE, load_document


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return load_lexicon()


@pytest.fixture(scope="module")
def passages() -> tuple[Passage, ...]:
    return load_document(DEFAULT_SOURCE)


# ---------------------------------------------------------------- the data


def test_every_chinese_form_occurs_in_the_document() -> None:
    text = fold(DEFAULT_SOURCE.read_text(encoding="utf-8"))
    missing = [z for t in read_terms() for z in t.zh if fold(z) not in text]
    assert missing == []


def test_no_chinese_form_has_two_different_englishes() -> None:
    english: dict[str, set[str]] = defaultdict(set)
    for t in read_terms():
        for z in t.zh:
            english[fold(z)].add(t.en[0])
    assert {z: e for z, e in english.items() if len(e) > 1} == {}


def test_entries_are_well_formed() -> None:
    entries = json.loads(LEXICON.read_text(encoding="utf-8"))
    assert len(entries) > 500
    for e in entries:
        assert set(e) <= {"zh", "en", "kind", "search"}, e
        assert e["kind"] in KINDS and e["zh"] and e["en"], e
        assert all(x == x.strip() and x for x in e["zh"] + e["en"]), e


def test_the_glossary_json_is_gone_and_its_words_live_on(lex: Lexicon) -> None:
    assert not (LEXICON.parent / "glossary.json").exists()
    # Question-side English of the old glossary, each still translated.
    for phrase, zh in [
        ("staff positions", "员额"),
        ("fellows", "研究员"),
        ("salw", "小武器和轻武器"),
        ("unoda", "裁军事务厅"),
        ("acabq", "行预咨委会"),
        ("lomé", "洛美"),
        ("lome", "洛美"),
        ("before recosting", "重计费用前"),
        ("organigramme", "组织结构"),
    ]:
        assert zh in lex.chinese_for(phrase), phrase


def test_places_keep_their_kind() -> None:
    places = glossary.load_places()
    assert places["日内瓦"] == ("geneva",)
    assert "lomé" in places["洛美"] and "new york" in places["纽约"]


# ---------------------------------------------------------------- Chinese to English


def test_english_of_a_term_ignores_the_extraction_spaces(lex: Lexicon) -> None:
    assert lex.english("裁军事务厅") == "Office for Disarmament Affairs"
    assert (
        lex.english("联合国和平与裁军 \n非洲区域中心")
        == "United Nations Regional Centre for Peace and Disarmament in Africa"
    )
    assert lex.english("GS(PL)") == lex.english("GS (PL)") == "General Service (Principal level)"
    assert lex.english("不在文件里的词") is None


@pytest.mark.parametrize(
    ("label", "english"),
    [
        ("小计(1)", "Subtotal (1)"),
        ("小计(C)", "Subtotal (C)"),
        ("2024 年估计(重计费用前)", "2024 estimate (before recosting)"),
        ("(1) 经常预算", "(1) Regular budget"),
        ("(2) 预算外", "(2) Extrabudgetary"),
        ("3. 常规武器", "3. Conventional arms"),
        ("2022 年实际", "2022 actual"),
        ("2023 年核定", "2023 approved"),
        ("工作人员差旅", "Travel of staff"),
        (
            "次级方案 1：2024 年拟议资源(重计费用前)的分配情况",
            "Subprogramme 1: distribution of proposed resources for 2024 (before recosting)",
        ),
        ("表 4.24", "Table 4.24"),
        ("图 4.十一", "Figure 4.XI"),
        ("66 个员额", "66 posts"),
    ],
)
def test_label_en_composes_labels(lex: Lexicon, label: str, english: str) -> None:
    assert lex.label_en(label) == english


def test_label_en_never_returns_mixed_script(lex: Lexicon) -> None:
    assert lex.label_en("小计(某个未知部分)") is None
    assert lex.label_en("") is None


def test_label_en_prefers_the_whole_entry_to_its_parts(lex: Lexicon) -> None:
    # 联合国 + 裁军研究所 would compose too; the entry is the UN name.
    assert lex.label_en("联合国裁军研究所") == "United Nations Institute for Disarmament Research"


# ---------------------------------------------------------------- English to Chinese


def _phrases(lex: Lexicon, text: str) -> list[str]:
    return [text[s:e].lower() for s, e, _ in lex.find_english(text)]


def test_find_english_takes_the_longest_phrase_first(lex: Lexicon) -> None:
    found = lex.find_english("Training on small arms and light weapons")
    assert [t.zh[0] for _, _, t in found] == ["培训", "小武器和轻武器"]
    assert _phrases(lex, "the small arms programme") == ["small arms", "programme"]


def test_find_english_matches_whole_words_in_any_case(lex: Lexicon) -> None:
    assert _phrases(lex, "FIREARMS harm no one") == []
    assert _phrases(lex, "REGULAR BUDGET") == ["regular budget"]


def test_find_english_spans_do_not_overlap(lex: Lexicon) -> None:
    found = lex.find_english(
        "How many regular budget posts does the Office for Disarmament Affairs have in Geneva?"
    )
    spans = [(s, e) for s, e, _ in found]
    assert all(e1 <= s2 for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False))
    assert _phrases(lex, "regular budget posts") == ["regular budget", "posts"]


def test_chinese_for_replaces_expand(lex: Lexicon) -> None:
    question = "How many regular budget posts are proposed for 2024?"
    terms = lex.chinese_for(question)
    assert "经常预算" in terms and "员额" in terms
    # Query expansion keeps to the entries marked search, a part of what the lexicon finds.
    assert {"经常预算", "员额"} <= set(glossary.expand(question)) <= set(terms)
    assert "裁军谈判会议" in lex.chinese_for("Who services the CD?")
    assert "联合国和平与裁军亚洲及太平洋区域中心" in lex.chinese_for("What does UNRCPD do?")


def test_unmatched_words_and_unknown_names_read_the_lexicon() -> None:
    assert glossary.unmatched_words("How many posts does UNODA have?") == []
    assert glossary.unmatched_words("What is the budget of the zoo?") == []  # too short to count
    assert glossary.unmatched_words("What does the Office for Disarmament Affairs organise?") == ["organise"]
    assert glossary.unknown_names("What is the budget of the World Health Organization?") == [
        "World Health Organization"
    ]
    assert glossary.unknown_names("What does the Office for Disarmament Affairs do in Geneva?") == []


def test_tokenizer_vocabulary_is_the_entries_marked_search() -> None:
    terms = glossary.chinese_terms()
    assert {"次级方案", "重计费用", "小武器", "裁军事务厅"} <= set(terms)
    # A long name kept whole would hide 区域中心 inside it from a query.
    assert "联合国和平与裁军非洲区域中心" not in terms


# ---------------------------------------------------------------- search box


def test_complete_offers_terms_for_a_prefix(lex: Lexicon) -> None:
    offered = [t.english for t in lex.complete("weapo")]
    assert offered[0] == "Weapons" and "Nuclear weapons" in offered
    assert lex.complete("zzq") == [] and lex.complete("  ") == []
    assert [t.english for t in lex.complete("UNRE")] == [
        "United Nations Regional Centre for Peace and Disarmament in Africa"
    ]


def test_near_tolerates_one_slip(lex: Lexicon) -> None:
    assert lex.near("wepons")[0].english == "Weapons"  # a letter missing
    assert lex.near("wepaons")[0].english == "Weapons"  # two letters swapped
    assert [t.zh[0] for t in lex.near("smal arms")] == ["小武器"]
    assert lex.near("wxyzons") == []  # two edits away
    assert lex.near("arn") == []  # too short to correct


# ---------------------------------------------------------------- coverage


def test_coverage_of_the_real_document(passages: tuple[Passage, ...], lex: Lexicon) -> None:
    categories = coverage(passages, lex)
    assert [c.name for c in categories] == ["headings", "table row labels", "column headers", "named bodies"]
    assert all(len(c.terms) >= 20 for c in categories)
    assert overall(categories) >= 0.95
    assert all(c.share >= 0.95 for c in categories), [(c.name, c.uncovered) for c in categories]


def test_coverage_counts_what_has_no_english(passages: tuple[Passage, ...], tmp_path: Path) -> None:
    small = tmp_path / "lexicon.json"
    small.write_text(json.dumps([{"zh": ["目标"], "en": ["Objective"], "kind": "heading"}]), encoding="utf-8")
    categories = coverage(passages, load_lexicon(small))
    headings = next(c for c in categories if c.name == "headings")
    assert headings.covered == ("目标",) and "战略" in headings.uncovered
    assert headings.share < 0.1 and overall(categories) < 0.2  # years and grades compose without entries


def test_named_bodies_are_reduced_to_the_name(passages: tuple[Passage, ...], lex: Lexicon) -> None:
    names = named_bodies(passages, lex)
    assert "安全理事会" in names and "裁军谈判会议" in names
    assert not any(n.startswith(("支持", "根据")) for n in names)  # 执行办公室 is a name: 执行 may start one
    assert "会议" not in names


# ---------------------------------------------------------------- offsets, numerals and the phrase cache


def _small_lexicon(tmp_path: Path) -> Lexicon:
    entries = [
        {"zh": ["小武器"], "en": ["small arms", "SALW"], "kind": "term"},
        {"zh": ["武器"], "en": ["arms"], "kind": "term"},
        {"zh": ["预算"], "en": ["budget"], "kind": "budget"},
    ]
    path = tmp_path / "small.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return load_lexicon(path)


def test_find_english_offsets_are_into_the_text_asked_whatever_lower_casing_does(tmp_path: Path) -> None:
    # "İ" lower-cases to two characters: offsets into the lower-cased text would cut the phrases one off.
    lexicon = _small_lexicon(tmp_path)
    text = "İ small arms budget"
    assert [text[s:e] for s, e, _ in lexicon.find_english(text)] == ["small arms", "budget"]
    assert lexicon.chinese_for(text) == ["小武器", "预算"]
    assert lexicon.unmatched("İİ Small Arms and budget").split() == ["i̇i̇", "and"]


def test_a_question_with_a_letter_that_lower_cases_to_two_is_analysed() -> None:
    from reader.question import analyse

    q = analyse("İ small arms budget")
    assert "小武器" in q.senses


def test_a_figure_number_is_a_chinese_numeral_or_nothing(tmp_path: Path) -> None:
    lexicon = _small_lexicon(tmp_path)
    assert lexicon.label_en("图4.十二") == "Figure 4.XII"
    assert lexicon.label_en("图4.二十一") == "Figure 4.XXI"
    assert lexicon.label_en("图4.十") == "Figure 4.X"
    # No numeral: no figure label, and no entry composes it either.
    assert lexicon.label_en("图4.一二") is None
    assert lexicon.label_en("图4.十十") is None


def test_find_english_keeps_the_questions_asked_last_and_hands_out_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import corpus.lexicon

    monkeypatch.setattr(corpus.lexicon, "FIND_CACHE", 2)
    lexicon = _small_lexicon(tmp_path)
    first = lexicon.find_english("small arms")
    first.clear()  # a caller's list is its own
    assert [t.zh for _, _, t in lexicon.find_english("small arms")] == [("小武器",)]
    for text in ("arms", "budget", "SALW budget"):
        lexicon.find_english(text)
    assert len(lexicon._cache) == 2  # noqa: SLF001 -- bounded: the least recently asked went


def test_a_name_is_known_when_one_entry_holds_all_its_words(tmp_path: Path) -> None:
    entries = [
        {"zh": ["某事务厅"], "en": ["Office for Some Affairs"], "kind": "body"},
        {"zh": ["外层"], "en": ["outer layer"], "kind": "term"},
        {"zh": ["研究所"], "en": ["Institute for Research"], "kind": "body"},
    ]
    path = tmp_path / "lexicon.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    small = load_lexicon(path)
    assert small.names_one_entry("Office for Some Affairs")
    # "United Nations" and "the" are any name's fillers; a slip of one letter is still the name.
    assert small.names_one_entry("the United Nations Office for Some Afairs")
    # Words of two entries do not make a name either has.
    assert not small.names_one_entry("Office for Outer Affairs")
    assert not small.names_one_entry("World Research Organization")
    assert not small.names_one_entry("the United Nations")
