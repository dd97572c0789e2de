"""Issue 13, finding by finding, through the real app on the tiny corpus and the keyword embedder: each test
failed on the code before the fix. Loopback only; every loop is bounded."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import uvicorn
from fastapi.testclient import TestClient

from index.library import Library
from index.store import StoreError
from service.api.deps import Loaded
from service.app import STATIC, create_app
from service.settings import Settings
from tests.tiny import KeywordEmbedder, build_tiny_index, tiny_client, tiny_settings

LOOPBACK = ("127.0.0.1", 50000)
REMOTE = ("192.0.2.10", 50000)  # TEST-NET-1: never a real caller


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_tiny_index(tmp_path_factory.mktemp("tiny") / "index")


def _unlimited(settings: Settings, **overrides: object) -> Settings:
    return tiny_settings(settings.index_dir, **{"rate_limit_per_min": 0, **overrides})


def _series(metrics_text: str) -> int:
    return sum(1 for line in metrics_text.splitlines() if line.startswith("citeqa_"))


# ---------------------------------------------------------------- 1. a conversation is bounded


def test_sixty_long_follow_ups_do_not_grow_the_answer_or_the_conversation(settings: Settings) -> None:
    s = _unlimited(settings)
    follow_up = ("and what about 深海 " + "研究金 " * 1000)[: s.max_question_chars]
    sizes, resolved = [], []
    with tiny_client(s) as c:
        first = c.post("/ask", json={"question": "深海研究金在哪里？"}).json()
        cid = first["conversation_id"]
        for _ in range(60):
            r = c.post("/ask", json={"question": follow_up, "conversation_id": cid})
            assert r.status_code == 200
            sizes.append(len(r.content))
            resolved.append(len(r.json()["resolved_question"] or ""))
        store = c.app.state.citeqa.conversations  # type: ignore[attr-defined]
        held = store.size_bytes(store.get_or_create(cid))
    # A follow-up inherits at most one stored turn, itself cut to the question limit.
    assert max(resolved) <= 2 * s.max_question_chars + 1
    assert max(sizes[10:]) <= max(sizes[:10])  # turn 60 is no larger than the first turns
    assert held <= s.conversation_max_bytes


# ---------------------------------------------------------------- 2. /reload is an admin action and stops the old index


def test_reload_without_an_admin_key_is_for_loopback_callers_only(settings: Settings) -> None:
    with tiny_client(_unlimited(settings), client=REMOTE) as c:
        r = c.post("/reload")
        assert r.status_code == 403
        assert "loopback" in r.json()["detail"] and "CITEQA_ADMIN_KEY" in r.json()["detail"]
    with tiny_client(_unlimited(settings), client=LOOPBACK) as c:
        assert c.post("/reload").status_code == 200


def test_reload_with_an_admin_key_needs_that_key_and_not_the_api_key(settings: Settings) -> None:
    with tiny_client(_unlimited(settings, admin_key="adm", api_key="k"), client=REMOTE) as c:
        assert c.post("/reload").status_code == 401
        assert c.post("/reload", headers={"X-API-Key": "k"}).status_code == 401  # the API key is not enough
        wrong = c.post("/reload", headers={"X-Admin-Key": "nope"})
        assert wrong.status_code == 401 and "X-Admin-Key" in wrong.json()["detail"]
        assert wrong.headers["www-authenticate"].lower().startswith("bearer")
        assert c.post("/reload", headers={"X-Admin-Key": "adm"}).status_code == 200
        assert c.post("/reload", headers={"Authorization": "bearer adm"}).status_code == 200


def test_reload_closes_the_old_retriever(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[Library] = []
    monkeypatch.setattr(Library, "close", lambda self: closed.append(self))
    with tiny_client(_unlimited(settings), client=LOOPBACK) as c:
        state = c.app.state.citeqa  # type: ignore[attr-defined]
        first = state.loaded.retriever
        assert c.get("/search", params={"q": "深海"}).status_code == 200
        assert c.post("/reload").status_code == 200
        assert closed == [first]
        assert state.loaded.retriever is not first
        assert c.get("/search", params={"q": "深海"}).json()["results"][0]["id"] == "9.4"


def test_two_reloads_at_once_close_each_index_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[Library] = []
    opened: list[Library] = []
    monkeypatch.setattr(Library, "close", lambda self: closed.append(self))
    real_open = Loaded.open.__func__  # type: ignore[attr-defined]

    def slow_open(cls: type[Loaded], *args: object) -> Loaded:
        loaded: Loaded = real_open(cls, *args)
        opened.append(loaded.retriever)
        time.sleep(0.3)  # both reloads in flight at once
        return loaded

    with tiny_client(_unlimited(settings), client=LOOPBACK) as c:
        state = c.app.state.citeqa  # type: ignore[attr-defined]
        first = state.loaded.retriever
        monkeypatch.setattr(Loaded, "open", classmethod(slow_open))
        with ThreadPoolExecutor(2) as pool:
            codes = list(pool.map(lambda _: c.post("/reload").status_code, range(2)))
        assert codes == [200, 200] and len(opened) == 2
        # Every index but the one serving is closed, each once: none twice, none leaked.
        assert sorted(map(id, closed)) == sorted(map(id, [first, *opened[:-1]]))
        assert state.loaded.retriever is opened[-1]


@pytest.mark.parametrize(
    "error",
    [
        LookupError("the index holds no document; run `citeqa build`"),
        StoreError("documents.json lists 'A/1', which has no passages"),
    ],
)
def test_a_reload_whose_store_will_not_open_is_a_409_naming_the_fix(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def refuse(*_: object) -> Loaded:
        raise error

    with tiny_client(_unlimited(settings), client=LOOPBACK) as c:
        monkeypatch.setattr(Loaded, "open", refuse)
        r = c.post("/reload")
        assert r.status_code == 409, r.text
        assert "kept the index already loaded" in r.json()["detail"] and "citeqa build" in r.json()["detail"]
        assert c.get("/search", params={"q": "深海"}).status_code == 200


def test_a_search_pages_with_the_index_it_began_with(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A reload landing while /search waits for its page must not pair that page with the new index's fields.
    with tiny_client(_unlimited(settings)) as c:
        state = c.app.state.citeqa  # type: ignore[attr-defined]
        loaded = state.loaded
        page = loaded.searcher.page
        stale = {k: {**v, "text": "another index"} for k, v in loaded.fields.items()}

        def page_then_reload(*args: object) -> object:
            out = page(*args)
            state.loaded = dataclasses.replace(loaded, fields=stale)
            return out

        monkeypatch.setattr(loaded.searcher, "page", page_then_reload)
        results = c.get("/search", params={"q": "深海"}).json()["results"]
        state.loaded = loaded
    assert results and all(r["text"] != "another index" for r in results)


def test_a_refused_reload_shows_no_server_path(settings: Settings, tmp_path: Path) -> None:
    copy = tmp_path / "deep" / "secret-place" / "index"
    shutil.copytree(settings.index_dir, copy)
    with tiny_client(_unlimited(tiny_settings(copy)), client=LOOPBACK) as c:
        (copy / "vectors.faiss").write_bytes(b"broken")
        r = c.post("/reload")
    assert r.status_code == 409
    assert "citeqa build" in r.json()["detail"]
    assert "secret-place" not in r.text and str(tmp_path) not in r.text


# ---------------------------------------------------------------- 3. work in flight is bounded


class _Switch(KeywordEmbedder):
    """Slow while `slow` is set; counts every text it embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.slow = False
        self.texts = 0
        self._lock = threading.Lock()

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self.texts += len(texts)
        if self.slow:
            time.sleep(0.3)
        return super().embed_queries(texts)


def test_a_flood_past_the_deadline_is_shed_and_the_service_recovers(settings: Settings) -> None:
    embedder = _Switch()
    s = _unlimited(settings, request_timeout_s=0.2, model_workers=1, max_queued=2)
    # Apps of earlier tests may still be ending a model thread (a pool shuts down without waiting): not this one's.
    lingering = sum(t.name.startswith("citeqa-model") for t in threading.enumerate())
    with tiny_client(s, embedder=embedder) as c:
        assert c.get("/search", params={"q": "深海 warm"}).status_code == 200
        threads_before = threading.active_count()
        embedder.slow, embedder.texts = True, 0
        with ThreadPoolExecutor(24) as clients:
            answers = list(clients.map(lambda i: c.get("/search", params={"q": f"深海 {i}"}), range(48)))
        assert {r.status_code for r in answers} <= {200, 503}
        busy = [r for r in answers if r.status_code == 503]
        assert busy and all(r.headers["retry-after"] for r in busy)
        assert any("busy" in r.json()["detail"] for r in busy)  # shed at the door, not only timed out
        # Work whose deadline passed while it queued never started: far fewer texts than requests.
        assert embedder.texts <= 48 // 4
        embedder.slow = False
        pool = c.app.state.citeqa_work  # type: ignore[attr-defined]
        for _ in range(100):  # the work already running ends within one slow call
            if not pool.in_flight():
                break
            time.sleep(0.05)
        assert c.get("/search", params={"q": "深海 fresh"}).status_code == 200
        assert c.post("/ask", json={"question": "深海研究金在哪里？"}).status_code == 200
        names = [t.name for t in threading.enumerate()]
    # One model thread, as configured; the rest are the event loop's pool for sync handlers, bounded by its
    # limiter (40) and idle ones leave after 10 s. Before, each abandoned request kept a thread of its own.
    assert sum(n.startswith("citeqa-model") for n in names) - lingering <= s.model_workers
    assert len(names) <= threads_before + 40


# ---------------------------------------------------------------- 4. metrics labels are bounded


@pytest.mark.parametrize("api_key", [None, "k"])
def test_junk_paths_add_a_bounded_number_of_series(settings: Settings, api_key: str | None) -> None:
    admin = {"X-Admin-Key": "adm"}  # with keys required, the metrics are an admin's
    with tiny_client(_unlimited(settings, api_key=api_key, admin_key="adm")) as c:
        c.get("/nope-warm")
        c.get("/metrics", headers=admin)  # its own series exist before counting
        before = _series(c.get("/metrics", headers=admin).text)
        for i in range(500):
            assert c.get(f"/nope{i}/{uuid.uuid4().hex}").status_code in (401, 404)
        text = c.get("/metrics", headers=admin).text
    assert _series(text) - before <= 4
    assert 'route="unmatched"' in text and "nope1" not in text


# ---------------------------------------------------------------- 5. CORS with a key


def test_an_allowed_origin_gets_its_preflight_and_a_readable_401(settings: Settings) -> None:
    origin = "https://delegates.example.org"
    with tiny_client(_unlimited(settings, api_key="k", cors_origins=[origin])) as c:
        pre = c.options(
            "/ask",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-api-key, content-type",
            },
        )
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == origin
        denied = c.post("/ask", json={"question": "深海"}, headers={"Origin": origin})
        assert denied.status_code == 401
        assert denied.headers["www-authenticate"].lower().startswith("bearer")
        assert denied.headers["access-control-allow-origin"] == origin
        for scheme in ("Bearer", "bearer", "BEARER"):
            assert c.get("/passages/9.3", headers={"Authorization": f"{scheme} k"}).status_code == 200
        assert c.get("/passages/9.3", headers={"Authorization": "Basic k"}).status_code == 401


# ---------------------------------------------------------------- 7. slow clients, on a real server


@pytest.fixture
def server(settings: Settings) -> Iterator[tuple[int, Settings]]:
    from service.runtime.server_config import uvicorn_options

    s = _unlimited(settings, read_timeout_s=0.5, max_connections=4)
    config = uvicorn.Config(
        create_app(s, embedder=KeywordEmbedder()),
        host="127.0.0.1",
        port=0,
        **{**uvicorn_options(s), "log_level": "warning"},
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield port, s
    srv.should_exit = True
    thread.join(10)


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def _closed_by_server(sock: socket.socket) -> bool:
    """True once the server closed the connection; False if it still holds it after the socket timeout."""
    try:
        while sock.recv(4096):
            pass
        return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_partial_headers_are_dropped_after_the_read_timeout(server: tuple[int, Settings]) -> None:
    port, _ = server
    sock = _connect(port)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finished
    assert _closed_by_server(sock)
    sock.close()


def test_a_slow_body_gets_408(server: tuple[int, Settings]) -> None:
    port, _ = server
    sock = _connect(port)
    body = b'{"question": "deep"}'
    sock.sendall(
        b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    reply = b""
    for byte in body[:10]:  # at most 10 × 0.2 s: the server answers at its 0.5 s read timeout
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            break
        time.sleep(0.2)
        sock.settimeout(0.01)
        try:
            reply += sock.recv(4096)
        except (TimeoutError, BlockingIOError):
            pass
        if reply:
            break
    sock.settimeout(5)
    if not reply:
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 408")
    sock.close()


def test_connections_beyond_the_cap_are_closed_and_idle_ones_dropped(server: tuple[int, Settings]) -> None:
    port, s = server
    socks = [_connect(port) for _ in range(3 * s.max_connections)]
    closed = [_closed_by_server(sock) for sock in socks]
    # Each idle connection is dropped: the extra ones at once, the others at the read timeout.
    assert all(closed)
    for sock in socks:
        sock.close()
    with _connect(port) as sock:  # and the server serves again
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")


# ---------------------------------------------------------------- 8. a conversation belongs to its caller


def test_another_key_cannot_read_or_continue_a_conversation(settings: Settings) -> None:
    with tiny_client(_unlimited(settings)) as c:
        a = c.post("/ask", json={"question": "深海研究金在哪里？"}, headers={"X-API-Key": "alice"}).json()
        cid = a["conversation_id"]
        assert re.fullmatch(r"[0-9a-f]{32}", cid) and uuid.UUID(cid).version == 4
        b = c.post(
            "/ask",
            json={"question": "那日内瓦呢？", "conversation_id": cid},
            headers={"Authorization": "Bearer bob"},
        ).json()
        assert "深海研究金" not in (b["resolved_question"] or "")
        again = c.post(
            "/ask", json={"question": "那日内瓦呢？", "conversation_id": cid}, headers={"X-API-Key": "alice"}
        ).json()
        assert "深海研究金" in again["resolved_question"]  # the owner still continues it


# ---------------------------------------------------------------- 9. rate limit, headers, docs, schema


def test_rate_limit_per_caller_with_retry_after(settings: Settings) -> None:
    with tiny_client(tiny_settings(settings.index_dir, rate_limit_per_min=60, rate_limit_burst=5)) as c:
        codes = [c.get("/passages/9.3", headers={"X-API-Key": "a"}).status_code for _ in range(8)]
        assert codes[:5] == [200] * 5 and codes[5:] == [429] * 3
        r = c.get("/passages/9.3", headers={"X-API-Key": "a"})
        assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
        assert "requests a minute" in r.json()["detail"]
        # With no keys configured a key names no one: an invented one is the same address, the same bucket
        # (tests/test_keys.py: configured keys each have their own).
        assert c.get("/passages/9.3", headers={"X-API-Key": "b"}).status_code == 429
        assert all(c.get("/healthz").status_code == 200 for _ in range(10))  # probes are never limited


def test_security_headers_on_every_kind_of_response(settings: Settings) -> None:
    with tiny_client(_unlimited(settings)) as c:
        for r in (
            c.get("/"),
            c.get("/static/app.js"),
            c.get("/search", params={"q": "深海"}),
            c.get("/nope"),
            c.post("/ask", json={}),
        ):
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["x-frame-options"] == "DENY"
            assert r.headers["referrer-policy"]
            assert "default-src 'self'" in r.headers["content-security-policy"]
        assert "script-src 'self';" in c.get("/").headers["content-security-policy"]


def test_the_page_satisfies_its_content_security_policy() -> None:
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    # script-src 'self' and style-src 'self': no inline script, style or handler, nothing from elsewhere.
    assert all(re.search(r"\bsrc=", tag) for tag in re.findall(r"<script\b[^>]*>", page))
    assert "<style" not in page and not re.search(r"\sstyle=", page) and not re.search(r"\son[a-z]+=", page)
    assert not re.search(r"(?:src|href)=[\"'](?:https?:)?//", page)


def test_docs_work_without_a_network(settings: Settings) -> None:
    with tiny_client(_unlimited(settings)) as c:
        docs = c.get("/docs")
        assert docs.status_code == 200
        assert "cdn" not in docs.text and "//" not in re.sub(r"<!--.*?-->", "", docs.text).replace("://", "")
        for asset in re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', docs.text):
            assert c.get(asset).status_code == 200
        assert "/docs/assets/swagger-ui-bundle.js" in docs.text
        inline = re.findall(r"<script>(.*?)</script>", docs.text, re.S)
        digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
        assert f"'sha256-{digest}'" in docs.headers["content-security-policy"]
        assert c.get("/redoc").status_code == 404  # ReDoc would load from a CDN


def test_the_schema_lists_what_the_edges_answer(settings: Settings) -> None:
    schema = create_app(_unlimited(settings), embedder=KeywordEmbedder()).openapi()
    ask = schema["paths"]["/ask"]["post"]["responses"]
    assert "UTF-8" in ask["400"]["description"]
    assert "control characters" in ask["422"]["description"]
    assert "Retry-After" in ask["503"]["headers"] and "Retry-After" in ask["429"]["headers"]
    assert "413" in ask and "401" in ask
    chat = schema["paths"]["/v1/chat/completions"]["post"]["responses"]["200"]["content"]
    assert {"application/json", "text/event-stream"} <= set(chat)
    assert "429" not in schema["paths"]["/healthz"]["get"]["responses"]
    # What the schema says is what the app does: a body that is not UTF-8 is a 400.
    with TestClient(create_app(_unlimited(settings), embedder=KeywordEmbedder())) as c:
        r = c.post("/ask", content=b'{"question": "\xff\xfe"}', headers={"Content-Type": "application/json"})
        assert r.status_code in (400, 422) and "detail" in r.json()


def test_the_schema_patterns_are_the_rule_clean_text_applies() -> None:
    from service.api.errors import BadInput
    from service.runtime.limits import BLANK, VISIBLE, clean_text

    s = Settings()
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        c = chr(code)
        try:
            clean_text(c, s)
            kept = True
        except BadInput:
            kept = False
        assert bool(re.search(VISIBLE, c)) == kept, hex(code)
        assert bool(re.search(BLANK, c)) == (c.strip() == ""), hex(code)


def test_an_earlier_chat_turn_is_held_to_the_question_limit(settings: Settings) -> None:
    with tiny_client(_unlimited(settings)) as c:
        r = c.post(
            "/v1/chat/completions",
            json={
                "messages": [
                    {"role": "user", "content": "深海" * 5000},
                    {"role": "assistant", "content": "…"},
                    {"role": "user", "content": "那日内瓦呢？"},
                ]
            },
        )
    assert r.status_code == 422 and "limit" in r.json()["detail"]
