"""How many texts use each lexical token, counted once per set of texts and kept on disk for later starts.

The reader weighs a question's terms by how few passages use them (`reader.terms.TermWeights`): counting means
cutting every passage with jieba, about a third of a second of a service's start. The counts depend only on the
texts and on the tokenizer (its code, the glossary's words, jieba's version), so they are kept in a file named
by a hash of all of these, beside jieba's own cache: the first start of a document writes it, later starts read
it in a millisecond. A missing, unreadable or unwritable file only means counting again.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from .fingerprint import code_sha256
from .lexical import tokenize

FORMAT = 1


def _path(texts: Sequence[str]) -> Path:
    digest = hashlib.sha256(f"{FORMAT}/{metadata.version('jieba')}/{code_sha256()}".encode())
    for text in texts:
        digest.update(text.encode() + b"\0")
    return Path(tempfile.gettempdir()) / f"citeqa-df-{digest.hexdigest()[:24]}.bin"


def document_frequencies(texts: Sequence[str]) -> dict[str, int]:
    """token -> how many of `texts` hold it (each text's `index.lexical.tokenize` tokens, counted once)."""
    path = _path(texts)
    try:
        cached = marshal.loads(path.read_bytes())
        if isinstance(cached, dict):
            return cached
    except (OSError, ValueError, EOFError, TypeError):
        pass
    df: dict[str, int] = {}
    for text in texts:
        for token in set(tokenize(text)):
            df[token] = df.get(token, 0) + 1
    _write(path, df)
    return df


def _write(path: Path, df: dict[str, int]) -> None:
    try:
        fd, tmp = tempfile.mkstemp(prefix=path.name, dir=path.parent)
    except OSError:
        return  # a read-only temporary directory: every start counts
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(marshal.dumps(df))
        os.chmod(tmp, 0o644)  # another user's service may read it
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
