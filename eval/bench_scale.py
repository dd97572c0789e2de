"""The cost curve of the stores, and the lexical choice for Milvus, measured (figures in docs/SCALE.md).

    python -m eval.bench_scale curve [--sizes 1000,10000,100000,1000000] [--budget 600] [--max-gb 8]
    python -m eval.bench_scale lexical          # hit@5 on eval/questions.jsonl's dev split, per store

`curve` grows a synthetic corpus from 10^3 to 10^6 rows and measures, for FAISS flat, FAISS HNSW and Milvus
Lite: insert (build) time, resident memory, store-level dense and lexical search p50/p95, recall@10 of the
approximate indexes against flat, and, where the whole corpus fits one retriever over the store
(`index.store_retriever.store_library`), its search end to end (what /search costs before the answerer formats it). No hours of embedding: rows are the
real document's pieces, their real passage vectors plus small noise, renormalised (cosine ~0.9 to the
original), and token lists drawn from that row's own tokens and the document's vocabulary; queries are the
evaluation questions' real query vectors and tokens. Each (store, size) runs in its own subprocess, so memory
is that process's (and Milvus Lite's server's) alone, under a time bound; a size whose extrapolated time or
memory from the size before exceeds the bounds is skipped and says so.

`lexical` builds the real document into a FAISS store and into Milvus Lite twice (our tokens as BM25 words,
and Milvus's jieba analyzer on the raw text) and scores retrieval on the dev questions (hit@5, MRR@10).

Benchmarks print; they assert nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

QUESTIONS = Path(__file__).with_name("questions.jsonl")
CACHE = Path(os.environ.get("CITEQA_BENCH_CACHE", Path.cwd() / ".cache" / "bench-scale"))
STORES = ("faiss-flat", "faiss-hnsw", "milvus-lite")
DOC_ROWS = 10_000  # rows per synthetic document: a section of the budget in one language is ~1-3k
NOISE = 0.5  # norm of the noise added to a unit vector before renormalising (cosine ~0.9 to the original)
QUERIES = 100
# The retriever of `store_library` holds a view of every row: the end-to-end search is measured up to this size.
E2E_MAX = int(os.environ.get("BENCH_E2E_MAX", "10000"))


# The real material, embedded once and cached -------------------------------------------------------------


def _questions(split: str | None = None) -> list[dict[str, Any]]:
    out = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [q for q in out if (split is None or q.get("split") == split) and not q.get("history")]


def material() -> dict[str, Any]:
    """The real document's rows, passages, vectors and tokens, and the questions' vectors (cached on disk)."""
    from corpus.parser import load_document
    from index.open import make_embedder
    from index.store_retriever import embed_rows, store_rows
    from service.settings import Settings

    settings = Settings()
    passages = list(load_document(settings.corpus, settings.doc_symbol))
    rows, tokens = store_rows(settings.doc_symbol, passages)
    path = CACHE / "material.npz"
    if path.exists():
        data = np.load(path)
        row_vectors, query_vectors = data["rows"], data["queries"]
    else:
        embedder = make_embedder(settings.index_config)
        row_vectors = embed_rows(rows, embedder)
        query_vectors = embedder.embed_queries([q["question"] for q in _questions()])
        CACHE.mkdir(parents=True, exist_ok=True)
        np.savez(path, rows=row_vectors, queries=query_vectors)
    return {
        "settings": settings,
        "passages": passages,
        "rows": rows,
        "tokens": tokens,
        "row_vectors": row_vectors,
        "query_vectors": query_vectors,
    }


# The cost curve ------------------------------------------------------------------------------------------


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _tree_rss_mb() -> float:
    """This process and its children (Milvus Lite runs its server as a child process)."""
    pids = [os.getpid()]
    seen: set[int] = set()
    while pids:
        pid = pids.pop()
        if pid in seen:
            continue
        seen.add(pid)
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            pids.extend(int(c) for c in task.read_text().split())
    return sum(_rss_mb(p) for p in seen)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    return qs[49], qs[94]


def _timed(fn: Callable[[int], object], n: int) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def synthetic(size: int, mat: dict[str, Any], seed: int = 0) -> Any:
    """Yield (document symbol, passages, rows, vectors, tokens) for `size` rows, DOC_ROWS rows per document."""
    from corpus.model import Passage
    from index.store import Row

    rng = np.random.default_rng(seed)
    base_vectors, base_tokens = mat["row_vectors"], mat["tokens"]
    vocab = sorted({t for ts in base_tokens for t in ts})
    n_base = len(base_vectors)
    for start in range(0, size, DOC_ROWS):
        count = min(DOC_ROWS, size - start)
        doc = f"SYN/{start // DOC_ROWS + 1}"
        src = np.arange(start, start + count) % n_base
        noise = rng.standard_normal((count, base_vectors.shape[1])).astype(np.float32)
        noise *= NOISE / np.linalg.norm(noise, axis=1, keepdims=True)
        vectors = base_vectors[src] + noise
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        extra = rng.integers(0, len(vocab), (count, 3))
        # The row's own tokens and three drawn from the document's vocabulary: copies of a row differ.
        tokens = [base_tokens[s] + [vocab[j] for j in e] for s, e in zip(src, extra, strict=True)]
        # A passage per 4 rows, as the real document has ~2-4 pieces per passage.
        passages = [Passage(id=f"p{i}", doc=doc, kind="paragraph", text="") for i in range((count + 3) // 4)]
        rows = [Row(doc, f"p{i // 4}", "".join(tokens[i])[:300]) for i in range(count)]
        yield doc, passages, rows, vectors, tokens


class _GivenVectors:
    """The retriever wants an embedder; every query here comes with its real vector, so it is never called."""

    model_id = "given"

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        raise AssertionError("the benchmark passes every query vector")

    embed_passages = embed_queries


def run_one(store_kind: str, size: int) -> dict[str, Any]:
    """Build one store of `size` rows and measure it (runs in a subprocess of `curve`)."""
    import faiss

    from index.lexical import tokenize
    from index.store import DocumentInfo, Store
    from index.store_faiss import FaissStore
    from index.store_milvus import MilvusStore

    # One thread per query, as a server answering concurrent requests wants: on a busy machine FAISS's
    # OpenMP threads for a single query wait on each other longer than they compute (10^5 rows: 144 ms on
    # two threads, 61 ms on one, load average 10).
    faiss.omp_set_num_threads(int(os.environ.get("BENCH_FAISS_THREADS", "1")))
    mat = material()
    dim = mat["row_vectors"].shape[1]
    qv = mat["query_vectors"][:QUERIES]
    qtokens = [tokenize(q["question"]) for q in _questions()][:QUERIES]
    rss0 = _tree_rss_mb()
    tmp = Path(tempfile.mkdtemp(prefix="citeqa-bench-"))
    store: Store
    t0 = time.perf_counter()
    if store_kind == "milvus-lite":
        store = MilvusStore.create(
            str(tmp / "bench.db"), dim, index_type=os.environ.get("BENCH_MILVUS_INDEX", "FLAT")
        )
    else:
        store = FaissStore(dim, "Flat" if store_kind == "faiss-flat" else "HNSW32")
    build_s = time.perf_counter() - t0  # creating the store (Milvus: its collections)
    flat = FaissStore(dim, "Flat") if store_kind != "faiss-flat" else None
    for doc, passages, rows, vectors, tokens in synthetic(size, mat):
        if flat is not None:
            # The exact neighbours, for recall (outside the timing; its vectors do count in the memory).
            flat.add(DocumentInfo(doc), passages, rows, vectors, [[] for _ in rows])
        t = time.perf_counter()
        store.add(DocumentInfo(doc), passages, rows, vectors, tokens)
        build_s += time.perf_counter() - t
    t = time.perf_counter()
    store.lexical_search(["决议"], 1)  # the FAISS store builds BM25 on first use: part of the build
    build_s += time.perf_counter() - t
    rss = _tree_rss_mb() - rss0
    dense_ms = _timed(lambda i: store.dense_search(qv[i % len(qv)], 10), QUERIES)
    lexical_ms = _timed(lambda i: store.lexical_search(qtokens[i % len(qtokens)], 10), QUERIES)
    filtered_ms = _timed(lambda i: store.dense_search(qv[i % len(qv)], 10, docs=["SYN/1"]), QUERIES)
    recall = base_recall = None
    if flat is not None:
        got = [[r.index for r, _ in store.dense_search(q, 10)] for q in qv]
        want = [[r.index for r, _ in flat.dense_search(q, 10)] for q in qv]
        recall = float(np.mean([len(set(g) & set(w)) / 10 for g, w in zip(got, want, strict=True)]))
        # Rows are noisy copies of the real rows, so the exact top 10 is often ten near-ties among copies of
        # one or two real rows: the ANN finding the same real rows is what retrieval quality depends on.
        n_base = len(mat["row_vectors"])
        base_recall = float(
            np.mean(
                [
                    len({i % n_base for i in g} & {i % n_base for i in w}) / len({i % n_base for i in w})
                    for g, w in zip(got, want, strict=True)
                ]
            )
        )
    e2e = None
    if size <= E2E_MAX:
        import index.store_retriever as sr
        from index.encoder import QueryEncoder
        from reader.question import analyse

        # How many rows the retriever asks of the store per side (today: every row, up to 16384).
        sr.CANDIDATES = int(os.environ.get("BENCH_CANDIDATES", sr.CANDIDATES))

        questions = [q["question"] for q in _questions()][:QUERIES]
        r = sr.store_library(store, None, QueryEncoder(_GivenVectors(dim))).view("SYN/1")  # type: ignore[arg-type]
        asked = [analyse(q) for q in questions]
        e2e_ms = _timed(lambda i: r.search(asked[i], 10, qv[i]), min(20, len(questions)))
        e2e = _percentiles(e2e_ms)
    store.close()
    return {
        "store": store_kind,
        "size": size,
        "build_s": round(build_s, 2),
        "rss_mb": round(rss, 1),
        "dense_ms": _percentiles(dense_ms),
        "dense_doc_ms": _percentiles(filtered_ms),
        "lexical_ms": _percentiles(lexical_ms),
        "recall10": recall,
        "recall10_real_rows": base_recall,
        "retriever_ms": e2e,
    }


def curve(sizes: list[int], budget: float, max_gb: float, stores: list[str]) -> list[dict[str, Any]]:
    material()  # embed once, before the timed runs
    results: list[dict[str, Any]] = []
    for kind in stores:
        previous: dict[str, Any] | None = None
        for size in sizes:
            if previous is not None:
                grow = size / previous["size"]
                eta, gb = previous["build_s"] * grow, previous["rss_mb"] * grow / 1024
                if eta > budget or gb > max_gb:
                    results.append(
                        {"store": kind, "size": size, "skipped": f"~{eta:.0f} s, ~{gb:.1f} GB extrapolated"}
                    )
                    print(json.dumps(results[-1]), flush=True)
                    break
            cmd = [sys.executable, "-m", "eval.bench_scale", "one", kind, str(size)]
            try:
                out = subprocess.run(
                    cmd, capture_output=True, text=True, timeout=budget * 2, check=True
                ).stdout
                previous = json.loads(out.strip().splitlines()[-1])
            except subprocess.TimeoutExpired:
                results.append({"store": kind, "size": size, "skipped": f"over {budget * 2:.0f} s"})
                print(json.dumps(results[-1]), flush=True)
                break
            except subprocess.CalledProcessError as exc:
                results.append(
                    {"store": kind, "size": size, "skipped": "failed: " + exc.stderr.strip()[-300:]}
                )
                print(json.dumps(results[-1]), flush=True)
                break
            results.append(previous)
            print(json.dumps(previous), flush=True)
    return results


def table(results: list[dict[str, Any]]) -> str:
    def ms(v: Any) -> str:
        return "–" if v is None else f"{v[0]:.1f} / {v[1]:.1f}"

    lines = [
        "| store | rows | build s | memory MB | dense p50/p95 ms | dense, one doc | lexical p50/p95 ms "
        "| recall@10 (real rows) | retriever p50/p95 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "skipped" in r:
            lines.append(f"| {r['store']} | {r['size']:,} | skipped: {r['skipped']} | | | | | | |")
            continue
        recall = "exact" if r["recall10"] is None else f"{r['recall10']:.3f}"
        if r.get("recall10_real_rows") is not None:
            recall += f" ({r['recall10_real_rows']:.3f})"
        lines.append(
            f"| {r['store']} | {r['size']:,} | {r['build_s']:.1f} | {r['rss_mb']:.0f} | {ms(r['dense_ms'])} "
            f"| {ms(r['dense_doc_ms'])} | {ms(r['lexical_ms'])} | {recall} | {ms(r['retriever_ms'])} |"
        )
    return "\n".join(lines)


# The lexical choice on the evaluation set ----------------------------------------------------------------


def lexical_check() -> list[dict[str, Any]]:
    from eval.metrics import hit_at_k, reciprocal_rank
    from index.encoder import QueryEncoder
    from index.open import make_embedder
    from index.ranking import lexical_tokens
    from index.store import DocumentInfo, Store
    from index.store_faiss import FaissStore
    from index.store_milvus import MilvusStore
    from index.store_retriever import store_library
    from reader.question import analyse

    mat = material()
    settings, passages, rows = mat["settings"], mat["passages"], mat["rows"]
    embedder = make_embedder(settings.index_config)
    questions = _questions()
    dev = [
        (q, v)
        for q, v in zip(questions, mat["query_vectors"], strict=True)
        if q.get("split") == "dev" and q["gold"]
    ]
    tmp = Path(tempfile.mkdtemp(prefix="citeqa-lexical-"))
    stores: dict[str, Store] = {"faiss (bm25s, our tokens)": FaissStore(embedder.dim)}
    stores["milvus-lite (BM25, our tokens)"] = MilvusStore.create(str(tmp / "a.db"), embedder.dim)
    stores["milvus-lite (BM25, jieba analyzer)"] = MilvusStore.create(
        str(tmp / "b.db"), embedder.dim, lexical="jieba"
    )
    out = []
    for name, store in stores.items():
        store.add(DocumentInfo(settings.doc_symbol), passages, rows, mat["row_vectors"], mat["tokens"])
        r = store_library(store, None, QueryEncoder(embedder)).view()  # type: ignore[arg-type]
        for mode in ("fused", "lexical only"):
            hits5, rr = [], []
            for q, v in dev:
                if mode == "fused":
                    ranked = [h.passage.id for h in r.search(analyse(q["question"]), 10, v)]
                else:
                    got = store.lexical_search(lexical_tokens(analyse(q["question"])), 50)
                    ranked = list(dict.fromkeys(row.passage_id for row, _ in got))[:10]
                hits5.append(hit_at_k(ranked, q["gold"], 5))
                rr.append(reciprocal_rank(ranked, q["gold"]))
            out.append(
                {
                    "store": name,
                    "ranking": mode,
                    "questions": len(dev),
                    "hit5": float(np.mean(hits5)),
                    "mrr10": float(np.mean(rr)),
                }
            )
            print(json.dumps(out[-1], ensure_ascii=False), flush=True)
        store.close()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.bench_scale", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("curve")
    c.add_argument("--sizes", default="1000,10000,100000,1000000")
    c.add_argument("--stores", default=",".join(STORES))
    c.add_argument("--budget", type=float, default=600.0, help="seconds one (store, size) may take")
    c.add_argument("--max-gb", type=float, default=8.0)
    o = sub.add_parser("one")
    o.add_argument("store", choices=STORES)
    o.add_argument("size", type=int)
    sub.add_parser("lexical")
    args = p.parse_args(argv)
    if args.cmd == "one":
        print(json.dumps(run_one(args.store, args.size)))
    elif args.cmd == "curve":
        results = curve(
            [int(s) for s in args.sizes.split(",")], args.budget, args.max_gb, args.stores.split(",")
        )
        print(table(results))
    else:
        lexical_check()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
