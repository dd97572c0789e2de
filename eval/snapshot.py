"""Pin behaviour across a refactor: every question's whole answer, written once and compared later.

    python -m eval.snapshot --write /tmp/before.json      # before the change
    python -m eval.snapshot --compare /tmp/before.json    # after it: lists every question whose answer moved

For each question of the set (history turns asked first, in one conversation) it keeps what a user sees of
`/ask` — the answer text, whether it abstained, the resolved question, and every citation's id, quote, cell
and highlights — and the same for the follow-up turns through `/v1/chat/completions`. Timing and the random
conversation id are left out, so two runs of unchanged code give identical files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.runner import DEFAULT_SET, TOP_K, ensure_index
from eval.schema import Question, load_questions
from service.settings import Settings

_CITATION_FIELDS = ("id", "quote", "cell", "highlights")


def _answer_view(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "answer": body.get("answer"),
        "abstained": body.get("abstained"),
        "resolved_question": body.get("resolved_question"),
        "citations": [{k: c.get(k) for k in _CITATION_FIELDS} for c in body.get("citations", [])],
    }


def _chat_view(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "content": body["choices"][0]["message"]["content"],
        "abstained": body.get("abstained"),
        "citations": [{k: c.get(k) for k in _CITATION_FIELDS} for c in body.get("citations", [])],
    }


def take(settings: Settings, questions: Sequence[Question], top_k: int = TOP_K) -> dict[str, Any]:
    """Every question's answer through /ask, and the follow-ups' through chat, keyed by question id."""
    from fastapi.testclient import TestClient

    from service.app import create_app

    ensure_index(settings)
    out: dict[str, Any] = {}
    unlimited = settings.model_copy(update={"rate_limit_per_min": 0})
    with TestClient(create_app(unlimited)) as client:
        for q in questions:
            conversation = f"snapshot-{q.id}"
            for h in q.history:
                client.post("/ask", json={"question": h, "top_k": top_k, "conversation_id": conversation})
            r = client.post(
                "/ask",
                json={
                    "question": q.question,
                    "top_k": top_k,
                    "conversation_id": conversation if q.history else None,
                },
            )
            entry: dict[str, Any] = {"ask": _answer_view(r.json()) if r.status_code == 200 else r.status_code}
            if q.history:
                messages: list[dict[str, str]] = []
                for h in q.history:
                    messages.append({"role": "user", "content": h})
                    reply = client.post("/v1/chat/completions", json={"messages": messages, "top_k": top_k})
                    messages.append(
                        {"role": "assistant", "content": reply.json()["choices"][0]["message"]["content"]}
                    )
                messages.append({"role": "user", "content": q.question})
                c = client.post("/v1/chat/completions", json={"messages": messages, "top_k": top_k})
                entry["chat"] = _chat_view(c.json()) if c.status_code == 200 else c.status_code
            out[q.id] = entry
    return out


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The ids whose answers differ, or that one side lacks."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.snapshot",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--set", default=str(DEFAULT_SET))
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", help="write the snapshot here")
    group.add_argument("--compare", help="compare with the snapshot written here")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    snapshot = take(Settings(), load_questions(args.set))
    if args.write:
        Path(args.write).write_text(
            json.dumps(snapshot, ensure_ascii=False, indent=1, sort_keys=True), "utf-8"
        )
        print(f"{len(snapshot)} answers written to {args.write}")
        return 0
    before = json.loads(Path(args.compare).read_text("utf-8"))
    moved = differences(before, snapshot)
    print(
        f"{len(snapshot)} answers; {len(moved)} differ from {args.compare}"
        + (": " + ", ".join(moved) if moved else "")
    )
    return 1 if moved else 0


if __name__ == "__main__":
    sys.exit(main())
