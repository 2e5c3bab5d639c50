"""Learning the fit weights from coordinators' decisions and outcomes.

Every confirmation and rejection keeps the parts of the fit it was shown with. Labels: a confirmation
is 1, a rejection 0; where the 3-month follow-up is recorded it decides instead (still taking part 1,
not 0) and counts double. A logistic regression over the parts proposes new weights (negative
coefficients become 0); it replaces the current weights only when it ranks the held-out, later
decisions better (time-ordered split). Every trained version is stored with its metrics.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from matcher.config import ScoreWeights, Settings
from matcher.sql import queries

SQL = queries("learning")
PARTS = list(ScoreWeights.model_fields)
HELD_OUT = 0.3
MARGIN = 0.01


@dataclass(frozen=True)
class Decision:
    """One labelled decision: when, the parts it was shown with, and whether it was a good match."""

    at: datetime
    parts: dict[str, float]
    label: int
    weight: float


@dataclass(frozen=True)
class LearningResult:
    """What a training round found and decided."""

    adopted: bool
    version: int | None
    weights: ScoreWeights
    metrics: dict[str, float]
    training_size: int
    note: str


def decisions(conn: psycopg.Connection) -> list[Decision]:
    """Every decision with its parts, oldest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(SQL.decisions).fetchall()
    out = []
    for row in rows:
        label, weight = int(row["label"]), 1.0
        if row["outcome"] is not None:
            label, weight = int(row["outcome"]), 2.0
        out.append(Decision(row["at"], {p: float(row["features"].get(p, 0.0)) for p in PARTS}, label, weight))
    return out


def adopted_weights(conn: psycopg.Connection) -> tuple[int, ScoreWeights] | None:
    """The newest adopted model's version and weights, or None (the settings' defaults apply)."""
    row = conn.execute(SQL.adopted).fetchone()
    return (int(row[0]), ScoreWeights.model_validate(row[1])) if row else None


def model_weights(conn: psycopg.Connection, version: int) -> ScoreWeights | None:
    """The weights of one stored model version."""
    row = conn.execute(SQL.model_weights, {"version": version}).fetchone()
    return ScoreWeights.model_validate(row[0]) if row else None


def effective_settings(conn: psycopg.Connection, settings: Settings) -> Settings:
    """The settings with the adopted weights in place of the defaults."""
    adopted = adopted_weights(conn)
    return settings.model_copy(update={"weights": adopted[1]}) if adopted else settings


def _matrix(rows: list[Decision]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.array([[d.parts[p] for p in PARTS] for d in rows], dtype=float)
    return x, np.array([d.label for d in rows]), np.array([d.weight for d in rows])


def _auc(weights: ScoreWeights, x: np.ndarray, y: np.ndarray) -> float:
    if len(set(y.tolist())) < 2:
        return float("nan")
    w = np.array([weights.as_dict()[p] for p in PARTS])
    return float(roc_auc_score(y, x @ w))


def fit_weights(rows: list[Decision]) -> ScoreWeights:
    """Weights from a logistic regression on the parts (negative effects dropped, summing to 1)."""
    x, y, w = _matrix(rows)
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, y, sample_weight=w)
    coefficients = np.clip(model.coef_[0], 0, None)
    if coefficients.sum() <= 0:
        return ScoreWeights()
    coefficients = coefficients / coefficients.sum()
    return ScoreWeights(**{p: round(float(c), 4) for p, c in zip(PARTS, coefficients, strict=True)})


def evaluate(rows: list[Decision], current: ScoreWeights) -> tuple[ScoreWeights, dict[str, Any]]:
    """Trains on the earlier decisions and compares with the current weights on the later ones."""
    split = int(len(rows) * (1 - HELD_OUT))
    train, held = rows[:split], rows[split:]
    x_held, y_held, _ = _matrix(held)
    candidate = fit_weights(train)
    metrics = {
        "auc_current": _auc(current, x_held, y_held),
        "auc_new": _auc(candidate, x_held, y_held),
        "train": len(train),
        "held_out": len(held),
    }
    return candidate, metrics


def learn(conn: psycopg.Connection, settings: Settings) -> LearningResult:
    """Trains on every decision so far; stores the version; adopts it only if it beats the current weights."""
    rows = decisions(conn)
    current = effective_settings(conn, settings).weights
    if len(rows) < settings.learning_min_decisions or len({d.label for d in rows}) < 2:
        note = (
            f"判断の記録が{len(rows)}件で、学習に必要な{settings.learning_min_decisions}件に足りないため、"
            "重みは今のままです"
        )
        return LearningResult(False, None, current, {}, len(rows), note)
    candidate, metrics = evaluate(rows, current)
    better = np.isfinite(metrics["auc_new"]) and (
        not np.isfinite(metrics["auc_current"]) or metrics["auc_new"] > metrics["auc_current"] + MARGIN
    )
    final = fit_weights(rows) if better else candidate
    aucs = f"後半の判断での AUC 今 {metrics['auc_current']:.3f}・新 {metrics['auc_new']:.3f}"
    note = (
        f"新しい重みを採用しました（{aucs}）"
        if better
        else f"新しい重みは今の重みを上回らず、採用しません（{aucs}）"
    )
    with conn.transaction():
        row = conn.execute(SQL.next_version).fetchone()
        version = int(row[0]) if row else 1
        conn.execute(
            SQL.insert_model,
            {
                "version": version,
                "weights": Jsonb(final.as_dict()),
                "metrics": Jsonb(
                    {
                        k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                        for k, v in metrics.items()
                    }
                ),
                "training_size": len(rows),
                "adopted": bool(better),
                "note": note,
            },
        )
    return LearningResult(bool(better), version, final if better else current, metrics, len(rows), note)


@dataclass(frozen=True)
class StoredModel:
    """A trained model as the admin console shows it."""

    version: int
    created_at: datetime
    weights: dict[str, float]
    metrics: dict[str, Any]
    training_size: int
    adopted: bool
    note: str


def models(conn: psycopg.Connection) -> list[StoredModel]:
    """Every trained version, newest first."""
    return [StoredModel(*row) for row in conn.execute(SQL.models)]
