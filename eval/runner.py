"""Score a question set (docs/DESIGN.md §3) against citeqa and, in the same run, two baselines.

    citeqa eval --set eval/questions.jsonl [--split dev|test|all] [--json OUT] [--markdown eval/REPORT.md]
    python -m eval.runner --set FILE ...            # any DESIGN-format file

citeqa is driven through its public interface only: the real app from `service.app.create_app` inside a
`TestClient` (so the lifespan loads the index), questions POSTed to /ask, responses read with
`service.api.schemas.Answer`; follow-up turns a second time through /v1/chat/completions. The baselines are in
`eval.baselines`; scoring in `eval.scoring`, rendering in `eval.render`. The report is stamped with the git
commit and the index's corpus fingerprint, so a figure can be traced to the code and data that produced it.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eval.baselines import Baseline
from eval.render import dump_json, render, write_markdown
from eval.schema import SPLITS, Question, SetError, load_questions
from eval.scoring import Prediction, SystemInfo, build_report
from service.settings import Settings

DEFAULT_SET = Path(__file__).with_name("questions.jsonl")
TOP_K = 5

__all__ = [
    "SetError",
    "load_questions",
    "evaluate",
    "main",
]  # load_questions and SetError: callers import them here


def select_split(questions: Sequence[Question], split: str) -> list[Question]:
    """The questions of one split ("dev", "test"), or all of them ("all")."""
    if split == "all":
        return list(questions)
    if split not in SPLITS:
        raise SetError(f"unknown split {split!r}: use dev, test or all")
    return [q for q in questions if q.split == split]


# Systems ------------------------------------------------------------------------------------------------


class AskFailed(RuntimeError):
    pass


class CiteqaSystem:
    """citeqa over HTTP: POST /ask, follow-ups in one conversation, ranked ids = the citations in order."""

    info = SystemInfo("citeqa", "citeqa", "id")

    def __init__(self, client: Any, top_k: int = TOP_K) -> None:
        self.client = client
        self.top_k = top_k

    def _ask(self, question: str, conversation_id: str | None) -> tuple[Any, float]:
        from service.api.schemas import Answer

        start = time.perf_counter()
        r = self.client.post(
            "/ask", json={"question": question, "top_k": self.top_k, "conversation_id": conversation_id}
        )
        elapsed = time.perf_counter() - start
        if r.status_code != 200:
            raise AskFailed(f"HTTP {r.status_code}: {r.text[:200]}")
        return Answer.model_validate(r.json()), elapsed

    def predict(self, q: Question) -> Prediction:
        conversation = f"eval-{q.id}-{uuid.uuid4().hex[:12]}" if q.history else None
        seconds = 0.0
        try:
            for h in q.history:
                _, took = self._ask(h, conversation)
                seconds += took
            answer, took = self._ask(q.question, conversation)
        except AskFailed as exc:
            return Prediction([], "", False, seconds, error=str(exc))
        seconds += took
        return Prediction(
            ranked_ids=[c.id for c in answer.citations],
            answer=answer.answer,
            abstained=answer.abstained,
            seconds=seconds,
            resolved_question=answer.resolved_question,
        )


class CiteqaChat:
    """citeqa through POST /v1/chat/completions, for follow-up turns: the messages are the earlier user turns, each
    followed by citeqa's own reply to the conversation so far, then the question. A reply depends only on the
    messages before it, so replies are kept by their user-turn prefix and every conversation is replayed once."""

    def __init__(self, client: Any, top_k: int = TOP_K) -> None:
        self.client = client
        self.top_k = top_k
        self._replies: dict[tuple[str, ...], tuple[Any, float]] = {}

    def _reply(self, turns: tuple[str, ...]) -> tuple[Any, float]:
        if turns in self._replies:
            return self._replies[turns]
        messages: list[dict[str, str]] = []
        for i, turn in enumerate(turns[:-1]):
            earlier, _ = self._reply(turns[: i + 1])
            messages += [
                {"role": "user", "content": turn},
                {"role": "assistant", "content": earlier["choices"][0]["message"]["content"] or ""},
            ]
        messages.append({"role": "user", "content": turns[-1]})
        start = time.perf_counter()
        r = self.client.post("/v1/chat/completions", json={"messages": messages, "top_k": self.top_k})
        elapsed = time.perf_counter() - start
        if r.status_code != 200:
            raise AskFailed(f"HTTP {r.status_code}: {r.text[:200]}")
        self._replies[turns] = (r.json(), elapsed)
        return self._replies[turns]

    def predict(self, q: Question) -> Prediction:
        try:
            reply, seconds = self._reply((*q.history, q.question))
        except AskFailed as exc:
            return Prediction([], "", False, 0.0, error=str(exc))
        # The Sources footer quotes whole sentences and rows for the reader to check; the answer is what precedes it.
        from service.api.routes_chat import without_footer

        return Prediction(
            ranked_ids=[c["id"] for c in reply.get("citations", [])],
            answer=without_footer(reply["choices"][0]["message"]["content"] or ""),
            abstained=bool(reply.get("abstained")),
            seconds=seconds,
        )


class BaselineSystem:
    """A baseline as a system: history and question searched together; its top-1 text is its answer."""

    def __init__(self, baseline: Baseline, top_k: int = TOP_K) -> None:
        self.baseline = baseline
        self.top_k = top_k
        self.info = SystemInfo(baseline.name, baseline.label, baseline.match)

    def predict(self, q: Question) -> Prediction:
        query = " ".join([*q.history, q.question])
        start = time.perf_counter()
        hits = self.baseline.search(query, self.top_k)
        seconds = time.perf_counter() - start
        return Prediction(
            ranked_ids=[h.id for h in hits],
            answer=hits[0].text if hits else "",
            abstained=False,
            seconds=seconds,
            ranked_texts=[h.text for h in hits],
        )


def run_system(
    predict: Callable[[Question], Prediction], questions: Sequence[Question], name: str, progress: bool = True
) -> list[Prediction]:
    out = []
    start = time.perf_counter()
    for i, q in enumerate(questions, start=1):
        out.append(predict(q))
        if progress and (i % 50 == 0 or i == len(questions)):
            print(f"  {name}: {i}/{len(questions)} ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    return out


@contextmanager
def _quiet_logs() -> Iterator[None]:
    """One log line per request (or per index built) is noise in an evaluation run."""
    loggers = [logging.getLogger(n) for n in ("citeqa.access", "httpx", "httpx2", "bm25s")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def ensure_index(settings: Settings) -> None:
    from index.open import build, index_is_current

    if not index_is_current(settings.index_config):
        print(f"no current index at {settings.index_dir}; building it (a few minutes)", file=sys.stderr)
        build(settings.index_config, progress=False)


def run_citeqa(
    settings: Settings,
    questions: Sequence[Question],
    top_k: int = TOP_K,
    embedder: Any = None,
    progress: bool = True,
) -> tuple[list[Prediction], dict[str, Prediction]]:
    """citeqa's predictions through the real app (/ask for every question, and /v1/chat/completions for the
    follow-up turns, by question id); one unscored warm-up request first (model, caches)."""
    from fastapi.testclient import TestClient

    from service.app import create_app

    # The evaluation is one caller sending hundreds of questions a minute: the per-caller rate limit would answer
    # most of them 429 and score them as misses.
    unlimited = settings.model_copy(update={"rate_limit_per_min": 0})
    with TestClient(create_app(unlimited, embedder)) as client, _quiet_logs():
        system = CiteqaSystem(client, top_k)
        system._ask("warm-up", None)
        predictions = run_system(system.predict, questions, "citeqa", progress)
        followups = [q for q in questions if q.history]
        chat = CiteqaChat(client, top_k)
        chat_predictions = run_system(chat.predict, followups, "citeqa chat", progress) if followups else []
    return predictions, {q.id: p for q, p in zip(followups, chat_predictions, strict=True)}


# What the figures depend on: the code on the answering path (every package the service imports, with its data:
# the document under corpus/, the reader's weights and floors in reader/weights.json), the scoring code, the set
# and the pinned dependencies. Tests and the reports this run writes do not change a figure, so an edit there does
# not mark the stamp dirty.
_MEASURED = ("corpus", "index", "reader", "service", "eval/*.py", "eval/questions.jsonl", "pyproject.toml")


def git_commit() -> str:
    """The commit the evaluated code is at ("+dirty" when what the figures depend on differs from it)."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", *_MEASURED],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def index_fingerprint(settings: Settings) -> str:
    """The index manifest's fingerprints: the document (`corpus_sha256`) and the code that read it (`code_sha256`)."""
    from index.manifest import Manifest

    manifest = Manifest.load(settings.index_dir)
    return f"{manifest.corpus_sha256}/{manifest.code_sha256}"


def build_baselines(settings: Settings, embedder: Any) -> list[Baseline]:
    from corpus.parser import load_document
    from eval.baselines import BM25Baseline, ChunkBaseline
    from index.fingerprint import sha256_file

    passages = load_document(settings.corpus, settings.doc_symbol)
    text = settings.corpus.read_text(encoding="utf-8")
    chunks = ChunkBaseline.build(
        text,
        embedder,
        sha256_file(settings.corpus),
        settings.prefixes[1],
        settings.cache_dir / "eval-baselines",
    )
    return [BM25Baseline(passages), chunks]


def evaluate(
    settings: Settings,
    questions: Sequence[Question],
    baselines: bool = True,
    top_k: int = TOP_K,
    set_name: str = "",
    progress: bool = True,
    split: str = "all",
) -> dict[str, Any]:
    """The full report (see `eval.scoring.build_report`) for `questions` on the index `settings` name."""
    from index.open import make_embedder

    ensure_index(settings)
    embedder = make_embedder(settings.index_config)
    citeqa, chat = run_citeqa(settings, questions, top_k, embedder, progress)
    predictions = {"citeqa": citeqa}
    infos = [CiteqaSystem.info]
    chunk_count = None
    if baselines:
        with _quiet_logs():
            built = build_baselines(settings, embedder)
        for baseline in built:
            system = BaselineSystem(baseline, top_k)
            system.predict(Question("warm-up", "warm-up", "en", "warm-up", [], ""))
            predictions[baseline.name] = run_system(system.predict, questions, baseline.name, progress)
            infos.append(system.info)
            chunk_count = len(getattr(baseline, "chunks", [])) or chunk_count
    meta: dict[str, Any] = {
        "set": set_name,
        "split": split,
        "questions": len(questions),
        **{f"{s} questions": sum(1 for q in questions if q.split == s) for s in SPLITS},
        "answerable": sum(1 for q in questions if q.answerable),
        "unanswerable": sum(1 for q in questions if not q.answerable),
        "model": settings.model,
        "doc": settings.doc_symbol,
        "top_k": top_k,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "index_fingerprint": index_fingerprint(settings),
    }
    if chunk_count:
        meta["chunks"] = chunk_count
    return build_report(questions, predictions, infos, meta, chat)


def display_path(path: str | Path) -> str:
    """A set's path as the report shows it: relative to the repository when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path(__file__).resolve().parent.parent))
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="citeqa eval", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", default=str(DEFAULT_SET), help="question file in docs/DESIGN.md §3 format")
    parser.add_argument(
        "--split",
        default="all",
        choices=("dev", "test", "all"),
        help="score only the dev part (tune on it), the test part (never tuned on), or all",
    )
    parser.add_argument(
        "--json", help="write the full report (metrics, targets, every question) as JSON here"
    )
    parser.add_argument("--markdown", help="write the readable report as Markdown here (e.g. eval/REPORT.md)")
    parser.add_argument("--no-baselines", action="store_true", help="score citeqa only")
    parser.add_argument("--top-k", type=int, default=TOP_K)
    parser.add_argument("--limit", type=int, help="only the first N questions (a quick look)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))

    try:
        questions = select_split(load_questions(args.set), args.split)
    except (OSError, SetError) as exc:
        print(f"citeqa eval: {exc}", file=sys.stderr)
        return 2
    if not questions:
        print(f"citeqa eval: no {args.split} questions in {args.set}", file=sys.stderr)
        return 2
    if args.limit:
        questions = questions[: args.limit]
    report = evaluate(
        Settings(),
        questions,
        baselines=not args.no_baselines,
        top_k=args.top_k,
        set_name=display_path(args.set),
        progress=not args.quiet,
        split=args.split,
    )
    print(render(report, failures_limit=15))
    if args.json:
        dump_json(report, Path(args.json))
        print(f"JSON report written to {args.json}", file=sys.stderr)
    if args.markdown:
        write_markdown(Path(args.markdown), render(report))
        print(f"Markdown report written to {args.markdown}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
