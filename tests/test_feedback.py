"""Feedback that becomes tests, through the real app on the tiny document (tests/tiny.py): `answer_id` on every
answer, POST /feedback into SQLite with its bounds, GET /feedback for the admin, and `citeqa feedback export`
round-tripping a stored item into lines the evaluation set's schema, checker and runner accept."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from citeqa_cli.main import main as cli
from corpus.parser import load_document
from service.runtime.feedback import RecentAnswers, RememberedAnswer
from service.settings import Settings
from tests.tiny import TINY, TINY_DOC, KeywordEmbedder, build_tiny_index, tiny_client, tiny_settings

LOOPBACK = ("127.0.0.1", 50000)
REMOTE = ("192.0.2.10", 50000)  # TEST-NET-1: never a real caller
BUDGET = "2024 年拟议经常预算资源是多少？"
OTHER = "深海研究金在哪里？"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_index(tmp_path_factory.mktemp("tiny") / "index").index_dir


def _settings(index: Path, db: Path, **overrides: object) -> Settings:
    return tiny_settings(index, feedback_db=db, rate_limit_per_min=0, **overrides)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "feedback.db"


@pytest.fixture
def client(index: Path, db: Path) -> Iterator[TestClient]:
    with tiny_client(_settings(index, db), client=LOOPBACK) as c:
        yield c


def _ask(client: TestClient, question: str = BUDGET, **headers: str) -> dict:
    r = client.post("/ask", json={"question": question}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _rows(db: Path) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM feedback ORDER BY id")]


def test_every_answer_has_its_own_unguessable_id(client: TestClient) -> None:
    ids = {_ask(client)["answer_id"] for _ in range(3)}
    chat = client.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": BUDGET}]}
    ).json()
    ids.add(chat["answer_id"])
    assert len(ids) == 4 and all(len(i) >= 22 for i in ids)  # 128 random bits in base64url


def test_a_down_vote_with_comment_and_passage_is_stored_with_its_answer(client: TestClient, db: Path) -> None:
    answer = _ask(client)
    r = client.post(
        "/feedback",
        json={
            "answer_id": answer["answer_id"],
            "verdict": "down",
            "comment": "应为 9.2 段",
            "passage": "第 9.2 (a) 段",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["passage"] == "9.2(a)"  # resolved to the canonical id
    [row] = _rows(db)
    assert (row["question"], row["answer"], row["verdict"], row["comment"], row["passage"]) == (
        BUDGET,
        answer["answer"],
        "down",
        "应为 9.2 段",
        "9.2(a)",
    )
    assert row["caller"] == LOOPBACK[0] and row["doc"] == TINY_DOC and row["lang"] == "zh"
    assert [c["id"] for c in json.loads(row["citations"])] == [c["id"] for c in answer["citations"]]
    assert json.loads(row["cited"]) == ["9.3"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_caller_is_stored_as_the_key_name_never_the_key(index: Path, db: Path) -> None:
    with tiny_client(_settings(index, db, api_key="s3cret"), client=LOOPBACK) as c:
        answer = _ask(c, **{"X-API-Key": "s3cret"})
        assert (
            c.post(
                "/feedback",
                json={"answer_id": answer["answer_id"], "verdict": "up"},
                headers={"X-API-Key": "s3cret"},
            ).status_code
            == 201
        )
    [row] = _rows(db)
    assert row["caller"] == "default"  # CITEQA_API_KEY's name (service/runtime/keys.py)


def test_a_fresh_unchecked_key_each_time_is_the_same_caller(index: Path, db: Path) -> None:
    # Keys are off: the X-API-Key sent is checked by no one, so the caller is its address and the daily bound holds.
    codes = []
    with tiny_client(_settings(index, db, feedback_per_day=2), client=REMOTE) as c:
        for n in range(3):
            key = {"X-API-Key": f"made-up-{n}"}
            answer = _ask(c, **key)
            codes.append(
                c.post(
                    "/feedback", json={"answer_id": answer["answer_id"], "verdict": "up"}, headers=key
                ).status_code
            )
    assert codes == [201, 201, 429]
    assert {row["caller"] for row in _rows(db)} == {REMOTE[0]}


def test_a_passage_of_another_document_is_refused_not_read_as_this_ones(client: TestClient, db: Path) -> None:
    answer_id = _ask(client)["answer_id"]
    for typed, says in (
        ("A/78/6 (Sect. 4)，第 9.2 段", "A/78/6 (Sect. 4)"),  # a document the service does not hold
        ("A/78/6 (Sect. 9)，第 9.2 (c) 段", "9.2"),  # its own document, a passage it lacks: the nearest
    ):
        r = client.post("/feedback", json={"answer_id": answer_id, "verdict": "down", "passage": typed})
        assert r.status_code == 422 and says in r.json()["detail"], r.text
    ok = client.post(
        "/feedback",
        json={"answer_id": answer_id, "verdict": "down", "passage": "A/78/6 (Sect. 9)，第 9.2 段"},
    )
    assert ok.status_code == 201 and ok.json()["passage"] == "9.2"


def test_a_passage_for_an_answer_whose_document_is_gone_is_a_422(client: TestClient, db: Path) -> None:
    # After a /reload the answer's document may be no longer loaded: the passage cannot be read in it.
    answer_id = _ask(client)["answer_id"]
    answers = client.app.state.citeqa_feedback.answers  # type: ignore[attr-defined]
    remembered = answers.get(answer_id, "")
    answers.remember(answer_id, dataclasses.replace(remembered, doc="A/78/6 (Sect. 4)"))
    r = client.post("/feedback", json={"answer_id": answer_id, "verdict": "down", "passage": "9.2"})
    assert r.status_code == 422 and "no longer loaded" in r.json()["detail"]
    assert not db.exists()


def test_one_verdict_per_answer(client: TestClient) -> None:
    answer_id = _ask(client)["answer_id"]
    assert client.post("/feedback", json={"answer_id": answer_id, "verdict": "up"}).status_code == 201
    again = client.post("/feedback", json={"answer_id": answer_id, "verdict": "down"})
    assert again.status_code == 409 and "one verdict per answer" in again.json()["detail"]


def test_an_unknown_or_expired_answer_is_a_404(index: Path, db: Path) -> None:
    with tiny_client(_settings(index, db, feedback_answer_ttl_s=0.001), client=LOOPBACK) as c:
        r = c.post("/feedback", json={"answer_id": "no-such-answer", "verdict": "up"})
        assert r.status_code == 404 and "answer_id" in r.json()["detail"]
        expired = _ask(c)["answer_id"]  # remembered for a millisecond: gone by the next request
        assert c.post("/feedback", json={"answer_id": expired, "verdict": "up"}).status_code == 404
    assert not db.exists()


def test_an_answer_takes_feedback_only_from_the_caller_it_was_given_to() -> None:
    answers = RecentAnswers(10, 60)
    answers.remember(
        "a1",
        RememberedAnswer(
            question="q",
            resolved_question=None,
            lang="zh",
            answer="a",
            abstained=False,
            citations=[],
            cited=[],
            doc=TINY_DOC,
            owner="alice",
        ),
    )
    assert answers.get("a1", "alice") is not None
    assert answers.get("a1", "bob") is None and answers.get("a1", "") is None


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"verdict": "up"}, 422, "answer_id"),
        ({"answer_id": "x", "verdict": "meh"}, 422, "verdict"),
        ({"answer_id": "x" * 65, "verdict": "up"}, 422, "answer_id"),
        ({"answer_id": "x", "verdict": "up", "passage": "4" * 65}, 422, "passage"),
    ],
)
def test_bad_feedback_is_a_clear_4xx(client: TestClient, body: dict, status: int, says: str) -> None:
    r = client.post("/feedback", json=body)
    assert r.status_code == status and says in r.json()["detail"]


def test_an_unknown_passage_is_refused_with_the_nearest(client: TestClient, db: Path) -> None:
    answer_id = _ask(client)["answer_id"]
    r = client.post("/feedback", json={"answer_id": answer_id, "verdict": "down", "passage": "9.99"})
    assert (
        r.status_code == 422 and r.json()["detail"].startswith("passage: ") and "9.6" in r.json()["nearest"]
    )
    # The answer can still be rated once the passage is right.
    assert (
        client.post(
            "/feedback", json={"answer_id": answer_id, "verdict": "down", "passage": "9.6"}
        ).status_code
        == 201
    )


def test_comments_are_cut_and_rows_are_bounded_per_caller(index: Path, db: Path) -> None:
    with tiny_client(
        _settings(index, db, feedback_comment_chars=10, feedback_per_day=2), client=LOOPBACK
    ) as c:
        for n in range(2):
            r = c.post(
                "/feedback", json={"answer_id": _ask(c)["answer_id"], "verdict": "up", "comment": "很好" * 20}
            )
            assert r.status_code == 201, (n, r.text)
        r = c.post("/feedback", json={"answer_id": _ask(c)["answer_id"], "verdict": "up"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0 and "a day" in r.json()["detail"]
    assert [len(row["comment"]) for row in _rows(db)] == [10, 10]


def test_the_store_has_a_total_bound(index: Path, db: Path) -> None:
    with tiny_client(_settings(index, db, feedback_max_rows=1), client=LOOPBACK) as c:
        assert (
            c.post("/feedback", json={"answer_id": _ask(c)["answer_id"], "verdict": "up"}).status_code == 201
        )
        r = c.post("/feedback", json={"answer_id": _ask(c)["answer_id"], "verdict": "up"})
        assert r.status_code == 507 and "full" in r.json()["detail"]


def test_remembered_answers_are_bounded(index: Path, db: Path) -> None:
    with tiny_client(_settings(index, db, feedback_answers=2), client=LOOPBACK) as c:
        first = _ask(c)["answer_id"]
        for _ in range(2):
            _ask(c)
        assert len(c.app.state.citeqa_feedback.answers) == 2  # type: ignore[attr-defined]
        assert c.post("/feedback", json={"answer_id": first, "verdict": "up"}).status_code == 404


def test_reading_feedback_is_an_admin_action(index: Path, db: Path) -> None:
    with tiny_client(_settings(index, db), client=REMOTE) as c:
        c.post("/feedback", json={"answer_id": _ask(c)["answer_id"], "verdict": "up"})
        r = c.get("/feedback")
        assert r.status_code == 403 and "loopback" in r.json()["detail"]
    with tiny_client(_settings(index, db, admin_key="adm"), client=REMOTE) as c:
        assert c.get("/feedback").status_code == 401
        assert c.get("/feedback", headers={"X-Admin-Key": "wrong"}).status_code == 401
        page = c.get("/feedback", headers={"X-Admin-Key": "adm"}).json()
        assert (
            page["total"] == 1
            and page["items"][0]["verdict"] == "up"
            and page["items"][0]["question"] == BUDGET
        )


def test_feedback_pages(client: TestClient) -> None:
    for verdict in ("up", "down", "up"):
        client.post("/feedback", json={"answer_id": _ask(client)["answer_id"], "verdict": verdict})
    first = client.get("/feedback", params={"limit": 2}).json()
    second = client.get("/feedback", params={"limit": 2, "offset": 2}).json()
    assert first["total"] == second["total"] == 3
    assert [i["id"] for i in first["items"] + second["items"]] == [1, 2, 3]
    assert client.get("/feedback", params={"verdict": "down"}).json()["total"] == 1
    assert client.get("/feedback", params={"limit": 0}).status_code == 422


def test_no_database_file_until_someone_gives_feedback(client: TestClient, db: Path) -> None:
    _ask(client)
    assert client.get("/feedback").json() == {"items": [], "total": 0, "offset": 0}
    assert not db.exists()


# ---------------------------------------------------------------- citeqa feedback export


def _give(client: TestClient, question: str, verdict: str, **extra: str) -> dict:
    answer = _ask(client, question)
    r = client.post("/feedback", json={"answer_id": answer["answer_id"], "verdict": verdict, **extra})
    assert r.status_code == 201, r.text
    return answer


def _export(
    tmp_path: Path,
    db: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    set_path: Path,
) -> tuple[list[dict], str]:
    monkeypatch.setenv("CITEQA_CORPUS", str(TINY))
    monkeypatch.setenv("CITEQA_DOC_SYMBOL", TINY_DOC)
    monkeypatch.setattr("citeqa_cli.main.get_settings", lambda: Settings())
    out = tmp_path / "from-feedback.jsonl"
    assert cli(["feedback", "export", "--db", str(db), "--out", str(out), "--set", str(set_path)]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return lines, capsys.readouterr().err


def test_export_round_trips_feedback_into_the_evaluation_set(
    client: TestClient,
    index: Path,
    db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from eval.check_set import check
    from eval.runner import run_citeqa
    from eval.schema import load_questions
    from eval.scoring import is_correct

    liked = _give(client, BUDGET, "up")
    _give(client, "法国的首都是哪里？", "up")  # an abstention, confirmed
    _give(client, OTHER, "down", comment="日内瓦", passage="9.6")
    _give(client, "珊瑚礁讲习班", "down", comment="不对")  # no passage: nothing to test against
    existing = tmp_path / "set.jsonl"
    existing.write_text(
        json.dumps(
            {
                "id": "q041",
                "question": "已有的问题",
                "lang": "zh",
                "kind": "fact_zh",
                "gold": ["9.3"],
                "answer": "1 234 500",
                "split": "dev",
            }
        )
        + "\n",
        encoding="utf-8",
    )

    lines, err = _export(tmp_path, db, monkeypatch, capsys, existing)

    assert [(r["id"], r["kind"], r["gold"], r["answer"]) for r in lines] == [
        ("q042", "number", ["9.3"], "1 234 500"),  # 👍: the answer's figure, found in the passage it cites
        ("q043", "unanswerable", [], ""),
        ("q044", "fact_zh", ["9.6"], "日内瓦"),  # 👎: the passage named, the comment's words found in it
    ]
    assert lines[0]["question"] == BUDGET and all(r["split"] == "dev" and r["lang"] == "zh" for r in lines)
    assert "without the right passage" in err and "3 question(s) from 4 feedback item(s); 1 skipped" in err
    # The lines join the set as they are: the project's checker, the schema and the runner take them.
    path = tmp_path / "joined.jsonl"
    path.write_text(
        existing.read_text(encoding="utf-8") + (tmp_path / "from-feedback.jsonl").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    assert check(path, load_document(TINY, TINY_DOC)) == []
    questions = load_questions(path)
    predictions, _ = run_citeqa(
        _settings(index, tmp_path / "x.db"), questions, embedder=KeywordEmbedder(), progress=False
    )
    by_id = {q.id: (q, p) for q, p in zip(questions, predictions, strict=True)}
    assert by_id["q042"][1].answer == liked["answer"] and is_correct(*by_id["q042"])
    assert is_correct(*by_id["q043"])  # still abstained on


def test_export_skips_questions_already_in_the_set(
    client: TestClient,
    db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _give(client, BUDGET, "up")
    _give(client, BUDGET, "up")
    empty = tmp_path / "none.jsonl"
    lines, err = _export(tmp_path, db, monkeypatch, capsys, empty)
    assert [r["id"] for r in lines] == ["q001"] and "in the set already" in err


def test_export_skips_a_line_the_set_checker_refuses() -> None:
    from citeqa_cli.feedback import _checked

    good = {
        "id": "q007",
        "question": "预算是多少？",
        "lang": "zh",
        "kind": "number",
        "gold": ["9.3"],
        "answer": "1 234 500",
        "split": "dev",
        "_row": 1,
    }
    bad = {**good, "id": "q008", "question": "另一个问题", "answer": "不在文中", "_row": 2}
    kept, skipped = _checked([bad, good], load_document(TINY, TINY_DOC), [])
    assert [(r["id"], r["question"]) for r in kept] == [("q007", "预算是多少？")] and list(kept[0])[0] == "id"
    assert len(skipped) == 1 and skipped[0].startswith("feedback 2: ") and "not found in gold" in skipped[0]


def test_export_reads_the_service_pages_with_the_admin_key(
    index: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from citeqa_cli import feedback, remote

    with tiny_client(_settings(index, db, admin_key="adm"), client=REMOTE) as c:
        for _ in range(3):
            c.post("/feedback", json={"answer_id": _ask(c)["answer_id"], "verdict": "up"})
        sent: list[dict[str, str]] = []

        def get_json(url: str, path: str, headers: dict[str, str]) -> object:
            sent.append(headers)
            r = c.get(path, headers=headers)
            assert r.status_code == 200, r.text
            return r.json()

        monkeypatch.setattr(remote, "get_json", get_json)
        monkeypatch.setattr(feedback, "PAGE", 2)
        items = feedback.served_items("http://service", "adm")
    assert [i["id"] for i in items] == [1, 2, 3] and len(sent) == 2 and sent[0] == {"X-Admin-Key": "adm"}


def test_export_opens_the_database_read_only_and_says_what_is_wrong_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("citeqa_cli.main.get_settings", lambda: tiny_settings(tmp_path))
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all " * 100)
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()  # a SQLite file with no feedback in it
    for path in (junk, empty):
        before = path.read_bytes()
        assert cli(["feedback", "export", "--db", str(path)]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err and path.name in err, err
        assert path.read_bytes() == before  # nothing created or written in it
        assert not path.with_name(path.name + "-wal").exists()
