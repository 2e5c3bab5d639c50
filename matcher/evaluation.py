"""Matching quality on a labelled set: nDCG@k, recall@k, constraint violations and tier-order errors
for the combined score and for each part alone."""

import json
import math
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg

from matcher import embedding
from matcher.config import ScoreWeights, Settings
from matcher.matching import audit
from matcher.matching.model import Proposal
from matcher.matching.propose import candidates, lexical_index, rank
from matcher.profiles.store import get_profile
from matcher.registry.store import iter_resources

STRUCTURE = ("schedule", "distance", "reward", "stage", "freshness")
VARIANTS: dict[str, ScoreWeights | None] = {
    "combined（既定の重み）": ScoreWeights(),
    "dense only（意味の類似）": ScoreWeights(**{p: 0.0 for p in (*STRUCTURE, "lexical")}, dense=1.0),
    "lexical only（文字n-gram）": ScoreWeights(**{p: 0.0 for p in (*STRUCTURE, "dense")}, lexical=1.0),
    "structure only（日時・距離・段階など）": ScoreWeights(dense=0.0, lexical=0.0),
    "combined without dense（意味の類似を除く）": ScoreWeights(dense=0.0),
    "random（実行可能な集合の無作為順）": None,
}


@dataclass(frozen=True)
class Labelled:
    """One profile's graded relevant listings (3 excellent, 2 good, 1 acceptable)."""

    profile_id: str
    grades: dict[str, int]


@dataclass(frozen=True)
class Scores:
    """Mean metrics of one ranking variant over the labelled set."""

    variant: str
    ndcg: float
    recall: float
    violations: int
    tier_errors: int
    per_profile_ndcg: tuple[float, ...] = ()


def load_labels(path: Path) -> list[Labelled]:
    """The labelled set, one JSON object per line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Labelled(row["profile_id"], row["grades"]) for row in map(json.loads, filter(None, lines))]


def ndcg(ranked: list[str], grades: dict[str, int], k: int) -> float:
    """Normalised discounted cumulative gain of the first k, gains 2^grade − 1."""
    gain = sum((2 ** grades.get(rid, 0) - 1) / math.log2(i + 2) for i, rid in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    best = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return gain / best if best else 0.0


def recall(ranked: list[str], grades: dict[str, int], k: int) -> float:
    """Share of the graded listings found in the first k."""
    return len(set(ranked[:k]) & set(grades)) / len(grades) if grades else 0.0


def tier_errors(tiers: list[int]) -> int:
    """Pairs where a tier-2 proposal is shown above a tier-1 one."""
    return sum(1 for i, a in enumerate(tiers) for b in tiers[i + 1 :] if a > b)


def feasible_count(conn: psycopg.Connection, settings: Settings, profile_id: str) -> int:
    """How many listings pass every hard constraint for the profile."""
    profile = get_profile(conn, profile_id=profile_id)
    assert profile is not None, profile_id
    spec = embedding.EmbeddingSpec.from_settings(settings)
    rows = candidates(conn, profile, model=spec.key, min_overlap=settings.min_overlap_minutes)
    return sum(1 for row in rows if not row.codes)


def evaluate(
    conn: psycopg.Connection,
    settings: Settings,
    labels: list[Labelled],
    *,
    k: int = 5,
    today: date | None = None,
    shuffles: int = 20,
) -> list[Scores]:
    """Every variant's mean metrics over the labelled profiles."""
    today = today or date.today()
    spec = embedding.EmbeddingSpec.from_settings(settings)
    index = lexical_index(conn)
    listings = {r.id: r for r in iter_resources(conn)}
    totals = {name: [0.0, 0.0, 0, 0] for name in VARIANTS}
    per_profile: dict[str, list[float]] = {name: [] for name in VARIANTS}
    rng = random.Random(20261127)
    for label in labels:
        profile = get_profile(conn, profile_id=label.profile_id)
        assert profile is not None, label.profile_id
        rows = candidates(conn, profile, model=spec.key, min_overlap=settings.min_overlap_minutes)
        for name, weights in VARIANTS.items():
            orders: list[list[Proposal]] = []
            result = rank(
                profile,
                rows,
                index,
                settings.model_copy(update={"weights": weights or ScoreWeights()}),
                today,
            )
            if weights is None:
                for _ in range(shuffles):
                    shuffled = list(result.proposals)
                    rng.shuffle(shuffled)
                    orders.append(shuffled)
            else:
                orders.append(result.proposals)
            per_profile[name].append(0.0)
            for order in orders:
                ids = [p.candidate.id for p in order]
                share = 1 / len(orders)
                per_profile[name][-1] += ndcg(ids, label.grades, k) * share
                totals[name][0] += ndcg(ids, label.grades, k) * share
                totals[name][1] += recall(ids, label.grades, k) * share
                totals[name][2] += (
                    sum(
                        bool(audit.failed(listings[rid], profile, settings.min_overlap_minutes))
                        for rid in ids[:k]
                    )
                    * share
                )
                totals[name][3] += tier_errors([p.tier for p in order[:k]]) * share
    n = len(labels)
    return [
        Scores(name, nd / n, rc / n, round(v), round(t), tuple(per_profile[name]))
        for name, (nd, rc, v, t) in totals.items()
    ]


def paired_bootstrap(first: Scores, second: Scores, rounds: int = 5000, seed: int = 7) -> tuple[float, float]:
    """95% interval of mean nDCG(first) − nDCG(second), resampling profiles with replacement."""
    rng = random.Random(seed)
    diffs = [a - b for a, b in zip(first.per_profile_ndcg, second.per_profile_ndcg, strict=True)]
    means = sorted(sum(rng.choice(diffs) for _ in diffs) / len(diffs) for _ in range(rounds))
    return means[int(0.025 * rounds)], means[int(0.975 * rounds) - 1]


def markdown_table(scores: list[Scores], k: int = 5) -> str:
    """The results as a Markdown table."""
    lines = [
        f"| variant | nDCG@{k} | recall@{k} | hard-constraint violations | tier-order errors |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {s.variant} | {s.ndcg:.3f} | {s.recall:.3f} | {s.violations} | {s.tier_errors} |" for s in scores
    ]
    return "\n".join(lines)
