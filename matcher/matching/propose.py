"""Proposals for one profile: classify every listing, tier and score the feasible ones, explain all."""

from collections.abc import Iterator
from datetime import date
from typing import Any, LiteralString

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from matcher import embedding
from matcher.batch.learning import effective_settings
from matcher.config import Settings
from matcher.core.geo import box
from matcher.core.schedule import Slot, total_minutes
from matcher.errors import NotFound
from matcher.matching import scoring
from matcher.matching.calibration import calibration
from matcher.matching.constraints import tier
from matcher.matching.lexical import (
    SEPARATOR,
    LexicalIndex,
    analyser,
    cached_index,
    features,
    words_hash,
)
from matcher.matching.model import Candidate, Exclusion, MatchResult, Proposal
from matcher.matching.reasons import exclusion_reasons, proposal_reasons
from matcher.profiles.model import NeedsProfile
from matcher.profiles.store import get_profile
from matcher.sql import queries

SQL = queries("matching")


class ProfileNotFound(NotFound, LookupError):
    """No needs profile has this id."""

    def __init__(self, profile_id: str) -> None:
        super().__init__(f"ニーズプロファイル「{profile_id}」はありません")
        self.profile_id = profile_id


def require_profile(conn: psycopg.Connection, profile_id: str) -> NeedsProfile:
    """The profile with this id, or ProfileNotFound."""
    profile = get_profile(conn, profile_id=profile_id)
    if profile is None:
        raise ProfileNotFound(profile_id)
    return profile


def candidates(
    conn: psycopg.Connection,
    profile: NeedsProfile,
    *,
    model: str,
    min_overlap: int,
    resource_id: str | None = None,
    shown_only: bool = False,
) -> list[Candidate]:
    """Every listing (or one) with the constraints it fails for this profile and the values reasons quote.

    shown_only=True: only the feasible listings and those turned down for or placed with this profile.
    """
    params = {
        "profile_id": profile.id,
        "eligible": profile.eligible_programmes(),
        "min_overlap": min_overlap,
        "model": model,
    } | box(profile.lat, profile.lon, profile.max_travel_km)
    if resource_id is not None:
        ids = [resource_id]
    elif shown_only:
        ids = [row[0] for row in conn.execute(SQL.shown_ids, params)]
    else:
        ids = [row[0] for row in conn.execute(SQL.all_ids)]
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(SQL.classify, params | {"ids": ids}).fetchall()
    return [_candidate(row) for row in rows]


def _candidate(row: dict[str, Any]) -> Candidate:
    """A query row as a Candidate; slots come from the database already validated."""
    return Candidate(
        **(row | {"schedule": tuple(Slot(s["day"], s["start"], s["end"]) for s in row["schedule"])})
    )


_fingerprints: dict[str, str] = {}  # registry version → fingerprint of the listings' texts


def lexical_index(conn: psycopg.Connection) -> LexicalIndex:
    """The lexical index of the registry as it is now (rebuilt only when a listing's text changed).

    The registry version moves when a listing is added or removed or its name or description is
    written (migration 0028: not when a place is taken). A form that writes the same text again moves
    it too, so the index is keyed by a fingerprint of the texts, computed once per registry version.
    """
    row = conn.execute(SQL.registry_version).fetchone()
    version = row[0] if row else ""
    fingerprint = _fingerprints.get(version)
    if fingerprint is None:
        found = conn.execute(SQL.registry_texts_fingerprint).fetchone()
        fingerprint = f"{version.split(':')[0]}:{found[0] if found else ''}"
        if len(_fingerprints) > 64:
            _fingerprints.clear()
        _fingerprints[version] = fingerprint

    def load() -> Iterator[tuple[str, list[str]]]:
        # streamed: the registry's texts are never all in memory at once; only the texts whose words
        # are not stored yet (new or changed since) are read by the analyser, and their words kept
        read = Analysed()
        with conn.cursor() as cur:
            for rid, text, stored_hash, stored in cur.stream(SQL.registry_texts):
                yield rid, read.words(rid, text, stored_hash, stored)
        read.keep(conn, SQL.store_listing_words)

    return cached_index(fingerprint, load)


class Analysed:
    """Texts' words, from storage when they were stored for this very text, else read now and kept
    (listing_words, profile_words)."""

    def __init__(self) -> None:
        self.fresh: dict[str, list[str]] = {"ids": [], "hashes": [], "features": []}

    def words(self, key: str, text: str, stored_hash: str | None, stored: str | None) -> list[str]:
        """The features of `key`'s text: the stored ones when they came from this very text and
        analyser, else read now (and kept by `keep`)."""
        digest = words_hash(text)
        if stored is not None and stored_hash == digest:
            return stored.split(SEPARATOR) if stored else []
        found = features(text)
        self.fresh["ids"].append(key)
        self.fresh["hashes"].append(digest)
        self.fresh["features"].append(SEPARATOR.join(found))
        return found

    def keep(self, conn: psycopg.Connection, statement: LiteralString) -> None:
        """Stores the words read now, for the next fit. Only a cache: when it cannot be written (a
        read-only transaction, another process storing the same rows) they are read again next time."""
        if not self.fresh["ids"]:
            return
        lock_timeout = conn.execute(SQL.lock_timeout).fetchone()[0]  # type: ignore[index]
        try:
            with conn.transaction():
                # never wait long for another process storing the same words: it keeps them
                conn.execute(SQL.set_lock_timeout, {"timeout": "200ms"})
                conn.execute(statement, {**self.fresh, "analyser": analyser()})
                conn.execute(SQL.set_lock_timeout, {"timeout": lock_timeout})
        except psycopg.Error:
            return


def rank(
    profile: NeedsProfile, rows: list[Candidate], index: LexicalIndex, settings: Settings, today: date
) -> MatchResult:
    """Splits listings into proposals (tier 1 first, then fit) and exclusions, each with reasons."""
    eligible = set(profile.eligible_programmes())
    feasible = [c for c in rows if not c.codes]
    query = f"{profile.interests}\n{profile.narrative}"
    lexical = index.scores(query, [c.id for c in feasible])
    available = total_minutes(profile.availability)
    dense = calibration(settings.embedding_model)
    proposals = []
    for c in feasible:
        parts = {
            "dense": dense.part(c.dense),
            "lexical": lexical.get(c.id, 0.0),
            "schedule": scoring.schedule_part(c, available),
            "distance": scoring.distance_part(c, profile),
            "reward": scoring.reward_part(c, profile),
            "stage": scoring.stage_part(c, profile),
            "freshness": scoring.freshness_part(c, today, settings.fresh_days, settings.stale_days),
        }
        proposals.append(
            Proposal(c, tier(c.programme, eligible), scoring.combine(parts, settings.weights), parts)
        )
    proposals.sort(key=lambda p: (p.tier, -p.score, p.candidate.id))
    excluded = [
        Exclusion(c, exclusion_reasons(c, profile, settings.min_overlap_minutes)) for c in rows if c.codes
    ]
    return MatchResult(profile.id, proposals, excluded)


def explain(
    conn: psycopg.Connection, result: MatchResult, profile: NeedsProfile, top: int | None, model: str
) -> None:
    """Writes the reasons of the proposals that will be shown."""
    describe(conn, result.proposals[:top], profile, model)


def describe(conn: psycopg.Connection, proposals: list[Proposal], profile: NeedsProfile, model: str) -> None:
    """Writes the reasons of these proposals (those a page shows); `model` made the dense similarity."""
    threshold = calibration(model).reason
    ids = [p.candidate.id for p in proposals]
    texts: dict[str, str] = dict(conn.execute(SQL.listing_texts, {"ids": ids}).fetchall())
    for proposal in proposals:
        c = proposal.candidate
        proposal.reasons = proposal_reasons(c, profile, proposal.tier, texts.get(c.id, ""), threshold)


def propose(
    conn: psycopg.Connection,
    settings: Settings,
    *,
    profile_id: str,
    top: int | None = 10,
    today: date | None = None,
    every_exclusion: bool = True,
    profile: NeedsProfile | None = None,
) -> MatchResult:
    """Proposals for one profile, with every exclusion; the profile's text is embedded first if it changed.

    every_exclusion=False (the profile page): the same proposals, but only the exclusions this
    profile's own decisions caused (turned down, placed); the other listings are not classified.
    `profile`: the profile as the caller just read it on this connection (not read again).
    """
    if profile is None or profile.id != profile_id:
        profile = require_profile(conn, profile_id)
    settings = effective_settings(conn, settings)
    spec = embedding.EmbeddingSpec.from_settings(settings)
    embedding.sync_one(conn, spec, "profile", profile_id)
    rows = candidates(
        conn,
        profile,
        model=spec.key,
        min_overlap=settings.min_overlap_minutes,
        shown_only=not every_exclusion,
    )
    index = lexical_index(conn)
    result = rank(profile, rows, index, settings, today or date.today())
    explain(conn, result, profile, top, spec.model)
    return result


def nearest_feasible(
    conn: psycopg.Connection,
    profile: NeedsProfile,
    *,
    model: str,
    min_overlap: int,
    pool: int,
    exact: bool = False,
) -> list[Candidate]:
    """Feasible listings nearest in meaning, about `pool` per tier.

    exact=True applies the hard constraints first and measures every remaining distance (the best
    `pool` of each tier); exact=False walks the HNSW index, filtering as it goes (the best `pool` of
    tier 1, then of all), which pays off only when most listings are feasible.
    """
    stored = conn.execute(SQL.profile_vector, {"profile_id": profile.id, "model": model}).fetchone()
    if stored is None:
        return []
    vector = stored[0]
    text = SQL.nearest_feasible_exact if exact else SQL.nearest_feasible_hnsw
    query = sql.SQL(text).format(dim=sql.Literal(len(vector.to_list())))
    eligible = profile.eligible_programmes()
    params = {
        "profile_id": profile.id,
        "model": model,
        "q": vector,
        "eligible": eligible,
        "min_overlap": min_overlap,
    } | box(profile.lat, profile.lon, profile.max_travel_km)
    if exact:
        with conn.cursor(row_factory=dict_row) as cur:
            return [_candidate(row) for row in cur.execute(query, params | {"pool": pool}).fetchall()]
    found: dict[str, Candidate] = {}
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql.SQL("set local hnsw.ef_search = {}").format(sql.Literal(min(1000, max(40, pool)))))
        cur.execute("set local hnsw.iterative_scan = relaxed_order")
        for tier1_only in (True, False):
            for row in cur.execute(query, params | {"tier1_only": tier1_only, "pool": pool}).fetchall():
                found.setdefault(row["id"], _candidate(row))
    return list(found.values())


def propose_top(
    conn: psycopg.Connection,
    settings: Settings,
    *,
    profile_id: str,
    top: int = 10,
    exact: bool | None = None,
    today: date | None = None,
) -> MatchResult:
    """Proposals only (no exclusion list), scored among the feasible listings nearest in meaning.

    For the weekly batch and large registries: only the `candidate_pool` feasible listings nearest in
    meaning (per tier) are scored, so one far in meaning but strong on other parts can be missed.
    `exact` overrides the `candidate_search` setting.
    """
    profile = require_profile(conn, profile_id)
    settings = effective_settings(conn, settings)
    spec = embedding.EmbeddingSpec.from_settings(settings)
    rows = nearest_feasible(
        conn,
        profile,
        model=spec.key,
        min_overlap=settings.min_overlap_minutes,
        pool=settings.candidate_pool,
        exact=settings.candidate_search == "exact" if exact is None else exact,
    )
    index = lexical_index(conn)
    result = rank(profile, rows, index, settings, today or date.today())
    explain(conn, result, profile, top, spec.model)
    return result


def open_tier1(conn: psycopg.Connection, settings: Settings, profile_id: str) -> list[str]:
    """Names of 既存事業 listings still proposed to the profile."""
    profile = require_profile(conn, profile_id)
    eligible = profile.eligible_programmes()
    params = {"profile_id": profile_id, "eligible": eligible, "min_overlap": settings.min_overlap_minutes}
    return [row[0] for row in conn.execute(SQL.open_tier1, params)]


def proposal_for(
    conn: psycopg.Connection, settings: Settings, *, profile_id: str, resource_id: str
) -> tuple[NeedsProfile, Candidate | None, Proposal | None]:
    """One listing as seen from one profile: its row (None if there is no such listing) and its proposal."""
    profile = require_profile(conn, profile_id)
    settings = effective_settings(conn, settings)
    spec = embedding.EmbeddingSpec.from_settings(settings)
    rows = candidates(
        conn, profile, model=spec.key, min_overlap=settings.min_overlap_minutes, resource_id=resource_id
    )
    if not rows:
        return profile, None, None
    if rows[0].codes:
        return profile, rows[0], None
    return profile, rows[0], rank(profile, rows, lexical_index(conn), settings, date.today()).proposals[0]
