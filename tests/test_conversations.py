"""Follow-ups and conversation state (service.runtime.conversations), as pure units."""

from __future__ import annotations

import pytest

from reader.followups import Turn, is_followup, resolve
from service.runtime import conversations as conv_module
from service.runtime.conversations import Conversations

BUDGET_SP1 = "次级方案 1 的 2024 年拟议经常预算资源是多少？"


def test_subprogramme_swap() -> None:
    r = resolve("那次级方案 3 呢？", Turn(BUDGET_SP1, ["4.98"]))
    assert r.question == "次级方案 3 的 2024 年拟议经常预算资源是多少？"
    assert not r.refers_back


def test_subprogramme_swap_in_english() -> None:
    r = resolve("And subprogramme 2?", Turn("What are the 2024 resources of subprogramme 4?", ["4.110"]))
    assert r.question == "What are the 2024 resources of subprogramme 2?"


def test_year_swap() -> None:
    r = resolve("what about 2023?", Turn("What is the regular budget for 2024?", ["4.86"]))
    assert r.question == "What is the regular budget for 2023?"
    assert not r.refers_back


def test_year_swap_in_chinese() -> None:
    r = resolve("那 2022 年呢？", Turn("2024 年拟议经常预算资源是多少？", ["4.86"]))
    assert r.question == "2022 年拟议经常预算资源是多少？"


def test_swaps_chain_over_turns() -> None:
    # The turn records the resolved question, so a second follow-up still has the subject.
    first = resolve("那次级方案 3 呢？", Turn(BUDGET_SP1, ["4.98"]))
    second = resolve("what about 2023?", Turn(first.question, ["4.103"]))
    assert second.question == "次级方案 3 的 2023 年拟议经常预算资源是多少？"


@pytest.mark.parametrize("question", ["它在哪一段？", "出处？", "Which paragraph?", "where is it"])
def test_where_from_refers_back(question: str) -> None:
    r = resolve(question, Turn(BUDGET_SP1, ["4.98"]))
    assert r.refers_back
    assert r.previous_cited == ["4.98"]
    assert r.question == BUDGET_SP1


def test_where_from_without_a_citation_does_not_refer_back() -> None:
    assert not resolve("它在哪一段？", Turn(BUDGET_SP1, [])).refers_back


def test_a_follow_up_that_names_another_measure_swaps_it() -> None:
    # Slots, not concatenation: "of which posts?" asks the same question about posts instead of resources.
    r = resolve("其中员额多少？", Turn(BUDGET_SP1, ["4.98"]))
    assert r.question == "次级方案 1 的 2024 年拟议经常预算员额是多少？"


@pytest.mark.parametrize(
    "question",
    [
        "2024 年拟议经常预算资源是多少？",
        "裁军事务厅在日内瓦和维也纳各设有哪些办事处？",
        "What is the mandate of the Office for Disarmament Affairs under the General Assembly?",
        "How many fellows does the disarmament fellowship programme train each year?",
    ],
)
def test_a_full_question_is_not_a_follow_up(question: str) -> None:
    assert not is_followup(question)
    r = resolve(question, Turn(BUDGET_SP1, ["4.98"]))
    assert r.question == question
    assert not r.refers_back


@pytest.mark.parametrize(
    "question", ["那次级方案 3 呢？", "它在哪一段？", "what about 2023?", "and 2022?", "这笔钱呢"]
)
def test_short_or_leaning_questions_are_follow_ups(question: str) -> None:
    assert is_followup(question)


def test_no_previous_turn_means_no_follow_up() -> None:
    r = resolve("那次级方案 3 呢？", None)
    assert r.question == "那次级方案 3 呢？"
    assert not r.refers_back and r.previous_cited == []


# ---------------------------------------------------------------- the store


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(conv_module.time, "monotonic", c)
    return c


def test_ids_are_new_unless_given_and_stay_stable() -> None:
    store = Conversations(limit=10, ttl_s=60, max_turns=5)
    a, b = store.get_or_create(None), store.get_or_create(None)
    assert a.id != b.id
    assert store.get_or_create(a.id) is a
    # An unknown id starts afresh under that id, so the client's id stays valid.
    assert store.get_or_create("client-chosen").id == "client-chosen"


def test_no_leak_between_conversations() -> None:
    store = Conversations(limit=10, ttl_s=60, max_turns=5)
    a = store.get_or_create("a")
    store.record(a, Turn("q in a", ["9.3"]))
    b = store.get_or_create("b")
    assert b.turns == []
    assert store.get_or_create("a").turns == [Turn("q in a", ["9.3"])]


def test_turns_are_bounded() -> None:
    store = Conversations(limit=10, ttl_s=60, max_turns=3)
    c = store.get_or_create("c")
    for i in range(5):
        store.record(c, Turn(f"q{i}", []))
    assert [t.question for t in store.get_or_create("c").turns] == ["q2", "q3", "q4"]


def test_count_is_bounded_least_recently_used_first(clock: Clock) -> None:
    store = Conversations(limit=3, ttl_s=60, max_turns=5)
    for cid in ["a", "b", "c"]:
        store.record(store.get_or_create(cid), Turn(cid, []))
        clock.now += 1
    store.get_or_create("a")  # touched: now b is the oldest
    store.get_or_create("d")
    assert len(store) == 3
    assert store.get_or_create("a").turns == [Turn("a", [])]
    assert store.get_or_create("b").turns == []  # forgotten, started afresh


def test_ttl_expiry(clock: Clock) -> None:
    store = Conversations(limit=10, ttl_s=60, max_turns=5)
    store.record(store.get_or_create("old"), Turn("q", ["9.3"]))
    clock.now += 30
    store.record(store.get_or_create("young"), Turn("q", ["9.4"]))
    clock.now += 31  # "old" last touched 61 s ago, "young" 31 s ago
    assert store.get_or_create("young").turns == [Turn("q", ["9.4"])]
    assert len(store) == 1
    assert store.get_or_create("old").turns == []


def test_a_turn_keeps_a_conversation_alive(clock: Clock) -> None:
    store = Conversations(limit=10, ttl_s=60, max_turns=5)
    c = store.get_or_create("c")
    for _ in range(3):
        clock.now += 50
        store.record(store.get_or_create("c"), Turn("q", []))
    assert len(store.get_or_create("c").turns) == 3
    assert c.id == "c"


def test_a_conversation_belongs_to_its_owner() -> None:
    store = Conversations(limit=10, ttl_s=60, max_turns=5)
    a = store.get_or_create("shared", owner="alice")
    store.record(a, Turn("alice's question", ["9.3"]))
    b = store.get_or_create("shared", owner="bob")
    assert b is not a and b.id == "shared" and b.turns == []
    assert store.get_or_create("shared", owner="alice").turns == [Turn("alice's question", ["9.3"])]
    assert store.get_or_create("shared").turns == []  # a keyless caller is another owner too


def test_stored_text_is_cut_per_turn_and_bounded_per_conversation() -> None:
    store = Conversations(limit=10, ttl_s=60, max_turns=50, max_chars=10, max_bytes=40)
    c = store.get_or_create("c")
    store.record(c, Turn("深" * 100, []))
    assert c.turns[0].question == "深" * 10  # the start is kept: it holds the subject
    for i in range(20):
        store.record(c, Turn(f"q{i:02d}" * 10, []))
    assert store.size_bytes(c) <= 40
    assert [t.question for t in c.turns][-1] == "q19q19q19q"  # the newest turns are the ones kept
