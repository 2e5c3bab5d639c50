"""The weekly batch: re-embed what changed, learn weights, score every open profile, assign under
capacity, and publish the week in one transaction.

Candidates are staged profile by profile, each in its own transaction, so a killed run resumes where
it stopped; nothing of the week is published until the assignment is written whole. A PostgreSQL
advisory lock lets only one run go at a time.
"""

import contextlib
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from matcher import embedding
from matcher.batch.learning import adopted_weights, learn, model_weights
from matcher.config import ScoreWeights, Settings
from matcher.matching.assignment import Pair, assign
from matcher.matching.lexical import LexicalIndex
from matcher.matching.propose import lexical_index, rank
from matcher.matching.vectorized import Registry
from matcher.profiles.model import NeedsProfile
from matcher.profiles.store import iter_profiles
from matcher.reports import gaps as gaps_report
from matcher.reports.gaps import CODE_LABELS, GapCluster, cluster_gaps
from matcher.sql import queries

SQL = queries("batch")
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
STAGE_CHUNK = 100  # profiles staged per transaction: a killed run loses at most this much work


class BatchBusy(RuntimeError):
    """Another run holds the lock."""


class BadWeek(ValueError):
    """The week is not written YYYY-Www."""


@dataclass
class Progress:
    """Callbacks a caller may give to follow the run: a phase begins with its size, then advances."""

    phase: Callable[[str, int], None] = lambda _name, _total: None
    advance: Callable[[int], None] = lambda _n: None


@dataclass
class BatchResult:
    """What a run published."""

    week: str
    proposals: list[Pair]
    unassigned: dict[str, str]
    gaps: list[GapCluster]
    notes: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        """The `matcher batch run --json` document."""
        return {
            "week": self.week,
            "proposals": [
                {
                    "profile_id": p.profile_id,
                    "resource_id": p.resource_id,
                    "tier": p.tier,
                    "score": round(p.score, 4),
                }
                for p in self.proposals
            ],
            "unassigned": [
                {"profile_id": pid, "reason": reason} for pid, reason in sorted(self.unassigned.items())
            ],
        }


def current_week(today: date | None = None) -> str:
    """The ISO week of a day, as 2026-W48."""
    year, week, _ = (today or date.today()).isocalendar()
    return f"{year}-W{week:02d}"


def check_week(week: str) -> str:
    """The week if it is a real ISO week, else BadWeek."""
    match = WEEK.match(week)
    if not match:
        raise BadWeek(f"週は 2026-W48 のように書いてください（{week!r}）")
    try:
        date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise BadWeek(f"{week} という週はありません") from None
    return week


def run_batch(
    conn: psycopg.Connection, settings: Settings, *, week: str | None = None, progress: Progress | None = None
) -> BatchResult:
    """The week's run: resumes a run that was stopped, or redoes a finished week to the same result."""
    week = check_week(week or current_week())
    progress = progress or Progress()
    conn.commit()
    autocommit, conn.autocommit = conn.autocommit, True  # each staged profile commits on its own
    try:
        _notice_a_lost_client(conn)
        if not conn.execute(SQL.try_lock).fetchone()[0]:  # type: ignore[index]
            raise BatchBusy("別の週次処理が実行中です。終わってからもう一度実行してください")
        try:
            return _run(conn, settings, week, progress)
        finally:
            conn.execute(SQL.unlock)
    finally:
        conn.autocommit = autocommit


def _notice_a_lost_client(conn: psycopg.Connection) -> None:
    """Has the server end this session soon after its process dies, even mid-query, so that the batch's
    lock is let go at once and a new run is not refused (PostgreSQL 14 and later; best effort)."""
    with contextlib.suppress(psycopg.Error):
        conn.execute("set client_connection_check_interval = '1s'")


def _run(conn: psycopg.Connection, settings: Settings, week: str, progress: Progress) -> BatchResult:
    notes: list[str] = []
    clock = Stopwatch()
    spec = embedding.EmbeddingSpec.from_settings(settings)
    embedded = embedding.sync(
        conn, spec, on_start=lambda n: progress.phase("embedding", n), on_progress=progress.advance
    )
    clock.lap("embedding")
    weights, version = _weights_for(conn, settings, week, notes)
    scoring = settings.model_copy(update={"weights": weights})
    clock.lap("learning")
    todo = [row[0] for row in conn.execute(SQL.open_profiles, {"week": week})]
    progress.phase("scoring", len(todo))
    reused = _stage_all(conn, scoring, week, todo, spec.key, progress)
    clock.lap("scoring")
    progress.phase("assigning", 1)
    pairs, capacity, vanished = _staged(conn, settings, week)
    notes += [f"社会資源「{rid}」は実行中に休止・終了・削除されたため除外しました" for rid in vanished]
    chosen = assign(pairs, capacity, settings.batch_proposals_per_profile)
    clock.lap("assignment")
    failed: dict[str, Counter[str]] = {
        row[0]: Counter(row[1]) for row in conn.execute(SQL.staged_profiles, {"week": week})
    }
    unassigned = _unassigned(failed, pairs, chosen)
    gaps = _gaps(conn, settings, pairs, failed, spec.key)
    clock.lap("gaps")
    progress.advance(1)
    stats = {
        "profiles": len(failed),
        "proposals": len(chosen),
        "unassigned": len(unassigned),
        "embedded": embedded,
        "reused": reused,
        "model_version": version,
        "gap_groups": sum(g.shown for g in gaps),
    }
    _publish(conn, week, chosen, unassigned, gaps, stats | {"seconds": clock.laps}, notes)
    clock.lap("publishing")
    return BatchResult(week, chosen, unassigned, gaps, notes, stats | {"seconds": clock.laps})


class Stopwatch:
    """Seconds spent in each phase of a run."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 2)
        self._last = now


def _weights_for(
    conn: psycopg.Connection, settings: Settings, week: str, notes: list[str]
) -> tuple[ScoreWeights, int | None]:
    """A resumed run keeps the weights it started with; a new or repeated run learns first."""
    row = conn.execute(SQL.run_of, {"week": week}).fetchone()
    if row is not None and row[1] == "running":
        notes.append("中断した実行の続きから再開しました")
        version = row[2]
        return (model_weights(conn, version) if version else None) or settings.weights, version
    learned = learn(conn, settings)
    notes.append(learned.note)
    adopted = adopted_weights(conn)
    version = adopted[0] if adopted else None
    with conn.transaction():
        conn.execute(SQL.start_run, {"week": week, "model_version": version})
        if row is not None:
            conn.execute(SQL.clear_staging, {"week": week})
            conn.execute(SQL.clear_done, {"week": week})
    return (adopted[1] if adopted else settings.weights), version


@dataclass
class Carry:
    """What a profile's staging can take from the last week scored with the same weights."""

    previous: str
    rows: dict[str, list[tuple[str, int, float]]]
    failed: dict[str, dict[str, int]]
    copy: set[str] = field(default_factory=set)
    merge: dict[str, tuple[set[str], list[int]]] = field(
        default_factory=dict
    )  # stale ids, changed rows to score


def _stage_all(
    conn: psycopg.Connection, settings: Settings, week: str, todo: list[str], model: str, progress: Progress
) -> int:
    """Scores every profile's best feasible listings and stages them, a chunk per transaction.

    Returns how many profiles were carried over from last week (copied, or with only their changed
    listings scored again)."""
    registry = Registry.load(conn, model)
    wanted = set(todo)
    profiles = {p.id: p for p in iter_profiles(conn, trusted=True) if p.id in wanted}
    vectors = {pid: v.to_numpy() for pid, v in conn.execute(SQL.profile_vectors, {"model": model})}
    skip: dict[str, set[int]] = {}
    for profile_id, resource_id in conn.execute(SQL.not_again):
        if resource_id in registry.index:
            skip.setdefault(profile_id, set()).add(registry.index[resource_id])
    index = lexical_index(conn)
    today = date.today()
    carry = _carry(conn, settings, week, profiles, registry)
    if carry is not None and carry.copy:
        ids = sorted(carry.copy)
        with conn.transaction():
            conn.execute(SQL.reuse_candidates, {"week": week, "previous": carry.previous, "ids": ids})
            conn.execute(SQL.reuse_done, {"week": week, "previous": carry.previous, "ids": ids})
        progress.advance(len(ids))
    todo = [pid for pid in todo if carry is None or pid not in carry.copy]
    for start in range(0, len(todo), STAGE_CHUNK):
        chunk = todo[start : start + STAGE_CHUNK]
        staged, done = [], []
        for profile_id in chunk:
            profile, vector = profiles[profile_id], vectors.get(profile_id)
            if carry is not None and profile_id in carry.merge and vector is not None:
                rows, failed, saturated = _merge(registry, settings, profile, vector, carry, index, today)
            else:
                rows, failed, saturated = _score(
                    registry, settings, profile, vector, skip.get(profile_id, set()), index, today
                )
            staged += [{"week": week, "profile_id": profile_id} | row for row in rows]
            done.append(
                {
                    "week": week,
                    "profile_id": profile_id,
                    "failed": Jsonb(dict(failed)),
                    "saturated": saturated,
                }
            )
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(SQL.stage_candidate, staged)
            cur.executemany(SQL.stage_done, done)
        progress.advance(len(chunk))
    return 0 if carry is None else len(carry.copy) + len(carry.merge)


def _carry(
    conn: psycopg.Connection,
    settings: Settings,
    week: str,
    profiles: dict[str, NeedsProfile],
    registry: Registry,
) -> Carry | None:
    """Which profiles keep last week's candidates as they were, and which need only their changed
    listings scored again. Everything else is scored afresh: a profile whose record, vector or decisions
    changed, whose pool was full (more feasible listings than the batch scores), or that is new.
    Carried scores are last week's (the lexical statistics and freshness move a little with time)."""
    version = conn.execute(SQL.run_of, {"week": week}).fetchone()
    found = conn.execute(
        SQL.reusable_week, {"week": week, "model_version": version[2] if version else None}
    ).fetchone()
    if found is None:
        return None
    previous, since = found
    changed = {row[0] for row in conn.execute(SQL.changed_listings, {"since": since})}
    touched = {row[0] for row in conn.execute(SQL.touched_profiles, {"since": since})}
    done = {row[0]: (row[1], row[2]) for row in conn.execute(SQL.previously_done, {"week": previous})}
    rows: dict[str, list[tuple[str, int, float]]] = {}
    for profile_id, resource_id, tier, score in conn.execute(SQL.previous_candidates, {"week": previous}):
        rows.setdefault(profile_id, []).append((resource_id, tier, score))
    moved = changed | {rid for listed in rows.values() for rid, _t, _s in listed if rid not in registry.index}
    fresh_rows = np.array([registry.index[r] for r in sorted(changed) if r in registry.index], np.int64)
    fresh = registry.subset(fresh_rows)
    carry = Carry(previous, rows, {pid: codes for pid, (codes, _s) in done.items()})
    for profile_id, profile in profiles.items():
        if profile_id in touched or profile_id not in done or done[profile_id][1]:
            continue
        stale = {rid for rid, _t, _s in rows.get(profile_id, []) if rid in moved}
        eligible = set(profile.eligible_programmes())
        now_feasible = [
            int(fresh_rows[k]) for k in fresh.feasible(profile, eligible, settings.min_overlap_minutes)
        ]
        if not stale and not now_feasible:
            carry.copy.add(profile_id)
        else:
            carry.merge[profile_id] = (stale, now_feasible)
    return carry


def _merge(
    registry: Registry,
    settings: Settings,
    profile: NeedsProfile,
    vector: Any,
    carry: Carry,
    index: LexicalIndex,
    today: date,
) -> tuple[list[dict[str, Any]], Counter[str], bool]:
    """Last week's candidates without the changed ones, plus the changed listings that are feasible now."""
    stale, now_feasible = carry.merge[profile.id]
    kept = [(rid, tier, score) for rid, tier, score in carry.rows.get(profile.id, []) if rid not in stale]
    scored = rank(
        profile,
        registry.candidates(
            profile,
            list(
                zip(
                    now_feasible,
                    registry.similarity(np.array(now_feasible, np.int64), vector).tolist(),
                    strict=True,
                )
            ),
        ),
        index,
        settings,
        today,
    ).proposals
    merged = kept + [(p.candidate.id, p.tier, p.score) for p in scored]
    merged.sort(key=lambda row: (row[1], -row[2], row[0]))
    rows = [
        {"resource_id": rid, "tier": tier, "score": round(score, 6)}
        for rid, tier, score in merged[: settings.batch_candidate_pool]
    ]
    return rows, Counter(carry.failed.get(profile.id, {})), False


def _score(
    registry: Registry,
    settings: Settings,
    profile: NeedsProfile,
    vector: Any,
    skip: set[int],
    index: LexicalIndex,
    today: date,
) -> tuple[list[dict[str, Any]], Counter[str], bool]:
    """One profile's staged rows, the constraints that ruled listings out (when nothing fits well),
    and whether its pool was full."""
    eligible = set(profile.eligible_programmes())
    found, saturated = (
        registry.nearest_feasible(
            profile,
            eligible,
            vector,
            skip=skip,
            min_overlap=settings.min_overlap_minutes,
            pool=settings.batch_search_pool,
        )
        if vector is not None
        else ([], False)
    )
    proposals = rank(profile, found, index, settings, today).proposals
    rows = [
        {"resource_id": p.candidate.id, "tier": p.tier, "score": round(p.score, 6)}
        for p in proposals[: settings.batch_candidate_pool]
    ]
    failed: Counter[str] = Counter()
    if not proposals or max(p.score for p in proposals) < settings.gap_fit_threshold:
        failed = registry.failed_counts(profile, eligible, settings.min_overlap_minutes)
    return rows, failed, saturated


def _staged(
    conn: psycopg.Connection, settings: Settings, week: str
) -> tuple[list[Pair], dict[str, int], list[str]]:
    pairs, capacity = [], {}
    for profile_id, resource_id, tier, score, capacity_open in conn.execute(SQL.staged, {"week": week}):
        pairs.append(Pair(profile_id, resource_id, tier, score))
        capacity[resource_id] = settings.batch_unknown_capacity if capacity_open is None else capacity_open
    vanished = [row[0] for row in conn.execute(SQL.vanished, {"week": week})]
    return pairs, capacity, vanished


def _unassigned(failed: dict[str, Counter[str]], pairs: list[Pair], chosen: list[Pair]) -> dict[str, str]:
    """Why each profile without a proposal has none."""
    has_candidates = {p.profile_id for p in pairs}
    got = {p.profile_id for p in chosen}
    reasons = {}
    for profile_id, codes in failed.items():
        if profile_id in got:
            continue
        if profile_id in has_candidates:
            reasons[profile_id] = "候補はありますが、空きがほかの方に割り当てられました"
        else:
            common = [CODE_LABELS.get(c, c) for c, _n in codes.most_common(2) if c in CODE_LABELS]
            reasons[profile_id] = "条件に合う社会資源がありません" + (
                f"（主な理由: {'・'.join(common)}）" if common else ""
            )
    return reasons


def _gaps(
    conn: psycopg.Connection,
    settings: Settings,
    pairs: list[Pair],
    failed: dict[str, Counter[str]],
    model: str,
) -> list[GapCluster]:
    best: dict[str, float] = {}
    for p in pairs:
        best[p.profile_id] = max(best.get(p.profile_id, 0.0), p.score)
    gap_ids = [pid for pid in failed if best.get(pid, 0.0) < settings.gap_fit_threshold]
    return cluster_gaps(conn, profile_ids=gap_ids, failed=failed, model=model) if gap_ids else []


def _publish(
    conn: psycopg.Connection,
    week: str,
    chosen: list[Pair],
    unassigned: dict[str, str],
    gaps: list[GapCluster],
    stats: dict[str, Any],
    notes: list[str],
) -> None:
    """Replaces the week's published results in one transaction."""
    by_profile: dict[str, list[Pair]] = {}
    for pair in chosen:
        by_profile.setdefault(pair.profile_id, []).append(pair)
    with conn.transaction():
        for query in (SQL.clear_published, SQL.clear_unassigned, SQL.clear_gaps):
            conn.execute(query, {"week": week})
        for profile_id, pairs in by_profile.items():
            for rank, pair in enumerate(
                sorted(pairs, key=lambda p: (p.tier, -p.score, p.resource_id)), start=1
            ):
                conn.execute(
                    SQL.publish_proposal,
                    {
                        "week": week,
                        "profile_id": profile_id,
                        "resource_id": pair.resource_id,
                        "tier": pair.tier,
                        "score": pair.score,
                        "rank": rank,
                    },
                )
        for profile_id, reason in unassigned.items():
            conn.execute(SQL.publish_unassigned, {"week": week, "profile_id": profile_id, "reason": reason})
        gaps_report.save_report(conn, week, gaps)
        previous, changed = changes(conn, week)
        stats |= {"previous_week": previous} | {
            kind: sum(c.change == kind for c in changed) for kind in ("new", "dropped", "moved")
        }
        conn.execute(SQL.finish_run, {"week": week, "stats": Jsonb(stats), "notes": Jsonb(notes)})


@dataclass(frozen=True)
class Change:
    """How one profile's proposal changed since the previous week."""

    profile_id: str
    resource_id: str
    change: str  # new, dropped, moved
    old_rank: int | None
    new_rank: int | None


def changes(conn: psycopg.Connection, week: str) -> tuple[str | None, list[Change]]:
    """The previous published week and what changed since it, per profile."""
    row = conn.execute(SQL.previous_week, {"week": week}).fetchone()
    previous = row[0] if row else None
    rows = conn.execute(SQL.changes, {"week": week, "previous": previous or ""}).fetchall()
    return previous, [Change(*r) for r in rows]


def latest_week(conn: psycopg.Connection) -> str | None:
    """The newest published week."""
    row = conn.execute(SQL.latest_published).fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class RunRecord:
    """One week's run as the admin console lists it."""

    week: str
    status: str  # running, done, or interrupted (marked running, but no session holds the batch's lock)
    started_at: Any
    finished_at: Any
    published_at: Any
    model_version: int | None
    stats: dict[str, Any]
    notes: list[str]


def runs(conn: psycopg.Connection) -> list[RunRecord]:
    """Every week's run, newest first."""
    records = [RunRecord(*row) for row in conn.execute(SQL.runs)]
    if any(r.status == "interrupted" for r in records):
        # A run that committed its end and let go of the lock between the query's snapshot and its lock
        # check looks interrupted; read again (a new snapshot, after that check) to see its real end.
        records = [RunRecord(*row) for row in conn.execute(SQL.runs)]
    return records


def proposals_of(conn: psycopg.Connection, *, week: str, profile_id: str) -> list[dict[str, Any]]:
    """One profile's published proposals for a week, in rank order, with listing names."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(SQL.profile_week, {"week": week, "profile_id": profile_id}).fetchall()


def unassigned_reason(conn: psycopg.Connection, *, week: str, profile_id: str) -> str | None:
    """Why a profile got no proposal that week, or None."""
    row = conn.execute(SQL.unassigned_one, {"week": week, "profile_id": profile_id}).fetchone()
    return str(row[0]) if row else None
