"""Capacity is exact under concurrency: many coordinators confirm the last place at once against the
real running server; exactly one succeeds and the others get 409."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg

from matcher.profiles.model import NeedsProfile
from matcher.profiles.store import get_profile, save_profiles
from matcher.registry.store import get_resource, save_resources
from tests.conftest import run_matcher
from tests.web.conftest import serving

CONTENDERS = 12


def test_exactly_one_of_many_concurrent_confirmations_gets_the_last_place(
    live_server: str,
    seeded_settings,
    seeded_conn: psycopg.Connection,  # type: ignore[no-untyped-def]
) -> None:
    template = get_profile(seeded_conn, profile_id="p02")
    profiles = [
        NeedsProfile.model_validate(template.model_dump() | {"id": f"race-{n:02d}"})
        for n in range(CONTENDERS)
    ]
    save_profiles(seeded_conn, profiles)
    last_place = get_resource(seeded_conn, resource_id="r02").model_copy(
        update={"capacity_total": 3, "capacity_open": 1}
    )
    save_resources(seeded_conn, [last_place], source=None)
    seeded_conn.commit()
    env = {"MATCHER_DATABASE_URL": str(seeded_settings.database_url)}
    token = run_matcher("user", "create", "--role", "coordinator", "--name", "racer", env=env).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}

    def confirm(profile: NeedsProfile) -> int:
        with httpx.Client(base_url=live_server, timeout=60) as client:
            body = {"profile_id": profile.id, "resource_id": "r02"}
            return client.post("/api/placements", headers=headers, json=body).status_code

    with ThreadPoolExecutor(max_workers=CONTENDERS) as pool:
        codes = list(pool.map(confirm, profiles))
    assert sorted(codes) == [201] + [409] * (CONTENDERS - 1)
    assert seeded_conn.execute("select capacity_open from resource where id = 'r02'").fetchone()[0] == 0
    assert seeded_conn.execute("select count(*) from placement where resource_id = 'r02'").fetchone()[0] == 1


def test_more_requests_than_connections_and_threads_all_get_answers(
    seeded_settings,  # type: ignore[no-untyped-def]
) -> None:
    """With 2 pooled connections and 80 requests at once (more than the 40 worker threads), every
    request is answered promptly: none parks a thread waiting for a connection that cannot come back."""
    env = {"MATCHER_DATABASE_URL": str(seeded_settings.database_url)}
    token = run_matcher("user", "create", "--role", "coordinator", "--name", "crowd", env=env).stdout.strip()

    async def crowd(base: str) -> list[int]:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            base_url=base, timeout=25, limits=httpx.Limits(max_connections=100)
        ) as c:
            calls = [c.get(f"/api/resources/r{n % 40 + 1:02d}", headers=headers) for n in range(80)]
            return [r.status_code for r in await asyncio.gather(*calls)]

    with serving(seeded_settings, MATCHER_POOL_MAX_SIZE="2") as base:
        assert asyncio.run(crowd(base)) == [200] * 80
