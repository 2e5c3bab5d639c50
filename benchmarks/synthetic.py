"""A synthetic municipality for benchmarks: listings and profiles modelled on the demo data.

Vectors are the demo listings' real embeddings plus Gaussian noise (cosine ≈ 0.8 to their template),
so a registry of 100,000 listings is built in seconds instead of hours of CPU embedding.
"""

import io
import json
import random
from pathlib import Path

import numpy as np
import psycopg

from matcher import embedding
from matcher.config import Settings
from matcher.registry.model import Resource
from matcher.seed import load_seeds

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = (
    "id, name, kind, programme, hosts_participation, description, area, lat, lon, schedule, capacity_total,"
    " capacity_open, contact_level, physical_load, reward, trial, min_age, max_age, accommodations, status,"
    " assured_at, source"
)
PATTERNS = [
    [("mon", "09:00", "12:00"), ("wed", "09:00", "12:00"), ("fri", "09:00", "12:00")],
    [("tue", "13:00", "16:00"), ("thu", "13:00", "16:00")],
    [(d, "10:00", "15:00") for d in ("mon", "tue", "wed", "thu", "fri")],
    [("sat", "10:00", "14:00")],
    [(d, "09:00", "17:00") for d in ("mon", "tue", "wed", "thu", "fri")],
    [("wed", "14:00", "17:00"), ("sun", "10:00", "12:00")],
]


def prepare(conn: psycopg.Connection, settings: Settings) -> None:
    """Demo data loaded and embedded for real: the templates and the profiles to propose for."""
    load_seeds(conn, ROOT / "seeds")
    embedding.sync(conn, embedding.EmbeddingSpec.from_settings(settings))


def templates(conn: psycopg.Connection) -> list[tuple[Resource, np.ndarray]]:
    """The demo listings (not WAM NET) with their vectors."""
    rows = conn.execute(
        "select r.id, e.embedding from resource r join resource_embedding e on e.resource_id = r.id"
        " where r.source = 'seed'"
    ).fetchall()
    from matcher.registry.store import get_resource

    out = []
    for rid, vector in rows:
        resource = get_resource(conn, resource_id=rid)
        assert resource is not None
        out.append((resource, np.asarray(vector.to_numpy(), dtype=np.float32)))
    return out


def _row(n: int, template: Resource, rng: random.Random) -> dict:
    total = rng.choice([None, 2, 4, 6, 10, 20])
    return template.model_dump(mode="json") | {
        "id": f"syn-{n:06d}",
        "name": f"{template.name} {n}",
        "lat": 35.466 + rng.uniform(-0.12, 0.12),
        "lon": 133.060 + rng.uniform(-0.15, 0.15),
        "schedule": [{"day": d, "start": s, "end": e} for d, s, e in rng.choice(PATTERNS)],
        "capacity_total": total,
        "capacity_open": None if total is None else rng.randint(0, total),
        "contact_level": rng.randint(1, 3),
        "physical_load": rng.randint(1, 3),
        "status": rng.choices(["active", "paused", "closed"], [90, 7, 3])[0],
        "accommodations": rng.sample(
            [
                "short_hours",
                "flexible_absence",
                "female_staff",
                "pickup",
                "remote",
                "quiet_space",
                "step_by_step",
            ],
            rng.randint(0, 4),
        ),
        "source": "synthetic",
    }


def _copy_value(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list) and (not value or isinstance(value[0], str)):
        return "{" + ",".join(value) + "}"
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def populate(conn: psycopg.Connection, size: int, model: str, seed: int = 1) -> None:
    """Replaces the synthetic listings with `size` new ones and their vectors (COPY, one transaction)."""
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    bases = templates(conn)
    names = [c.strip() for c in COLUMNS.split(",")]
    listings, vectors = io.StringIO(), io.StringIO()
    for n in range(size):
        template, base = bases[n % len(bases)]
        row = _row(n, template, rng)
        listings.write("\t".join(_copy_value(row[c]) for c in names) + "\n")
        vector = base + noise.normal(0, 0.75 / np.sqrt(base.size), base.size).astype(np.float32)
        vector /= np.linalg.norm(vector)
        vectors.write(f"{row['id']}\t{model}\tsynthetic\t[{','.join(f'{x:.6f}' for x in vector)}]\n")
    with conn.transaction():
        conn.execute("delete from resource where source = 'synthetic'")
        with conn.cursor().copy(f"copy resource ({COLUMNS}) from stdin") as copy:  # type: ignore[arg-type]
            copy.write(listings.getvalue())
        with conn.cursor().copy(
            "copy resource_embedding (resource_id, model, text_hash, embedding) from stdin"
        ) as copy:
            copy.write(vectors.getvalue())
    conn.execute("analyze resource, resource_embedding")
    conn.commit()
