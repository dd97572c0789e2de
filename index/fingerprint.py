"""When an index is stale, decided without parsing anything: hashes of the inputs and of the code that reads them.

An index depends on the corpus file and on what the parser, splitter and tokenizer make of it. Hashing the
source of that code (the `corpus` package, its glossary and the lexical tokenizer) instead of its output keeps
start-up cheap (no parse of the document) and still makes an index stale after a parser or splitter change.
The cost: an edit to a comment in `corpus/` also asks for a rebuild.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import corpus

_CORPUS_PACKAGE = Path(corpus.__file__).parent
# The tokenizer decides the lexical index's terms; named by path so that hashing it imports nothing.
_TOKENIZER = Path(__file__).with_name("lexical.py")


@dataclass(frozen=True)
class Fingerprint:
    corpus_sha256: str  # the document file
    code_sha256: str  # parser, splitter, glossary, tokenizer


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# Modules of `corpus` that only read questions (analysis, what facts look like, the template's names): the index
# holds nothing they make, so editing them must not make an index stale.
_QUERY_SIDE = {"question.py", "facts.py", "template.py"}


def _code_files() -> list[Path]:
    files = [p for p in sorted(_CORPUS_PACKAGE.glob("*.py")) if p.name not in _QUERY_SIDE]
    files += sorted((_CORPUS_PACKAGE / "data").glob("*.json"))
    return files + [_TOKENIZER]


def code_sha256() -> str:
    digest = hashlib.sha256()
    for path in _code_files():
        # Names relative to the package, so an installed copy and a checkout agree.
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def fingerprint(corpus_file: Path) -> Fingerprint:
    return Fingerprint(sha256_file(corpus_file), code_sha256())
