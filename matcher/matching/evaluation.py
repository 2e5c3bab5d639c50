"""Matching quality on a labelled set: nDCG@k, recall@k, constraint violations and tier-order errors
for the combined score and for each part alone."""

import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import psycopg

from matcher import embedding
from matcher.config import ScoreWeights, Settings
from matcher.matching import oracle
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
                        bool(oracle.failed(listings[rid], profile, settings.min_overlap_minutes))
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
    return bootstrap_interval(
        [a - b for a, b in zip(first.per_profile_ndcg, second.per_profile_ndcg, strict=True)], rounds, seed
    )


def bootstrap_interval(values: Sequence[float], rounds: int = 5000, seed: int = 7) -> tuple[float, float]:
    """95% interval of the mean of values, resampling them with replacement."""
    rng = np.random.default_rng(seed)
    data = np.asarray(values, dtype=float)
    means = np.sort(data[rng.integers(0, len(data), (rounds, len(data)))].mean(axis=1))
    return float(means[int(0.025 * rounds)]), float(means[int(0.975 * rounds) - 1])


# --- choosing weights by evidence -------------------------------------------------------------------

PARTS = tuple(ScoreWeights.model_fields)


@dataclass(frozen=True)
class Case:
    """One labelled profile's feasible listings: ids, tiers, the parts of each fit, and the grades."""

    profile_id: str
    ids: tuple[str, ...]
    tiers: np.ndarray
    parts: np.ndarray  # one row per listing, one column per name in `columns`
    columns: tuple[str, ...]
    grades: dict[str, int]
    dense: np.ndarray  # raw cosine similarity of each listing


def collect(
    conn: psycopg.Connection,
    settings: Settings,
    labels: list[Labelled],
    *,
    today: date,
    extra: dict[str, Callable[[str, list[str]], dict[str, float]]] | None = None,
) -> list[Case]:
    """Each labelled profile's feasible listings with every part of the fit (and any extra signal)."""
    spec = embedding.EmbeddingSpec.from_settings(settings)
    index = lexical_index(conn)
    cases = []
    for label in labels:
        profile = get_profile(conn, profile_id=label.profile_id)
        assert profile is not None, label.profile_id
        rows = candidates(conn, profile, model=spec.key, min_overlap=settings.min_overlap_minutes)
        proposals = sorted(
            rank(profile, rows, index, settings, today).proposals, key=lambda p: p.candidate.id
        )
        ids = [p.candidate.id for p in proposals]
        query = f"{profile.interests}\n{profile.narrative}"
        signals = {name: signal(query, ids) for name, signal in (extra or {}).items()}
        columns = (*PARTS, *signals)
        matrix = np.array(
            [[p.parts[c] for c in PARTS] + [signals[c][p.candidate.id] for c in signals] for p in proposals],
            dtype=float,
        ).reshape(len(proposals), len(columns))
        cases.append(
            Case(
                label.profile_id,
                tuple(ids),
                np.array([p.tier for p in proposals]),
                matrix,
                columns,
                label.grades,
                np.array([p.candidate.dense or 0.0 for p in proposals]),
            )
        )
    return cases


def case_ndcg(case: Case, weights: dict[str, float], k: int = 5) -> float:
    """nDCG@k of the order the weights give: tier first, then the weighted parts, then the id."""
    w = np.array([weights.get(c, 0.0) for c in case.columns])
    score = case.parts @ w
    order = sorted(range(len(case.ids)), key=lambda i: (case.tiers[i], -score[i], case.ids[i]))
    return ndcg([case.ids[i] for i in order], case.grades, k)


def mean_ndcg(cases: Sequence[Case], weights: dict[str, float], k: int = 5) -> float:
    """Mean nDCG@k over the cases."""
    return float(np.mean([case_ndcg(c, weights, k) for c in cases])) if cases else 0.0


def random_ndcg(case: Case, k: int = 5, shuffles: int = 200, seed: int = 11) -> float:
    """Expected nDCG@k of a random order of the feasible listings (tiers ignored)."""
    rng = np.random.default_rng(seed)
    ids = list(case.ids)
    return float(
        np.mean([ndcg([ids[i] for i in rng.permutation(len(ids))], case.grades, k) for _ in range(shuffles)])
    )


def fit_weights(
    cases: Sequence[Case], columns: Sequence[str], *, samples: int = 1500, seed: int = 3, k: int = 5
) -> dict[str, float]:
    """The weights (summing to 1, over `columns`) with the best mean nDCG@k on the cases.

    A random search over the simplex, then a few rounds of moving weight between pairs of parts.
    Ties go to the more even weights (the sample nearest the centre), which generalise better.
    """
    rng = np.random.default_rng(seed)
    names = list(columns)
    centre = np.full(len(names), 1 / len(names))
    trials = np.vstack([centre, rng.dirichlet(np.ones(len(names)), samples)])

    def value(w: np.ndarray) -> tuple[float, float]:
        return mean_ndcg(cases, dict(zip(names, w, strict=True)), k), -float(np.abs(w - centre).sum())

    best = max(trials, key=value)
    best_value = value(best)
    for step in (0.1, 0.05, 0.02):
        improved = True
        while improved:
            improved = False
            for i in range(len(names)):
                for j in range(len(names)):
                    if i == j or best[j] < step:
                        continue
                    trial = best.copy()
                    trial[i] += step
                    trial[j] -= step
                    trial_value = value(trial)
                    if trial_value > best_value:
                        best, best_value, improved = trial, trial_value, True
    return {name: round(float(v), 3) for name, v in zip(names, best, strict=True)}


def cross_validate(
    cases: Sequence[Case], columns: Sequence[str], *, folds: int = 5, seed: int = 5, k: int = 5
) -> list[float]:
    """Per-profile nDCG@k when each fold's weights are fitted on the other folds only (profile order kept)."""
    rng = np.random.default_rng(seed)
    assignment = rng.permutation(len(cases)) % folds
    result = [0.0] * len(cases)
    for fold in range(folds):
        train = [c for c, f in zip(cases, assignment, strict=True) if f != fold]
        weights = fit_weights(train, columns, k=k)
        for n, (case, f) in enumerate(zip(cases, assignment, strict=True)):
            if f == fold:
                result[n] = case_ndcg(case, weights, k)
    return result


def bagged_weights(
    cases: Sequence[Case], columns: Sequence[str], *, folds: int = 5, seed: int = 5, k: int = 5
) -> dict[str, float]:
    """The mean of the weights fitted on each cross-validation training split (steadier than one fit)."""
    rng = np.random.default_rng(seed)
    assignment = rng.permutation(len(cases)) % folds
    fits = [
        fit_weights([c for c, f in zip(cases, assignment, strict=True) if f != fold], columns, k=k)
        for fold in range(folds)
    ]
    return {name: round(float(np.mean([w[name] for w in fits])), 3) for name in columns}


def fit_label_cuts(cases: Sequence[Case], weights: dict[str, float]) -> tuple[float, float]:
    """Fit scores above which most pairs are graded excellent (◎) and good or better (○)."""
    scores, grades = [], []
    for case in cases:
        w = np.array([weights.get(c, 0.0) for c in case.columns])
        total = sum(weights.get(c, 0.0) for c in case.columns) or 1.0
        scores += list(case.parts @ w / total)
        grades += [case.grades.get(i, 0) for i in case.ids]
    s, g = np.array(scores), np.array(grades)

    def cut(good: np.ndarray) -> float:
        order = np.argsort(-s)
        share = np.cumsum(good[order]) / np.arange(1, len(order) + 1)
        ok = np.nonzero(share >= 0.5)[0]
        return float(s[order][ok.max()]) if len(ok) else 1.0

    return cut(g >= 3), cut(g >= 2)


@dataclass(frozen=True)
class Calibration:
    """A model's cosine scale measured on labelled pairs (see matcher.matching.calibration)."""

    floor: float
    ceiling: float
    reason: float
    precision_at_reason: float


# The engine before issue 11: all-MiniLM-L6-v2, character 2–3-gram TF-IDF and these weights.
OLD_WEIGHTS = {
    "dense": 0.30,
    "chars": 0.25,
    "schedule": 0.15,
    "distance": 0.10,
    "reward": 0.05,
    "stage": 0.10,
    "freshness": 0.05,
}


def char_ngram_signal(conn: psycopg.Connection) -> Callable[[str, list[str]], dict[str, float]]:
    """The former lexical part (character 2–3-gram TF-IDF cosine), kept here to measure against."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from matcher.matching.lexical import normalise

    texts = {rid: f"{name}。{description}" for rid, name, description in conn.execute(SQL_TEXTS)}
    ids = list(texts)
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True, preprocessor=normalise
    )
    matrix = vectorizer.fit_transform([texts[i] for i in ids])
    row = {rid: n for n, rid in enumerate(ids)}

    def signal(query: str, resource_ids: list[str]) -> dict[str, float]:
        if not resource_ids:
            return {}
        values = (matrix[[row[r] for r in resource_ids]] @ vectorizer.transform([query]).T).toarray().ravel()
        return {rid: float(v) for rid, v in zip(resource_ids, values, strict=True)}

    return signal


SQL_TEXTS = "select id, name, description from resource"


def raw_dense(cases: Sequence[Case]) -> list[Case]:
    """The cases with the dense part as the raw cosine (as the old engine scored it)."""
    from dataclasses import replace

    out = []
    for case in cases:
        parts = case.parts.copy()
        parts[:, case.columns.index("dense")] = np.maximum(0.0, case.dense)
        out.append(replace(case, parts=parts))
    return out


def calibrate(cases: Sequence[Case], *, precision: float = 0.5) -> Calibration:
    """floor/ceiling: 5th/99th percentile of every feasible pair's cosine; reason: the least cosine above
    which at least `precision` of the pairs are graded relevant (good or better)."""
    cosines = np.concatenate([c.dense for c in cases])
    relevant = np.concatenate([[c.grades.get(i, 0) >= 2 for i in c.ids] for c in cases])
    order = np.argsort(-cosines)
    hits = np.cumsum(relevant[order]) / np.arange(1, len(order) + 1)
    ok = np.nonzero(hits >= precision)[0]
    cut = int(ok.max()) if len(ok) else 0
    return Calibration(
        float(np.percentile(cosines, 5)),
        float(np.percentile(cosines, 99)),
        float(cosines[order][cut]),
        float(hits[cut]),
    )


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
