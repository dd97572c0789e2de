"""The command line: `serve` builds only a missing index, `ask` continues a conversation, `list` labels its
columns, `eval` passes its options through, and the layers import one way."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import index.open as engine
from citeqa_cli import main as cli
from index.manifest import PASSAGES
from service.settings import Settings

from .tiny import KeywordEmbedder, build_tiny_index


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
    code = ("import sys, service.app, index.open, index.retriever; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'eval', 'citeqa_cli', 'torch'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_serve_refuses_a_damaged_index_without_rebuilding(use: Settings, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
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
        use: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ask", "2024 年拟议经常预算资源是多少？", "--json"]) == 0
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
