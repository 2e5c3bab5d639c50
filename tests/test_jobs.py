"""Import and batch progress live in the database: what the admin console shows of them."""

import psycopg

from matcher.batch.jobs import latest_batch

ROW = """insert into background_job (id, kind, actor, phase, week, started_at, updated_at)
         values (%s, 'batch', 'admin', %s, '2026-W48', now() - make_interval(secs => %s), now() - make_interval(mins => %s))"""


def test_a_refused_double_start_never_hides_the_batch_that_is_running(conn: psycopg.Connection) -> None:
    conn.execute(ROW, ("batch-running", "scoring", 30, 0))
    conn.execute(ROW, ("batch-refused", "busy", 1, 0))  # started later, refused at once
    assert latest_batch(conn).id == "batch-running"  # type: ignore[union-attr]


def test_a_batch_whose_server_died_shows_as_failed_and_yields_to_newer_ones(conn: psycopg.Connection) -> None:
    conn.execute(ROW, ("batch-lost", "scoring", 7200, 90))  # nothing heard for 90 minutes
    lost = latest_batch(conn)
    assert lost is not None and lost.phase == "failed" and "途中で止まりました" in lost.message
    conn.execute(ROW, ("batch-done", "done", 60, 0))
    assert latest_batch(conn).id == "batch-done"  # type: ignore[union-attr]
