"""API keys as data: who a caller is (a key's name), what it may do (scopes) and its own rate limit.

`CITEQA_KEYS_FILE` names a JSON list of keys, each stored as the sha256 of the key, never the key:

    [{"name": "search-box", "sha256": "<64 hex digits>", "scopes": ["search"], "rate_limit_per_min": 1200},
     {"name": "ops", "sha256": "…", "scopes": ["admin"]}]

The file is read again when it changes: its mtime, size and inode are looked at, at most once a second
(`CHECK_EVERY_S`), on the request path; a rename into place is seen like an edit. A file that does not parse
or validate keeps the keys last loaded and is logged once per version of the file. At start, a bad file stops
the service: there are no good keys to keep.

`CITEQA_API_KEY` is one more key, named "default", with every API scope; `/reload` keeps today's rule for it
(the admin key, or a loopback caller when there is none). `CITEQA_ADMIN_KEY` is the key named "admin".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ..settings import Settings

log = logging.getLogger("citeqa.keys")

SEARCH, ASK, PASSAGES, ADMIN = "search", "ask", "passages", "admin"
SCOPES = (SEARCH, ASK, PASSAGES, ADMIN)
API_SCOPES = frozenset({SEARCH, ASK, PASSAGES})
# Names the service gives callers itself, so a file's key never shares their rate-limit bucket or metric series.
ANONYMOUS, DEFAULT, ADMIN_NAME = "anonymous", "default", "admin"
RESERVED = (ANONYMOUS, DEFAULT, ADMIN_NAME)
CHECK_EVERY_S = 1.0
MAX_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class ScopeRule:
    """A path (and the paths under it) and the scope a key needs for it; `scope` None: any valid key."""

    prefix: str
    scope: str | None
    methods: frozenset[str] | None = None  # None: every method

    def matches(self, method: str, path: str) -> bool:
        return (path == self.prefix or path.startswith(self.prefix + "/")) and (
            self.methods is None or method in self.methods
        )


# The one table from a route to the scope it needs. A new route joins it with one line (a method-specific rule
# before the path's general one: the first match wins); tests/test_keys.py fails for an API route missing here.
ROUTE_SCOPES: tuple[ScopeRule, ...] = (
    ScopeRule("/search", SEARCH),
    ScopeRule("/ask", ASK),
    ScopeRule("/v1/chat/completions", ASK),
    ScopeRule("/v1/models", ASK),
    ScopeRule("/passages", PASSAGES),
    ScopeRule("/references", PASSAGES),
    ScopeRule("/tables", PASSAGES),
    ScopeRule("/documents", PASSAGES),
    ScopeRule("/reload", ADMIN, frozenset({"POST"})),
    # Rating an answer goes with asking; reading what everyone rated is an administrator's.
    ScopeRule("/feedback", ASK, frozenset({"POST"})),
    ScopeRule("/feedback", ADMIN, frozenset({"GET"})),
    # Every key's name with its counts: an administrator's once keys are required (open without keys,
    # service/runtime/middleware.py OPEN_WITHOUT_KEYS).
    ScopeRule("/metrics", ADMIN, frozenset({"GET"})),
)


def scope_for(method: str, path: str) -> str | None:
    """The scope a request needs; None for a path no rule names (any valid key will do)."""
    return next((r.scope for r in ROUTE_SCOPES if r.matches(method, path)), None)


def listed(method: str, path: str) -> bool:
    """Whether a rule names this route at all (tests hold every API route to the table)."""
    return any(r.matches(method, path) for r in ROUTE_SCOPES)


@dataclass(frozen=True)
class Caller:
    """Who a request comes from, as far as logs, metrics, scopes and rate limits are concerned."""

    name: str
    scopes: frozenset[str]
    rate_limit_per_min: int | None = None  # None: the service's `rate_limit_per_min`
    legacy: bool = False  # CITEQA_API_KEY: /reload is decided as before keys had scopes

    def may(self, scope: str | None) -> bool:
        return scope is None or scope in self.scopes


class KeysFileError(ValueError):
    """The keys file cannot be read or is not a valid list of keys; the message says which entry and why."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")
    scopes: list[str] = Field(min_length=1)
    rate_limit_per_min: int | None = Field(None, ge=0)


_ENTRIES = TypeAdapter(list[_Entry])


@dataclass(frozen=True)
class _Key:
    digest: bytes
    caller: Caller


def digest(key: str) -> bytes:
    """The sha256 of a key as sent: header values are bytes, which Starlette hands over as latin-1."""
    return hashlib.sha256(key.encode("latin-1", errors="replace")).digest()


def parse_keys(text: str) -> tuple[_Key, ...]:
    """The keys of a keys file's text; `KeysFileError` naming the first problem otherwise (never a key's hash)."""
    try:
        entries = _ENTRIES.validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first["loc"]]
        if not loc:
            raise KeysFileError(f"the file must be a JSON list of keys ({first['msg']})") from None
        field = f", field {'.'.join(loc[1:])}" if len(loc) > 1 else ""
        raise KeysFileError(f"entry {loc[0]}{field}: {first['msg']}") from None
    keys: list[_Key] = []
    names: set[str] = set()
    digests: set[bytes] = set()
    for i, e in enumerate(entries):
        unknown = sorted(set(e.scopes) - set(SCOPES))
        if unknown:
            raise KeysFileError(
                f"entry {i} ({e.name}): unknown scope {unknown[0]!r}; scopes are {', '.join(SCOPES)}"
            )
        if e.name in RESERVED:
            raise KeysFileError(f"entry {i}: the name {e.name!r} is the service's own; choose another")
        if e.name in names:
            raise KeysFileError(f"entry {i}: the name {e.name!r} is used twice")
        d = bytes.fromhex(e.sha256)
        if d in digests:
            raise KeysFileError(f"entry {i} ({e.name}): the same key hash as an earlier entry")
        names.add(e.name)
        digests.add(d)
        keys.append(_Key(d, Caller(e.name, frozenset(e.scopes), e.rate_limit_per_min)))
    return tuple(keys)


class KeyRing:
    """The keys in force: the file's, CITEQA_API_KEY's and CITEQA_ADMIN_KEY's. Safe to share across requests:
    a reload replaces the tuple of keys whole."""

    def __init__(self, settings: Settings) -> None:
        self._file = settings.keys_file
        self._env = tuple(
            _Key(digest(k), c)
            for k, c in (
                (settings.api_key, Caller(DEFAULT, API_SCOPES, legacy=True)),
                (settings.admin_key, Caller(ADMIN_NAME, frozenset({ADMIN}))),
            )
            if k
        )
        self._admin = bool(settings.admin_key)
        self._keys: tuple[_Key, ...] = ()
        self._stamp: tuple[int, int, int] | None = None
        self._next_check = 0.0
        self._lock = threading.Lock()
        if self._file is not None:
            stamp = self._stat()
            if stamp is None:
                raise KeysFileError(f"CITEQA_KEYS_FILE {self._file.name}: cannot read it")
            self._keys = self._read(stamp)

    @property
    def required(self) -> bool:
        """Whether API calls need a key: CITEQA_API_KEY or a keys file is set (an empty file admits no one)."""
        return self._file is not None or any(k.caller.name == DEFAULT for k in self._env)

    @property
    def has_admin_key(self) -> bool:
        return self._admin

    def identify(self, presented: Iterable[str], scope: str | None = None) -> Caller | None:
        """The caller whose key is among `presented` (the first one that is a key), or None. A key set twice
        (say as both CITEQA_API_KEY and CITEQA_ADMIN_KEY) is the caller that may use `scope`, if one may."""
        for key in presented:
            if key:
                found = _find(digest(key), self._keys + self._env)
                if found:
                    return next((c for c in found if c.may(scope)), found[0])
        return None

    def refresh(self) -> set[str]:
        """Read the file again if it changed (looked at once a second at most); the names it no longer has."""
        if self._file is None:
            return set()
        now = time.monotonic()
        with self._lock:
            if now < self._next_check:
                return set()
            self._next_check = now + CHECK_EVERY_S
            stamp = self._stat()
            if stamp == self._stamp:
                return set()
            before = {k.caller.name for k in self._keys}
            if stamp is None:
                self._stamp = None
                log.error(
                    json.dumps(
                        {"event": "keys_file_unreadable", "file": self._file.name, "kept": len(self._keys)}
                    )
                )
                return set()
            try:
                self._keys = self._read(stamp)
            except KeysFileError as exc:
                log.error(
                    json.dumps(
                        {
                            "event": "keys_file_refused",
                            "file": self._file.name,
                            "error": str(exc),
                            "kept": len(self._keys),
                        }
                    )
                )
                return set()
            log.info(
                json.dumps(
                    {
                        "event": "keys_file_loaded",
                        "file": self._file.name,
                        "names": [k.caller.name for k in self._keys],
                    }
                )
            )
            return before - {k.caller.name for k in self._keys}

    def _stat(self) -> tuple[int, int, int] | None:
        assert self._file is not None
        try:
            st = os.stat(self._file)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def _read(self, stamp: tuple[int, int, int]) -> tuple[_Key, ...]:
        # The stamp is taken first: a version that fails is logged once, not every second until it changes.
        self._stamp = stamp
        assert self._file is not None
        try:
            if stamp[1] > MAX_FILE_BYTES:
                raise KeysFileError(f"larger than {MAX_FILE_BYTES} bytes")
            text = Path(self._file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise KeysFileError(f"cannot read it ({type(exc).__name__})") from None
        return parse_keys(text)


def _find(given: bytes, keys: tuple[_Key, ...]) -> list[Caller]:
    # Every digest is compared, in constant time each, so the time taken says nothing of which key matched.
    return [k.caller for k in keys if hmac.compare_digest(given, k.digest)]
