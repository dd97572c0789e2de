"""The HTTP contract's failures (docs/DESIGN.md §2) through the real app on the tiny document (tests/tiny.py): bad
input, limits, the API key, server errors, the deadline, /reload and a start-up on a missing or wrong index."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from index.library import Library
from index.manifest import BadIndex
from index.query import AmbiguousId, UnknownDocument
from service.app import create_app
from service.settings import Settings
from tests.tiny import TINY_IDS, KeywordEmbedder, tiny_client, tiny_settings

ASK_BUDGET = "次级方案 1 的 2024 年拟议经常预算资源是多少？"


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("method", "url", "payload", "says"),
    [
        ("POST", "/ask", {"question": ""}, "question"),
        ("POST", "/ask", {"question": " \x00\x07 "}, "empty"),
        ("POST", "/ask", {}, "question"),
        ("POST", "/ask", {"question": "深海", "top_k": 0}, "top_k"),
        ("POST", "/ask", {"question": "深海", "top_k": 51}, "top_k"),
        ("POST", "/ask", {"question": "深海" * 1001}, "2000"),
        ("POST", "/ask", {"question": "深海", "conversation_id": "x" * 129}, "conversation_id"),
        ("GET", "/search?q=", None, "q"),
        ("GET", "/search?q=%E6%B7%B1&top_k=0", None, "top_k"),
        ("GET", "/search?q=%E6%B7%B1&top_k=51", None, "top_k"),
        ("GET", "/search?q=%E6%B7%B1&top_k=many", None, "top_k"),
    ],
)
def test_bad_input_is_422_with_a_string_detail(
    client: TestClient, method: str, url: str, payload: dict | None, says: str
) -> None:
    r = client.request(method, url, json=payload)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str)
    assert says in detail


def test_malformed_json_is_422(client: TestClient) -> None:
    r = client.post("/ask", content=b'{"question": ', headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], str)


def test_oversized_body_is_413(client: TestClient) -> None:
    r = client.post("/ask", json={"question": "深" * 70_000})
    assert r.status_code == 413
    assert "65536" in r.json()["detail"]
    assert r.headers["x-request-id"]


def test_oversized_chunked_body_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(8):
            yield b"a" * 10_000
        yield b'"}'

    r = client.post("/ask", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


@pytest.mark.parametrize(("method", "url"), [("GET", "/passages/图9.0"), ("GET", "/search?q=图 9.0")])
def test_figure_number_zero_is_not_a_server_error(client: TestClient, method: str, url: str) -> None:
    assert client.request(method, url).status_code < 500


def test_api_key(settings: Settings) -> None:
    keyed = tiny_settings(settings.index_dir, api_key="k")
    with tiny_client(keyed) as c:
        missing = c.post("/ask", json={"question": ASK_BUDGET})
        assert missing.status_code == 401
        assert "X-API-Key" in missing.json()["detail"]
        assert c.get("/search", params={"q": "深海"}, headers={"X-API-Key": "wrong"}).status_code == 401
        assert c.get("/passages/9.3").status_code == 401
        assert c.post("/reload").status_code == 401
        assert c.post("/ask", json={"question": ASK_BUDGET}, headers={"X-API-Key": "k"}).status_code == 200
        assert c.get("/passages/9.3", headers={"Authorization": "Bearer k"}).status_code == 200
        # Probes and the page stay open.
        assert c.get("/healthz").status_code == 200
        assert c.get("/readyz").status_code == 200
        assert c.get("/").status_code == 200


class _Broken(KeywordEmbedder):
    def embed_queries(self, texts: list[str]) -> np.ndarray:
        raise RuntimeError("secret-internal-state in /srv/citeqa/internal.py")


def test_a_server_error_leaks_no_trace(settings: Settings) -> None:
    with tiny_client(settings, embedder=_Broken(), raise_server_exceptions=False) as c:
        r = c.get("/search", params={"q": "深海"})
    assert r.status_code == 500
    assert set(r.json()) == {"detail"}
    assert "X-Request-ID" in r.json()["detail"]
    for leak in ("Traceback", "secret", "RuntimeError", "/srv/", ".py"):
        assert leak not in r.text


def test_a_server_error_carries_the_request_id(settings: Settings) -> None:
    with tiny_client(settings, embedder=_Broken(), raise_server_exceptions=False) as c:
        r = c.get("/search", params={"q": "深海"})
    assert r.status_code == 500
    assert r.headers.get("x-request-id")


class _Slow(KeywordEmbedder):
    def embed_queries(self, texts: list[str]) -> np.ndarray:
        time.sleep(0.5)
        return super().embed_queries(texts)


def test_request_over_the_deadline_is_503(settings: Settings) -> None:
    with tiny_client(tiny_settings(settings.index_dir, request_timeout_s=0.1), embedder=_Slow()) as c:
        r = c.get("/search", params={"q": "深海"})
    assert r.status_code == 503
    assert r.headers["retry-after"]


def test_reload_swaps_in_a_good_index_and_refuses_a_broken_one(settings: Settings, tmp_path: Path) -> None:
    copy = tmp_path / "index"
    shutil.copytree(settings.index_dir, copy)
    # /reload is an admin action: with no admin key, only a loopback caller may call it.
    with tiny_client(tiny_settings(copy), client=("127.0.0.1", 50000)) as c:
        r = c.post("/reload")
        assert r.status_code == 200
        assert r.json()["status"] == "reloaded" and r.json()["passages"] == len(TINY_IDS)
        (copy / "vectors.faiss").write_bytes(b"broken")
        r = c.post("/reload")
        assert r.status_code == 409
        assert "citeqa build" in r.json()["detail"]
        # The index already loaded keeps serving.
        assert c.get("/search", params={"q": "深海"}).json()["results"][0]["id"] == "9.4"
        assert c.get("/readyz").json()["status"] == "ready"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (UnknownDocument("A/1", ["A/78/6 (Sect. 9)"]), 404),
        (AmbiguousId("9.2", ["A/78/6 (Sect. 9)", "A/78/6 (Sect. 4)"]), 422),
    ],
)
def test_lookup_errors_that_escape_a_route_are_4xx_not_500(
    settings: Settings, error: Exception, status: int
) -> None:
    app = create_app(settings, embedder=KeywordEmbedder())

    def lookup() -> None:
        raise error

    app.add_api_route("/lookup-test", lookup)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/lookup-test")
    assert (r.status_code, r.json()["detail"]) == (status, str(error))


def test_a_part_number_the_table_lacks_is_a_404(client: TestClient) -> None:
    # 表9.1 has no parts: "(2)" used to be read as the bare table, with no word that the part is not there.
    r = client.get("/passages/表9.1 (2)")
    assert r.status_code == 404 and "表9.1 has no part (2)" in r.json()["detail"], r.text
    assert "focus" not in client.get("/passages/表9.1").json()


# ---------------------------------------------------------------- startup


def test_startup_that_cannot_open_its_stores_closes_the_index(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[Library] = []
    real_close = Library.close

    def close(self: Library) -> None:
        closed.append(self)
        real_close(self)

    async def refuse(*_: object) -> None:
        raise RuntimeError("no conversation store")

    monkeypatch.setattr(Library, "close", close)
    monkeypatch.setattr("service.app.open_stores", refuse)
    with pytest.raises(RuntimeError, match="no conversation store"), tiny_client(settings):
        pass
    assert len(closed) == 1


def _startup_error(settings: Settings, embedder: KeywordEmbedder | None = None) -> str:
    with pytest.raises(BadIndex) as info, tiny_client(settings, embedder=embedder):
        pass
    message = str(info.value)
    assert "citeqa build" in message
    return message


def test_startup_without_an_index_fails_fast(tmp_path: Path) -> None:
    assert "no index" in _startup_error(tiny_settings(tmp_path / "missing"))


def test_startup_with_a_mismatched_manifest_fails_fast(settings: Settings) -> None:
    message = _startup_error(tiny_settings(settings.index_dir, query_prefix="q: "))
    assert "query_prefix" in message
    message = _startup_error(settings, embedder=KeywordEmbedder(model_id="another-model"))
    assert "model_id" in message


def test_startup_with_another_corpus_fails_fast(settings: Settings, tmp_path: Path) -> None:
    other = tmp_path / "other.zh.txt"
    other.write_text(settings.corpus.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert "corpus_sha256" in _startup_error(tiny_settings(settings.index_dir, corpus=other))


@pytest.mark.parametrize("damage", ["truncate vectors", "drop passages", "garble manifest"])
def test_startup_with_a_corrupt_index_fails_fast(settings: Settings, tmp_path: Path, damage: str) -> None:
    copy = tmp_path / "index"
    shutil.copytree(settings.index_dir, copy)
    if damage == "truncate vectors":
        data = (copy / "vectors.faiss").read_bytes()
        (copy / "vectors.faiss").write_bytes(data[: len(data) // 2])
    elif damage == "drop passages":
        (copy / "passages.jsonl").unlink()
    else:
        (copy / "manifest.json").write_text("{not json", encoding="utf-8")
    _startup_error(tiny_settings(copy))
