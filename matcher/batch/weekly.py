"""The weekly batch: re-embed what changed, learn weights, score every open profile, assign under
capacity, and publish the week in one transaction.

Candidates are staged a block of profiles per transaction, so a killed run resumes where it stopped;
nothing of the week is published until the assignment is written whole. Given `pieces`
(matcher.batch.tasks.Workers), the fresh profiles are scored by workers instead, with the same code
(`stage_piece`), a piece per transaction. A PostgreSQL
advisory lock lets only one run go at a time.
"""

import contextlib
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import numpy as np
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from matcher import embedding
from matcher.batch.learning import adopted_weights, learn, model_weights
from matcher.batch.scoring import (
    Fit,
    Gaps,
    Pairs,
    People,
    Staged,
    blocks,
    feasible_pairs,
    query_text,
    ranked,
    rows_of,
    score_block,
    similarity,
    without,
)
from matcher.config import ScoreWeights, Settings
from matcher.matching.assignment import Pair, assign
from matcher.matching.lexical import LexicalIndex
from matcher.matching.propose import Analysed, lexical_index
from matcher.matching.vectorized import Registry
from matcher.profiles.model import NeedsProfile
from matcher.profiles.store import iter_profiles
from matcher.reports import gaps as gaps_report
from matcher.reports.gaps import CODE_LABELS, GapCluster, cluster_gaps
from matcher.sql import queries

SQL = queries("batch")
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
STAGE_CHUNK = 256  # profiles scored and staged per transaction: a killed run loses at most this much work


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
    conn: psycopg.Connection,
    settings: Settings,
    *,
    week: str | None = None,
    progress: Progress | None = None,
    pieces: "Pieces | None" = None,
) -> BatchResult:
    """The week's run: resumes a run that was stopped, or redoes a finished week to the same result.

    pieces: stage the scoring as tasks for workers (matcher.batch.tasks) instead of in this process."""
    week = check_week(week or current_week())
    progress = progress or Progress()
    conn.commit()
    autocommit, conn.autocommit = conn.autocommit, True  # each staged profile commits on its own
    try:
        _notice_a_lost_client(conn)
        if not conn.execute(SQL.try_lock).fetchone()[0]:  # type: ignore[index]
            raise BatchBusy("別の週次処理が実行中です。終わってからもう一度実行してください")
        try:
            return _run(conn, settings, week, progress, pieces)
        finally:
            conn.execute(SQL.unlock)
    finally:
        conn.autocommit = autocommit


def _notice_a_lost_client(conn: psycopg.Connection) -> None:
    """Has the server end this session soon after its process dies, even mid-query, so that the batch's
    lock is let go at once and a new run is not refused (PostgreSQL 14 and later; best effort)."""
    with contextlib.suppress(psycopg.Error):
        conn.execute("set client_connection_check_interval = '1s'")


def _run(
    conn: psycopg.Connection, settings: Settings, week: str, progress: Progress, pieces: "Pieces | None"
) -> BatchResult:
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
    reused = _stage_all(conn, scoring, week, todo, spec.key, progress, clock, pieces, notes)
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
    """What staging takes from the last week scored with the same weights: the people copied as they
    were, and the people who keep their untouched pairs with the changed listings scored again."""

    previous: str
    copy: list[str] = field(default_factory=list)
    merged: list[Staged] = field(default_factory=list)


class Pieces(Protocol):
    """Stages the fresh people's candidates elsewhere (matcher.batch.tasks: as tasks on workers)."""

    def stage(
        self, conn: psycopg.Connection, settings: Settings, week: str, ids: list[str], model: str
    ) -> list[str]:
        """Stages these people's candidates; returns notes for the run (in Japanese)."""
        ...


@dataclass
class Inputs:
    """What scoring reads of the database, read once per run: the registry, its lexical index, every
    profile, their vectors, and the pairs never to propose again."""

    index: LexicalIndex
    registry: Registry
    profiles: dict[str, NeedsProfile]
    vectors: dict[str, np.ndarray]
    not_again: list[tuple[str, str]]
    words: dict[str, list[str]]  # each profile's text → its features (profile_words, or read now)

    @classmethod
    def load(cls, conn: psycopg.Connection, model: str, clock: "Stopwatch | None" = None) -> "Inputs":
        index = lexical_index(conn)  # refitted (every listing's text read again) when a text changed
        if clock is not None:
            clock.lap("lexical index")
        registry = Registry.load(conn, model)
        profiles = {p.id: p for p in iter_profiles(conn, trusted=True)}
        with conn.cursor(binary=True) as cur:  # vectors as bytes, not decimal text
            vectors = {pid: v.to_numpy() for pid, v in cur.execute(SQL.profile_vectors, {"model": model})}
        not_again = [(pid, rid) for pid, rid in conn.execute(SQL.not_again)]
        return cls(index, registry, profiles, vectors, not_again, _profile_words(conn, profiles))

    def people(self, ids: list[str], settings: Settings) -> tuple[People, np.ndarray]:
        """These people as arrays, and their pairs never to propose again (person × listings + listing,
        sorted)."""
        people = People.of([self.profiles[pid] for pid in ids], self.vectors, settings.min_overlap_minutes)
        position = {pid: n for n, pid in enumerate(ids)}
        registry = self.registry
        skip = np.unique(
            np.array(
                [
                    position[pid] * len(registry.rows) + registry.index[rid]
                    for pid, rid in self.not_again
                    if pid in position and rid in registry.index
                ],
                np.int64,
            )
        )
        return people, skip


def _profile_words(conn: psycopg.Connection, profiles: dict[str, NeedsProfile]) -> dict[str, list[str]]:
    """Each profile's text → its features: stored ones for texts unchanged since, the rest read now
    and stored (SudachiPy on every profile's text would cost about 0.6 ms each, every week)."""
    stored = {pid: (digest, found) for pid, digest, found in conn.execute(SQL.profile_words)}
    read, words = Analysed(), {}
    for pid, profile in profiles.items():
        text = query_text(profile)
        if text not in words:
            words[text] = read.words(pid, text, *stored.get(pid, (None, None)))
    read.keep(conn, SQL.store_profile_words)
    return words


def _stage_all(
    conn: psycopg.Connection,
    settings: Settings,
    week: str,
    todo: list[str],
    model: str,
    progress: Progress,
    clock: "Stopwatch",
    pieces: Pieces | None = None,
    notes: list[str] | None = None,
) -> int:
    """Scores every profile's best feasible listings in bulk and stages them, a block per transaction
    (or, given `pieces`, leaves the fresh people to it: workers score them the same way).

    Returns how many profiles were carried over from last week (copied, or with only their changed
    listings scored again)."""
    reusable = _reusable_week(conn, week)
    if pieces is not None and reusable is None:  # nothing to carry: the workers do all the reading
        (notes if notes is not None else []).extend(pieces.stage(conn, settings, week, todo, model))
        return 0
    inputs = Inputs.load(conn, model, clock)
    registry = inputs.registry
    people, skip = inputs.people(todo, settings)
    fit = Fit(registry, inputs.index, settings, date.today(), inputs.words)
    carried = set()
    if reusable is not None:
        carry = _carry(conn, reusable, people, registry, skip, fit, settings)
        if carry.copy:
            with conn.transaction():
                conn.execute(
                    SQL.reuse_candidates, {"week": week, "previous": carry.previous, "ids": carry.copy}
                )
                conn.execute(SQL.reuse_done, {"week": week, "previous": carry.previous, "ids": carry.copy})
            progress.advance(len(carry.copy))
        for start in range(0, len(carry.merged), STAGE_CHUNK):
            _stage(conn, week, carry.merged[start : start + STAGE_CHUNK])
            progress.advance(len(carry.merged[start : start + STAGE_CHUNK]))
        carried = set(carry.copy) | {s.profile_id for s in carry.merged}
    if pieces is not None:
        fresh_ids = [pid for pid in todo if pid not in carried]
        (notes if notes is not None else []).extend(pieces.stage(conn, settings, week, fresh_ids, model))
        return len(carried)
    fresh = np.array([n for n, pid in enumerate(todo) if pid not in carried], np.int64)
    gaps = Gaps(registry, settings)
    for block, rows in blocks(registry, people, fresh, STAGE_CHUNK):
        _stage(conn, week, score_block(registry, people, block, rows, skip, fit, gaps, settings))
        progress.advance(len(block))
    return len(carried)


def stage_piece(
    conn: psycopg.Connection, settings: Settings, week: str, ids: list[str], inputs: Inputs, today: date
) -> int:
    """Scores some people as _stage_all scores them and stages them in one transaction, replacing what
    an earlier attempt at the same piece staged (a retried piece never doubles rows). Returns how many
    candidate rows it staged."""
    people, skip = inputs.people(ids, settings)
    registry = inputs.registry
    fit, gaps = Fit(registry, inputs.index, settings, today, inputs.words), Gaps(registry, settings)
    staged = [
        s
        for block, rows in blocks(registry, people, np.arange(len(ids), dtype=np.int64), STAGE_CHUNK)
        for s in score_block(registry, people, block, rows, skip, fit, gaps, settings)
    ]
    with conn.transaction():
        # one writer at a time per week: two attempts at the same piece (one thought lost, still
        # running) then replace each other's rows instead of colliding on them
        conn.execute(SQL.lock_staging, {"week": week})
        conn.execute(SQL.unstage_candidates, {"week": week, "ids": ids})
        conn.execute(SQL.unstage_done, {"week": week, "ids": ids})
        _stage(conn, week, staged)
    return sum(len(s.rows) for s in staged)


def _stage(conn: psycopg.Connection, week: str, staged: list[Staged]) -> None:
    """Stages some profiles' candidates and marks them done, in one transaction (COPY)."""
    with conn.transaction(), conn.cursor() as cur:
        with cur.copy(SQL.copy_candidates) as copy:
            copy.write(
                "".join(
                    f"{_text(week)}\t{_text(s.profile_id)}\t{_text(row['resource_id'])}\t{row['tier']}\t"
                    f"{row['score']!r}\n"
                    for s in staged
                    for row in s.rows
                )
            )
        with cur.copy(SQL.copy_done) as copy:
            for s in staged:
                copy.write_row((week, s.profile_id, json.dumps(dict(s.failed)), s.saturated))


def _text(value: str) -> str:
    """A value in COPY's text format."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _reusable_week(conn: psycopg.Connection, week: str) -> tuple[str, Any] | None:
    """The last week scored with the same weights, and when it started, if there is one to carry from."""
    version = conn.execute(SQL.run_of, {"week": week}).fetchone()
    found = conn.execute(
        SQL.reusable_week, {"week": week, "model_version": version[2] if version else None}
    ).fetchone()
    return None if found is None else (found[0], found[1])


def _carry(
    conn: psycopg.Connection,
    reusable: tuple[str, Any],
    people: People,
    registry: Registry,
    skip: np.ndarray,
    fit: Fit,
    settings: Settings,
) -> Carry:
    """Which profiles keep last week's candidates as they were, and which need only their changed
    listings scored again. Everything else is scored afresh: a profile whose record, vector or decisions
    changed, whose pool was full (more feasible listings than the batch scores), or that is new.
    Carried scores are last week's (the lexical statistics and freshness move a little with time)."""
    previous, since = reusable
    changed = {row[0] for row in conn.execute(SQL.changed_listings, {"since": since})}
    touched = {row[0] for row in conn.execute(SQL.touched_profiles, {"since": since})}
    done = {row[0]: (row[1], row[2]) for row in conn.execute(SQL.previously_done, {"week": previous})}
    rows: dict[str, list[tuple[str, int, float]]] = {}
    for profile_id, resource_id, tier, score in conn.execute(SQL.previous_candidates, {"week": previous}):
        rows.setdefault(profile_id, []).append((resource_id, tier, score))
    moved = changed | {rid for listed in rows.values() for rid, _t, _s in listed if rid not in registry.index}
    fresh_rows = np.array(sorted(registry.index[r] for r in changed if r in registry.index), np.int64)
    kept = np.array(
        [
            n
            for n, p in enumerate(people.profiles)
            if p.id not in touched and p.id in done and not done[p.id][1] and people.has_vector[n]
        ],
        np.int64,
    )
    now_feasible = _feasible_among(registry, people, kept, fresh_rows, skip)
    scored, _best = ranked(fit, people, now_feasible, len(fresh_rows))
    carry = Carry(previous)
    for n in kept.tolist():
        profile_id = people.profiles[n].id
        listed = rows.get(profile_id, [])
        stale = {rid for rid, _t, _s in listed if rid in moved}
        if not stale and n not in scored:
            carry.copy.append(profile_id)
            continue
        new = [
            (registry.rows[k]["id"], row["tier"], score)
            for (k, score), row in zip(
                scored.get(n, []), rows_of(registry, people, n, scored.get(n, [])), strict=True
            )
        ]
        merged = [row for row in listed if row[0] not in stale] + new
        merged.sort(key=lambda row: (row[1], -row[2], row[0]))
        staged = [
            {"resource_id": rid, "tier": tier, "score": round(score, 6)}
            for rid, tier, score in merged[: settings.batch_candidate_pool]
        ]
        carry.merged.append(Staged(profile_id, staged, Counter(done[profile_id][0]), False))
    return carry


def _feasible_among(
    registry: Registry, people: People, kept: np.ndarray, fresh_rows: np.ndarray, skip: np.ndarray
) -> Pairs:
    """The (carried person, changed listing) pairs that pass every constraint now, with their tier and
    similarity (the changed listings near each person only)."""
    found = [
        without(feasible_pairs(registry, people, block, np.intersect1d(rows, fresh_rows)), registry, skip)
        for block, rows in blocks(registry, people, kept, 4096)
    ]
    pairs = Pairs(
        np.concatenate([p.person for p in found] or [np.zeros(0, np.int64)]),
        np.concatenate([p.listing for p in found] or [np.zeros(0, np.int64)]),
    )
    pairs.values["tier1"] = people.tier1[pairs.person, registry.programme[pairs.listing]]
    pairs.values["similarity"] = similarity(registry, people, pairs)
    return pairs


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
    with conn.transaction(), conn.cursor() as cur:
        for query in (SQL.clear_published, SQL.clear_unassigned, SQL.clear_gaps):
            cur.execute(query, {"week": week})
        cur.executemany(
            SQL.publish_proposal,
            [
                {
                    "week": week,
                    "profile_id": profile_id,
                    "resource_id": pair.resource_id,
                    "tier": pair.tier,
                    "score": pair.score,
                    "rank": rank,
                }
                for profile_id, pairs in by_profile.items()
                for rank, pair in enumerate(
                    sorted(pairs, key=lambda p: (p.tier, -p.score, p.resource_id)), start=1
                )
            ],
        )
        cur.executemany(
            SQL.publish_unassigned,
            [{"week": week, "profile_id": pid, "reason": reason} for pid, reason in unassigned.items()],
        )
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


def changes(
    conn: psycopg.Connection, week: str, profile_id: str | None = None
) -> tuple[str | None, list[Change]]:
    """The previous published week and what changed since it, per profile (one profile's only, given
    `profile_id`)."""
    row = conn.execute(SQL.previous_week, {"week": week}).fetchone()
    previous = row[0] if row else None
    params = {"week": week, "previous": previous or "", "profile_id": profile_id}
    rows = conn.execute(SQL.changes, params).fetchall()
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
