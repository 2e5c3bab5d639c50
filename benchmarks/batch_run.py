"""Benchmark: the weekly batch on a synthetic municipality (default 10,000 people and 10,000 listings).

Prints the time of a full batch (vectors already stored: no first-time embedding), of an incremental
batch after 1% of the listings changed (their new texts embedded), and the assignment's total fit as
a fraction of the LP optimum beside a greedy baseline.
Run: `.venv/bin/python benchmarks/batch_run.py [--profiles 10000 --listings 10000]`.
"""

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic import fix_resource_hashes, populate, populate_profiles, prepare  # noqa: E402
from matcher import db, embedding  # noqa: E402
from matcher.batch.weekly import run_batch  # noqa: E402
from matcher.config import Settings  # noqa: E402
from matcher.matching.assignment import Pair, assign, greedy, total  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=10_000)
    parser.add_argument("--listings", type=int, default=10_000)
    args = parser.parse_args()
    if not os.environ.get("MATCHER_DATABASE_URL"):
        os.environ["MATCHER_DATA_DIR"] = tempfile.mkdtemp(prefix="matcher-batch-bench-")
    settings = Settings()
    conn = db.open_connection(settings)
    spec = embedding.EmbeddingSpec.from_settings(settings)
    prepare(conn, settings)
    populate(conn, args.listings, spec.key)
    fix_resource_hashes(conn, spec)
    populate_profiles(conn, args.profiles, spec)
    embedding.ensure_index(conn, 384)
    run_batch(conn, settings, week="2026-W01")  # warms caches and plans
    conn.execute("delete from batch_run")  # the full run below must not reuse anything
    conn.commit()
    start = time.perf_counter()
    full = run_batch(conn, settings, week="2026-W02")
    full_seconds = time.perf_counter() - start
    changed = max(1, args.listings // 100)
    conn.execute(
        "update resource set description = description || '（更新）', capacity_open = coalesce(capacity_open, 1)"
        " where id in (select id from resource where source = 'synthetic' order by id limit %s)",
        [changed],
    )
    conn.commit()
    start = time.perf_counter()
    incremental = run_batch(conn, settings, week="2026-W03")
    incremental_seconds = time.perf_counter() - start
    pairs = [
        Pair(*row[:4])
        for row in conn.execute(
            "select profile_id, resource_id, tier, score from batch_candidate where week = '2026-W03'"
        )
    ]
    capacity = {
        rid: (settings.batch_unknown_capacity if cap is None else cap)
        for rid, cap in conn.execute("select id, capacity_open from resource")
    }
    optimum = total(assign(pairs, capacity, settings.batch_proposals_per_profile))
    baseline = total(greedy(pairs, capacity, settings.batch_proposals_per_profile))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"| people | listings | full batch | incremental (1% = {changed} listings changed) | LP (HiGHS) / optimum | greedy / optimum |"
    )
    print("|---|---|---|---|---|---|")
    print(
        f"| {args.profiles:,} | {args.listings:,} | {full_seconds:.1f} s | {incremental_seconds:.1f} s | "
        f"{total(incremental.proposals) / optimum:.4f} | {baseline / optimum:.4f} |"
    )
    print(f"full: {full.stats['seconds']} (reused {full.stats['reused']})")
    print(f"incremental: {incremental.stats['seconds']} (reused {incremental.stats['reused']})")
    print(
        f"proposals: {len(full.proposals)} full, {len(incremental.proposals)} incremental; "
        f"candidate pairs {len(pairs)}"
    )
    conn.close()


if __name__ == "__main__":
    main()
