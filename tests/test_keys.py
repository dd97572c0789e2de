"""Keys as data (service/runtime/keys.py), per-key rate limits (service/runtime/ratelimit.py) and trusted proxies
(service/runtime/proxies.py), through the real app on the tiny index and the keyword embedder."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from service.app import create_app
from service.runtime import keys as keys_module
from service.runtime.keys import KeysFileError, listed, parse_keys
from service.settings import Settings
from tests.tiny import KeywordEmbedder, tiny_client, tiny_settings

REMOTE = ("192.0.2.10", 50000)  # TEST-NET-1: never a real caller
PROXY = ("10.0.0.5", 50000)
KEYS = {
    "searcher": "s3cret-search-key",
    "reader": "s3cret-reader-key",
    "ops": "s3cret-ops-key",
    "asker": "s3cret-ask-key",
}
ASK = {"question": "深海研究金在哪里？"}


def sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def entry(name: str, scopes: list[str], **extra: Any) -> dict[str, Any]:
    return {"name": name, "sha256": sha(KEYS.get(name, name)), "scopes": scopes, **extra}


def write_keys(path: Path, entries: list[dict[str, Any]] | str) -> Path:
    """Written beside and renamed into place, as an operator (or a secrets sync) would: a new inode."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(entries if isinstance(entries, str) else json.dumps(entries), encoding="utf-8")
    os.replace(tmp, path)
    return path


STANDARD = [
    entry("searcher", ["search"]),
    entry("reader", ["passages"]),
    entry("ops", ["admin"]),
    entry("asker", ["ask"]),
]


def keyed(
    settings: Settings, path: Path, entries: list[dict[str, Any]] = STANDARD, **overrides: Any
) -> Settings:
    return tiny_settings(settings.index_dir, keys_file=write_keys(path, entries), **overrides)


def as_(name: str) -> dict[str, str]:
    return {"X-API-Key": KEYS[name]}


def _search(c: TestClient, name: str) -> Any:
    return c.get("/search", params={"q": "深海"}, headers=as_(name))


# ---------------------------------------------------------------- scopes


def test_a_search_only_key_may_search_but_not_ask(settings: Settings, tmp_path: Path) -> None:
    with tiny_client(keyed(settings, tmp_path / "keys.json")) as c:
        assert c.get("/search", params={"q": "深海"}, headers=as_("searcher")).status_code == 200
        r = c.post("/ask", json=ASK, headers=as_("searcher"))
        assert r.status_code == 403
        assert "this key may not use 'ask'" in r.json()["detail"]
        chat = c.post(
            "/v1/chat/completions",
            json={"messages": [{"role": "user", "content": "深海研究金在哪里？"}]},
            headers=as_("searcher"),
        )
        assert chat.status_code == 403 and "'ask'" in chat.json()["detail"]
        assert c.get("/passages/9.3", headers=as_("searcher")).status_code == 403
        # The ask scope is the one that asks; in the Bearer form too.
        assert (
            c.post("/ask", json=ASK, headers={"Authorization": f"Bearer {KEYS['asker']}"}).status_code == 200
        )
        assert c.get("/search", params={"q": "深海"}, headers=as_("asker")).status_code == 403
        # No key, or one not in the file: 401 as before.
        assert c.get("/search", params={"q": "深海"}).status_code == 401
        assert c.get("/search", params={"q": "深海"}, headers={"X-API-Key": "guess"}).status_code == 401
        # The page and the probes stay open; the metrics, which name every key, are an admin's.
        assert c.get("/").status_code == 200 and c.get("/readyz").status_code == 200
        assert c.get("/docs").status_code == 200 and c.get("/metrics").status_code == 401


def test_the_passages_scope_covers_passages_references_tables_and_documents(
    settings: Settings, tmp_path: Path
) -> None:
    with tiny_client(keyed(settings, tmp_path / "keys.json")) as c:
        for url in ("/passages/9.3", "/references/77%2F71", "/tables/表9.1.csv", "/documents"):
            assert c.get(url, headers=as_("reader")).status_code != 403, url
            r = c.get(url, headers=as_("searcher"))
            assert r.status_code == 403 and "'passages'" in r.json()["detail"], url


def test_the_admin_scope_reloads_from_anywhere_and_no_other_scope_does(
    settings: Settings, tmp_path: Path
) -> None:
    with tiny_client(keyed(settings, tmp_path / "keys.json"), client=REMOTE) as c:
        assert c.post("/reload", headers=as_("ops")).status_code == 200
        assert c.post("/reload", headers={"X-Admin-Key": KEYS["ops"]}).status_code == 200
        r = c.post("/reload", headers=as_("asker"))
        assert r.status_code == 403 and "this key may not use 'admin'" in r.json()["detail"]
        assert c.post("/reload").status_code == 401
        # The admin header counts first on an admin route, whatever API key is sent beside it.
        both = {**as_("asker"), "X-Admin-Key": KEYS["ops"]}
        assert c.post("/reload", headers=both).status_code == 200
        # The admin scope is for admin routes only.
        assert c.get("/search", params={"q": "深海"}, headers=as_("ops")).status_code == 403


def test_the_environment_keys_keep_working_beside_a_keys_file(settings: Settings, tmp_path: Path) -> None:
    s = keyed(settings, tmp_path / "keys.json", api_key="env-api-key", admin_key="env-admin-key")
    with tiny_client(s, client=REMOTE) as c:
        # CITEQA_API_KEY: every API scope, as before.
        assert c.post("/ask", json=ASK, headers={"X-API-Key": "env-api-key"}).status_code == 200
        assert c.get("/search", params={"q": "深海"}, headers={"X-API-Key": "env-api-key"}).status_code == 200
        assert c.get("/passages/9.3", headers={"X-API-Key": "env-api-key"}).status_code == 200
        # /reload as before: the admin key (not the API key), or a key of the file with the admin scope.
        assert c.post("/reload", headers={"X-API-Key": "env-api-key"}).status_code == 401
        assert c.post("/reload", headers={"X-Admin-Key": "env-admin-key"}).status_code == 200
        assert c.post("/reload", headers=as_("ops")).status_code == 200


def test_one_key_set_as_both_environment_keys_does_both_jobs(settings: Settings) -> None:
    s = tiny_settings(settings.index_dir, api_key="same-key", admin_key="same-key")
    with tiny_client(s, client=REMOTE) as c:
        assert c.get("/search", params={"q": "深海"}, headers={"X-API-Key": "same-key"}).status_code == 200
        assert c.post("/reload", headers={"X-Admin-Key": "same-key"}).status_code == 200


def test_every_api_route_is_in_the_scope_table(settings: Settings) -> None:
    """A route added without a line in keys.ROUTE_SCOPES would need only *some* key: decide its scope there."""
    app = create_app(tiny_settings(settings.index_dir), embedder=KeywordEmbedder())
    open_paths = ("/", "/healthz", "/readyz", "/docs", "/openapi.json")
    missing = [
        f"{m} {r.path}"
        for r in app.routes
        if isinstance(r, APIRoute) and r.path not in open_paths
        for m in sorted(r.methods or ())
        if m != "HEAD" and not listed(m, r.path.split("{")[0].rstrip("/"))
    ]
    assert not missing, f"add these to ROUTE_SCOPES in service/runtime/keys.py: {missing}"


# ---------------------------------------------------------------- the file


def test_the_keys_file_reloads_without_a_restart(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(keys_module, "CHECK_EVERY_S", 0.0)  # look at the file on every request
    path = tmp_path / "keys.json"
    admin = {"X-Admin-Key": "adm"}
    with tiny_client(keyed(settings, path, [entry("searcher", ["search"])], admin_key="adm")) as c:
        assert _search(c, "searcher").status_code == 200
        assert _search(c, "reader").status_code == 401
        assert 'key="searcher"' in c.get("/metrics", headers=admin).text

        write_keys(path, [entry("reader", ["search"])])  # reader added, searcher revoked
        assert _search(c, "reader").status_code == 200
        assert _search(c, "searcher").status_code == 401
        metrics = c.get("/metrics", headers=admin).text
        assert 'key="reader"' in metrics and 'key="searcher"' not in metrics  # the label set follows the file

        # A broken file keeps the last good keys, and is logged once (not on every request).
        with caplog.at_level(logging.ERROR, logger="citeqa.keys"):
            write_keys(path, '[{"name": "reader", "sha256": "not-hex", "scopes": ["search"]}]')
            for _ in range(3):
                assert _search(c, "reader").status_code == 200
        refused = [r.getMessage() for r in caplog.records if "keys_file_refused" in r.getMessage()]
        assert len(refused) == 1 and "sha256" in refused[0] and sha(KEYS["reader"]) not in refused[0]

        path.unlink()  # gone: the last good keys stay too
        assert _search(c, "reader").status_code == 200
        write_keys(path, [entry("reader", ["search"]), entry("asker", ["search"])])
        assert _search(c, "asker").status_code == 200


@pytest.mark.parametrize(
    ("entries", "says"),
    [
        ('{"name": "a"}', "list"),
        ([{"name": "a", "sha256": "abc", "scopes": ["search"]}], "sha256"),
        ([{"name": "a", "sha256": "0" * 64, "scopes": ["delete"]}], "unknown scope 'delete'"),
        ([{"name": "a", "sha256": "0" * 64, "scopes": []}], "scopes"),
        ([{"name": "anonymous", "sha256": "0" * 64, "scopes": ["ask"]}], "the service's own"),
        (
            [
                {"name": "a", "sha256": "0" * 64, "scopes": ["ask"]},
                {"name": "a", "sha256": "1" * 64, "scopes": ["ask"]},
            ],
            "used twice",
        ),
        (
            [
                {"name": "a", "sha256": "0" * 64, "scopes": ["ask"]},
                {"name": "b", "sha256": "0" * 64, "scopes": ["ask"]},
            ],
            "same key hash",
        ),
        ([{"name": "a", "sha256": "0" * 64, "scopes": ["ask"], "rate_limit": 5}], "rate_limit"),
        (
            [{"name": "a", "sha256": "0" * 64, "scopes": ["ask"], "rate_limit_per_min": -1}],
            "rate_limit_per_min",
        ),
        ([{"name": "a b", "sha256": "0" * 64, "scopes": ["ask"]}], "name"),
    ],
)
def test_a_bad_keys_file_is_refused_naming_the_problem(entries: Any, says: str) -> None:
    with pytest.raises(KeysFileError) as info:
        parse_keys(entries if isinstance(entries, str) else json.dumps(entries))
    assert says in str(info.value)


def test_a_bad_keys_file_stops_the_service_before_it_listens(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(KeysFileError, match="unknown scope"):
        create_app(
            keyed(settings, tmp_path / "keys.json", [entry("a", ["everything"])]), embedder=KeywordEmbedder()
        )
    with pytest.raises(KeysFileError, match="cannot read"):
        create_app(
            tiny_settings(settings.index_dir, keys_file=tmp_path / "absent.json"), embedder=KeywordEmbedder()
        )


# ---------------------------------------------------------------- rate limits per key


def test_two_keys_have_separate_allowances_and_the_headers_count_down(
    settings: Settings, tmp_path: Path
) -> None:
    entries = [
        entry("searcher", ["search"], rate_limit_per_min=3),
        entry("asker", ["search"], rate_limit_per_min=6),
    ]
    with tiny_client(keyed(settings, tmp_path / "keys.json", entries)) as c:
        seen = [c.get("/search", params={"q": "深海"}, headers=as_("searcher")) for _ in range(4)]
        assert [r.status_code for r in seen] == [200, 200, 200, 429]
        assert [r.headers["ratelimit-limit"] for r in seen] == ["3"] * 4
        assert [r.headers["ratelimit-remaining"] for r in seen] == ["2", "1", "0", "0"]
        assert all(0 < int(r.headers["ratelimit-reset"]) <= 60 for r in seen)
        assert "retry-after" not in seen[0].headers
        assert 1 <= int(seen[3].headers["retry-after"]) <= 20 and "this key" in seen[3].json()["detail"]
        # The other key's allowance is its own, and its own size.
        other = c.get("/search", params={"q": "深海"}, headers=as_("asker"))
        assert other.status_code == 200
        assert (other.headers["ratelimit-limit"], other.headers["ratelimit-remaining"]) == ("6", "5")
        # Probes are never limited and carry no rate-limit headers.
        assert "ratelimit-limit" not in c.get("/healthz").headers


def test_a_key_is_one_caller_from_any_address_and_a_wrong_key_counts_against_its_address(
    settings: Settings, tmp_path: Path
) -> None:
    entries = [entry("searcher", ["search"], rate_limit_per_min=2)]
    s = keyed(
        settings,
        tmp_path / "keys.json",
        entries,
        rate_limit_per_min=60,
        rate_limit_burst=3,
        trusted_proxies=[PROXY[0]],
    )
    with tiny_client(s, client=PROXY) as c:
        # The key's allowance is one, whichever address it calls from.
        codes = [
            c.get(
                "/search", params={"q": "深海"}, headers={**as_("searcher"), "X-Forwarded-For": ip}
            ).status_code
            for ip in ("198.51.100.1", "198.51.100.2", "198.51.100.3")
        ]
        assert codes == [200, 200, 429]
        # Guessing keys from one address spends that address's allowance: 401s, then 429.
        guesses = [
            c.get(
                "/search",
                params={"q": "深海"},
                headers={"X-API-Key": f"guess{i}", "X-Forwarded-For": "198.51.100.9"},
            ).status_code
            for i in range(4)
        ]
        assert guesses == [401, 401, 401, 429]
        assert (
            c.get(
                "/search",
                params={"q": "深海"},
                headers={"X-API-Key": "guess", "X-Forwarded-For": "198.51.100.8"},
            ).status_code
            == 401
        )


def test_the_access_log_and_metrics_name_the_key_never_the_key(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s = keyed(settings, tmp_path / "keys.json", api_key="env-api-key")
    with caplog.at_level(logging.INFO, logger="citeqa.access"), tiny_client(s) as c:
        c.get("/search", params={"q": "深海"}, headers=as_("searcher"))
        c.get("/search", params={"q": "深海"}, headers={"Authorization": "Bearer env-api-key"})
        c.get("/")
        metrics = c.get("/metrics", headers=as_("ops")).text
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "citeqa.access"]
    assert [line["key"] for line in lines[:3]] == ["searcher", "default", "anonymous"]
    logged = caplog.text + metrics
    assert (
        KEYS["searcher"] not in logged and "env-api-key" not in logged and sha(KEYS["searcher"]) not in logged
    )
    assert 'citeqa_key_requests_total{key="searcher"} 1.0' in metrics
    assert 'citeqa_key_requests_total{key="default"} 1.0' in metrics


def test_metrics_need_the_admin_scope_once_keys_are_required(settings: Settings, tmp_path: Path) -> None:
    # /metrics names every key with its counts: with keys required it is an admin's, like /reload.
    with tiny_client(keyed(settings, tmp_path / "keys.json"), client=REMOTE) as c:
        assert _search(c, "searcher").status_code == 200
        assert c.get("/metrics").status_code == 401
        refused = c.get("/metrics", headers=as_("searcher"))
        assert refused.status_code == 403 and "'admin'" in refused.json()["detail"]
        assert "searcher" not in c.get("/metrics").text
        scraped = c.get("/metrics", headers={"Authorization": f"Bearer {KEYS['ops']}"})
        assert scraped.status_code == 200 and 'citeqa_key_requests_total{key="searcher"}' in scraped.text
    with tiny_client(keyed(settings, tmp_path / "keys.json", admin_key="adm"), client=REMOTE) as c:
        assert c.get("/metrics", headers={"X-Admin-Key": "adm"}).status_code == 200
    # No keys configured: open, as before (there is no key to name).
    with tiny_client(tiny_settings(settings.index_dir), client=REMOTE) as c:
        assert c.get("/metrics").status_code == 200


def test_cors_exposes_the_rate_limit_headers(settings: Settings) -> None:
    origin = "https://delegates.example.org"
    with tiny_client(tiny_settings(settings.index_dir, cors_origins=[origin])) as c:
        r = c.get("/search", params={"q": "深海"}, headers={"Origin": origin})
    exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
    assert {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after"} <= exposed
    assert r.headers["ratelimit-remaining"]


# ---------------------------------------------------------------- X-Forwarded-For


def test_x_forwarded_for_is_ignored_from_an_untrusted_address(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    s = tiny_settings(settings.index_dir, rate_limit_per_min=60, rate_limit_burst=2)
    with caplog.at_level(logging.INFO, logger="citeqa.access"), tiny_client(s, client=REMOTE) as c:
        # A caller that writes its own X-Forwarded-For is still its socket address: one bucket.
        codes = [
            c.get("/passages/9.3", headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
            for i in range(3)
        ]
    assert codes == [200, 200, 429]
    assert {json.loads(r.getMessage())["client"] for r in caplog.records if r.name == "citeqa.access"} == {
        REMOTE[0]
    }
    # Nor does it pass for a loopback caller.
    with tiny_client(tiny_settings(settings.index_dir), client=REMOTE) as c:
        assert c.post("/reload", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 403


def test_x_forwarded_for_is_honoured_from_a_trusted_proxy(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    s = tiny_settings(
        settings.index_dir,
        rate_limit_per_min=60,
        rate_limit_burst=2,
        trusted_proxies=["10.0.0.0/24", "127.0.0.1"],
    )
    with caplog.at_level(logging.INFO, logger="citeqa.access"), tiny_client(s, client=PROXY) as c:
        # Each forwarded caller has its own bucket; the hops a trusted proxy added are skipped, the ones the
        # caller wrote itself (left of the first untrusted address) are not believed.
        for _ in range(2):
            assert c.get("/passages/9.3", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 200
        assert c.get("/passages/9.3", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 429
        assert c.get("/passages/9.3", headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 200
        chained = {"X-Forwarded-For": "203.0.113.9, 198.51.100.3, 10.0.0.7"}
        assert c.get("/passages/9.3", headers=chained).status_code == 200
    clients = [json.loads(r.getMessage())["client"] for r in caplog.records if r.name == "citeqa.access"]
    assert clients == ["198.51.100.1"] * 3 + ["198.51.100.2", "198.51.100.3"]
    # A trusted proxy on the same host does not make the callers it forwards loopback callers.
    with tiny_client(s, client=("127.0.0.1", 50000)) as c:
        assert c.post("/reload", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 403
        # Nor does a request of it without the header: it may be any caller the proxy forgot to name.
        assert c.post("/reload").status_code == 403


@pytest.mark.parametrize("forwarded", [None, "not-an-address", "unknown, ???"])
def test_a_trusted_proxy_on_loopback_makes_no_caller_a_loopback_caller(
    settings: Settings, tmp_path: Path, forwarded: str | None
) -> None:
    # The resolved address falls back to the proxy's own (127.0.0.1) when X-Forwarded-For is missing or not an
    # address; the admin actions must not: whoever the proxy forwards may be anywhere.
    s = tiny_settings(settings.index_dir, trusted_proxies=["127.0.0.1"], feedback_db=tmp_path / "f.db")
    headers = {} if forwarded is None else {"X-Forwarded-For": forwarded}
    with tiny_client(s, client=("127.0.0.1", 50000)) as c:
        assert c.post("/reload", headers=headers).status_code == 403
        assert c.get("/feedback", headers=headers).status_code == 403


def test_a_loopback_caller_is_one_with_no_proxy_between(settings: Settings) -> None:
    with tiny_client(tiny_settings(settings.index_dir), client=("127.0.0.1", 50000)) as c:
        assert c.post("/reload").status_code == 200
        assert c.get("/feedback").status_code == 200
        # A forwarding header from an untrusted loopback peer: a proxy the service was not told of.
        assert c.post("/reload", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 403
