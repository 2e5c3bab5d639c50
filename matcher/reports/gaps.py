"""The gap report (domain.md §8): people with no good proposal, grouped by area and by what they
need (their needs embeddings), each group named by the phrases its members share and by the hard
constraint that most often ruled places out. Groups under three people are not shown."""

import heapq
import math
import re
from collections import Counter
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import psycopg

from matcher.core.csvsafe import write_csv
from matcher.core.vocabulary import HARD_CONSTRAINTS, LABELS, ExclusionCode
from matcher.matching.lexical import shared_phrases
from matcher.sql import queries

SQL = queries("gaps")
MIN_SHOWN = 3
PER_CLUSTER = 5  # about this many people per group within an area
# The hard constraints' Japanese labels (one table for pages, CSVs and notes: matcher.core.vocabulary).
CODE_LABELS = {str(code): LABELS[ExclusionCode][code] for code in HARD_CONSTRAINTS}


@dataclass(frozen=True)
class GapCluster:
    """A group of people in one area whom nothing fits well."""

    cluster: int
    area: str
    size: int
    label: str
    top_constraint: str | None
    constraint_share: float | None
    profile_ids: list[str]

    @property
    def shown(self) -> bool:
        """Small groups are hidden: in a small town they could identify someone."""
        return self.size >= MIN_SHOWN


def _words(phrase: str) -> list[str]:
    """Word-like pieces of a shared phrase: no digits, split where two or more kana run."""
    return [w for w in re.split(r"[ぁ-ゖ]{2,}|[0-9０-９]+", phrase) if len(w) >= 2]


def _label(texts: list[str]) -> str:
    counts: Counter[str] = Counter()
    for first, second in combinations(texts, 2):
        counts.update({w for phrase in shared_phrases(first, second, limit=8) for w in _words(phrase)})
    chosen: list[str] = []
    for phrase, _n in sorted(counts.items(), key=lambda item: (-item[1], -len(item[0]), item[0])):
        if not any(phrase in other or other in phrase for other in chosen):
            chosen.append(phrase)
    return "・".join(chosen[:4]) or "（共通する言葉なし）"


def _top_constraint(codes: Counter[str]) -> tuple[str | None, float | None]:
    relevant = Counter({c: n for c, n in codes.items() if c in CODE_LABELS and c != "inactive"})
    if not relevant:
        return None, None
    code, count = relevant.most_common(1)[0]
    return code, count / sum(relevant.values())


def cluster_gaps(
    conn: psycopg.Connection, *, profile_ids: list[str], failed: dict[str, Counter[str]], model: str
) -> list[GapCluster]:
    """Groups the given people by area, then by their needs embeddings (bisecting 2-means, about five
    a group)."""
    rows = conn.execute(SQL.gap_profiles, {"ids": profile_ids, "model": model}).fetchall()
    by_area: dict[str, list[tuple[str, str, np.ndarray | None]]] = {}
    for pid, area, text, vector in rows:
        by_area.setdefault(area, []).append((pid, text, None if vector is None else vector.to_numpy()))
    clusters: list[GapCluster] = []
    for area in sorted(by_area):
        members = by_area[area]
        groups = _groups(members)
        for group in groups:
            ids = sorted(members[i][0] for i in group)
            codes: Counter[str] = sum((failed.get(pid, Counter()) for pid in ids), Counter())
            code, share = _top_constraint(codes)
            clusters.append(
                GapCluster(
                    len(clusters) + 1,
                    area,
                    len(ids),
                    _label([members[i][1] for i in group]),
                    code,
                    share,
                    ids,
                )
            )
    return sorted(clusters, key=lambda c: (-c.size, c.area, c.cluster))


def _groups(members: list[tuple[str, str, np.ndarray | None]]) -> list[list[int]]:
    """Groups of about `PER_CLUSTER` people with similar needs (by their vectors), then one group of
    the people without a vector."""
    with_vectors = [i for i, m in enumerate(members) if m[2] is not None]
    groups: list[list[int]] = []
    if with_vectors:
        vectors = np.vstack([members[i][2] for i in with_vectors]).astype(np.float64)  # type: ignore[misc]
        k = max(1, math.ceil(len(with_vectors) / PER_CLUSTER))
        groups = [[with_vectors[j] for j in group.tolist()] for group in bisect(vectors, k)]
    missing = [i for i, m in enumerate(members) if m[2] is None]
    return groups + ([missing] if missing else [])


def bisect(vectors: np.ndarray, k: int, rounds: int = 20) -> list[np.ndarray]:
    """Bisecting 2-means: the largest group is split in two until there are `k` groups (or none can be
    split: all its points alike). Each split starts from the point farthest from the group's centre
    and the point farthest from that one, so the result is the same on every run.

    The cost grows as n·log(k); plain k-means with k = n / 5 grows as n² (minutes per area at a
    nation's size), and scikit-learn's BisectingKMeans walks every group at each split (k²). The groups
    stay near five instead of ranging from one to forty. Returns the rows of each group, ascending."""
    heap = [(-len(vectors), 0, np.arange(len(vectors)))]
    done: list[np.ndarray] = []
    count = 0
    while heap and len(heap) + len(done) < k:
        _size, _n, rows = heapq.heappop(heap)
        halves = _split(vectors[rows], rounds) if len(rows) > 1 else None
        if halves is None:
            done.append(rows)
            continue
        for half in halves:
            count += 1
            heapq.heappush(heap, (-len(half), count, rows[half]))
    return sorted(done + [rows for _s, _n, rows in heap], key=lambda rows: int(rows[0]))


def _split(points: np.ndarray, rounds: int) -> tuple[np.ndarray, np.ndarray] | None:
    """2-means on these points: the positions of the two halves, or None when they cannot be told
    apart."""
    centre = points.mean(axis=0)
    first = points[int(np.argmax(((points - centre) ** 2).sum(axis=1)))]
    second = points[int(np.argmax(((points - first) ** 2).sum(axis=1)))]
    if np.array_equal(first, second):
        return None
    side = np.zeros(len(points), bool)
    for _ in range(rounds):
        # nearer the second centre: |p - b|² < |p - a|²  ⇔  p·(b - a) > (|b|² - |a|²) / 2
        nearer = points @ (second - first) > ((second @ second) - (first @ first)) / 2
        if not nearer.any() or nearer.all() or np.array_equal(nearer, side):
            break  # settled (or a half emptied: keep the last split)
        side = nearer
        first, second = points[~side].mean(axis=0), points[side].mean(axis=0)
    if not side.any():  # rounding put every point on one side from the start
        return None
    return np.flatnonzero(~side), np.flatnonzero(side)


def save_report(conn: psycopg.Connection, week: str, clusters: list[GapCluster]) -> None:
    """Store a week's gap groups (inside the batch's publishing transaction)."""
    for gap in clusters:
        conn.execute(SQL.save_cluster, gap.__dict__ | {"week": week})


def stored_report(conn: psycopg.Connection, week: str) -> list[GapCluster]:
    """A week's gap report as published (all groups; callers show only `shown` ones)."""
    return [GapCluster(*row) for row in conn.execute(SQL.clusters, {"week": week})]


def report_weeks(conn: psycopg.Connection) -> list[str]:
    """Weeks with a published report, newest first."""
    return [row[0] for row in conn.execute(SQL.weeks)]


def to_csv(clusters: list[GapCluster]) -> str:
    """The shown groups as CSV (UTF-8 with BOM, formula cells neutralised), without who is in them."""
    rows = (
        [
            c.area,
            c.size,
            c.label,
            CODE_LABELS.get(c.top_constraint or "", ""),
            f"{c.constraint_share:.0%}" if c.constraint_share is not None else "",
        ]
        for c in clusters
        if c.shown
    )
    return write_csv(["圏域", "人数", "共通するニーズ", "最も多い理由", "その割合"], rows)
