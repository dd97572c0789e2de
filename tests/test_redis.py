"""Shared state in Redis (`CITEQA_REDIS_URL`): a real `redis-server` (tests/redis_server.py), the stores on their
own, then real server processes (tests/tiny_serve.py) on one tiny index: two replicas sharing conversations and a
key's allowance, and a replica doing without Redis while it is away. Run by `make test`, not `make fast`."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis

from eval.server import Server
from reader.followups import Turn
from service.runtime.ratelimit import Decision, LocalLimiter
from service.runtime.redis_conversations import RedisConversations
from service.runtime.redis_ratelimit import RedisLimiter
from service.runtime.shared_state import RETRY_S, SharedRedis
from service.settings import Settings
from tests.redis_server import RedisServer, redis_server
from tests.tiny import PASSAGE_PREFIX, QUERY_PREFIX, TINY, TINY_DOC, KeywordEmbedder, build_tiny_index

pytestmark = pytest.mark.redis

FIRST = "深海研究金在哪里？"
FOLLOW_UP = "那日内瓦呢？"  # resolved with the first question's subject: "…深海研究金…日内瓦…"
SUBJECT = "深海研究金"
KEY = "team-key-for-tests"
READY_S = 120.0


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


def _shared(url: str, prefix: str) -> SharedRedis:
    return SharedRedis.connect(Settings(redis_url=url, redis_prefix=prefix, redis_timeout_s=2.0))


def _keys_under(url: str, prefix: str) -> dict[str, int]:
    """Every key under `prefix` and its remaining time to live in ms (-1: none)."""
    with Redis.from_url(url) as r:
        return {k.decode(): int(r.pttl(k)) for k in r.scan_iter(f"{prefix}:*")}


# ---------------------------------------------------------------- the stores


def test_the_token_bucket_in_redis_is_one_for_every_replica_and_atomic(redis: RedisServer) -> None:
    async def run() -> list[bool]:
        # Two replicas' limiters, each with its own connection pool, taking at once from one bucket.
        a, b = _shared(redis.url, "atomic"), _shared(redis.url, "atomic")
        limiters = [RedisLimiter(a, _never()), RedisLimiter(b, _never())]
        try:
            decisions = await asyncio.gather(*(limiters[i % 2].take("key:team", 5, 100) for i in range(12)))
        finally:
            await a.close()
            await b.close()
        return [d.allowed for d in decisions]

    allowed = asyncio.run(run())
    assert allowed.count(True) == 5  # the bucket's size (a minute of 5/min), never more, whoever asked
    ttl = _keys_under(redis.url, "atomic")
    assert list(ttl) == ["atomic:rate:key:team"] and 0 < ttl["atomic:rate:key:team"] <= 61_000


class _never(LocalLimiter):
    """A fallback that must not be used while Redis answers."""

    def take_now(self, bucket: str, per_min: int, burst: int) -> Decision:
        raise AssertionError("fell back to the in-process limiter with Redis up")


def test_conversations_in_redis_are_bounded_every_way_and_expire(redis: RedisServer) -> None:
    async def run() -> tuple[list[Turn], list[Turn], list[Turn]]:
        shared = _shared(redis.url, "bounds")
        store = RedisConversations(shared, limit=3, ttl_s=60, max_turns=2, max_chars=10, max_bytes=60)
        try:
            c = await store.begin("c", owner="alice")
            for i in range(4):
                await store.keep(c, Turn(f"q{i}" + "深" * 20, ["9.3"] * 20))
            kept = (await store.begin("c", owner="alice")).turns
            other_owner = (await store.begin("c", owner="bob")).turns
            for cid in ("d", "e", "f"):  # three more: "c", the least recently used, is dropped
                await store.keep(await store.begin(cid, owner="alice"), Turn(cid, []))
            dropped = (await store.begin("c", owner="alice")).turns
        finally:
            await shared.close()
        return kept, other_owner, dropped

    kept, other_owner, dropped = asyncio.run(run())
    assert [t.question for t in kept] == ["q2" + "深" * 8, "q3" + "深" * 8]  # 2 turns, each cut to 10 chars
    assert sum(len(t.question.encode()) for t in kept) <= 60 and all(len(t.cited) == 8 for t in kept)
    assert other_owner == []  # another caller naming the same id sees nothing
    assert dropped == []
    ttl = _keys_under(redis.url, "bounds")
    assert len([k for k in ttl if k.startswith("bounds:conv:")]) == 3
    assert all(0 < v <= 60_000 for v in ttl.values()), ttl  # a time to live on every key
    for key in ttl:  # neither an owner nor a client's id is a key name
        assert "alice" not in key and not key.endswith((":c", ":d"))


# ---------------------------------------------------------------- real server processes


class TinyServer(Server):
    """A replica: `citeqa serve`'s settings, app and uvicorn options, on the tiny index (tests/tiny_serve.py)."""

    def command(self) -> list[str]:
        return [self.env["PYTHON"], "-m", "tests.tiny_serve", "--port", str(self.port)]


def _env(index_dir: Path, redis_url: str, keys_file: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEQA_")}
    env.update(
        {
            "PYTHON": sys.executable,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "CITEQA_CORPUS": str(TINY),
            "CITEQA_INDEX_DIR": str(index_dir),
            "CITEQA_DOC_SYMBOL": TINY_DOC,
            "CITEQA_MODEL": KeywordEmbedder().model_id,
            "CITEQA_QUERY_PREFIX": QUERY_PREFIX,
            "CITEQA_PASSAGE_PREFIX": PASSAGE_PREFIX,
            "CITEQA_REDIS_URL": redis_url,
            "CITEQA_KEYS_FILE": str(keys_file),
            "CITEQA_REDIS_PREFIX": "replicas",
        }
    )
    return env


def _keys_file(path: Path) -> Path:
    def sha(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    path.write_text(
        json.dumps(
            [
                {"name": "team", "sha256": sha(KEY), "scopes": ["ask", "search", "passages"]},
                {
                    "name": "meter",
                    "sha256": sha("meter-key"),
                    "scopes": ["passages"],
                    "rate_limit_per_min": 4,
                },
            ]
        ),
        encoding="utf-8",
    )
    return path


def _start(tmp: Path, name: str, env: dict[str, str]) -> TinyServer:
    server = TinyServer(tmp / f"{name}.log", env)
    server.start()
    try:
        server.wait_ready(READY_S)
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="module")
def tiny_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_index(tmp_path_factory.mktemp("tiny") / "index").index_dir


def _ask(http: httpx.Client, server: Server, question: str, cid: str | None = None) -> dict[str, Any]:
    r = http.post(
        f"{server.base_url}/ask",
        json={"question": question, "conversation_id": cid},
        headers={"X-API-Key": KEY},
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_two_replicas_share_conversations_and_a_keys_allowance(
    redis: RedisServer, tiny_index: Path, tmp_path: Path
) -> None:
    env = _env(tiny_index, redis.url, _keys_file(tmp_path / "keys.json"))
    a = _start(tmp_path, "a", env)
    try:
        b = _start(tmp_path, "b", env)
        try:
            with httpx.Client(trust_env=False, timeout=30) as http:
                for s in (a, b):
                    assert http.get(f"{s.base_url}/readyz").json()["shared_state"] == "redis"
                # A conversation begun on one replica continues on the other.
                first = _ask(http, a, FIRST)
                follow = _ask(http, b, FOLLOW_UP, first["conversation_id"])
                assert SUBJECT in (follow["resolved_question"] or ""), follow
                again = _ask(http, a, FOLLOW_UP, first["conversation_id"])  # and back: b's turn was kept
                assert SUBJECT in (again["resolved_question"] or "")
                # One key, one allowance (4 a minute), however its requests are spread over the replicas.
                seen = [
                    http.get(f"{s.base_url}/passages/9.3", headers={"X-API-Key": "meter-key"})
                    for s in (a, b, a, b, a, b)
                ]
                assert [r.status_code for r in seen] == [200, 200, 200, 200, 429, 429]
                assert [r.headers["ratelimit-remaining"] for r in seen[:4]] == ["3", "2", "1", "0"]
                assert int(seen[4].headers["retry-after"]) >= 1
        finally:
            b.stop()
    finally:
        a.stop()
    # Nothing in Redis lives for ever.
    assert all(v > 0 for v in _keys_under(redis.url, "replicas").values())


def test_without_redis_a_replica_answers_single_turns_and_says_so(tiny_index: Path, tmp_path: Path) -> None:
    down = RedisServer(tmp_path / "redis")
    down.start()
    try:
        server = _start(tmp_path, "alone", _env(tiny_index, down.url, _keys_file(tmp_path / "keys.json")))
        try:
            with httpx.Client(trust_env=False, timeout=30) as http:
                ready = http.get(f"{server.base_url}/readyz")
                assert ready.json()["shared_state"] == "redis"
                cid = _ask(http, server, FIRST)["conversation_id"]
                down.stop()
                # Redis is gone: every request is still answered, follow-ups stand alone, limits are local.
                for _ in range(3):
                    follow = _ask(http, server, FOLLOW_UP, cid)
                    assert follow["conversation_id"] == cid
                    assert SUBJECT not in (follow["resolved_question"] or "")
                    assert http.get(f"{server.base_url}/passages/9.3", headers={"X-API-Key": KEY}).headers[
                        "ratelimit-remaining"
                    ]
                ready = http.get(f"{server.base_url}/readyz")
                assert ready.status_code == 200 and ready.json()["shared_state"] == "unavailable"
                log = server.log_tail(200_000)
                assert log.count("shared_state_unavailable") == 1  # once per outage, not per request
                assert " 500" not in log and '"status": 500' not in log

                # Back: after at most RETRY_S, one request tries Redis again and the replica shares once more.
                up = RedisServer(tmp_path / "redis", port=down.port)
                up.start()
                try:
                    deadline = time.monotonic() + RETRY_S * 6
                    state = ""
                    while time.monotonic() < deadline and state != "redis":
                        time.sleep(0.2)
                        state = http.get(f"{server.base_url}/readyz").json()["shared_state"]
                    assert state == "redis"
                    assert "shared_state_back" in server.log_tail(200_000)
                    first = _ask(http, server, FIRST)
                    assert SUBJECT in (
                        _ask(http, server, FOLLOW_UP, first["conversation_id"])["resolved_question"] or ""
                    )
                finally:
                    up.stop()
        finally:
            server.stop()
    finally:
        down.stop()
