"""Values derived from a document's texts by the tokenizer, computed once and kept on disk for later starts.

Counting tokens or cutting every passage into words costs a third of a second of a service's start each; the
result depends only on the texts and on the code that derives it (the tokenizer and the glossary's words, which
`fingerprint.code_sha256` covers, jieba's version, and the caller's own version `salt`), so it is kept in a file
named by a hash of all of these, beside jieba's own cache. The first start writes it, later starts read it in
milliseconds. A missing, unreadable or unwritable file only means computing again.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from .fingerprint import code_sha256

T = TypeVar("T")


def path_for(name: str, texts: Sequence[str], salt: bytes = b"") -> Path:
    digest = hashlib.sha256(f"{name}/{metadata.version('jieba')}/{code_sha256()}/".encode() + salt + b"\0")
    for text in texts:
        digest.update(text.encode() + b"\0")
    return Path(tempfile.gettempdir()) / f"citeqa-{name}-{digest.hexdigest()[:24]}.bin"


def load(path: Path) -> Any:
    """What `store` wrote at `path`, or None."""
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None


def store(path: Path, value: Any) -> None:
    try:
        fd, tmp = tempfile.mkstemp(prefix=path.name, dir=path.parent)
    except OSError:
        return  # a read-only temporary directory: every start computes
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(marshal.dumps(value))
        os.chmod(tmp, 0o644)  # another user's service may read it
        os.replace(tmp, path)
    except (OSError, ValueError):
        Path(tmp).unlink(missing_ok=True)


def cached(
    name: str,
    texts: Sequence[str],
    compute: Callable[[], T],
    salt: bytes = b"",
    valid: Callable[[Any], bool] = lambda v: v is not None,
) -> T:
    """`compute()`, or what an earlier call with the same name, texts and salt kept (marshal-able values)."""
    path = path_for(name, texts, salt)
    kept = load(path)
    if valid(kept):
        value: T = kept
        return value
    value = compute()
    store(path, value)
    return value
