"""The load the benchmark sends: distinct realistic queries, one request, and N keep-alive clients at once."""

from __future__ import annotations

import itertools
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

# Realistic questions a delegate or drafter would ask of A/78/6 (Sect. 4), in both languages.
QUESTIONS: tuple[str, ...] = (
    "2024 年拟议资源总额是多少？",
    "本款前言是谁署名的？",
    "裁军事务厅各项工作追求的最终目标是什么？",
    "次级方案 3 常规武器的预期成果有哪些？",
    "2024 年拟议员额一共有多少个？",
    "维也纳办事处负责哪些工作？",
    "日内瓦处如何为裁军谈判会议提供服务？",
    "预算外资源预计有多少？",
    "各区域裁军中心设在哪里？",
    "在小武器和轻武器方面计划开展哪些工作？",
    "2022 年不扩散核武器条约审议大会的结果如何？",
    "新兴技术可能使武装冲突扩展到哪些新领域？",
    "信息和外联次级方案计划做什么？",
    "差旅费的拟议数额是多少？",
    "与 2023 年相比资源为什么有变化？",
    "裁军事务厅如何支持青年参与裁军？",
    "生物武器公约执行支助股做什么工作？",
    "裁军教育方面有哪些交付成果？",
    "What is the total proposed budget for 2024?",
    "Who signed the foreword of this section?",
    "How many posts are proposed for 2024?",
    "What does the Office for Disarmament Affairs do on small arms and light weapons?",
    "Where are the regional disarmament centres located?",
    "How much extrabudgetary funding is expected in 2024?",
    "How does the programme support the Conference on Disarmament?",
    "What is planned for disarmament education and outreach?",
    "What are the deliverables of subprogramme 2 on weapons of mass destruction?",
    "Why did the resources change compared with 2023?",
    "What is the role of the Vienna Office in the programme?",
    "How does the programme promote the participation of women in disarmament?",
)
# Same length in both languages: variant k of a question takes the k-th suffix of its language.
ZH_SUFFIXES = (
    "",
    "请简要回答。",
    "请说明一下。",
    "具体情况如何？",
    "按文件的说法。",
    "谢谢。",
    "能告诉我吗？",
    "请给出出处。",
)
EN_SUFFIXES = (
    "",
    " Please answer briefly.",
    " Please explain.",
    " What are the details?",
    " According to the document.",
    " Thanks.",
    " Can you tell me?",
    " Please give the source.",
)
_CJK = re.compile(r"[\u4e00-\u9fff]")

REQUEST_TIMEOUT_S = 60.0
Kind = Literal["embed", "search", "ask"]


def distinct_queries(questions: Sequence[str] = QUESTIONS) -> Iterator[str]:
    """An endless stream of distinct questions: every question with every suffix, then again with a round tag.

    Consecutive queries cycle through different questions, so any stretch of the stream is a realistic mix.
    """
    assert len(ZH_SUFFIXES) == len(EN_SUFFIXES)
    for rnd in itertools.count(1):
        for k in range(len(ZH_SUFFIXES)):
            for q in questions:
                zh = bool(_CJK.search(q))
                suffix = (ZH_SUFFIXES if zh else EN_SUFFIXES)[k]
                tag = "" if rnd == 1 else (f"（第{rnd}轮）" if zh else f" (round {rnd})")
                yield f"{q}{suffix}{tag}"


class QueryStream:
    """Hands out distinct queries to any number of threads; no query is given twice in a run."""

    def __init__(self, questions: Sequence[str] = QUESTIONS) -> None:
        self._it = distinct_queries(questions)
        self._lock = threading.Lock()
        self.issued = 0

    def next(self) -> str:
        with self._lock:
            self.issued += 1
            return next(self._it)

    def take(self, n: int) -> list[str]:
        return [self.next() for _ in range(n)]


class Client(Protocol):
    """httpx.Client and TestClient alike."""

    def get(self, url: str, *, params: Any = ...) -> Any: ...

    def post(self, url: str, *, json: Any = ...) -> Any: ...


class QueryEmbedder(Protocol):
    def embed_queries(self, texts: list[str]) -> Any: ...


def send(client: Client, kind: Kind, query: str) -> Any:
    """One /search or /ask, as the search box and the chat pane send them; the response."""
    if kind == "search":
        return client.get("/search", params={"q": query, "top_k": 10})
    return client.post("/ask", json={"question": query, "top_k": 5})


def request(client: Client, kind: Kind, query: str) -> tuple[bool, str]:
    """One /search or /ask; (ok, what went wrong)."""
    r = send(client, kind, query)
    if r.status_code != 200:
        return False, f"{kind} {r.status_code}: {r.text[:200]}"
    return True, ""


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def ms(values: list[float]) -> list[float]:
    return [v * 1000 for v in values]


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def headers_for(api_key: str | None) -> dict[str, str]:
    return {"X-API-Key": api_key} if api_key else {}


@dataclass
class LoadResult:
    clients: int
    elapsed_s: float
    latencies_s: dict[str, list[float]]
    errors: list[str]
    unfinished_clients: int

    @property
    def ok(self) -> int:
        return sum(len(v) for v in self.latencies_s.values())

    @property
    def throughput(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def all_latencies_ms(self) -> list[float]:
        return ms([v for vs in self.latencies_s.values() for v in vs])


def pick(endpoint: str, i: int) -> Kind:
    if endpoint == "mixed":
        return "search" if i % 2 == 0 else "ask"
    return "ask" if endpoint == "ask" else "search"


def run_clients(
    base_url: str,
    headers: dict[str, str],
    clients: int,
    stream: QueryStream,
    *,
    max_requests: int,
    max_seconds: float,
    endpoint: str,
) -> LoadResult:
    """`clients` threads, each with its own connection, sending distinct queries until either bound is hit."""
    import httpx

    lock = threading.Lock()
    issued = 0
    latencies: dict[str, list[float]] = {"search": [], "ask": []}
    errors: list[str] = []
    start = time.perf_counter()
    deadline = start + max_seconds

    def worker() -> None:
        nonlocal issued
        with httpx.Client(
            base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT_S, trust_env=False
        ) as c:
            while True:
                with lock:
                    if issued >= max_requests or time.perf_counter() >= deadline:
                        return
                    i = issued
                    issued += 1
                kind = pick(endpoint, i)
                q = stream.next()
                t0 = time.perf_counter()
                try:
                    ok, err = request(c, kind, q)
                except httpx.HTTPError as exc:
                    ok, err = False, f"{kind}: {type(exc).__name__}: {exc}"
                dt = time.perf_counter() - t0
                with lock:
                    if ok:
                        latencies[kind].append(dt)
                    else:
                        errors.append(err)

    threads = [threading.Thread(target=worker, daemon=True, name=f"bench-client-{n}") for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:  # a request cannot outlast its timeout, so this bound is never the one that stops us
        t.join(timeout=max(0.0, deadline - time.perf_counter()) + REQUEST_TIMEOUT_S + 5)
    elapsed = time.perf_counter() - start
    unfinished = sum(t.is_alive() for t in threads)
    return LoadResult(clients, elapsed, latencies, errors, unfinished)
