"""What the lifespan loads once and the routes receive as typed dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from index.retriever import Retriever

from .answer import Answerer
from .conversations import Conversations
from .metrics import Metrics
from .settings import Settings


@dataclass
class AppState:
    settings: Settings
    retriever: Retriever
    answerer: Answerer
    conversations: Conversations
    metrics: Metrics


# async, so FastAPI calls it on the event loop: a sync dependency would take a trip through the thread pool
# on every request for one attribute read.
async def _state(request: Request) -> AppState:
    state: AppState = request.app.state.citeqa
    return state


StateDep = Annotated[AppState, Depends(_state)]
