"""A background import or weekly batch whose process is killed shows as failed (中断) at once, not as
running for half an hour, and does not block a restart: a running job holds an advisory lock on a
session of its own, and a job whose lock nobody holds is dead."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import psycopg

from matcher.batch.jobs import IMPORT_ENDS, ImportJobs, _settled, latest_batch
from matcher.batch.weekly import runs
from matcher.config import Settings
from matcher.registry.store import get_resource

T = TypeVar("T")

# Starts a job the way the admin console does (a pool, a background thread), prints its id, then waits.
STARTER = """
import sys, time
from matcher.batch import jobs
from matcher.config import get_settings
from matcher.db import open_pool
settings = get_settings()
pool = open_pool(settings)
if sys.argv[1] == "batch":
    job = jobs.start_batch(pool, settings, week="2026-W48", actor="admin")
else:
    data = open(sys.argv[2], "rb").read()
    job = jobs.ImportJobs().start(pool, settings, kind="resources", data=data, filename="r.jsonl", actor="admin")
print(job.id, flush=True)
time.sleep(600)
"""


def batch_lock_held(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "select count(*) from pg_locks where locktype = 'advisory' and objid = 7100002 and granted"
    ).fetchone()
    return bool(row and row[0])


@contextmanager
def blocked(settings: Settings, table: str) -> Iterator[psycopg.Connection]:
    """Holds a table so that a job touching it waits (and stays unfinished) until the block ends."""
    with psycopg.connect(str(settings.database_url)) as blocker:
        blocker.execute(f"lock table {table} in access exclusive mode")
        try:
            yield blocker
        finally:
            blocker.rollback()


def start_and_kill(
    settings: Settings, watch: psycopg.Connection, under_way: Callable[[str], bool], *args: str
) -> str:
    """Starts a job in a real subprocess, waits until it is under way, SIGKILLs the process; the job's id."""
    process = subprocess.Popen(
        [sys.executable, "-c", STARTER, *args],
        env=os.environ | {"MATCHER_DATABASE_URL": str(settings.database_url)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        job_id = process.stdout.readline().strip()
        assert job_id, "the job did not start"
        deadline = time.monotonic() + 180
        while not under_way(job_id):
            assert time.monotonic() < deadline and process.poll() is None, "the job never got under way"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        if process.stdout:
            process.stdout.close()
    return job_id


def soon(read: Callable[[], T | None], seconds: float = 5) -> T | None:
    """The job as read once the server has seen the killed process's sessions end (a moment after)."""
    deadline = time.monotonic() + seconds
    while (job := read()) is not None and not getattr(job, "finished", True) and time.monotonic() < deadline:
        time.sleep(0.05)
    return job


def phase(watch: psycopg.Connection, job_id: str) -> str | None:
    row = watch.execute("select phase from background_job where id = %s", [job_id]).fetchone()
    return row[0] if row else None


def test_a_killed_import_shows_as_interrupted_at_once(
    seeded_settings: Settings, seeded_conn: psycopg.Connection, tmp_path: Path
) -> None:
    listing = get_resource(seeded_conn, resource_id="r01")
    assert listing is not None
    seeded_conn.rollback()
    upload = tmp_path / "r.jsonl"
    upload.write_text(listing.model_copy(update={"id": "r-new"}).model_dump_json() + "\n", encoding="utf-8")
    with (
        psycopg.connect(str(seeded_settings.database_url), autocommit=True) as watch,
        blocked(seeded_settings, "resource"),  # the import waits to write; the process is killed
    ):
        job_id = start_and_kill(
            seeded_settings, watch, lambda j: phase(watch, j) == "writing", "import", str(upload)
        )
        # still while the killed process's query is stuck behind the block
        job = soon(lambda: ImportJobs().get(watch, job_id))
        assert job is not None and job.finished and job.phase == "failed"
        assert "中断しました" in job.errors[0]
        assert [j.phase for j in ImportJobs().recent(watch) if j.id == job_id] == ["failed"]


def test_a_killed_batch_shows_as_interrupted_at_once_and_does_not_block_a_restart(
    seeded_settings: Settings,
) -> None:
    with (
        psycopg.connect(str(seeded_settings.database_url), autocommit=True) as watch,
        blocked(seeded_settings, "batch_profile_done"),  # the batch waits before it stages anyone
    ):
        job_id = start_and_kill(seeded_settings, watch, lambda _: batch_lock_held(watch), "batch")
        job = soon(lambda: latest_batch(watch))
        assert job is not None and job.id == job_id
        assert job.finished and job.phase == "failed" and "中断しました" in job.message
        # the batch's own session is ended by the server soon after, even mid-query: a new run can start
        deadline = time.monotonic() + 20
        while batch_lock_held(watch):
            assert time.monotonic() < deadline, "the killed batch still holds the batch's lock"
            time.sleep(0.2)


def test_a_run_marked_running_with_no_one_holding_the_lock_shows_as_interrupted(
    seeded_conn: psycopg.Connection,
) -> None:
    seeded_conn.execute("insert into batch_run (week, status) values ('2026-W40', 'running')")
    seeded_conn.commit()
    assert [r.status for r in runs(seeded_conn) if r.week == "2026-W40"] == ["interrupted"]
    seeded_conn.execute("select pg_advisory_lock(7100002)")  # a live run holds the lock
    try:
        assert [r.status for r in runs(seeded_conn) if r.week == "2026-W40"] == ["running"]
    finally:
        seeded_conn.execute("select pg_advisory_unlock(7100002)")
        seeded_conn.commit()


def test_a_job_that_is_running_is_not_mistaken_for_a_dead_one(seeded_conn: psycopg.Connection) -> None:
    seeded_conn.execute(
        "insert into background_job (id, kind, actor, phase, week, lock_key) "
        "values ('batch-alive', 'batch', 'admin', 'scoring', '2026-W48', 424242)"
    )
    seeded_conn.commit()
    with psycopg.connect(seeded_conn.info.dsn, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(7100003, 424242)")
        job = latest_batch(seeded_conn)
        assert job is not None and job.id == "batch-alive" and not job.finished
    deadline = time.monotonic() + 10  # the holder's session has ended (its backend exits a moment later)
    while (job := latest_batch(seeded_conn)) is not None and job.phase != "failed":
        assert time.monotonic() < deadline, "a job whose lock nobody holds still shows as running"
        time.sleep(0.05)


def test_a_job_that_ended_between_reading_its_row_and_checking_its_lock_shows_its_end(
    seeded_conn: psycopg.Connection,
) -> None:
    """A job saves its last state, then lets go of its lock; a page whose query read the row just before
    the save and checked the lock just after must not show a finished import as interrupted."""
    seeded_conn.execute(
        "insert into background_job (id, kind, filename, actor, phase, errors, lock_key) "
        "values ('job-ended', 'wamnet', 'x.csv', 'admin', 'rejected', '[\"WAM NET の列がありません\"]', 515151)"
    )
    seeded_conn.commit()
    as_read_before_the_save = {"id": "job-ended", "phase": "writing", "silent": True}
    row = _settled(seeded_conn, as_read_before_the_save, IMPORT_ENDS)
    assert row["phase"] == "rejected" and not row["silent"]
    lost = {"id": "job-lost", "phase": "writing", "silent": True}  # no row ended: still lost
    assert _settled(seeded_conn, lost, IMPORT_ENDS) == lost
