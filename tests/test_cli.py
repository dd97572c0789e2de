"""The command line: `serve` builds only a missing index, `ask` continues a conversation, `list` labels its
columns, `eval` passes its options through, and the layers import one way."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import index.open as engine
from citeqa_cli import main as cli
from citeqa_cli import remote
from corpus.parser import DEFAULT_SOURCE, DEFAULT_SYMBOL, load_document
from index.manifest import PASSAGES
from service.settings import Settings

from .tiny import KeywordEmbedder, build_tiny_index, tiny_client


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_tiny_index(tmp_path_factory.mktemp("cli") / "index")


@pytest.fixture
def use(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, built: Settings) -> Settings:
    """The CLI on a copy of the tiny index, the keyword embedder and no running service."""
    copy = tmp_path / "index"
    shutil.copytree(built.index_dir, copy)
    settings = built.model_copy(update={"index_dir": copy, "cache_dir": tmp_path / "cache" / "models"})
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    monkeypatch.setattr(engine, "make_embedder", lambda s: KeywordEmbedder())
    monkeypatch.setenv("CITEQA_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    return settings


def test_service_never_imports_eval_and_the_cli_sits_above_both() -> None:
    code = (
        "import sys, service.app, index.open, index.retriever; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'eval', 'citeqa_cli', 'torch'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_serve_refuses_a_damaged_index_without_rebuilding(
    use: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(engine, "build", lambda s, progress=True, **_: calls.append("build"))
    path = use.index_dir / PASSAGES
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[1:]), encoding="utf-8")
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err.strip()
    assert "citeqa build" in err and len(err.splitlines()) == 1
    assert calls == []


def test_serve_builds_a_missing_index(use: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[str] = []
    monkeypatch.setattr(engine, "build", lambda s, progress=True, **_: calls.append("build"))
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append("run"))
    shutil.rmtree(use.index_dir)
    assert cli.main(["serve"]) == 0
    assert calls == ["build", "run"]


def test_ask_without_a_service_answers_here_and_continues_a_conversation(
    use: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["ask", "次级方案 1 的 2024 年拟议经常预算资源是多少？", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["citations"] and not first["abstained"]
    cid = first["conversation_id"]
    assert cli.main(["ask", "它在哪一段？", "--conversation", cid, "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["conversation_id"] == cid
    assert [c["id"] for c in second["citations"]] == [first["citations"][0]["id"]]
    assert cli.main(["ask", "x", "--conversation", "../../etc"]) == 2


def test_list_labels_its_columns(use: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["list", "--kind", "table"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t") == ["id", "kind", "heading", "chars"]
    assert [line.split("\t")[:2] for line in lines[1:]] == [["表9.1", "table"]]


def test_eval_passes_the_runners_options_through(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "set.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    assert cli.main(["eval", "--set", str(bad), "--limit", "1", "--quiet"]) == 2
    assert "invalid JSON" in capsys.readouterr().err


# ---------------------------------------------------------------- citeqa show, and what ask prints for drafters


@pytest.fixture
def real_doc(monkeypatch: pytest.MonkeyPatch, use: Settings) -> Settings:
    """`show` on the real document (it parses the document; no index is read)."""
    settings = use.model_copy(update={"corpus": DEFAULT_SOURCE, "doc_symbol": DEFAULT_SYMBOL})
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    return settings


def test_show_prints_nothing_on_stderr_for_a_valid_id() -> None:
    # A process of its own: under pytest the logging plugin's handlers would swallow what the parse logs.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEQA_")}
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-m", "citeqa_cli.main", "show", "4.88"],
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
        check=False,
    )
    assert (out.returncode, out.stderr) == (0, "")
    assert out.stdout.startswith("4.88  [paragraph]") and "A/78/6 (Sect. 4)，第 4.88 段" in out.stdout


def test_show_a_cell_id_as_the_api_does(real_doc: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    table = next(p for p in load_document() if p.id == "表4.6").table
    assert table is not None
    found = table.find(10, 2)
    assert found is not None
    row, cell = found
    assert cell is not None
    column = table.column(cell.col)
    assert column is not None
    assert cli.main(["show", "表4.6/r10/c2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("表4.6  [table]") and "focus: 表4.6/r10/c2 (cell)" in out
    for line in (
        f"row_label: {row.label}",
        f"column_path: {' › '.join(column.path)}",
        f"raw: {cell.raw}",
        f"value: {cell.value}",
        f"unit: {cell.unit}",
        "quote: " + row.label + " | ",
    ):
        assert line in out, line
    assert cli.main(["show", "table 4.6 / row10"]) == 0
    assert "focus: 表4.6/r10 (row)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "typed", ["表9.1/r2/c1", "9.2(a)(i)", "A/78/6 (Sect. 9)，第 9.2 (a) ㈠ 段", "附件一"]
)
def test_show_json_is_what_the_api_answers(
    use: Settings, capsys: pytest.CaptureFixture[str], typed: str
) -> None:
    assert cli.main(["show", typed, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    with tiny_client(use) as client:
        r = client.get(f"/passages/{typed}")
    assert r.status_code == 200 and shown == r.json()


@pytest.mark.parametrize(
    ("typed", "code"), [("9.7", 1), ("表9.1/r9", 1), ("hello 9.2", 2), ("A/77/7, 第 9.2 段", 1)]
)
def test_show_an_unknown_id_lists_the_nearest(
    use: Settings, capsys: pytest.CaptureFixture[str], typed: str, code: int
) -> None:
    assert cli.main(["show", typed]) == code
    captured = capsys.readouterr()
    assert captured.out == ""
    nearest = captured.err.splitlines()[-1].removeprefix("nearest: ").split(", ")
    assert nearest and all(cli.main(["show", n]) == 0 for n in nearest)


def test_ask_prints_the_copy_ready_citation_and_the_question_understood(
    use: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["ask", "2024 年拟议经常预算资源是多少？", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert cli.main(["ask", "2024 年拟议经常预算资源是多少？"]) == 0
    out = capsys.readouterr().out
    assert first["citations"] and all(f"[{c['id']}] {c['cite_zh']}" in out for c in first["citations"])
    assert "理解为" not in out
    assert cli.main(["ask", "What are the proposed regular budget resources for 2024?"]) == 0
    assert "A/78/6 (Sect. 9), para. 9.3" in capsys.readouterr().out
    assert cli.main(["ask", "2023 年呢？", "--conversation", first["conversation_id"], "--json"]) == 0
    follow = json.loads(capsys.readouterr().out)
    assert follow["resolved_question"] and follow["resolved_question"] != "2023 年呢？"
    assert cli.main(["ask", "2023 年呢？", "--conversation", first["conversation_id"]]) == 0
    assert f"理解为：{follow['resolved_question']}" in capsys.readouterr().out


def test_ask_says_when_a_conversation_is_unknown(use: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ask", "2024 年拟议经常预算资源是多少？", "--conversation", "never-seen"]) == 0
    err = capsys.readouterr().err
    assert "conversation never-seen is unknown or expired; starting a new one" in err
    assert cli.main(["ask", "它在哪一段？", "--conversation", "never-seen"]) == 0
    assert "unknown or expired" not in capsys.readouterr().err  # the first ask started it
    assert cli.main(["ask", "2024 年拟议经常预算资源是多少？"]) == 0
    assert "unknown or expired" not in capsys.readouterr().err  # no id given: nothing to warn about


def test_ask_through_the_service_says_when_it_started_afresh(
    use: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with tiny_client(use) as client:

        def ask(url: str, question: str, top_k: int, conversation_id: str | None) -> dict[str, object]:
            body = {"question": question, "top_k": top_k, "conversation_id": conversation_id}
            out: dict[str, object] = client.post("/ask", json=body).json()
            return out

        monkeypatch.setattr(remote, "ready", lambda url: True)
        monkeypatch.setattr(remote, "ask", ask)
        assert cli.main(["ask", "2024 年拟议经常预算资源是多少？", "--conversation", "gone"]) == 0
        assert "conversation gone is unknown or expired" in capsys.readouterr().err
        assert cli.main(["ask", "它在哪一段？", "--conversation", "gone"]) == 0
        assert "unknown or expired" not in capsys.readouterr().err
