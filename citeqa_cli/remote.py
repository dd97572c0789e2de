"""Talk to a running citeqa service, if one answers: `citeqa ask` then needs no model of its own.

Standard library only (urllib): importing an HTTP client would cost more than the question.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8000"
# A service on this machine answers /readyz in a few milliseconds; anything slower is not one to rely on.
PROBE_TIMEOUT_S = 0.5
ASK_TIMEOUT_S = 60.0


class RemoteError(RuntimeError):
    """The service answered, but with an error; the message is its `detail`."""


def service_url() -> str:
    return os.environ.get("CITEQA_URL", DEFAULT_URL).rstrip("/")


def _headers() -> dict[str, str]:
    key = os.environ.get("CITEQA_API_KEY")
    return {"Content-Type": "application/json", **({"X-API-Key": key} if key else {})}


def ready(url: str) -> bool:
    """True when a citeqa service at `url` has its index loaded."""
    try:
        with urllib.request.urlopen(urllib.request.Request(f"{url}/readyz"), timeout=PROBE_TIMEOUT_S) as r:
            body = json.loads(r.read())
            return r.status == 200 and isinstance(body, dict) and body.get("status") == "ready"
    except (OSError, ValueError):
        return False


def ask(url: str, question: str, top_k: int, conversation_id: str | None) -> dict[str, Any]:
    payload = json.dumps({"question": question, "top_k": top_k, "conversation_id": conversation_id}).encode()
    out: dict[str, Any] = _call(
        url, urllib.request.Request(f"{url}/ask", data=payload, headers=_headers(), method="POST")
    )
    return out


def get_json(url: str, path: str, headers: dict[str, str]) -> Any:
    """GET `path` of the service at `url` as JSON, with the API key (CITEQA_API_KEY) and `headers`."""
    return _call(url, urllib.request.Request(f"{url}{path}", headers={**_headers(), **headers}))


def _call(url: str, request: urllib.request.Request) -> Any:
    """The service's JSON answer to `request`; its error `detail` as a RemoteError."""
    try:
        with urllib.request.urlopen(request, timeout=ASK_TIMEOUT_S) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read()).get("detail", exc.reason)
        except ValueError:
            detail = exc.reason
        raise RemoteError(f"{url} answered {exc.code}: {detail}") from exc
