"""Embeddings in pgvector: only new or changed texts are embedded, a model change re-embeds all."""

import numpy as np
import psycopg

from matcher import embedding
from matcher.config import Settings
from matcher.registry.store import get_resource, save_resources


def stored(conn: psycopg.Connection) -> dict[str, tuple[str, str, str]]:
    rows = conn.execute("select resource_id, model, text_hash, embedded_at::text from resource_embedding")
    return {rid: (model, text_hash, at) for rid, model, text_hash, at in rows}


def test_only_changed_texts_are_embedded_again(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    spec = embedding.EmbeddingSpec.from_settings(seeded_settings)
    assert embedding.sync(seeded_conn, spec) == 0  # the seeded database is up to date
    before = stored(seeded_conn)
    cafe = get_resource(seeded_conn, resource_id="r01")
    save_resources(
        seeded_conn,
        [cafe.model_copy(update={"description": "冬は室内で干し柿づくりをします。"})],
        source="seed",
    )
    assert embedding.sync(seeded_conn, spec) == 1
    after = stored(seeded_conn)
    assert after["r01"][1] != before["r01"][1]
    assert {rid: v for rid, v in after.items() if rid != "r01"} == {
        rid: v for rid, v in before.items() if rid != "r01"
    }


def test_a_model_change_re_embeds_everything(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    total = seeded_conn.execute(
        "select (select count(*) from resource) + (select count(*) from needs_profile)"
    )
    same_weights_by_path = embedding.model_location(embedding.DEFAULT_MODEL)
    spec = embedding.EmbeddingSpec(model=same_weights_by_path)
    assert embedding.sync(seeded_conn, spec) == total.fetchone()[0]
    models = {row[0] for row in seeded_conn.execute("select model from resource_embedding")}
    assert models == {same_weights_by_path}


def test_a_prefix_change_re_embeds_listings(seeded_conn: psycopg.Connection) -> None:
    spec = embedding.EmbeddingSpec(model=embedding.DEFAULT_MODEL, query_prefix="query: ", passage_prefix="")
    resources = seeded_conn.execute("select count(*) from resource").fetchone()[0]
    assert embedding.sync(seeded_conn, spec) == resources  # profile texts keep their prefix, so they stay


def test_vectors_are_unit_length_and_indexed_with_hnsw(seeded_conn: psycopg.Connection) -> None:
    vector = seeded_conn.execute("select embedding from resource_embedding limit 1").fetchone()[0]
    assert abs(float(np.linalg.norm(vector.to_numpy())) - 1) < 1e-4
    indexes = [
        row[0]
        for row in seeded_conn.execute(
            "select indexdef from pg_indexes where tablename = 'resource_embedding'"
        )
    ]
    assert any("USING hnsw" in d and "vector_cosine_ops" in d and "vector(384)" in d for d in indexes)
    seeded_conn.execute("set enable_seqscan = off")
    plan = "\n".join(
        row[0]
        for row in seeded_conn.execute(
            "explain select resource_id from resource_embedding where vector_dims(embedding) = 384 "
            "order by embedding::vector(384) <=> "
            "(select embedding::vector(384) from resource_embedding limit 1) limit 5"
        )
    )
    assert "resource_embedding_hnsw_384" in plan


def test_similar_texts_are_closer_than_unrelated_ones() -> None:
    spec = embedding.EmbeddingSpec(model=embedding.DEFAULT_MODEL)
    farm, garden, books = embedding.encode(
        spec, ["vegetable farm work", "gardening and growing plants", "pricing old books"]
    )
    assert float(farm @ garden) > float(farm @ books)


def test_an_import_embeds_what_it_added(cli, conn: psycopg.Connection, tmp_path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "r.jsonl"
    source.write_text(
        '{"id": "r-a", "name": "湖北ねぎ農園", "kind": "farm", "description": "ねぎの収穫", "area": "西部",'
        ' "contact_level": 1, "physical_load": 2, "reward": "paid"}\n',
        encoding="utf-8",
    )
    result = cli("import", "resources", source)
    assert result.exit_code == 0
    assert "埋め込み: 1件" in result.stderr
    assert (
        conn.execute("select count(*) from resource_embedding where resource_id = 'r-a'").fetchone()[0] == 1
    )
    again = cli("import", "resources", source)
    assert "埋め込み" not in again.stderr
