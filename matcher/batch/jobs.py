"""Imports that run in the background with progress a page can poll: validate, write, embed."""

import secrets
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from matcher import embedding
from matcher.config import Settings
from matcher.core.importing import ImportRejected
from matcher.profiles.importer import import_profiles
from matcher.registry.importer import import_resources, import_wamnet
from matcher.sql import queries

KINDS = {
    "resources": "社会資源（JSON Lines / CSV）",
    "profiles": "ニーズプロファイル（JSON Lines / CSV）",
    "wamnet": "WAM NET オープンデータ（CSV）",
}
PHASES = {
    "validating": "検証しています",
    "writing": "書き込んでいます",
    "embedding": "文章をベクトル化しています",
    "done": "完了しました",
    "rejected": "誤りがあるため取り込みませんでした（何も書き込んでいません）",
    "failed": "途中で失敗しました",
}
IMPORT_ENDS = ("done", "rejected", "failed")
BATCH_ENDS = ("done", "busy", "failed")


class _Progress:
    """What a page polls of a background job, an import or a batch: its phase and how far it got."""

    phases: ClassVar[dict[str, str]]
    ends: ClassVar[tuple[str, ...]]
    phase: str
    total: int
    done: int

    @property
    def finished(self) -> bool:
        """True when nothing more will happen."""
        return self.phase in self.ends

    @property
    def percent(self) -> int:
        """Progress of the current phase, 0–100."""
        return 100 if self.phase == "done" else int(100 * self.done / self.total) if self.total else 0

    @property
    def phase_label(self) -> str:
        """The phase in Japanese."""
        return self.phases[self.phase]


@dataclass
class ImportJob(_Progress):
    """One uploaded file on its way into the database."""

    phases: ClassVar[dict[str, str]] = PHASES
    ends: ClassVar[tuple[str, ...]] = IMPORT_ENDS

    id: str
    kind: str
    filename: str
    actor: str
    phase: str = "validating"
    total: int = 0
    done: int = 0
    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    started_at: datetime = field(default_factory=lambda: datetime.now().astimezone())
    finished_at: datetime | None = None
    lock_key: int | None = None  # the advisory lock (JOB_LOCK, lock_key) held while it runs


SQL = queries("jobs")
# A running job holds the advisory lock (JOB_LOCK, its lock_key) on a session of its own, opened before
# the job is recorded and closed after its last state is saved: when no session holds the lock, the
# process that ran the job is gone, and the job is shown as interrupted at once (jobs.sql).
JOB_LOCK = 7100003
# A job from before the locks (no lock_key) that nothing has been heard of for this long died.
SILENT_MINUTES = 30
LOST = "中断しました。処理していたサーバーが途中で止まりました。ファイルをもう一度取り込んでください"


def _hold(pool: ConnectionPool, job: "ImportJob | BatchJob") -> psycopg.Connection | None:
    """Opens the session that holds the job's lock while it runs (the job gets its lock_key).

    Best effort: without it (no connection to spare) the job is judged by how long it was silent."""
    conninfo = pool.conninfo() if callable(pool.conninfo) else pool.conninfo
    try:
        holder = psycopg.connect(conninfo, autocommit=True)
    except psycopg.Error:
        traceback.print_exc()
        return None
    try:
        for _ in range(5):
            key = secrets.randbelow(2**31 - 1) + 1
            if holder.execute(SQL.hold, {"lock_key": key}).fetchone() == (True,):
                job.lock_key = key
                return holder
    except psycopg.Error:
        traceback.print_exc()
    holder.close()
    return None


def _begin(pool: ConnectionPool, job: "ImportJob | BatchJob") -> psycopg.Connection | None:
    """Takes the job's lock and records the job; the lock is let go again if recording fails."""
    holder = _hold(pool, job)
    try:
        _save(pool, job)
    except BaseException:
        _let_go(holder)
        raise
    return holder


def _let_go(holder: psycopg.Connection | None) -> None:
    """Ends the session holding a finished job's lock."""
    if holder is not None:
        try:
            holder.close()
        except psycopg.Error:
            traceback.print_exc()


def _save(pool: ConnectionPool, job: "ImportJob | BatchJob") -> None:
    """Writes a job's state where every server process can read it."""
    state = {
        "id": job.id,
        "kind": job.kind,
        "filename": getattr(job, "filename", ""),
        "actor": job.actor,
        "phase": job.phase,
        "total": job.total,
        "done": job.done,
        "lines": Jsonb(getattr(job, "lines", [])),
        "errors": Jsonb(getattr(job, "errors", [])),
        "message": getattr(job, "message", ""),
        "week": getattr(job, "week", None),
        "started_at": job.started_at,
        "finished_at": getattr(job, "finished_at", None),
        "lock_key": job.lock_key,
    }
    with pool.connection() as conn:
        conn.execute(SQL.save, state)


_last_saved: dict[str, float] = {}


def _save_soon(pool: ConnectionPool, job: "ImportJob | BatchJob", every: float = 0.5) -> None:
    """Saves progress at most every `every` seconds (a page polls once a second); best effort."""
    now = time.monotonic()
    if now - _last_saved.get(job.id, 0.0) >= every:
        _last_saved[job.id] = now
        _report(pool, job)


def _report(pool: ConnectionPool, job: "ImportJob | BatchJob") -> None:
    """Saves progress, but a failure to show progress never stops the work itself."""
    try:
        _save(pool, job)
    except Exception:
        traceback.print_exc()


def _settled(conn: psycopg.Connection, row: dict[str, Any], finished: tuple[str, ...]) -> dict[str, Any]:
    """The row again when it looked silent: its state was read in the query's snapshot, before the lock
    check, so a job that saved its last state and let go of its lock in between looks lost. Read now,
    after the check, a job that finished properly shows it (a lost one still shows no end)."""
    if not row["silent"] or row["phase"] in finished:
        return row
    with conn.cursor(row_factory=dict_row) as cur:
        fresh = cur.execute(SQL.reread, {"id": row["id"]}).fetchone()
    return {**fresh, "silent": fresh["phase"] not in finished} if fresh else row


def _import_job(row: dict[str, Any]) -> ImportJob:
    job = ImportJob(
        row["id"],
        row["kind"],
        row["filename"],
        row["actor"],
        row["phase"],
        row["total"],
        row["done"],
        row["lines"],
        row["errors"],
        row["started_at"],
        row["finished_at"],
        row["lock_key"],
    )
    if row["silent"] and not job.finished:
        job.phase, job.errors = "failed", [LOST]
    return job


class ImportJobs:
    """Imports started from the admin console, kept in the database (every worker sees them)."""

    def get(self, conn: psycopg.Connection, job_id: str) -> ImportJob | None:
        """A job, or None."""
        with conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(SQL.get, {"id": job_id, "silent_minutes": SILENT_MINUTES}).fetchone()
        return _import_job(_settled(conn, row, IMPORT_ENDS)) if row and row["kind"] in KINDS else None

    def recent(self, conn: psycopg.Connection, limit: int = 10) -> list[ImportJob]:
        """The newest jobs first."""
        params = {"kinds": list(KINDS), "limit": limit, "silent_minutes": SILENT_MINUTES}
        with conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(SQL.recent, params).fetchall()
        return [_import_job(_settled(conn, row, IMPORT_ENDS)) for row in rows]

    def start(
        self,
        pool: ConnectionPool,
        settings: Settings,
        *,
        kind: str,
        data: bytes,
        filename: str,
        actor: str,
        city: str | None = None,
        wait: bool = False,
    ) -> ImportJob:
        """Starts an import in a background thread (or runs it now with wait=True)."""
        job = ImportJob(uuid.uuid4().hex[:12], kind, filename, actor)
        holder = _begin(pool, job)

        def work() -> None:
            try:
                run(job, pool, settings, data, city)
            finally:
                _let_go(holder)

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        if wait:
            worker.join()
        return job


def run(job: ImportJob, pool: ConnectionPool, settings: Settings, data: bytes, city: str | None) -> None:
    """Validates and writes the file in one transaction, then embeds what changed, updating job."""
    try:
        with pool.connection() as conn:
            _step(pool, job, "writing")
            job.lines = _import(conn, job, data, city)
            _step(pool, job, "embedding")
            spec = embedding.EmbeddingSpec.from_settings(settings)
            embedding.sync(
                conn,
                spec,
                on_start=lambda n: _set_total(pool, job, n),
                on_progress=lambda n: _advance(pool, job, n),
            )
        job.phase = "done"
    except ImportRejected as exc:
        job.errors = [str(exc), *exc.lines(settings.max_import_errors_shown)]
        job.phase = "rejected"
    except Exception as exc:  # the import's own transaction rolls back; embedding can be redone
        where = (
            "取り込みは完了しています。ベクトル化は `matcher embed` でやり直せます"
            if job.phase == "embedding"
            else "何も書き込んでいません"
        )
        job.errors = [f"{where}（{type(exc).__name__}: {exc}）"]
        traceback.print_exc()
        job.phase = "failed"
    finally:
        job.finished_at = datetime.now().astimezone()
        _save(pool, job)


def _step(pool: ConnectionPool, job: ImportJob, phase: str) -> None:
    job.phase = phase
    _report(pool, job)


def _import(conn: Any, job: ImportJob, data: bytes, city: str | None) -> list[str]:
    if job.kind == "resources":
        return import_resources(conn, data, job.filename, actor=job.actor)
    if job.kind == "profiles":
        return import_profiles(conn, data, job.filename, actor=job.actor)
    return import_wamnet(conn, data, job.filename, city=city or None, actor=job.actor)


def _set_total(pool: ConnectionPool, job: ImportJob, total: int) -> None:
    job.total, job.done = total, 0
    _report(pool, job)


def _advance(pool: ConnectionPool, job: ImportJob, count: int) -> None:
    job.done += count
    _save_soon(pool, job)


BATCH_PHASES = {
    "starting": "開始しています",
    "embedding": "文章をベクトル化しています",
    "scoring": "提案を計算しています",
    "assigning": "定員に合わせて割り当てています",
    "done": "完了しました",
    "busy": "別の週次処理が実行中です",
    "failed": "途中で失敗しました（次の実行で続きから再開します）",
}


@dataclass
class BatchJob(_Progress):
    """A weekly batch started from the admin console."""

    phases: ClassVar[dict[str, str]] = BATCH_PHASES
    ends: ClassVar[tuple[str, ...]] = BATCH_ENDS

    week: str
    actor: str
    phase: str = "starting"
    total: int = 0
    done: int = 0
    message: str = ""
    started_at: datetime = field(default_factory=lambda: datetime.now().astimezone())
    id: str = field(default_factory=lambda: f"batch-{uuid.uuid4().hex[:12]}")
    kind: str = "batch"
    lock_key: int | None = None  # the advisory lock (JOB_LOCK, lock_key) held while it runs


def latest_batch(conn: psycopg.Connection) -> BatchJob | None:
    """The weekly batch started last from the admin console, as any server process sees it."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(SQL.latest_batch, {"silent_minutes": SILENT_MINUTES}).fetchone()
    if row is None:
        return None
    row = _settled(conn, row, BATCH_ENDS)
    job = BatchJob(
        row["week"],
        row["actor"],
        row["phase"],
        row["total"],
        row["done"],
        row["message"],
        row["started_at"],
        row["id"],
        lock_key=row["lock_key"],
    )
    if row["silent"] and not job.finished:
        job.phase, job.message = (
            "failed",
            "中断しました。処理していたサーバーが途中で止まりました（次の実行で続きから再開します）",
        )
    return job


def start_batch(pool: ConnectionPool, settings: Settings, *, week: str, actor: str) -> BatchJob:
    """Runs the weekly batch in a background thread, reporting into the returned job."""
    from matcher.batch.weekly import BatchBusy, Progress, run_batch

    job = BatchJob(week, actor)
    holder = _begin(pool, job)

    def phase(name: str, total: int) -> None:
        job.phase, job.total, job.done = name, total, 0
        _report(pool, job)

    def advance(count: int) -> None:
        job.done += count
        _save_soon(pool, job)

    def work() -> None:
        try:
            with pool.connection() as conn:
                result = run_batch(conn, settings, week=week, progress=Progress(phase, advance))
            job.message = f"{result.stats['profiles']}人に {result.stats['proposals']}件を提案しました"
            job.phase = "done"
        except BatchBusy as exc:
            job.message, job.phase = str(exc), "busy"
        except Exception as exc:
            traceback.print_exc()
            job.message, job.phase = f"{type(exc).__name__}: {exc}", "failed"
        finally:
            try:
                _save(pool, job)
            finally:
                _let_go(holder)

    threading.Thread(target=work, daemon=True).start()
    return job
