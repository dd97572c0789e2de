"""When an index is stale, decided without parsing anything: hashes of the inputs and of the code that reads them.

An index depends on the corpus file and on what the parser, splitter and tokenizer make of it. Hashing the
source of that code (the `corpus` package, its glossary and the lexical tokenizer) instead of its output keeps
start-up cheap (no parse of the document) and still makes an index stale after a parser or splitter change.
The cost: an edit to a comment in `corpus/` also asks for a rebuild.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import corpus

_CORPUS_PACKAGE = Path(corpus.__file__).parent
# The tokenizer decides the lexical index's terms; named by path so that hashing it imports nothing.
_TOKENIZER = Path(__file__).with_name("lexical.py")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _code_files() -> list[Path]:
    files = sorted(_CORPUS_PACKAGE.glob("*.py"))
    files += sorted((_CORPUS_PACKAGE / "data").glob("*.json"))
    return files + [_TOKENIZER]


def code_sha256() -> str:
    digest = hashlib.sha256()
    for path in _code_files():
        # Names relative to the package, so an installed copy and a checkout agree.
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def corpus_sha256(documents: Iterable[tuple[str, Path]]) -> str:
    """Every document's symbol and file hash, in order: a changed, added, renamed or reordered one is stale."""
    digest = hashlib.sha256()
    for symbol, source in documents:
        digest.update(symbol.encode() + b"\0" + sha256_file(source).encode() + b"\0")
    return digest.hexdigest()
