"""Whether a question is about this document at all (reader.verify.Scope), on hand-written passages and a
hand-written lexicon: a body the document never names is another document's; one it names in Chinese, asked by its
English acronym, is this one's."""

from __future__ import annotations

import json
from pathlib import Path

from corpus.lexicon import load_lexicon
from corpus.model import Passage
from reader.names import NameFinder
from reader.question import analyse
from reader.template import Template
from reader.terms import TermWeights
from reader.verify import Scope

DOC = "A/1 (Sect. 1)"
TEXTS = [
    "《禁止某类武器公约》缔约国会议将在 2024 年举行 3 次会议。",
    "裁军事务厅为会员国提供服务。",
    "区域中心的资源为 3 000 美元。",
]


def _scope(tmp_path: Path) -> tuple[Scope, Template]:
    entries = [
        {"zh": ["禁止某类武器公约"], "en": ["Convention on Some Weapons", "CSW"], "kind": "treaty"},
        {"zh": ["裁军事务厅"], "en": ["Office for Disarmament Affairs"], "kind": "body"},
    ]
    path = tmp_path / "lexicon.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    # Few passages print each name, as a subject is printed (a name most passages print is the setting).
    finder = NameFinder(load_lexicon(path), TEXTS + ["本方案支持会员国。"] * 20)
    template = Template(subprogrammes={"3": "常规武器"}, headings={}, names=finder, places={})
    passages = [Passage(f"1.{i}", DOC, "paragraph", t, ["概述"]) for i, t in enumerate(TEXTS, 1)]
    return Scope(passages, template, TermWeights(passages)), template


def test_a_body_named_by_an_acronym_the_lexicon_knows_is_this_documents(tmp_path: Path) -> None:
    scope, template = _scope(tmp_path)
    q = analyse("How many CSW meetings are planned for 2024?", template)
    assert "CSW" in q.bodies
    assert scope.unknown_bodies(q) == [] and not scope.about_something_else(q)


def test_a_body_the_document_never_names_is_another_documents(tmp_path: Path) -> None:
    scope, template = _scope(tmp_path)
    q = analyse("How much does the WXYZ contribute in 2024?", template)
    assert scope.unknown_bodies(q) == ["WXYZ"] and scope.about_something_else(q)
    assert scope.missing(q) == ["WXYZ"]
    # A subprogramme the document lacks is missing too.
    assert scope.missing(analyse("次级方案 9 的资源是多少？", template)) == ["次级方案 9"]


def test_an_acronym_of_any_lexicon_entry_is_a_known_body(tmp_path: Path) -> None:
    # UNDC is an entry the lexicon does not widen queries with (no `search` mark): still a name it knows.
    scope, template = _scope(tmp_path)
    q = analyse("How many meetings does UNDC hold in 2024?", template)
    assert "UNDC" in q.bodies
    assert scope.unknown_bodies(q) == []


def test_an_english_name_no_entry_has_is_another_documents_body(tmp_path: Path) -> None:
    scope, template = _scope(tmp_path)
    q = analyse("What is the 2024 budget of the Office for Outer Space Affairs?", template)
    assert q.bodies == ("Office for Outer Space Affairs",)
    assert scope.unknown_bodies(q) == ["Office for Outer Space Affairs"] and scope.about_something_else(q)
    # One the lexicon names is this document's, with "United Nations" before it or not.
    for text in (
        "What does the Office for Disarmament Affairs do?",
        "What does the United Nations Office for Disarmament Affairs do?",
    ):
        assert scope.unknown_bodies(analyse(text, template)) == []
    # A word that only starts with an organisation's ("Officer") names no organisation.
    assert analyse("Where are the National Professional Officer posts?", template).bodies == ()
