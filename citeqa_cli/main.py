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
    from service.settings import Settings

# Imports are made where they are needed: `citeqa ask` through a running service needs none of the stack.
_DEFAULT_SET = Path(__file__).resolve().parents[1] / "eval" / "questions.jsonl"


def get_settings() -> Settings:
    from service.settings import get_settings as settings

    return settings()


def _show(args: argparse.Namespace) -> int:
    from corpus.ids import InvalidId, parse_id
    from corpus.parser import load_document

    settings = get_settings()
    passages = {p.id: p for p in load_document(settings.corpus, settings.doc_symbol)}
    try:
        pid = parse_id(args.id)
    except InvalidId as exc:
        print(exc, file=sys.stderr)
        return 2
    if pid not in passages:
        print(f"no passage {pid} in {settings.doc_symbol}", file=sys.stderr)
        return 1
    p = passages[pid]
    print(f"{p.id}  [{p.kind}]  {' › '.join(p.heading)}")
    if p.parent:
        print(f"parent: {p.parent}")
    if p.children:
        print(f"children: {', '.join(p.children)}")
    if p.symbols:
        print("cites: " + ", ".join(f"{s.symbol} <{s.url}>" if s.url else s.symbol for s in p.symbols))
    print()
    print(p.text)
    return 0


def _list(args: argparse.Namespace) -> int:
    from corpus.parser import load_document

    settings = get_settings()
    print("id\tkind\theading\tchars")
    for p in load_document(settings.corpus, settings.doc_symbol):
        if args.kind and p.kind != args.kind:
            continue
        print(f"{p.id}\t{p.kind}\t{' › '.join(p.heading)}\t{len(p.text)}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from index.open import build

    start = time.perf_counter()
    manifest = build(get_settings().index_config, progress=not args.quiet)
    print(f"built {manifest.rows} rows for {manifest.passages} passages with {manifest.model_id} "
          f"({manifest.build_engine}; queries: {manifest.query_engine}) "
          f"in {time.perf_counter() - start:.1f} s → {get_settings().index_dir}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from index.manifest import IndexMissing
    from index.open import build, check_index
    from service.runtime.server_config import uvicorn_options

    settings = get_settings()
    try:
        check_index(settings.index_config)
    except IndexMissing:
        # Only a missing index is built here: a damaged or mismatched one is refused (it may be a mistake in
        # the settings, and rebuilding over it would hide that).
        print(f"no index at {settings.index_dir}; building it first", file=sys.stderr)
        build(settings.index_config)
    uvicorn.run("service.app:create_app", factory=True, host=args.host, port=args.port, **uvicorn_options(settings))
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
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    else:
        print(answer["answer"])
        for c in answer["citations"]:
            print(f"  [{c['id']}] {' › '.join(c['heading'])}: {c['quote']}")
        print(f"(continue with: citeqa ask --conversation {answer['conversation_id']} \"…\")", file=sys.stderr)
    return 0


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
    except (OSError, remote.RemoteError) as exc:
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
    print(f"{len(lines)} question(s) from {len(items)} feedback item(s); {len(skipped)} skipped", file=sys.stderr)
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
    p = sub.add_parser("ask", help="answer one question (through the service at CITEQA_URL if one is running)")
    p.add_argument("question")
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--conversation", help="continue this conversation (its id is printed after each answer)")
    p.add_argument("--local", action="store_true", help="answer here even if a service is running")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_ask)
    p = sub.add_parser("show", help="print a passage by any id form (4.88(b)㈠, 表 4.24, annex I …)")
    p.add_argument("id")
    p.set_defaults(func=_show)
    p = sub.add_parser("list", help="list all passages with their ids, kinds and heading paths")
    p.add_argument("--kind", choices=["paragraph", "item", "table", "figure", "foreword", "annex"])
    p.set_defaults(func=_list)
    p = sub.add_parser("feedback", help="feedback on answers (POST /feedback): export it as evaluation questions")
    actions = p.add_subparsers(dest="action", required=True)
    p = actions.add_parser("export", help="reviewed feedback as lines of the evaluation set (dev split); through "
                                          "the service at CITEQA_URL with CITEQA_ADMIN_KEY, or --db")
    p.add_argument("--db", type=Path, help="read this feedback database file instead of asking the service")
    p.add_argument("--out", type=Path, help="write the lines here (default: standard output)")
    p.add_argument("--set", type=Path, default=_DEFAULT_SET,
                   help="the set the lines join: ids continue its numbering, questions in it are not repeated")
    p.add_argument("--first-id", type=int, help="number the lines from q<N> instead")
    p.set_defaults(func=_feedback_export)
    sub.add_parser("eval", help="score a question set against citeqa and two baselines (see `citeqa eval -h`)")
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
