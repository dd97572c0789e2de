"""The build step: passages + embedder → an index directory, written whole or not at all."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np
from tqdm import tqdm

from corpus.glossary import chinese_terms
from corpus.model import Passage
from corpus.split import pieces

from .candidates import write_candidates
from .embedder import Embedder
from .lexical import LexicalIndex, add_terms
from .manifest import FORMAT_VERSION, Manifest, package_versions

PASSAGES = "passages.jsonl"
ROWS = "rows.jsonl"
VECTORS = "vectors.faiss"
LEXICAL = "lexical"
_BATCH = 16


def build_index(passages: Sequence[Passage], embedder: Embedder, out_dir: Path, corpus_sha256: str,
                query_prefix: str, passage_prefix: str, progress: bool = True) -> Manifest:
    """Embed every piece and write the index to `out_dir`, replacing what was there only once it is complete."""
    rows = pieces(passages)
    texts = [r.text for r in rows]
    vectors = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    # Batches of similar length: a batch is padded to its longest text, so mixing a table row with a long
    # paragraph wastes most of the work.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    bar = tqdm(total=len(texts), desc="embedding", unit="piece", disable=not progress)
    for start in range(0, len(order), _BATCH):
        batch = order[start : start + _BATCH]
        vectors[batch] = embedder.embed_passages([texts[i] for i in batch])
        bar.update(len(batch))
    bar.close()
    # Inner product on L2-normalised vectors is cosine similarity, and the flat index computes it exactly.
    index = faiss.IndexFlatIP(embedder.dim)
    index.add(vectors)
    add_terms(chinese_terms())
    lexical = LexicalIndex.build(texts)

    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        faiss.write_index(index, str(tmp / VECTORS))
        lexical.save(tmp / LEXICAL)
        _write_jsonl(tmp / PASSAGES, [p.to_dict() for p in passages])
        _write_jsonl(tmp / ROWS, [{"passage_id": r.passage_id, "text": r.text} for r in rows])
        write_candidates(passages, embedder, tmp)
        manifest = Manifest(
            format_version=FORMAT_VERSION, model_id=embedder.model_id, dim=embedder.dim,
            query_prefix=query_prefix, passage_prefix=passage_prefix, corpus_sha256=corpus_sha256,
            doc=passages[0].doc if passages else "", passages=len(passages), rows=len(rows),
            built_at=datetime.now(UTC).isoformat(timespec="seconds"), versions=package_versions(),
        )
        # The manifest goes last: a directory without one is never mistaken for an index.
        manifest.save(tmp)
        _swap_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def _swap_into_place(tmp: Path, out_dir: Path) -> None:
    """Rename the finished directory into place; a running server keeps the files it already opened."""
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old.{int(time.time() * 1000)}")
        os.replace(out_dir, old)
        os.replace(tmp, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out_dir)


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
