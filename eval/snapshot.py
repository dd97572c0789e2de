"""Pin behaviour across a refactor: every question's whole answer, written once and compared later.

    python -m eval.snapshot --write /tmp/before.json      # before the change
    python -m eval.snapshot --compare /tmp/before.json    # after it: which answers moved

For each question of the set (history turns asked first, in one conversation) it keeps what a user sees of
`/ask` — the answer text, whether it abstained, the resolved question, and every citation's id, quote, cell
and highlights — and the same for the follow-up turns through `/v1/chat/completions` (the reply's text in place
of the answer). A request answered with another status than 200 is kept as that status (a history turn's chat
reply as `{"history_turn": N, "status": S}`, the conversation stopping there). Timing and the random conversation
id are left out, so two runs of unchanged code give identical files.

`--split dev|test|all` (default all) chooses the questions; write and compare with the same one. `--compare`
names every dev question whose answer moved, but only counts the test ones: the test split is held out, read in
aggregate only. It exits 1 when any answer moved.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.runner import DEFAULT_SET, TOP_K, ensure_index, select_split
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
        "resolved_question": body.get("resolved_question"),
        "citations": [{k: c.get(k) for k in _CITATION_FIELDS} for c in body.get("citations", [])],
    }


def take(settings: Settings, questions: Sequence[Question], top_k: int = TOP_K) -> dict[str, Any]:
    """Every question's answer through /ask, and the follow-ups' through chat, keyed by question id."""
    from fastapi.testclient import TestClient

    from service.app import create_app

    ensure_index(settings)
    unlimited = settings.model_copy(update={"rate_limit_per_min": 0})
    with TestClient(create_app(unlimited)) as client:
        return answers(client, questions, top_k)


def answers(client: Any, questions: Sequence[Question], top_k: int = TOP_K) -> dict[str, Any]:
    """What `take` keeps, asked of `client` (anything with a TestClient's `post`)."""
    out: dict[str, Any] = {}
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
            entry["chat"] = _chat(client, q, top_k)
        out[q.id] = entry
    return out


def _chat(client: Any, q: Question, top_k: int) -> Any:
    """The follow-up's chat view, its status when not 200, or the first history turn whose reply was not 200."""
    messages: list[dict[str, str]] = []
    for turn, h in enumerate(q.history, start=1):
        messages.append({"role": "user", "content": h})
        reply = client.post("/v1/chat/completions", json={"messages": messages, "top_k": top_k})
        if reply.status_code != 200:
            # No reply to put in the conversation: what the user saw is this status.
            return {"history_turn": turn, "status": reply.status_code}
        messages.append({"role": "assistant", "content": reply.json()["choices"][0]["message"]["content"]})
    messages.append({"role": "user", "content": q.question})
    c = client.post("/v1/chat/completions", json={"messages": messages, "top_k": top_k})
    return _chat_view(c.json()) if c.status_code == 200 else c.status_code


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The ids whose answers differ, or that one side lacks."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def compare_lines(
    before: Mapping[str, Any], after: Mapping[str, Any], split_of: Mapping[str, str | None]
) -> tuple[list[str], int]:
    """What `--compare` prints, and how many answers moved. Dev questions (and questions without a split) that moved
    are named; test ones only counted, as are questions the set no longer has (their split is not known)."""
    moved = differences(dict(before), dict(after))
    compared = before.keys() | after.keys()
    listed = [k for k in moved if k in split_of and split_of[k] != "test"]
    test = [k for k in moved if split_of.get(k) == "test"]
    gone = [k for k in moved if k not in split_of]
    lines = [f"{len(after)} answers; {len(moved)} differ"]
    if any(k in split_of and split_of[k] != "test" for k in compared):
        lines.append(f"{len(listed)} dev answers moved" + (": " + ", ".join(listed) if listed else ""))
    if any(split_of.get(k) == "test" for k in compared):
        lines.append(f"{len(test)} test answers moved (held out: not listed)")
    if gone:
        lines.append(f"{len(gone)} answers of questions not in the set moved (split unknown: not listed)")
    return lines, len(moved)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.snapshot",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--set", default=str(DEFAULT_SET))
    parser.add_argument(
        "--split",
        choices=("dev", "test", "all"),
        default="all",
        help="the questions to pin (default: all); --compare names moved dev answers and counts test ones",
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", help="write the snapshot here")
    group.add_argument("--compare", help="compare with the snapshot written here")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    questions = load_questions(args.set)
    chosen = select_split(questions, args.split)
    snapshot = take(Settings(), chosen)
    if args.write:
        Path(args.write).write_text(
            json.dumps(snapshot, ensure_ascii=False, indent=1, sort_keys=True), "utf-8"
        )
        print(f"{len(snapshot)} answers written to {args.write}")
        return 0
    before = json.loads(Path(args.compare).read_text("utf-8"))
    if args.split != "all":  # the other split's answers in the file are not compared
        before = {k: v for k, v in before.items() if k in snapshot}
    lines, moved = compare_lines(before, snapshot, {q.id: q.split for q in questions})
    lines[0] += f" from {args.compare}"
    print("\n".join(lines))
    return 1 if moved else 0


if __name__ == "__main__":
    sys.exit(main())
