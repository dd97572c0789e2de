"""Asking through the app the way every answer test does: POST /ask, a 200, and every quote verbatim."""

from __future__ import annotations

from fastapi.testclient import TestClient


def ask_ok(client: TestClient, question: str, conversation_id: str | None = None) -> dict:
    """The answer to `question`; fails unless it is a 200 whose citations quote their passage verbatim."""
    r = client.post("/ask", json={"question": question, "conversation_id": conversation_id})
    assert r.status_code == 200, r.text
    body = r.json()
    for c in body["citations"]:
        assert c["quote"] in c["text"]
    return body
