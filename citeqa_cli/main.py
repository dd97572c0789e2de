"""`citeqa`: build, serve, ask, show, list, feedback, eval and bench from the command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from corpus.model import Passage
    from service.settings import Settings

# Imports are made where they are needed: `citeqa ask` through a running service needs none of the stack.
_DEFAULT_SET = Path(__file__).resolve().parents[1] / "eval" / "questions.jsonl"


def get_settings() -> Settings:
    from service.settings import get_settings as settings

    return settings()


def _passages(settings: Settings) -> tuple[Passage, ...]:
    """The document's passages, parsed here. The parse says which tables it could not align: `citeqa build`
    reports that; reading a passage keeps it at debug level, so `show` and `list` print nothing on stderr."""
    from corpus.parser import load_document

    corpus_log = logging.getLogger("corpus")
    level = corpus_log.level
    corpus_log.setLevel(logging.ERROR)
    try:
        return load_document(settings.corpus, settings.doc_symbol)
    finally:
        corpus_log.setLevel(level)


def _unknown(message: str, nearest: list[str]) -> None:
    print(f"citeqa: {message}", file=sys.stderr)
    print(f"nearest: {', '.join(nearest) or 'none'}", file=sys.stderr)


def _show(args: argparse.Namespace) -> int:
    """A passage by any id form the API takes (a row or cell id shows its table with the row or cell in focus);
    an unknown id lists the nearest valid ids, as the API's 404 does: exit 2 for text that is no id form, 1 for
    an id this document does not have."""
    import difflib
    import re
    import unicodedata

    from corpus.ids import InvalidId, doc_key, parse_citation, parse_table_ref

    settings = get_settings()
    passages = {p.id: p for p in _passages(settings)}
    try:
        doc, pid = parse_citation(args.id)
    except InvalidId as exc:
        typed = re.sub(r"\s+", "", unicodedata.normalize("NFKC", args.id))
        _unknown(str(exc), difflib.get_close_matches(typed, list(passages), n=5, cutoff=0.3))
        return 2
    if doc is not None and doc_key(doc) != doc_key(settings.doc_symbol):
        _unknown(f"{doc!r} is not this document ({settings.doc_symbol})", [pid] if pid in passages else [])
        return 1
    ref = parse_table_ref(args.id)
    table = passages.get(ref.table) if ref else None
    if ref and ref.row is not None and table is not None and table.table is not None:
        if table.table.find(ref.row, ref.col) is None:
            _unknown(f"no {pid} in {settings.doc_symbol}", table.table.nearest(ref.row, ref.col))
            return 1
        p = table
    elif pid in passages:
        p = passages[pid]
    else:
        _unknown(
            f"no passage {pid} in {settings.doc_symbol}",
            difflib.get_close_matches(pid, list(passages), n=5, cutoff=0.3),
        )
        return 1
    from service.api.table_views import UnknownPart, passage_json

    try:
        body = passage_json(p, args.id)
    except UnknownPart as exc:  # a part number the table does not have: its parts are the nearest
        _unknown(str(exc), exc.nearest)
        return 1
    if args.json:
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return 0
    print(f"{p.id}  [{p.kind}]  {' › '.join(p.heading)}")
    print(f"cite: {body['cite_zh']}  |  {body['cite_en']}")
    if p.parent:
        print(f"parent: {p.parent}")
    if p.children:
        print(f"children: {', '.join(p.children)}")
    if p.symbols:
        print("cites: " + ", ".join(f"{s.symbol} <{s.url}>" if s.url else s.symbol for s in p.symbols))
    if focus := body.get("focus"):
        print(f"focus: {focus['id']} ({focus['kind']})")
        for key in ("part", "row_label", "column_path", "raw", "value", "unit", "quote"):
            if focus.get(key) is not None:
                value = " › ".join(focus[key]) if key == "column_path" else focus[key]
                print(f"  {key}: {value}")
    print()
    print(p.text)
    return 0


def _list(args: argparse.Namespace) -> int:
    settings = get_settings()
    print("id\tkind\theading\tchars")
    for p in _passages(settings):
        if args.kind and p.kind != args.kind:
            continue
        print(f"{p.id}\t{p.kind}\t{' › '.join(p.heading)}\t{len(p.text)}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from index.open import build

    start = time.perf_counter()
    manifest = build(get_settings().index_config, progress=not args.quiet)
    print(
        f"built {manifest.rows} rows for {manifest.passages} passages with {manifest.model_id} "
        f"({manifest.build_engine}; queries: {manifest.query_engine}) "
        f"in {time.perf_counter() - start:.1f} s → {get_settings().index_dir}"
    )
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from index.open import ensure_index
    from service.runtime.keys import KeyRing, KeysFileError
    from service.runtime.server_config import uvicorn_options

    settings = get_settings()
    try:
        KeyRing(settings)  # a bad keys file is told in one line, before any work
    except KeysFileError as exc:
        print(f"citeqa: CITEQA_KEYS_FILE: {exc}", file=sys.stderr)
        return 2
    # Only a missing index is built here (a directory, or an empty Milvus): a damaged or mismatched one is refused.
    ensure_index(settings.index_config, announce=lambda line: print(line, file=sys.stderr))
    uvicorn.run(
        "service.app:create_app", factory=True, host=args.host, port=args.port, **uvicorn_options(settings)
    )
    return 0


def _ask(args: argparse.Namespace) -> int:
    from . import remote

    answer: dict[str, Any] | None = None
    url = remote.service_url()
    if not args.local and remote.ready(url):
        try:
            answer = remote.ask(url, args.question, args.top_k, args.conversation)
        except remote.RemoteError as exc:
            print(f"citeqa: {exc}", file=sys.stderr)
            return 1
    else:
        from . import local

        if "CITEQA_URL" in os.environ and not args.local:
            print(f"citeqa: no service ready at {url}; answering here", file=sys.stderr)
        try:
            answer = local.ask(get_settings(), args.question, args.top_k, args.conversation)
        except local.BadConversation as exc:
            print(f"citeqa: {exc}", file=sys.stderr)
            return 2
    if args.conversation and answer.get("new_conversation"):
        print(
            f"citeqa: conversation {args.conversation} is unknown or expired; starting a new one",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        _print_answer(args.question, answer)
        print(f'(continue with: citeqa ask --conversation {answer["conversation_id"]} "…")', file=sys.stderr)
    return 0


def _print_answer(question: str, answer: dict[str, Any]) -> None:
    """The answer, the question as understood when a follow-up changed it, then each cited passage with its
    copy-ready citation in the question's language."""
    from reader.question import language

    zh = language(question) == "zh"
    resolved = answer.get("resolved_question")
    if resolved and resolved != question:
        print(f"理解为：{resolved}" if zh else f"Understood as: {resolved}")
    print(answer["answer"])
    for c in answer["citations"]:
        cite = (c.get("cite_zh") if zh else c.get("cite_en")) or c["id"]
        print(f"  [{c['id']}] {cite}")
        print(f"      {' › '.join(c['heading'])}: {c['quote']}")


def _feedback_export(args: argparse.Namespace) -> int:
    """Reviewed feedback as evaluation lines (citeqa_cli/feedback.py says which, and how)."""
    from corpus.parser import load_document

    from . import feedback, remote

    settings = get_settings()
    url = remote.service_url()
    try:
        if args.db is not None:
            items = feedback.stored_items(args.db)
        elif remote.ready(url):
            items = feedback.served_items(url, os.environ.get("CITEQA_ADMIN_KEY"))
        else:
            print(f"citeqa: no service ready at {url}; reading {settings.feedback_db}", file=sys.stderr)
            items = feedback.stored_items(settings.feedback_db)
    except (OSError, remote.RemoteError, feedback.FeedbackDbError) as exc:
        print(f"citeqa: {exc}", file=sys.stderr)
        return 1
    logging.disable(logging.WARNING)  # the parser's notes on unaligned tables are not this command's business
    try:
        passages = load_document(settings.corpus, settings.doc_symbol)
    finally:
        logging.disable(logging.NOTSET)
    lines, skipped = feedback.export(items, passages, args.set, args.first_id)
    feedback.write(lines, args.out)
    for why in skipped:
        print(f"skipped {why}", file=sys.stderr)
    print(
        f"{len(lines)} question(s) from {len(items)} feedback item(s); {len(skipped)} skipped",
        file=sys.stderr,
    )
    return 0


def _passthrough(command: str, argv: list[str]) -> int:
    """`eval` and `bench` own their options; argparse's REMAINDER would refuse ones that start with "--"."""
    if command == "eval":
        from eval.runner import main as eval_main

        return eval_main(argv)
    from eval.bench import main as bench_main

    return bench_main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["eval"], ["bench"]):
        return _passthrough(argv[0], argv[1:])
    parser = argparse.ArgumentParser(prog="citeqa", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="build the index (embeddings, lexical index, manifest)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_build)
    p = sub.add_parser("serve", help="build the index if there is none, then serve HTTP")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=_serve)
    p = sub.add_parser(
        "ask", help="answer one question (through the service at CITEQA_URL if one is running)"
    )
    p.add_argument("question")
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--conversation", help="continue this conversation (its id is printed after each answer)")
    p.add_argument("--local", action="store_true", help="answer here even if a service is running")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_ask)
    p = sub.add_parser(
        "show",
        help="print a passage by any id form (4.88(b)㈠, 表 4.24, 表4.6/r10/c2, annex I, a "
        "pasted citation …)",
    )
    p.add_argument("id")
    p.add_argument("--json", action="store_true", help="print what GET /passages/{id} answers")
    p.set_defaults(func=_show)
    p = sub.add_parser("list", help="list all passages with their ids, kinds and heading paths")
    p.add_argument("--kind", choices=["paragraph", "item", "table", "figure", "foreword", "annex"])
    p.set_defaults(func=_list)
    p = sub.add_parser(
        "feedback", help="feedback on answers (POST /feedback): export it as evaluation questions"
    )
    actions = p.add_subparsers(dest="action", required=True)
    p = actions.add_parser(
        "export",
        help="reviewed feedback as lines of the evaluation set (dev split); through "
        "the service at CITEQA_URL with CITEQA_ADMIN_KEY, or --db",
    )
    p.add_argument("--db", type=Path, help="read this feedback database file instead of asking the service")
    p.add_argument("--out", type=Path, help="write the lines here (default: standard output)")
    p.add_argument(
        "--set",
        type=Path,
        default=_DEFAULT_SET,
        help="the set the lines join: ids continue its numbering, questions in it are not repeated",
    )
    p.add_argument("--first-id", type=int, help="number the lines from q<N> instead")
    p.set_defaults(func=_feedback_export)
    sub.add_parser(
        "eval", help="score a question set against citeqa and two baselines (see `citeqa eval -h`)"
    )
    sub.add_parser("bench", help="latency, throughput, cold start and memory figures (see `citeqa bench -h`)")
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except Exception as exc:
        from index.manifest import BadIndex

        if not isinstance(exc, BadIndex):
            raise
        print(f"citeqa: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
