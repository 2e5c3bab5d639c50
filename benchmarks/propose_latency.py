"""Benchmark: latency of one `propose` on synthetic registries of 1,000 / 10,000 / 100,000 listings.

Prints, per size: p50/p95 of the top-10 proposal path (`propose_top`) with the HNSW index and with
the exact search (hard constraints first, then exact distances) — warm, the profile's own embedding
excluded — HNSW's recall@10 against exact, p50/p95 of the full document (`propose`: every listing
classified, every exclusion with its reasons), of the profile page's proposals (`propose` with only the
profile's own exclusions), of the whole profile page (`GET /profiles/{id}` through the app, signed in
as a coordinator: proposals, reasons, the week's changes, placements and the HTML), the HNSW build
time, and the proposal path from cold — the lexical index fitted on every listing, then one
`propose_top` — with its peak Python memory (tracemalloc).
Run: `.venv/bin/python benchmarks/propose_latency.py [--sizes 1000 10000]`.
"""

import os
import platform
import re
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient  # noqa: E402

from benchmarks.synthetic import open_prepared, populate, sizes_parser  # noqa: E402
from matcher import embedding  # noqa: E402
from matcher.accounts.users import create_user  # noqa: E402
from matcher.matching import lexical  # noqa: E402
from matcher.matching.propose import lexical_index, propose, propose_top  # noqa: E402
from web.app import create_app  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    """Milliseconds a call took, and what it returned."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return (time.perf_counter() - start) * 1000, result


def top_ids(result: Any) -> list[str]:
    return [p.candidate.id for p in result.proposals[:10]]


def signed_in(client: TestClient, name: str, password: str) -> None:
    """Signs the client in through the login form, as a browser does."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no login form"
    answer = client.post(
        "/login", data={"name": name, "password": password, "csrf_token": token[1]}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text


def page_ms(client: TestClient, profile_id: str) -> float:
    """Milliseconds of one whole profile page through the app."""
    ms, answer = timed(client.get, f"/profiles/{profile_id}")
    assert answer.status_code == 200, answer.text[:200]
    return float(ms)


def main() -> None:
    parser = sizes_parser(__doc__)
    parser.add_argument("--full-queries", type=int, default=10, help="full documents timed per size")
    args = parser.parse_args()
    settings, conn = open_prepared()
    spec = embedding.EmbeddingSpec.from_settings(settings)
    profiles = [
        row[0] for row in conn.execute("select id from needs_profile where status = 'open' order by id")
    ]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"profiles per size: {len(profiles)} (the demo profiles; their own embedding is not timed)")
    password = "bench-page-password-1"
    create_user(conn, name="propose-bench", role="coordinator", password=password)
    conn.commit()
    header = (
        "| listings | top-10 HNSW p50 | p95 | top-10 exact p50 | p95 | HNSW recall@10"
        " | full document p50 | p95 | profile page's proposals p50 | p95 | whole profile page p50 | p95"
        " | HNSW build | lexical fit (traced) | peak Python MB, cold proposal path |"
    )
    print(header)
    print("|" + "---|" * 15)
    for size in args.sizes:
        populate(conn, size, spec.key)
        embedding.ensure_index(conn, 384)
        build, _ = timed(lambda: (conn.execute("reindex index resource_embedding_hnsw_384"), conn.commit()))
        for pid in profiles[:2]:  # warm: lexical index, caches, plans
            propose_top(conn, settings, profile_id=pid, top=10)
            propose(conn, settings, profile_id=pid, top=10)
        hnsw, exact, recalls = [], [], []
        for pid in profiles:
            ms, ann = timed(propose_top, conn, settings, profile_id=pid, top=10, exact=False)
            hnsw.append(ms)
            ms, ref = timed(propose_top, conn, settings, profile_id=pid, top=10, exact=True)
            exact.append(ms)
            if ref.proposals:
                recalls.append(len(set(top_ids(ann)) & set(top_ids(ref))) / len(top_ids(ref)))
        full = [
            timed(propose, conn, settings, profile_id=pid, top=10)[0] for pid in profiles[: args.full_queries]
        ]
        page = [
            timed(propose, conn, settings, profile_id=pid, top=0, every_exclusion=False)[0]
            for pid in profiles[: args.full_queries]
        ]
        with TestClient(create_app(settings)) as client:  # the app as `matcher serve` runs it
            signed_in(client, "propose-bench", password)
            page_ms(client, profiles[0])  # warm: templates, the app's own caches
            pages = [page_ms(client, pid) for pid in profiles]
        # The proposal path from cold: the lexical index fitted on every listing, then one proposal.
        lexical._cache.clear()
        tracemalloc.start()
        fit, _ = timed(lexical_index, conn)
        propose_top(conn, settings, profile_id=profiles[0], top=10)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(
            f"| {size:,} | {percentile(hnsw, 0.5):.1f} ms | {percentile(hnsw, 0.95):.1f} ms |"
            f" {percentile(exact, 0.5):.1f} ms | {percentile(exact, 0.95):.1f} ms |"
            f" {statistics.mean(recalls) if recalls else float('nan'):.3f} |"
            f" {percentile(full, 0.5):.0f} ms | {percentile(full, 0.95):.0f} ms |"
            f" {percentile(page, 0.5):.0f} ms | {percentile(page, 0.95):.0f} ms |"
            f" {percentile(pages, 0.5):.0f} ms | {percentile(pages, 0.95):.0f} ms |"
            f" {build / 1000:.1f} s | {fit / 1000:.1f} s | {peak:.0f} |",
            flush=True,
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the benchmark process: {rss:.0f} MB (PostgreSQL not included)")
    conn.close()


if __name__ == "__main__":
    main()
