"""A synthetic municipality for benchmarks: listings and profiles modelled on the demo data.

Vectors are the demo listings' real embeddings plus Gaussian noise (cosine ≈ 0.8 to their template),
so a registry of 100,000 listings is built in seconds instead of hours of CPU embedding.

Beyond 10,000 listings the data is a nation rather than one city: a copy of the municipality (10,000
listings, its people) every `CITY_SPACING` degrees of latitude, so that density, and the number of
listings each person can reach, stay those of the 10,000 case.
"""

import argparse
import io
import json
import os
import random
import tempfile
from pathlib import Path

import numpy as np
import psycopg

from matcher import db, embedding
from matcher.config import Settings
from matcher.registry.model import Resource
from matcher.seed import load_seeds

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = (
    "id, name, kind, programme, hosts_participation, description, area, lat, lon, schedule, capacity_total,"
    " capacity_open, contact_level, physical_load, reward, trial, min_age, max_age, accommodations, status,"
    " assured_at, source"
)
CITY_SIZE = 10_000  # listings (and people) per synthetic municipality
CITY_SPACING = 0.4  # degrees of latitude between municipalities (each spans 0.24°; people travel ≤ 10 km)
PATTERNS = [
    [("mon", "09:00", "12:00"), ("wed", "09:00", "12:00"), ("fri", "09:00", "12:00")],
    [("tue", "13:00", "16:00"), ("thu", "13:00", "16:00")],
    [(d, "10:00", "15:00") for d in ("mon", "tue", "wed", "thu", "fri")],
    [("sat", "10:00", "14:00")],
    [(d, "09:00", "17:00") for d in ("mon", "tue", "wed", "thu", "fri")],
    [("wed", "14:00", "17:00"), ("sun", "10:00", "12:00")],
]


def _noisy(base: np.ndarray, rng: np.random.Generator) -> str:
    """The template's vector plus Gaussian noise (cosine ≈ 0.8 to it), normalised, as pgvector text."""
    vector = base + rng.normal(0, 0.75 / np.sqrt(base.size), base.size).astype(np.float32)
    vector /= np.linalg.norm(vector)
    return f"[{','.join(f'{x:.6f}' for x in vector)}]"


def _copy_in(conn: psycopg.Connection, target: str, rows: io.StringIO) -> None:
    """COPYs tab-separated rows into `target`, a table and its columns."""
    with conn.cursor().copy(f"copy {target} from stdin") as copy:  # type: ignore[arg-type]
        copy.write(rows.getvalue())


def sizes_parser(description: str | None) -> argparse.ArgumentParser:
    """The arguments every benchmark over registry sizes takes: `--sizes` (listings)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000], help="listings")
    return parser


def open_prepared(prefix: str = "matcher-bench-") -> tuple[Settings, psycopg.Connection]:
    """The benchmark's database, prepared: MATCHER_DATABASE_URL's, else an embedded server of its own in a
    new temporary folder (never the demo's)."""
    if not os.environ.get("MATCHER_DATABASE_URL"):
        os.environ["MATCHER_DATA_DIR"] = tempfile.mkdtemp(prefix=prefix)
    settings = Settings()
    conn = db.open_connection(settings)
    prepare(conn, settings)
    return settings, conn


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


def city_offset(n: int, size: int) -> float:
    """Degrees of latitude added to the n-th of `size` rows: which municipality it belongs to."""
    cities = max(1, size // CITY_SIZE)
    return CITY_SPACING * (n % cities)


def _row(n: int, template: Resource, rng: random.Random, size: int) -> dict:
    total = rng.choice([None, 2, 4, 6, 10, 20])
    return template.model_dump(mode="json") | {
        "id": f"syn-{n:06d}",
        "name": f"{template.name} {n}",
        "lat": 35.466 + rng.uniform(-0.12, 0.12) + city_offset(n, size),
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
        row = _row(n, template, rng, size)
        listings.write("\t".join(_copy_value(row[c]) for c in names) + "\n")
        vectors.write(f"{row['id']}\t{model}\tsynthetic\t{_noisy(base, noise)}\n")
    with conn.transaction():
        conn.execute("delete from resource where source = 'synthetic'")
        _copy_in(conn, f"resource ({COLUMNS})", listings)
        _copy_in(conn, "resource_embedding (resource_id, model, text_hash, embedding)", vectors)
    conn.execute("analyze resource, resource_embedding")
    conn.commit()


def populate_profiles(
    conn: psycopg.Connection, size: int, spec: embedding.EmbeddingSpec, seed: int = 2
) -> None:
    """Replaces the synthetic profiles with `size` copies of the demo profiles, vectors with noise.

    Each stored vector records the hash of its profile's real text, so the batch does not embed again.
    """
    rng = np.random.default_rng(seed)
    rows = conn.execute(
        "select p.id, e.embedding from needs_profile p join profile_embedding e on e.profile_id = p.id"
        " where p.status = 'open' and p.id not like 'syn-%'"
    ).fetchall()
    from matcher.profiles.model import NeedsProfile
    from matcher.profiles.store import get_profile, save_profiles

    templates = [
        (get_profile(conn, profile_id=pid), np.asarray(v.to_numpy(), dtype=np.float32)) for pid, v in rows
    ]
    copies, vectors = [], io.StringIO()
    for n in range(size):
        template, base = templates[n % len(templates)]
        assert template is not None
        copy = NeedsProfile.model_validate(
            template.model_dump()
            | {"id": f"syn-p-{n:06d}" if size > 99_999 else f"syn-p-{n:05d}"}
            | {"lat": template.lat + city_offset(n, size)}
        )
        copies.append(copy)
        text_hash = embedding.text_hash(embedding.profile_text(spec, copy.interests, copy.narrative))
        vectors.write(f"{copy.id}\t{spec.key}\t{text_hash}\t{_noisy(base, rng)}\n")
    with conn.transaction():
        conn.execute("delete from needs_profile where id like 'syn-p-%'")
        save_profiles(conn, copies)
        _copy_in(conn, "profile_embedding (profile_id, model, text_hash, embedding)", vectors)
    conn.execute("analyze needs_profile, profile_embedding")
    conn.commit()


def fix_resource_hashes(conn: psycopg.Connection, spec: embedding.EmbeddingSpec) -> None:
    """Marks the synthetic listings' vectors as made from their real texts (no first-time embedding)."""
    rows = conn.execute("select id, name, description from resource where source = 'synthetic'").fetchall()
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "update resource_embedding set text_hash = %s where resource_id = %s",
            [
                (embedding.text_hash(embedding.resource_text(spec, name, desc)), rid)
                for rid, name, desc in rows
            ],
        )
    conn.commit()
