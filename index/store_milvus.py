"""The Milvus store: rows, vectors and BM25 in Milvus, through pymilvus's `MilvusClient`.

The same code runs on Milvus Lite (a local `*.db` file, no server: tests and a single machine) and on a Milvus
standalone or cluster (`http://host:19530`). Four collections share a name prefix (default `citeqa`):

- `<name>_rows`: one entity per piece: `pk` (the store-wide row number), `doc`, `passage_id`, `text`, the dense
  `vector`, and `sparse`, the output of Milvus's BM25 function;
- `<name>_passages`: each passage as JSON, keyed by document and id;
- `<name>_documents`: symbol, language, source, passage count;
- `<name>_candidates`: the reader's answer candidates (`index.candidates`), each as JSON with its vector, keyed
  like rows by a store-wide number and filtered by document;
- `<name>_meta`: key/value (the index manifest).

The lexical side, two ways (`lexical=`), both scored by Milvus's own BM25 (its statistics stay right as
documents are added):

- "citeqa" (the default): the BM25 function reads `lex`, our own tokens (`index.lexical.tokenize`: symbols
  like 77/71, grades like P-4 and spaced figures like 15 232 800 whole), each written as one opaque
  alphanumeric word so Milvus's standard analyzer keeps it whole. Milvus Lite offers only the standard and
  jieba tokenizers, so a whitespace analyzer over the raw tokens is not available.
- "jieba": the BM25 function reads `text` through Milvus's jieba analyzer; the query text is our tokens joined
  by spaces. Kept for the comparison in docs/SCALE.md, where it ranks worse on the evaluation set.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from pymilvus import DataType, Function, FunctionType, MilvusClient
from pymilvus.exceptions import MilvusException

from corpus.candidates import Candidate
from corpus.model import Passage

from .candidates import CandidateIndex
from .store import DocumentInfo, Row, Scored, StoreError, StoreMissing, check_add, no_candidates

LEXICAL_MODES = ("citeqa", "jieba")
# Milvus caps one search's limit (topk) at 16384.
MAX_LIMIT = 16384
_VARCHAR = 65535
# BM25 as bm25s scores it by default (k1 1.5, b 0.75), so both stores rank alike.
_BM25_PARAMS = {"bm25_k1": 1.5, "bm25_b": 0.75}
_PAGE = 1000
_SUFFIXES = ("_rows", "_passages", "_documents", "_meta", "_candidates")
# Milvus Lite keeps no MVCC timestamps; pymilvus warns about it on every query iterator, harmlessly.
logging.getLogger("pymilvus.client.iterator.query_iterator").setLevel(logging.ERROR)


def lexical_word(token: str) -> str:
    """A token as one word Milvus's standard analyzer keeps whole: `t` and 16 hex digits of its hash."""
    return "t" + hashlib.blake2b(token.encode("utf-8"), digest_size=8).hexdigest()


def _literal(value: Any) -> str:
    """A string or list of strings as a Milvus filter literal (JSON's escaping is the expression language's)."""
    return json.dumps(value, ensure_ascii=False)


class MilvusStore:
    def __init__(self, client: MilvusClient, name: str, dim: int, lexical: str) -> None:
        self._client = client
        self.name = name
        self._dim = dim
        self.lexical = lexical
        self._rows_c, self._passages_c = f"{name}_rows", f"{name}_passages"
        self._docs_c, self._meta_c = f"{name}_documents", f"{name}_meta"
        self._cands_c = f"{name}_candidates"

    # Opening and creating --------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        uri: str,
        dim: int,
        name: str = "citeqa",
        lexical: str = "citeqa",
        index_type: str = "FLAT",
        replace: bool = False,
        token: str = "",
    ) -> MilvusStore:
        """New, empty collections under `name`; `replace` drops the ones there (never the live alias's target)."""
        if lexical not in LEXICAL_MODES:
            raise StoreError(f"lexical must be one of {', '.join(LEXICAL_MODES)}, not {lexical!r}")
        if is_local(uri):
            Path(uri).expanduser().parent.mkdir(parents=True, exist_ok=True)
        client = _connect(uri, token)
        store = cls(client, name, dim, lexical)
        existing = [c for c in store._collections() if client.has_collection(c)]
        if existing and not replace:
            client.close()
            raise StoreError(
                f"Milvus at {uri} already has {', '.join(existing)}; open it, or build under another name"
            )
        for c in existing:
            client.drop_collection(c)
        store._create_rows(index_type)
        for c in (store._passages_c, store._docs_c, store._meta_c):
            store._create_keyed(c)
        store._create_candidates()
        return store

    @classmethod
    def open(cls, uri: str, name: str = "citeqa", token: str = "") -> MilvusStore:
        """The collections under `name`; where `name` is an alias (`publish`), the ones it points at now, kept
        for the life of this object: a rebuild that moves the alias does not change what it reads."""
        client = _connect(uri, token)
        rows_c = f"{name}_rows"
        if not client.has_collection(rows_c):
            client.close()
            raise StoreMissing(
                f"Milvus at {uri} has no collection {rows_c!r}; run `citeqa build` with CITEQA_STORE=milvus"
            )
        target = _alias_target(client, rows_c)
        if target is not None:
            rows_c, name = target, target.removesuffix("_rows")
        prefix = rows_c.removesuffix("_rows")
        absent = [f"{prefix}{x}" for x in _SUFFIXES if not client.has_collection(f"{prefix}{x}")]
        if absent:
            client.close()
            raise StoreError(
                f"Milvus at {uri} lacks {', '.join(absent)} (built by older code); run `citeqa build`"
            )
        # Collections come back released when Milvus (Lite, or a restarted server) opens them anew; loading
        # a loaded collection is a no-op.
        for suffix in _SUFFIXES:
            client.load_collection(f"{prefix}{suffix}")
        info = client.describe_collection(rows_c)
        dim = next(int(f["params"]["dim"]) for f in info["fields"] if f["name"] == "vector")
        inputs = [n for fn in info.get("functions", []) for n in fn.get("input_field_names", [])]
        return cls(client, name, dim, "jieba" if "text" in inputs else "citeqa")

    def _collections(self) -> list[str]:
        return [self._rows_c, self._passages_c, self._docs_c, self._meta_c, self._cands_c]

    def publish(self, alias: str) -> list[str]:
        """Point `<alias>_rows` … `<alias>_meta` at this store's collections, all four before any reader opens
        them anew (a reader opened earlier keeps its own). Keeps the generation it replaces, for servers not
        yet reloaded, and drops older generations of `<alias>_v…`; returns what it dropped."""
        client = self._client
        previous = _alias_target(client, f"{alias}_rows")
        for suffix in _SUFFIXES:
            name, target = f"{alias}{suffix}", f"{self.name}{suffix}"
            if _alias_target(client, name) is not None:
                client.alter_alias(target, name)
            else:
                if client.has_collection(name):
                    # A build made without aliases: the one moment this store is briefly missing.
                    client.drop_collection(name)
                client.create_alias(target, name)
        keep = {self.name, previous.removesuffix("_rows") if previous else self.name}
        generation = re.compile(rf"^{re.escape(alias)}_v\d+(?=(?:{'|'.join(_SUFFIXES)})$)")
        dropped = [
            c for c in client.list_collections() if (m := generation.match(c)) and m.group(0) not in keep
        ]
        for c in dropped:
            client.drop_collection(c)
        return dropped

    def drop(self) -> None:
        """Drop this store's collections (a build that failed half-way)."""
        for c in self._collections():
            if self._client.has_collection(c):
                self._client.drop_collection(c)

    def _create_rows(self, index_type: str) -> None:
        schema = self._client.create_schema(auto_id=False)
        schema.add_field("pk", DataType.INT64, is_primary=True)
        schema.add_field("doc", DataType.VARCHAR, max_length=512)
        schema.add_field("passage_id", DataType.VARCHAR, max_length=256)
        if self.lexical == "jieba":
            schema.add_field(
                "text",
                DataType.VARCHAR,
                max_length=_VARCHAR,
                enable_analyzer=True,
                analyzer_params={"tokenizer": "jieba"},
            )
            source = "text"
        else:
            schema.add_field("text", DataType.VARCHAR, max_length=_VARCHAR)
            schema.add_field(
                "lex",
                DataType.VARCHAR,
                max_length=_VARCHAR,
                enable_analyzer=True,
                analyzer_params={"tokenizer": "standard"},
            )
            source = "lex"
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self._dim)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            Function(
                name="bm25",
                function_type=FunctionType.BM25,
                input_field_names=[source],
                output_field_names=["sparse"],
            )
        )
        index = self._client.prepare_index_params()
        index.add_index(
            "vector",
            index_type=index_type,
            metric_type="IP",
            params={"M": 32, "efConstruction": 200} if index_type == "HNSW" else {},
        )
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=_BM25_PARAMS)
        index.add_index("doc", index_type="INVERTED")
        self._client.create_collection(
            self._rows_c, schema=schema, index_params=index, consistency_level="Strong"
        )

    def _create_candidates(self) -> None:
        schema = self._client.create_schema(auto_id=False)
        schema.add_field("pk", DataType.INT64, is_primary=True)
        schema.add_field("doc", DataType.VARCHAR, max_length=512)
        schema.add_field("ord", DataType.INT64)
        schema.add_field("data", DataType.VARCHAR, max_length=_VARCHAR)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self._dim)
        index = self._client.prepare_index_params()
        index.add_index("vector", index_type="FLAT", metric_type="IP")
        index.add_index("doc", index_type="INVERTED")
        self._client.create_collection(
            self._cands_c, schema=schema, index_params=index, consistency_level="Strong"
        )

    def _create_keyed(self, collection: str) -> None:
        """A collection of JSON records under a string key (Milvus wants a vector field: a 2-d placeholder)."""
        schema = self._client.create_schema(auto_id=False)
        schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=1024)
        schema.add_field("doc", DataType.VARCHAR, max_length=512)
        schema.add_field("ord", DataType.INT64)
        schema.add_field("data", DataType.VARCHAR, max_length=_VARCHAR)
        schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)
        index = self._client.prepare_index_params()
        index.add_index("unused", index_type="FLAT", metric_type="L2")
        index.add_index("doc", index_type="INVERTED")
        self._client.create_collection(
            collection, schema=schema, index_params=index, consistency_level="Strong"
        )

    @property
    def dim(self) -> int:
        return self._dim

    # Writing ---------------------------------------------------------------------------------------------

    def add(
        self,
        document: DocumentInfo,
        passages: Sequence[Passage],
        rows: Sequence[Row],
        vectors: np.ndarray,
        tokens: Sequence[list[str]],
        candidates: CandidateIndex | None = None,
    ) -> None:
        vectors = check_add(
            document,
            passages,
            rows,
            vectors,
            tokens,
            self._dim,
            {d.symbol for d in self.documents()},
            candidates,
        )
        start = self._count(self._rows_c)
        for lo in range(0, len(rows), _PAGE):
            batch = []
            for i in range(lo, min(lo + _PAGE, len(rows))):
                r = rows[i]
                entity: dict[str, Any] = {
                    "pk": start + i,
                    "doc": r.doc,
                    "passage_id": r.passage_id,
                    "text": r.text,
                    "vector": vectors[i].tolist(),
                }
                if self.lexical == "citeqa":
                    entity["lex"] = " ".join(lexical_word(t) for t in tokens[i])
                batch.append(entity)
            self._client.insert(self._rows_c, batch)
        records = [
            _record(f"{p.doc}\x1f{p.id}", p.doc, i, json.dumps(p.to_dict(), ensure_ascii=False))
            for i, p in enumerate(passages)
        ]
        for lo in range(0, len(records), _PAGE):
            self._client.insert(self._passages_c, records[lo : lo + _PAGE])
        if candidates is not None:
            first = self._count(self._cands_c)
            cands = [
                {
                    "pk": first + i,
                    "doc": document.symbol,
                    "ord": i,
                    "data": json.dumps(c.to_dict(), ensure_ascii=False),
                    "vector": candidates.vectors[i].tolist(),
                }
                for i, c in enumerate(candidates.items)
            ]
            for lo in range(0, len(cands), _PAGE):
                self._client.insert(self._cands_c, cands[lo : lo + _PAGE])
        info = DocumentInfo(document.symbol, document.language, document.source, len(passages))
        self._client.insert(
            self._docs_c,
            [
                _record(
                    document.symbol,
                    document.symbol,
                    len(self.documents()),
                    json.dumps(asdict(info), ensure_ascii=False),
                )
            ],
        )
        # Sealed and indexed segments: searching rows still in growing segments is some 20 times slower
        # (10^4 rows on Milvus Lite: 970 ms a query before the flush, 58 ms after).
        for c in (self._rows_c, self._passages_c, self._docs_c, self._cands_c):
            self._client.flush(c)

    def set_meta(self, key: str, value: str) -> None:
        self._client.upsert(self._meta_c, [_record(key, "", 0, value)])

    def get_meta(self, key: str) -> str | None:
        got = self._client.get(self._meta_c, ids=[key], output_fields=["data"])
        return str(got[0]["data"]) if got else None

    # Reading ---------------------------------------------------------------------------------------------

    def _filter(self, docs: Collection[str] | None) -> str:
        return "" if docs is None else f"doc in {_literal(sorted(docs))}"

    def dense_search(self, vector: np.ndarray, k: int, docs: Collection[str] | None = None) -> Scored:
        if k <= 0 or (docs is not None and not docs):
            return []
        res = self._client.search(
            self._rows_c,
            data=[np.asarray(vector, dtype=np.float32).tolist()],
            anns_field="vector",
            limit=min(k, MAX_LIMIT),
            filter=self._filter(docs),
            output_fields=["doc", "passage_id", "text"],
            search_params={"metric_type": "IP"},
        )
        return [(_row(h), float(h["distance"])) for h in res[0]]

    def lexical_search(self, tokens: list[str], k: int, docs: Collection[str] | None = None) -> Scored:
        words = list(dict.fromkeys(t for t in tokens if t))
        if k <= 0 or not words or (docs is not None and not docs):
            return []
        query = " ".join(lexical_word(t) for t in words) if self.lexical == "citeqa" else " ".join(words)
        res = self._client.search(
            self._rows_c,
            data=[query],
            anns_field="sparse",
            limit=min(k, MAX_LIMIT),
            filter=self._filter(docs),
            output_fields=["doc", "passage_id", "text"],
            search_params={"metric_type": "BM25"},
        )
        # Milvus Lite reports BM25 as a negative distance (smaller is nearer); a server reports the score.
        return [(_row(h), abs(float(h["distance"]))) for h in res[0]]

    def get_passage(self, doc: str, passage_id: str) -> Passage | None:
        got = self._client.get(self._passages_c, ids=[f"{doc}\x1f{passage_id}"], output_fields=["data"])
        return Passage.from_dict(json.loads(got[0]["data"])) if got else None

    def passages(self, doc: str) -> list[Passage]:
        found = sorted(
            self._scan(self._passages_c, f"doc == {_literal(doc)}", ["ord", "data"]),
            key=lambda e: int(e["ord"]),
        )
        return [Passage.from_dict(json.loads(e["data"])) for e in found]

    def rows(self, doc: str) -> list[Row]:
        found = self._scan(self._rows_c, f"doc == {_literal(doc)}", ["pk", "doc", "passage_id", "text"])
        return sorted((_row(e) for e in found), key=lambda r: r.index)

    def documents(self) -> list[DocumentInfo]:
        found = sorted(self._scan(self._docs_c, "", ["ord", "data"]), key=lambda e: int(e["ord"]))
        return [DocumentInfo(**json.loads(e["data"])) for e in found]

    def candidates(self, doc: str) -> CandidateIndex:
        # Read whole once per view: the reader scores a top passage's candidates with one matrix product.
        found = sorted(
            self._scan(self._cands_c, f"doc == {_literal(doc)}", ["ord", "data", "vector"]),
            key=lambda e: int(e["ord"]),
        )
        if not found:
            return no_candidates(self._dim)
        items = [Candidate.from_dict(json.loads(e["data"])) for e in found]
        return CandidateIndex.of(items, np.array([e["vector"] for e in found], dtype=np.float32))

    def _count(self, collection: str) -> int:
        return int(self._client.query(collection, filter="", output_fields=["count(*)"])[0]["count(*)"])

    def _scan(self, collection: str, expr: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        it = self._client.query_iterator(collection, batch_size=_PAGE, filter=expr, output_fields=fields)
        try:
            while batch := it.next():
                yield from batch
        finally:
            it.close()

    def close(self) -> None:
        self._client.close()


def _alias_target(client: MilvusClient, name: str) -> str | None:
    """The collection an alias points at, or None when `name` is no alias (asked without a failing call:
    pymilvus logs every failed RPC with its traceback)."""
    if name not in client.list_aliases().get("aliases", []):
        return None
    return str(client.describe_collection(name)["collection_name"])


def is_local(uri: str) -> bool:
    """A local `*.db` path (Milvus Lite) rather than a server's address."""
    return "://" not in uri


def _connect(uri: str, token: str) -> MilvusClient:
    try:
        return MilvusClient(uri=uri, token=token)
    except MilvusException as exc:
        raise StoreError(f"cannot reach Milvus at {uri} ({exc.message}); check CITEQA_MILVUS_URI") from exc


def _record(key: str, doc: str, ord_: int, data: str) -> dict[str, Any]:
    if len(data.encode("utf-8")) > _VARCHAR:
        raise StoreError(f"the record {key!r} is longer than Milvus's {_VARCHAR}-byte text field")
    return {"key": key, "doc": doc, "ord": ord_, "data": data, "unused": [0.0, 0.0]}


def _row(hit: dict[str, Any]) -> Row:
    entity = hit.get("entity", hit)
    return Row(entity["doc"], entity["passage_id"], entity["text"], int(hit.get("pk", hit.get("id", -1))))
