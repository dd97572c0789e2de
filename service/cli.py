"""`citeqa`: build, serve, ask, show, list, eval and bench from the command line."""

from __future__ import annotations

import argparse
import json
import sys
import time

from corpus.ids import InvalidId, parse_id
from corpus.parser import load_document
from index.manifest import IndexError_

from .settings import get_settings


def _show(args: argparse.Namespace) -> int:
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
    settings = get_settings()
    for p in load_document(settings.corpus, settings.doc_symbol):
        if args.kind and p.kind != args.kind:
            continue
        print(f"{p.id}\t{p.kind}\t{' › '.join(p.heading)}\t{len(p.text)}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from .engine import build

    start = time.perf_counter()
    manifest = build(get_settings(), progress=not args.quiet)
    print(f"built {manifest.rows} rows for {manifest.passages} passages with {manifest.model_id} "
          f"in {time.perf_counter() - start:.1f} s → {get_settings().index_dir}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .engine import build, index_is_current
    from .server_config import uvicorn_options

    settings = get_settings()
    if not index_is_current(settings):
        print(f"no current index at {settings.index_dir}; building it first", file=sys.stderr)
        build(settings)
    uvicorn.run("service.app:create_app", factory=True, host=args.host, port=args.port, **uvicorn_options(settings))
    return 0


def _ask(args: argparse.Namespace) -> int:
    from .answer import Answerer
    from .engine import open_retriever

    settings = get_settings()
    answer = Answerer(open_retriever(settings), settings).ask(args.question, top_k=args.top_k)
    if args.json:
        print(json.dumps(answer.model_dump(), ensure_ascii=False, indent=2))
    else:
        print(answer.answer)
        for c in answer.citations:
            print(f"  [{c.id}] {' › '.join(c.heading)}: {c.quote}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from eval.runner import main as eval_main

    argv = ["--set", args.set] + (["--json", args.json] if args.json else [])
    argv += ["--no-baselines"] if args.no_baselines else []
    return eval_main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        # The benchmark owns its options; argparse's REMAINDER would refuse ones that start with "--".
        from eval.bench import main as bench_main

        return bench_main(argv[1:])
    parser = argparse.ArgumentParser(prog="citeqa", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="build the index (embeddings, lexical index, manifest)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_build)
    p = sub.add_parser("serve", help="build the index if there is none, then serve HTTP")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=_serve)
    p = sub.add_parser("ask", help="answer one question from the command line")
    p.add_argument("question")
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_ask)
    p = sub.add_parser("show", help="print a passage by any id form (4.88(b)㈠, 表 4.24, annex I …)")
    p.add_argument("id")
    p.set_defaults(func=_show)
    p = sub.add_parser("list", help="list all passages with their ids, kinds and heading paths")
    p.add_argument("--kind", choices=["paragraph", "item", "table", "figure", "foreword", "annex"])
    p.set_defaults(func=_list)
    p = sub.add_parser("eval", help="score a question set (DESIGN.md §3) against citeqa and two baselines")
    p.add_argument("--set", default="eval/questions.jsonl")
    p.add_argument("--json")
    p.add_argument("--no-baselines", action="store_true")
    p.set_defaults(func=_eval)
    sub.add_parser("bench", help="latency, throughput, cold start and memory figures (see `citeqa bench -h`)")
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except IndexError_ as exc:
        print(f"citeqa: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
