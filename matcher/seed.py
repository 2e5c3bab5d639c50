"""The demo municipality in seeds/: fictional listings and profiles, and one real city's WAM NET rows."""

from pathlib import Path

import psycopg

from matcher.core.areas import save_areas
from matcher.profiles.importer import import_profiles
from matcher.registry.importer import import_resources, import_wamnet

RESOURCES = "resources.jsonl"
PROFILES = "profiles.jsonl"
WAMNET = "wamnet-matsue-202503.csv"
AREAS = "areas.jsonl"


def load_seeds(conn: psycopg.Connection, seeds_dir: Path) -> list[str]:
    """Loads every seed file, all in one transaction; safe to run again."""
    with conn.transaction():
        count = save_areas(conn, (seeds_dir / AREAS).read_text(encoding="utf-8"))
        lines = [f"{AREAS}: 圏域 {count}件"]
        lines += import_resources(
            conn, (seeds_dir / RESOURCES).read_bytes(), RESOURCES, source="seed", actor="seed"
        )
        lines += import_wamnet(conn, (seeds_dir / WAMNET).read_bytes(), WAMNET, actor="seed")
        lines += import_profiles(conn, (seeds_dir / PROFILES).read_bytes(), PROFILES, actor="seed")
    return lines
