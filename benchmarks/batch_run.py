"""Benchmark: the weekly batch on a synthetic municipality (default 10,000 people and 10,000 listings).

Prints the time of a full batch (vectors already stored: no first-time embedding), of an incremental
batch after 1% of the listings changed (their new texts embedded), and the assignment's total fit as
a fraction of the LP optimum beside a greedy baseline.
Also prints the physical floor of the scoring work measured in the same run (the 10,000 × 10,000 × 384
float32 similarity product in numpy, best of three) and each batch as a multiple of it.
With `--workers N` it also times the same full run spread over N local worker processes
(`matcher batch run --workers N`: scoring as procrastinate tasks), prints it beside the in-process run
and says whether the two published exactly the same proposals.
Run: `.venv/bin/python benchmarks/batch_run.py [--profiles 10000 --listings 10000] [--workers 2] [--dump FILE]
[--data-dir DIR]`.
"""

import argparse
import cProfile
import json
import os
import platform
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic import fix_resource_hashes, populate, populate_profiles, prepare  # noqa: E402
from matcher import db, embedding  # noqa: E402
from matcher.batch.weekly import run_batch  # noqa: E402
from matcher.config import Settings  # noqa: E402
from matcher.matching.assignment import Pair, assign, greedy, total  # noqa: E402


def floor_seconds(size: int = 10_000, dim: int = 384) -> float:
    """The best of three `size` × `size` × `dim` float32 similarity products in numpy."""
    rng = np.random.default_rng(0)
    people = rng.standard_normal((size, dim), dtype=np.float32)
    listings = rng.standard_normal((size, dim), dtype=np.float32)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        people @ listings.T
        best = min(best, time.perf_counter() - start)
    return best


def dump(path: str, results: dict[str, list]) -> None:
    """Writes the published proposals of each run, to compare two versions of the batch."""
    Path(path).write_text(json.dumps(results, ensure_ascii=False, indent=0, sort_keys=True))


PUBLISHED = (
    "select profile_id, resource_id, tier, score, rank from batch_proposal where week = %s order by 1, 2"
)


def distributed_run(conn: psycopg.Connection, settings: Settings, workers: int) -> dict[str, object]:
    """The full run of 2026-W02 again from nothing, on `workers` local worker processes (their start
    included in the time), and whether it published what the in-process run published."""
    from matcher.batch.tasks import Workers

    before = conn.execute(PUBLISHED, ["2026-W02"]).fetchall()
    unassigned = "select profile_id, reason from batch_unassigned where week = %s order by 1"
    before_unassigned = conn.execute(unassigned, ["2026-W02"]).fetchall()
    conn.execute("delete from batch_run")
    conn.commit()
    start = time.perf_counter()
    with Workers(settings, local=workers, say=lambda text: print(text, file=sys.stderr)) as pieces:
        result = run_batch(conn, settings, week="2026-W02", pieces=pieces)
    seconds = time.perf_counter() - start
    same = (
        conn.execute(PUBLISHED, ["2026-W02"]).fetchall() == before
        and conn.execute(unassigned, ["2026-W02"]).fetchall() == before_unassigned
    )
    return {
        "seconds": seconds,
        "same": same,
        "phases": result.stats["seconds"],
    }


def profiled_run(conn: psycopg.Connection, settings: Settings, week: str, profile: bool) -> tuple[Any, float]:
    """One batch run and its seconds; with `profile`, where the time went (cProfile) printed after it."""
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    result = run_batch(conn, settings, week=week)
    seconds = time.perf_counter() - start
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return result, seconds


def populated(conn: psycopg.Connection, listings: int, profiles: int) -> bool:
    """Whether the database already holds these many synthetic listings and profiles (--data-dir)."""
    try:
        found = conn.execute(
            "select (select count(*) from resource where source = 'synthetic'),"
            " (select count(*) from needs_profile where id like 'syn-p-%')"
        ).fetchone()
    except psycopg.errors.UndefinedTable:
        conn.rollback()
        return False
    return found == (listings, profiles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=10_000)
    parser.add_argument("--listings", type=int, default=10_000)
    parser.add_argument(
        "--profile", action="store_true", help="print where the full run's time goes (cProfile)"
    )
    parser.add_argument("--dump", help="write both runs' published proposals (JSON) to this file")
    parser.add_argument(
        "--workers", type=int, default=0, help="also time the full run on this many local worker processes"
    )
    parser.add_argument(
        "--data-dir",
        help="keep the embedded database in this folder and reuse it when it already holds the sizes asked"
        " (populating 100,000 takes about ten minutes)",
    )
    args = parser.parse_args()
    if args.data_dir:
        os.environ["MATCHER_DATA_DIR"] = args.data_dir
    elif not os.environ.get("MATCHER_DATABASE_URL"):
        os.environ["MATCHER_DATA_DIR"] = tempfile.mkdtemp(prefix="matcher-batch-bench-")
    settings = Settings()
    conn = db.open_connection(settings)
    spec = embedding.EmbeddingSpec.from_settings(settings)
    if not populated(conn, args.listings, args.profiles):
        prepare(conn, settings)
        populate(conn, args.listings, spec.key)
        fix_resource_hashes(conn, spec)
        populate_profiles(conn, args.profiles, spec)
    embedding.ensure_index(conn, 384)
    run_batch(conn, settings, week="2026-W01")  # warms caches and plans
    conn.execute("delete from batch_run")  # the full run below must not reuse anything
    conn.commit()
    full, full_seconds = profiled_run(conn, settings, "2026-W02", args.profile)
    distributed = distributed_run(conn, settings, args.workers) if args.workers else None
    changed = max(1, args.listings // 100)
    conn.execute(
        "update resource set description = description || '（更新）', capacity_open = coalesce(capacity_open, 1)"
        " where id in (select id from resource where source = 'synthetic' order by id limit %s)",
        [changed],
    )
    conn.commit()
    incremental, incremental_seconds = profiled_run(conn, settings, "2026-W03", args.profile)
    floor = floor_seconds()
    load = os.getloadavg()
    if args.dump:
        dump(
            args.dump,
            {
                week: conn.execute(
                    "select profile_id, resource_id, tier, score, rank from batch_proposal"
                    " where week = %s order by 1, 2",
                    [week],
                ).fetchall()
                for week in ("2026-W02", "2026-W03")
            },
        )
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
    embedded = incremental.stats["seconds"]["embedding"]
    refit = incremental.stats["seconds"].get("lexical index", 0.0)
    print(
        f"floor (10,000 × 10,000 × 384 float32 product, best of 3): {floor:.3f} s; "
        f"full batch {full_seconds / floor:.1f}× floor, incremental without embedding "
        f"({incremental_seconds - embedded:.1f} s) {(incremental_seconds - embedded) / floor:.1f}× floor, "
        f"without the lexical index's refit on the changed texts too ({refit:.1f} s) "
        f"{(incremental_seconds - embedded - refit) / floor:.1f}× floor"
    )
    print(
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; peak Python memory "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    print(f"full: {full.stats['seconds']} (reused {full.stats['reused']})")
    if distributed is not None:
        print(
            f"full batch in one process {full_seconds:.1f} s; on {args.workers} worker processes "
            f"{distributed['seconds']:.1f} s (their start included); published proposals identical: "
            f"{'yes' if distributed['same'] else 'NO'}"
        )
        print(f"full on workers: {distributed['phases']}")
    print(f"incremental: {incremental.stats['seconds']} (reused {incremental.stats['reused']})")
    print(
        f"proposals: {len(full.proposals)} full, {len(incremental.proposals)} incremental; "
        f"candidate pairs {len(pairs)}"
    )
    conn.close()


if __name__ == "__main__":
    main()
