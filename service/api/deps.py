"""What the lifespan loads once, and what the routes receive as typed dependencies.

An index load (`Loaded`) is one immutable bundle: the retriever, one answerer per document and the search box.
`POST /reload` swaps the bundle whole, so a request holds one consistent bundle from start to end, and nothing
of a request is kept on a shared object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, HTTPException, Query, Request

from index.embedder import Embedder
from index.library import Library
from index.open import open_retriever
from index.query import UnknownDocument
from reader.answerer import Answerer
from reader.followups import Turn
from reader.scoring import Weights
from reader.search import Searcher

from ..runtime.conversations import ConversationStore
from ..runtime.limits import clean_text
from ..runtime.metrics import Metrics
from ..settings import Settings
from .present import passage_fields

if TYPE_CHECKING:
    from ..runtime.shared_state import SharedRedis

DOC_HELP = (
    "the document to search or look in (its symbol, as GET /documents lists it); optional with one document"
)


@dataclass(frozen=True)
class Loaded:
    retriever: Library
    answerers: dict[str, Answerer]  # by document symbol
    searcher: Searcher
    # Each passage's fixed fields in a search result, made once for this index: /search answers while people type.
    fields: dict[tuple[str, str], dict[str, Any]]

    @classmethod
    def open(
        cls, settings: Settings, embedder: Embedder | None = None, weights: Weights | None = None
    ) -> Loaded:
        """Open the index the settings name; a missing, mismatched or damaged one raises `BadIndex`."""
        retriever = open_retriever(settings.index_config, embedder)
        try:
            if weights is None and settings.reader_weights is not None:
                weights = Weights.load(settings.reader_weights)
            answerers = {
                d.symbol: Answerer(retriever.view(d.symbol), weights, settings.query_cache_size)
                for d in retriever.documents
            }
            searcher = Searcher(
                retriever,
                {s: a.template for s, a in answerers.items()},
                {s: a.reader.term_weights.idf for s, a in answerers.items()},
                settings.query_cache_size,
            )
            fields = {
                (p.doc, p.id): passage_fields(p)
                for d in retriever.documents
                for p in retriever.view(d.symbol).passages
            }
            return cls(retriever, answerers, searcher, fields)
        except BaseException:
            retriever.close()
            raise

    @property
    def weights(self) -> Weights:
        return next(iter(self.answerers.values())).reader.weights

    def answerer(self, doc: str | None = None) -> Answerer:
        return self.answerers[doc] if doc is not None else next(iter(self.answerers.values()))

    def answerer_for(self, doc: str | None, question: str, previous: Turn | None) -> Answerer:
        """The answerer for `doc`; with none named and several documents, the one of the document whose passage
        ranks first for the question (as resolved after `previous`)."""
        if doc is not None or len(self.answerers) == 1:
            return self.answerer(doc)
        first = self.answerer()
        _, resolved = first.resolve(question, previous)
        hits = self.retriever.search(first.analyse(resolved.question), 1)
        return self.answerers[hits[0].passage.doc] if hits else first


@dataclass
class AppState:
    settings: Settings
    loaded: Loaded  # replaced whole by /reload
    conversations: ConversationStore  # in process, or in Redis (`CITEQA_REDIS_URL`)
    metrics: Metrics
    shared: SharedRedis | None = None  # the Redis replicas share, when configured


# async, so FastAPI calls it on the event loop: a sync dependency would take a trip through the thread pool
# on every request for one attribute read.
async def _state(request: Request) -> AppState:
    state: AppState = request.app.state.citeqa
    return state


StateDep = Annotated[AppState, Depends(_state)]


async def _doc(state: StateDep, doc: Annotated[str | None, Query(description=DOC_HELP)] = None) -> str | None:
    """The document a request names, checked: an unknown one is a 404 listing those there are."""
    if doc is None:
        return None
    doc = clean_text(doc, state.settings, "doc")
    symbols = [d.symbol for d in state.loaded.retriever.documents]
    if doc not in symbols:
        raise HTTPException(404, str(UnknownDocument(doc, symbols)))
    return doc


DocDep = Annotated[str | None, Depends(_doc)]
