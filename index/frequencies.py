"""How many texts use each lexical token: counted once per set of texts and kept on disk (`index.derived`).

The reader weighs a question's terms by how few passages use them (`reader.terms.TermWeights`): counting cuts
every passage with jieba, about a third of a second of a service's start, for the same counts every time.
"""

from __future__ import annotations

from collections.abc import Sequence

from .derived import cached
from .lexical import tokenize

FORMAT = b"1"


def _count(texts: Sequence[str]) -> dict[str, int]:
    df: dict[str, int] = {}
    for text in texts:
        for token in set(tokenize(text)):
            df[token] = df.get(token, 0) + 1
    return df


def document_frequencies(texts: Sequence[str]) -> dict[str, int]:
    """token -> how many of `texts` hold it (each text's `index.lexical.tokenize` tokens, counted once)."""
    return cached("df", texts, lambda: _count(texts), FORMAT, lambda v: isinstance(v, dict))
