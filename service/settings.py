"""Settings: one object, read once from `CITEQA_*` environment variables, replaceable in tests."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from corpus.parser import DEFAULT_SOURCE, DEFAULT_SYMBOL
from index.open import IndexConfig

from .runtime.proxies import parse_networks

EMBEDDED_MODEL = "embedded:multilingual-e5-small"
_CACHE = Path.home() / ".cache" / "citeqa"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITEQA_", extra="ignore")

    # Data and models
    corpus: Path = DEFAULT_SOURCE
    doc_symbol: str = DEFAULT_SYMBOL
    index_dir: Path = _CACHE / "index"
    cache_dir: Path = _CACHE / "models"
    model: str = Field(
        EMBEDDED_MODEL, description="`embedded:…` or the path of a local sentence-transformers model"
    )
    query_prefix: str | None = Field(
        None, description="defaults to `query: ` for the embedded E5 model, else ``"
    )
    passage_prefix: str | None = Field(None, description="defaults to `passage: ` for the embedded E5 model")

    # Where the index lives (docs/SCALE.md): unset is today's index directory; "milvus" is Milvus at
    # `milvus_uri`, a local `*.db` file (Milvus Lite) or `http://host:19530` (a server).
    store: Literal["faiss", "milvus"] | None = None
    milvus_uri: str = str(_CACHE / "milvus.db")
    milvus_collection: str = Field("citeqa", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    milvus_token: str = ""

    reader_weights: Path | None = Field(
        None,
        description="the reader's fitted weights; default: the packaged "
        "reader/weights.json (written by `python -m eval.calibrate`)",
    )

    # Limits
    max_question_chars: int = 2000
    max_top_k: int = 50
    max_body_bytes: int = 65536
    max_conversations: int = 1000
    conversation_ttl_s: float = 1800.0
    conversation_turns: int = 20
    conversation_max_bytes: int = Field(
        32768, description="UTF-8 bytes of question text one conversation keeps"
    )
    request_timeout_s: float = 15.0
    query_cache_size: int = 2048
    query_queue_limit: int = Field(64, ge=1, description="queries waiting to be embedded before 503s")

    # Chat clients
    chat_sources: bool = Field(
        True, description="append a Sources footer (id, quote, link) to chat completions"
    )

    # Feedback (POST /feedback, GET /feedback, `citeqa feedback export`; service/runtime/feedback.py)
    feedback_db: Path = Field(
        _CACHE / "feedback.db", description="the SQLite file feedback is stored in (WAL)"
    )
    feedback_answers: int = Field(2000, ge=1, description="recent answers remembered for feedback (LRU)")
    feedback_answer_ttl_s: float = Field(86400.0, gt=0, description="how long an answer takes feedback")
    feedback_comment_chars: int = Field(1000, ge=0, le=10000, description="longest comment kept")
    feedback_per_day: int = Field(200, ge=1, description="feedback rows per caller in 24 hours")
    feedback_max_rows: int = Field(100_000, ge=1, description="feedback rows in all; past that, 507")

    # Model work: this many requests run at once, at most `max_queued` more wait; the rest get 503 at once.
    # The query batcher embeds what arrives together as one batch on all cores, so as many workers as it batches
    # (16) keep the cores busy without oversubscribing them; fewer would starve the batches.
    model_workers: int = 16
    max_queued: int = 16
    rate_limit_per_min: int = Field(
        600, description="requests per minute per caller (API key, else address); 0: off"
    )
    rate_limit_burst: int = 100

    # Server (uvicorn; see service/runtime/server_config.py)
    read_timeout_s: float = Field(5.0, description="to send a request's headers, and then its body")
    keep_alive_s: int = 5
    max_connections: int = 512

    # Security
    api_key: str | None = None
    admin_key: str | None = Field(
        None,
        description="guards POST /reload, GET /feedback and (with keys required) GET /metrics; "
        "unset: loopback callers only",
    )
    cors_origins: list[str] = []
    keys_file: Path | None = Field(
        None,
        description="JSON list of keys (name, sha256, scopes, rate_limit_per_min); "
        "re-read when it changes (service/runtime/keys.py)",
    )
    trusted_proxies: list[str] = Field([], description="IPs/CIDRs whose X-Forwarded-For names the caller")

    # Replicas: conversations and rate-limit buckets in Redis (service/runtime/shared_state.py); unset: in process
    redis_url: str | None = Field(
        None, pattern=r"^(redis|rediss|unix)://", description="redis://[:password@]host:6379/0"
    )
    redis_prefix: str = Field(
        "citeqa", pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="prefix of every Redis key"
    )
    redis_timeout_s: float = Field(
        0.5, gt=0, description="longest wait for one Redis command before doing without"
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        parse_networks(value)
        return value

    @property
    def is_embedded(self) -> bool:
        return self.model.startswith("embedded:")

    @property
    def prefixes(self) -> tuple[str, str]:
        default = ("query: ", "passage: ") if self.is_embedded else ("", "")
        return (
            default[0] if self.query_prefix is None else self.query_prefix,
            default[1] if self.passage_prefix is None else self.passage_prefix,
        )

    @property
    def index_config(self) -> IndexConfig:
        q, p = self.prefixes
        return IndexConfig(
            corpus=self.corpus,
            doc_symbol=self.doc_symbol,
            index_dir=self.index_dir,
            cache_dir=self.cache_dir,
            model=self.model,
            query_prefix=q,
            passage_prefix=p,
            store=self.store,
            milvus_uri=self.milvus_uri,
            milvus_collection=self.milvus_collection,
            milvus_token=self.milvus_token,
            cache_size=self.query_cache_size,
            queue_limit=self.query_queue_limit,
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
