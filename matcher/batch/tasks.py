"""The weekly batch spread over workers, on procrastinate (tasks kept in PostgreSQL: workers on any
number of machines, no other server).

The run (`matcher batch run --workers N`) does what needs the whole week itself — embedding, learning
the weights, carrying last week's candidates, the assignment and publishing — and splits the scoring of
the fresh people into pieces by place (matcher.batch.cells.pieces). Each piece is a task: a worker
(`matcher worker`) scores it with the code the single process uses (weekly.stage_piece, from the same
weights, settings and day, passed with the task) and stages it in one transaction that first removes
what an earlier attempt at the piece staged, so the staged rows, and hence the published week, are
those of a single-process run. A task that raises is retried by procrastinate; a task whose worker
stopped sending heartbeats (killed, or its machine gone) is retried by the run, which watches them.
"""

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import procrastinate
import psycopg
from procrastinate.job_context import JobContext

from matcher import db
from matcher.batch.cells import pieces
from matcher.batch.weekly import SQL, Inputs, stage_piece
from matcher.config import ScoreWeights, Settings, get_settings

QUEUE = "batch"
TASK = "matcher.stage_piece"
ATTEMPTS = 3  # a piece that fails (or is lost with its worker) this often fails the run
STALLED_HEARTBEATS = 3  # a worker silent for this many heartbeat intervals is taken for gone
POLL_SECONDS = 0.2
# What scoring reads of the settings: sent with each task, so that a worker on another machine with
# other settings scores exactly as the run would.
SCORING = (
    "weights",
    "min_overlap_minutes",
    "batch_search_pool",
    "batch_candidate_pool",
    "gap_fit_threshold",
    "fresh_days",
    "stale_days",
    "embedding_model",
)
GATE = "MATCHER_TEST_TASK_GATE"  # tests only: a directory where first attempts wait (see _gate)


class WorkersFailed(RuntimeError):
    """The pieces could not all be staged; the message says why in Japanese."""


def task_app(settings: Settings) -> procrastinate.App:
    """The procrastinate app on the application database, with the batch's task."""
    connector = procrastinate.PsycopgConnector(conninfo=db.database_url(settings), min_size=1, max_size=3)
    app = procrastinate.App(connector=connector)
    retry = procrastinate.RetryStrategy(max_attempts=ATTEMPTS - 1, wait=1)
    app.task(name=TASK, queue=QUEUE, pass_context=True, retry=retry)(_stage_task)
    return app


def run_worker(settings: Settings, *, concurrency: int = 1, queues: list[str] | None = None) -> None:
    """Takes tasks until SIGTERM or SIGINT (the task in hand is finished first)."""
    heartbeat = settings.batch_worker_heartbeat_seconds
    task_app(settings).run_worker(
        queues=queues or None,
        concurrency=concurrency,
        name=f"matcher-{os.uname().nodename}-{os.getpid()}",
        update_heartbeat_interval=heartbeat,
        stalled_worker_timeout=heartbeat * STALLED_HEARTBEATS,
        install_signal_handlers=True,
    )


_inputs: dict[tuple[str, str, str], Inputs] = {}  # one run's inputs, read by a worker's first piece
_inputs_lock = threading.Lock()  # tasks run in threads (--concurrency): read the inputs once


def _stage_task(
    context: JobContext,
    *,
    week: str,
    run: str,
    profiles: list[str],
    today: str,
    model: str,
    scoring: dict[str, Any],
) -> int:
    """Scores and stages one piece of a run; a piece of a run no longer going on is left alone."""
    _gate(context)
    settings = get_settings()
    settings = settings.model_copy(update=scoring | {"weights": ScoreWeights(**scoring["weights"])})
    with db.connect(settings, up_to_date=False) as conn:
        conn.autocommit = True
        row = conn.execute(SQL.run_started, {"week": week}).fetchone()
        if row is None or row[0].isoformat() != run:
            return 0
        key = (week, run, model)
        with _inputs_lock:
            if key not in _inputs:
                _inputs.clear()  # the registry of an earlier run is not kept
                _inputs[key] = Inputs.load(conn, model)
            inputs = _inputs[key]
        return stage_piece(conn, settings, week, profiles, inputs, date.fromisoformat(today))


def _gate(context: JobContext) -> None:
    """Tests only: with MATCHER_TEST_TASK_GATE set, a task's first attempt says it started (a file
    named with the worker's pid) and waits for the file `release`, so a test can kill a worker that is
    known to hold a task. Nothing else is faked: the task then runs as usual."""
    gate = os.environ.get(GATE)
    if not gate or context.job.attempts:
        return
    Path(gate, f"started-{os.getpid()}-{context.job.id}").touch()
    while not Path(gate, "release").exists():
        time.sleep(0.05)


def _stop_with_parent() -> Callable[[], None] | None:
    """What a local worker runs before it starts: have SIGTERM sent to it when the run that started it
    dies (Linux), so that a killed run leaves no worker of its own behind. Linux sends it when the
    starting thread ends, so workers are started from the thread that runs the batch. The C function is
    looked up here, in the parent: the child only calls it."""
    if sys.platform != "linux":
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG


@dataclass
class Workers:
    """Stages the fresh people as tasks and waits for them (weekly.Pieces); started with local > 0, it
    also runs that many `matcher worker` processes of its own for the run's length."""

    settings: Settings
    local: int = 0
    advance: Callable[[int], None] = lambda _n: None
    say: Callable[[str], None] = lambda _text: None
    notes: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def __enter__(self) -> "Workers":
        command = [sys.executable, "-m", "matcher.cli", "worker"]
        hook = _stop_with_parent()
        self.processes = [
            subprocess.Popen(command, stdout=subprocess.DEVNULL, preexec_fn=hook) for _ in range(self.local)
        ]
        if self.local:
            self.say(f"ワーカーを{self.local}つ起動しました")
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stage(
        self, conn: psycopg.Connection, settings: Settings, week: str, ids: list[str], model: str
    ) -> list[str]:
        """Splits the people into pieces, defers a task for each and waits until all are staged."""
        if not ids:
            return []
        places = conn.execute(SQL.places_of, {"ids": ids}).fetchall()
        order = [row[0] for row in places]
        lat, lon = (np.array([row[k] for row in places], float) for k in (1, 2))
        radius = max(row[3] for row in places)
        count = max(2 * max(self.local, 1), -(-len(order) // settings.batch_piece_people))
        split = [[order[k] for k in part.tolist()] for part in pieces(lat, lon, radius, count)]
        started = conn.execute(SQL.run_started, {"week": week}).fetchone()
        if started is None:
            raise WorkersFailed(f"{week} の実行が見つかりません")
        common = {
            "week": week,
            "run": started[0].isoformat(),
            "today": date.today().isoformat(),
            "model": model,
            "scoring": settings.model_dump(mode="json", include=set(SCORING)),
        }
        app = task_app(self.settings)
        with app.open():
            for (job_id,) in conn.execute(SQL.leftover_jobs, {"week": week}).fetchall():
                app.job_manager.cancel_job_by_id(job_id)
            ids_of = app.tasks[TASK].batch_defer(*({"profiles": part} | common for part in split))
            jobs = dict(zip(ids_of, (len(part) for part in split), strict=True))
            where = f"（このマシンのワーカー{self.local}つと、ほかのマシンの matcher worker）"
            self.say(f"{len(order)}人を{len(jobs)}件に分けてワーカーで計算します{where}")
            self._wait(conn, app, jobs)
            conn.execute(SQL.forget_jobs, {"ids": list(jobs)})
        return self.notes

    def _wait(self, conn: psycopg.Connection, app: procrastinate.App, jobs: dict[int, int]) -> None:
        """Follows the tasks until every one succeeded, retrying those of workers gone silent."""
        done: set[int] = set()
        waiting_since, hinted = time.monotonic(), False
        stalled_after = self.settings.batch_worker_heartbeat_seconds * STALLED_HEARTBEATS
        while len(done) < len(jobs):
            states = {row[0]: (row[1], row[2]) for row in conn.execute(SQL.job_states, {"ids": list(jobs)})}
            for job_id, (status, _attempts) in states.items():
                if status == "succeeded" and job_id not in done:
                    done.add(job_id)
                    self.advance(jobs[job_id])
                elif status in ("failed", "cancelled", "aborted"):
                    raise WorkersFailed(f"計算の一部（タスク {job_id}）が{ATTEMPTS}回失敗しました: {status}")
            if set(jobs) - set(states):
                raise WorkersFailed("計算のタスクが待ち行列から消えました")
            self._retry_stalled(conn, app, states, [j for j in jobs if j not in done], stalled_after)
            if self.processes and all(p.poll() is not None for p in self.processes):
                raise WorkersFailed("起動したワーカーがすべて終了しました")
            idle = all(status == "todo" for status, _a in states.values())
            if idle and not hinted and not self.local and time.monotonic() - waiting_since > 30:
                self.say("ワーカーを待っています（matcher worker を起動してください）")
                hinted = True
            if len(done) < len(jobs):
                time.sleep(POLL_SECONDS)

    def _retry_stalled(
        self,
        conn: psycopg.Connection,
        app: procrastinate.App,
        states: dict[int, tuple[str, int]],
        pending: Iterable[int],
        seconds: float,
    ) -> None:
        stalled = conn.execute(SQL.stalled_jobs, {"ids": list(pending), "seconds": seconds}).fetchall()
        for (job_id,) in stalled:
            if states[job_id][1] + 1 >= ATTEMPTS:
                raise WorkersFailed(f"タスク {job_id} を持ったワーカーが{ATTEMPTS}回止まりました")
            # the worker may finish it after all just now: then there is nothing to retry
            with contextlib.suppress(procrastinate.exceptions.ConnectorException):
                app.job_manager.retry_job_by_id(job_id, retry_at=datetime.now(UTC))
                self.notes.append(f"応答のなくなったワーカーの計算（タスク {job_id}）をやり直しました")
                self.say(self.notes[-1])
