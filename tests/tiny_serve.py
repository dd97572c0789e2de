"""`citeqa serve` on the tiny index with the keyword embedder, for tests that need real server processes
(tests/test_replicas.py): `python -m tests.tiny_serve --port N`.

Everything but the embedder is what `citeqa serve` runs: settings read from the `CITEQA_*` variables,
`service.app.create_app`, uvicorn with `service/runtime/server_config.py`'s options. The embedder cannot be
named in a setting (the service loads only real models), so this is the one line that differs.
"""

from __future__ import annotations

import argparse
import functools
import sys

import uvicorn

from service.app import create_app
from service.runtime.server_config import uvicorn_options
from service.settings import Settings
from tests.tiny import KeywordEmbedder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    settings = Settings()
    uvicorn.run(
        functools.partial(create_app, settings, KeywordEmbedder()),
        factory=True,
        host=args.host,
        port=args.port,
        **uvicorn_options(settings),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
