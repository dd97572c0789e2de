"""jieba's dictionary, loaded a first character at a time: a service start reads none of it.

jieba keeps its ~350 000-entry prefix dictionary as one marshalled dict in its cache; loading it costs about
0.6 s of CPU on every start. Cutting a text only ever looks up fragments that start at each of its characters,
so this keeps the same entries grouped by first character in one file and unmarshals a group when a text first
needs it. The entries and the total are jieba's own, so every cut is the one jieba would make.

The grouped file is derived once from jieba's dictionary (next to jieba's own cache) and named by a hash of
that dictionary and of this format.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import struct
import tempfile
import threading
from importlib import metadata
from pathlib import Path

import jieba

FORMAT = 1
_HEADER = struct.Struct("<Q")


def cache_path(tokenizer: jieba.Tokenizer) -> Path:
    with tokenizer.get_dict_file() as f:
        source = f.read()
    digest = hashlib.sha256(source + f"{metadata.version('jieba')}/{FORMAT}".encode()).hexdigest()
    return Path(tokenizer.tmp_dir or tempfile.gettempdir()) / f"citeqa-jieba-{digest[:16]}.bin"


def write_grouped(freq: dict[str, int], total: int, path: Path) -> None:
    groups: dict[str, dict[str, int]] = {}
    for word, count in freq.items():
        groups.setdefault(word[:1], {})[word] = count
    blobs = {ch: marshal.dumps(group) for ch, group in groups.items()}
    offsets: dict[str, tuple[int, int]] = {}
    pos = 0
    for ch, blob in blobs.items():
        offsets[ch] = (pos, len(blob))
        pos += len(blob)
    head = marshal.dumps((total, offsets))
    fd, tmp = tempfile.mkstemp(prefix=path.name, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_HEADER.pack(len(head)) + head)
            for blob in blobs.values():
                f.write(blob)
        os.chmod(tmp, 0o644)  # another user's service may read it
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class GroupedFreq(dict[str, int]):
    """jieba's FREQ: a dict that unmarshals a first character's group into itself when a lookup first needs it.

    jieba looks words up with `in`, `[]` (only after `in`) and `.get`, and writes with `[]=` (add_word); all
    but `[]` are overridden.
    """

    def __init__(self, data: bytes) -> None:
        super().__init__()
        (head_len,) = _HEADER.unpack_from(data)
        self.total, self._offsets = marshal.loads(data[_HEADER.size : _HEADER.size + head_len])
        self._data = memoryview(data)[_HEADER.size + head_len :]
        self._loaded: set[str] = set()
        self._early: dict[str, dict[str, int]] = {}  # writes to groups not read yet, by first character
        self._lock = threading.Lock()

    def _load(self, ch: str) -> None:
        with self._lock:
            if ch in self._loaded:
                return
            where = self._offsets.get(ch)
            if where:
                group = marshal.loads(self._data[where[0] : where[0] + where[1]])
                # Entries written before the group was read (add_word) win over the dictionary's.
                group.update(self._early.pop(ch, {}))
                self.update(group)
            self._loaded.add(ch)

    def __setitem__(self, key: str, value: int) -> None:
        if key[:1] not in self._loaded:
            self._early.setdefault(key[:1], {})[key] = value
        dict.__setitem__(self, key, value)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if key[:1] not in self._loaded:
            self._load(key[:1])
        return dict.__contains__(self, key)

    def get(self, key: str, default: int | None = None) -> int | None:  # type: ignore[override]
        if key[:1] not in self._loaded:
            self._load(key[:1])
        return dict.get(self, key, default)

    def load_all(self) -> None:
        for ch in self._offsets:
            self._load(ch)


def lazy_tokenizer() -> jieba.Tokenizer:
    """A `jieba.Tokenizer` with jieba's default dictionary, grouped and loaded as texts need it."""
    tk = jieba.Tokenizer()
    path = cache_path(tk)
    try:
        data = path.read_bytes()
    except OSError:
        tk.initialize()  # once per machine: jieba's own load, then the grouped copy for later starts
        try:
            write_grouped(tk.FREQ, tk.total, path)
        except OSError:
            pass  # a read-only temporary directory: every start pays jieba's full load
        return tk
    freq = GroupedFreq(data)
    tk.FREQ, tk.total, tk.initialized = freq, freq.total, True
    return tk
