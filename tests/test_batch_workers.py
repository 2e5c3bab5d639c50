"""The weekly batch on workers (procrastinate): two real worker processes publish exactly what one
process publishes, and a worker killed while it holds a task has the task retried by another."""

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from matcher.profiles.model import NeedsProfile
from matcher.profiles.store import iter_profiles, save_profiles
from tests.conftest import MATCHER_BIN, create_database, drop_database, run_matcher

WEEK = "2026-W48"
TABLES = {
    "batch_proposal": "select profile_id, resource_id, tier, score, rank from batch_proposal order by 1, 2",
    "batch_unassigned": "select profile_id, reason from batch_unassigned order by 1",
    "batch_candidate": "select profile_id, resource_id, tier, score from batch_candidate order by 1, 2",
    "batch_profile_done": "select profile_id, failed_codes, saturated from batch_profile_done order by 1",
}


def more_people(conn: psycopg.Connection, copies: int) -> None:
    """Copies of every open demo profile under new ids, so that the run splits into several pieces."""
    demo = [p for p in iter_profiles(conn) if p.status == "open"]
    save_profiles(
        conn,
        [
            NeedsProfile.model_validate(p.model_dump() | {"id": f"{p.id}-c{n}"})
            for n in range(copies)
            for p in demo
        ],
    )
    conn.commit()


def tables(url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(url) as conn:
        return {name: conn.execute(query).fetchall() for name, query in TABLES.items()}  # type: ignore[arg-type]


def environment(url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "MATCHER_DATABASE_URL": url,
        "MATCHER_DATA_DIR": str(tmp_path / "data"),
        "MATCHER_BATCH_WORKER_HEARTBEAT_SECONDS": "0.5",  # a silent worker is found gone after 1.5 s
    } | extra


@pytest.fixture(scope="module")
def reference(
    admin_url: str, seeded_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A template with more people, whose week run in one process is the reference."""
    name = f"workers_tmpl_{os.getpid()}"
    url = create_database(admin_url, name, seeded_template)
    with psycopg.connect(url) as conn:
        more_people(conn, 5)
    yield name
    drop_database(admin_url, name)


@pytest.fixture(scope="module")
def in_process(admin_url: str, reference: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """What the in-process run publishes on a copy of the reference data."""
    name = f"workers_one_{os.getpid()}"
    url = create_database(admin_url, name, reference)
    try:
        ran = run_matcher(
            "batch", "run", "--week", WEEK, "--json", env=environment(url, tmp_path_factory.mktemp("one"))
        )
        assert ran.returncode == 0, ran.stderr
        published = tables(url)
        assert len(published["batch_proposal"]) > 50 and published["batch_unassigned"]
        yield published
    finally:
        drop_database(admin_url, name)


@pytest.fixture
def copy_url(admin_url: str, reference: str) -> Iterator[str]:
    name = f"workers_{os.getpid()}_{time.monotonic_ns()}"
    yield create_database(admin_url, name, reference)
    drop_database(admin_url, name)


def test_two_worker_processes_publish_exactly_what_one_process_publishes(
    copy_url: str, in_process: dict, tmp_path: Path
) -> None:
    ran = run_matcher("batch", "run", "--week", WEEK, "--workers", "2", env=environment(copy_url, tmp_path))
    assert ran.returncode == 0, ran.stderr
    assert "ワーカーを2つ起動しました" in ran.stderr and "件に分けてワーカーで計算します" in ran.stderr
    assert tables(copy_url) == in_process
    with psycopg.connect(copy_url) as conn:
        assert conn.execute("select status from batch_run").fetchone() == ("done",)
        assert conn.execute("select count(*) from procrastinate_jobs").fetchone() == (0,)  # finished ones go
        assert conn.execute("select count(*) from procrastinate_workers").fetchone() == (0,)  # all stopped


def test_a_killed_workers_task_is_retried_by_another_and_the_run_publishes_the_same(
    copy_url: str, in_process: dict, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    gate.mkdir()
    run = subprocess.Popen(
        [str(MATCHER_BIN), "batch", "run", "--week", WEEK, "--workers", "2"],
        env=os.environ | environment(copy_url, tmp_path, MATCHER_TEST_TASK_GATE=str(gate)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not (started := sorted(gate.glob("started-*"))):
            assert time.monotonic() < deadline and run.poll() is None, "no worker took a task"
            time.sleep(0.05)
        victim = int(started[0].name.split("-")[1])
        os.kill(victim, signal.SIGKILL)  # it holds a task (its first attempt waits at the gate)
        with psycopg.connect(copy_url) as conn:
            assert conn.execute("select count(*) from batch_proposal").fetchone() == (0,)
        (gate / "release").touch()
        stdout, stderr = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 0, stderr
    assert "応答のなくなったワーカーの計算" in stderr and "やり直しました" in stderr
    retried = [f for f in gate.glob("started-*") if f.name.startswith(f"started-{victim}-")]
    assert len(retried) == 1  # the victim started exactly one task before it died
    assert tables(copy_url) == in_process
    assert "人に" in stdout
    again = run_matcher("batch", "run", "--week", WEEK, "--json", env=environment(copy_url, tmp_path))
    assert again.returncode == 0, again.stderr
    assert tables(copy_url) == in_process  # the in-process rerun of the same week agrees
