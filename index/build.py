"""The build step: passages + embedder → an index directory, written whole or not at all.

The directory is written under a temporary name next to the target and renamed into place once complete. A
writer added to `EXTRA_WRITERS` (or passed as `extra_writers`) puts its own files in the directory before the
manifest is written; the manifest then checksums whatever is there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from tqdm import tqdm

from corpus.model import Passage
from corpus.split import Piece, pieces

from .candidates import write_candidates
from .embedder import Embedder, embed_passages_sorted, engine_of
from .fingerprint import code_sha256 as current_code_sha256
from .lexical import LexicalIndex
from .manifest import (
    FORMAT_VERSION,
    LEXICAL,
    PASSAGES,
    ROWS,
    VECTORS,
    Manifest,
    checksums,
    package_versions,
)

__all__ = ["LEXICAL", "PASSAGES", "ROWS", "VECTORS", "Built", "build_index", "remove_stale_builds"]

_BATCH = 16


@dataclass(frozen=True)
class Built:
    """What a writer gets: the directory being written, and the data the index is built from."""

    directory: Path
    passages: Sequence[Passage]
    rows: list[Piece]
    vectors: np.ndarray  # one L2-normalised row per piece
    embedder: Embedder


Writer = Callable[[Built], None]
EXTRA_WRITERS: list[Writer] = []


def build_index(
    passages: Sequence[Passage],
    embedder: Embedder,
    out_dir: Path,
    corpus_sha256: str,
    query_prefix: str,
    passage_prefix: str,
    progress: bool = True,
    *,
    code_sha256: str | None = None,
    query_engine: str | None = None,
    extra_writers: Sequence[Writer] = (),
) -> Manifest:
    """Embed every piece and write the index to `out_dir`, replacing what was there only once it is complete.

    `code_sha256` defaults to the code in hand (`fingerprint.code_sha256`); `query_engine` names the engine that
    will embed queries against this index (by default the builder's own).
    """
    rows = pieces(passages)
    texts = [r.text for r in rows]
    bar = tqdm(total=len(texts), desc="embedding", unit="piece", disable=not progress)
    vectors = embed_passages_sorted(embedder, texts, _BATCH, bar.update)
    bar.close()
    # Inner product on L2-normalised vectors is cosine similarity, and the flat index computes it exactly.
    index = faiss.IndexFlatIP(embedder.dim)
    index.add(vectors)
    lexical = LexicalIndex.build(texts)

    def write(tmp: Path) -> Manifest:
        faiss.write_index(index, str(tmp / VECTORS))
        lexical.save(tmp / LEXICAL)
        _write_jsonl(tmp / PASSAGES, [p.to_dict() for p in passages])
        _write_jsonl(tmp / ROWS, [{"passage_id": r.passage_id, "text": r.text} for r in rows])
        write_candidates(passages, embedder, tmp)
        built = Built(tmp, passages, rows, vectors, embedder)
        for writer in [*EXTRA_WRITERS, *extra_writers]:
            writer(built)
        return Manifest(
            format_version=FORMAT_VERSION,
            model_id=embedder.model_id,
            dim=embedder.dim,
            query_prefix=query_prefix,
            passage_prefix=passage_prefix,
            corpus_sha256=corpus_sha256,
            code_sha256=code_sha256 or current_code_sha256(),
            doc=passages[0].doc if passages else "",
            passages=len(passages),
            rows=len(rows),
            build_engine=engine_of(embedder),
            query_engine=query_engine or engine_of(embedder),
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            versions=package_versions(),
            files={},
        )

    return publish(out_dir, write)


def publish(out_dir: Path, write: Callable[[Path], Manifest]) -> Manifest:
    """Write an index into a temporary directory beside `out_dir` (`write` fills it and returns its manifest,
    without the file checksums), then rename it into place: a crash never leaves half an index."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_builds(out_dir)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(out_dir, "build"), dir=out_dir.parent))
    try:
        manifest = replace(write(tmp), files=checksums(tmp))
        # The manifest goes last: a directory without one is never mistaken for an index.
        manifest.save(tmp)
        # mkdtemp creates an owner-only directory; the service may run as another user.
        tmp.chmod(0o755)
        _swap_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _temp_prefix(out_dir: Path, kind: str) -> str:
    # The builder's pid is in the name, so a later build can tell a dead build's leftovers from a live one's.
    return f".{out_dir.name}.{kind}-{os.getpid()}-"


def remove_stale_builds(out_dir: Path) -> list[Path]:
    """Remove temporary directories left next to `out_dir` by builds that were killed (their process is gone)."""
    pattern = re.compile(re.escape(f".{out_dir.name}.") + r"(?:build|old)-(\d+)-")
    removed: list[Path] = []
    if not out_dir.parent.is_dir():
        return removed
    for path in out_dir.parent.iterdir():
        m = pattern.match(path.name)
        if m and path.is_dir() and not _alive(int(m[1])):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _swap_into_place(tmp: Path, out_dir: Path) -> None:
    """Rename the finished directory into place; a running server keeps the files it already opened."""
    if out_dir.exists():
        old = out_dir.with_name(f"{_temp_prefix(out_dir, 'old')}{int(time.time() * 1000)}")
        os.replace(out_dir, old)
        os.replace(tmp, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out_dir)


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
