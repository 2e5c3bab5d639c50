"""Benchmark: the HSDS API's pages at 1,000 / 10,000 / 100,000 listings, through the whole HTTP stack.

Prints, per size, p50/p95 of: a page of 100 in the list shape (first, middle and last pages mixed), a
fully nested page of 100, a search, a `modified_after` page, and one service by id; and whether the
pages read in SQL, put end to end, equal the full export (`hsds.to_services` over every listing).
Run: `.venv/bin/python -m benchmarks.hsds_api [--sizes 1000 10000 100000] [--requests 60]`.
"""

import os
import platform
import random
import time
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from benchmarks.propose_latency import percentile
from benchmarks.synthetic import open_prepared, populate, sizes_parser
from matcher import embedding
from matcher.accounts.users import create_user
from matcher.registry import hsds
from matcher.registry.store import iter_resources
from web.app import create_app


def timings(client: TestClient, headers: dict[str, str], requests: list[tuple[str, dict[str, Any]]]) -> str:
    """p50 and p95 of these GET requests, in milliseconds, as two table cells."""
    spent = []
    for path, params in requests:
        start = time.perf_counter()
        client.get(path, params=params, headers=headers).raise_for_status()
        spent.append((time.perf_counter() - start) * 1000)
    return f"{percentile(spent, 0.5):.1f} ms | {percentile(spent, 0.95):.1f} ms"


def main() -> None:
    parser = sizes_parser(__doc__)
    parser.add_argument("--requests", type=int, default=60, help="requests timed per kind and size")
    args = parser.parse_args()
    settings, conn = open_prepared()
    _, token = create_user(conn, name="hsds-bench", role="coordinator")
    conn.commit()
    headers = {"Authorization": f"Bearer {token}"}
    spec = embedding.EmbeddingSpec.from_settings(settings)
    rng = random.Random(1)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        "| listings | page of 100 p50 | p95 | full page of 100 p50 | p95 | search p50 | p95"
        " | modified_after p50 | p95 | one service p50 | p95 | pages = export |"
    )
    print("|" + "---|" * 12)
    with TestClient(create_app(settings)) as client:

        def get(path: str, **params: Any) -> dict[str, Any]:
            answer = client.get(path, params=params, headers=headers)
            answer.raise_for_status()
            return answer.json()  # type: ignore[no-any-return]

        for size in args.sizes:
            populate(conn, size, spec.key)
            # What autovacuum does to a registry soon after a bulk load: the visibility map that lets the
            # count and the id pages read the index alone (without it, each reads the whole table).
            conn.commit()
            conn.autocommit = True
            conn.execute("vacuum (analyze) resource")
            conn.autocommit = False
            first = get("/api/hsds/services", per_page=100)
            pages, total = first["total_pages"], first["total_items"]
            ids = [s["id"] for s in first["contents"]]
            recent = datetime.now(UTC)  # after the listings were written: only the 50 below are newer
            conn.execute(
                "update resource set updated_at = now() where id in (select id from resource order by id limit 50)"
            )
            conn.commit()
            count, services = args.requests, "/api/hsds/services"
            kinds: list[list[tuple[str, dict[str, Any]]]] = [
                [(services, {"page": rng.randint(1, pages), "per_page": 100}) for _ in range(count)],
                [
                    (services, {"page": rng.randint(1, pages), "per_page": 100, "full": "true"})
                    for _ in range(count)
                ],
                [(services, {"search": "農作業 静か", "per_page": 100})] * count,
                [(services, {"modified_after": recent.isoformat(), "per_page": 100})] * count,
                [(f"{services}/{ids[n % len(ids)]}", {}) for n in range(count)],
            ]
            cells = " | ".join(timings(client, headers, requests) for requests in kinds)
            whole = []
            for page in range(1, -(-total // 1000) + 1):
                whole += [
                    {k: v for k, v in s.items() if k != "last_modified"}
                    for s in get("/api/hsds/services", page=page, per_page=1000, full="true")["contents"]
                ]
            same = whole == hsds.to_services(iter_resources(conn))
            print(f"| {total:,} | {cells} | {'yes' if same else 'NO'} |", flush=True)


if __name__ == "__main__":
    main()
