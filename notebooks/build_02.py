"""Writes notebooks/02-gaps-and-outcomes.ipynb (outputs stripped); run it after editing the cells."""

import nbformat
from build_common import notebook, write
from nbformat.v4 import new_code_cell, new_markdown_cell

CELLS = [
    new_markdown_cell(
        """# 02 社会資源の不足と定着 / Gaps and outcomes

On the demo municipality with a simulated history (placements over eight months, their 1/3/6-month
follow-ups, and coordinators' decisions), this notebook runs the weekly batch and plots:

1. people without a good proposal, by area (the gap report; groups under three people are hidden);
2. placements by tier (既存事業 / 参加支援);
3. follow-up outcomes over time (still taking part at 1, 3 and 6 months, by month of start);
4. the learning loop on simulated decisions: a learning curve, and the held-out comparison that
   decided whether the learned weights were adopted.

The history is simulated (marked as such below); the code that reads it is the product's own."""
    ),
    new_code_cell(
        """import os
import random
import tempfile
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

if not os.environ.get("MATCHER_DATABASE_URL") and not os.environ.get("MATCHER_DATA_DIR"):
    os.environ["MATCHER_DATA_DIR"] = tempfile.mkdtemp(prefix="matcher-notebook-")

import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from psycopg.types.json import Jsonb

from matcher import db, embedding
from matcher.batch import learning
from matcher.batch.weekly import run_batch
from matcher.config import Settings
from matcher.matching.propose import propose_top
from matcher.placements.service import advance, confirm, record_followup
from matcher.seed import load_seeds

import matplotlib.font_manager as font_manager

CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")  # Debian's fonts-noto-cjk
if CJK.exists():
    font_manager.fontManager.addfont(str(CJK))
    plt.rcParams["font.family"] = font_manager.FontProperties(fname=str(CJK)).get_name()
settings = Settings()
ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
conn = db.open_connection(settings)
load_seeds(conn, ROOT / "seeds")
embedding.sync(conn, embedding.EmbeddingSpec.from_settings(settings))
conn.execute("update needs_profile set consent = 'full'")
conn.commit()
rng = random.Random(20261127)"""
    ),
    new_markdown_cell("## A simulated history: placements over eight months, with their follow-ups"),
    new_code_cell(
        """now = datetime(2026, 11, 27, 10, 0)
placed = []
for profile_id in [r[0] for r in conn.execute("select id from needs_profile where status = 'open' order by id")]:
    proposals = propose_top(conn, settings, profile_id=profile_id, top=0).proposals
    if not proposals:
        continue
    choice = proposals[0]
    gap = None if choice.tier == 1 else "本人の希望（シミュレーション）"
    placement = confirm(conn, settings, profile_id=profile_id, resource_id=choice.candidate.id, actor="sim", gap_reason=gap)
    placement = advance(conn, placement_id=placement.id, action="refer", actor="sim")
    placement = advance(conn, placement_id=placement.id, action="activate", actor="sim", override_reason="シミュレーション")
    started = now - timedelta(days=rng.randint(30, 240))
    conn.execute("update placement set confirmed_at = %s, started_at = %s where id = %s",
                 [started - timedelta(days=14), started, placement.id])
    stays = rng.random() < (0.8 if choice.tier == 1 else 0.7)
    for month in (1, 3, 6):
        if started + timedelta(days=30 * month) <= now:
            still = stays or (month == 1 and rng.random() < 0.5)
            record_followup(conn, placement_id=placement.id, month=month, still_participating=still,
                            frequency="週2回" if still else "", rating=rng.randint(3, 5) if still else rng.randint(1, 3),
                            note="シミュレーション", actor="sim")
    placed.append((profile_id, choice.tier, started))
conn.commit()
print(len(placed), "simulated placements")"""
    ),
    new_markdown_cell("## The weekly batch, and people without a good proposal by area"),
    new_code_cell(
        """conn.execute("update placement set status = 'ended', end_reason = 'completed', reserved = false"
             " where confirmed_by = 'sim' and started_at < now() - interval '200 days'")
conn.execute("update needs_profile set status = 'open'")
conn.commit()
result = run_batch(conn, settings, week="2026-W48")
by_area = Counter()
for gap in result.gaps:
    by_area[gap.area] += gap.size
shown = {area: n for area, n in by_area.items() if n >= 3}
print(f"{result.stats['proposals']} proposals to {result.stats['profiles']} people; "
      f"{result.stats['unassigned']} without one; areas shown: {shown}")
fig, ax = plt.subplots(figsize=(7, 3))
ax.bar(list(shown), list(shown.values()), color="#1f6f8b")
ax.set_ylabel("people")
ax.set_title("Gaps by area (groups under 3 hidden)")
fig.tight_layout()
display(fig)
plt.close(fig)
display(Markdown("\\n".join(f"- {g.area}: {g.size}人「{g.label}」（{g.top_constraint}）" for g in result.gaps if g.shown)))"""
    ),
    new_markdown_cell("## Placements by tier"),
    new_code_cell(
        """tiers = Counter(tier for _pid, tier, _started in placed)
fig, ax = plt.subplots(figsize=(5, 3))
ax.bar(["tier 1 既存事業", "tier 2 参加支援"], [tiers[1], tiers[2]], color=["#1a56b0", "#c07a00"])
ax.set_ylabel("placements")
fig.tight_layout()
display(fig)
plt.close(fig)
print(dict(tiers))"""
    ),
    new_markdown_cell("## Follow-up outcomes over time (still taking part, by month of start)"),
    new_code_cell(
        """rows = conn.execute(
    "select to_char(pl.started_at, 'YYYY-MM'), f.month, avg(f.still_participating::int), count(*)"
    " from followup f join placement pl on pl.id = f.placement_id group by 1, 2 order by 1, 2"
).fetchall()
series = defaultdict(dict)
for start_month, month, share, n in rows:
    series[month][start_month] = float(share)
fig, ax = plt.subplots(figsize=(8, 3.2))
for month in (1, 3, 6):
    points = sorted(series[month].items())
    ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=f"{month} month(s)")
ax.set_ylim(0, 1.05)
ax.set_ylabel("still taking part")
ax.legend()
fig.autofmt_xdate()
fig.tight_layout()
display(fig)
plt.close(fig)"""
    ),
    new_markdown_cell(
        """## The learning loop on simulated decisions

Simulated coordinators who, unknown to the software, prefer nearby places whose days fit the
person's week (distance and schedule), decide on proposals over time. The learning curve trains on
the first *n* decisions and measures, on the same later 30%, how well the learned weights rank them
(AUC) against the default weights. `learning.learn` then makes the real decision on all of them."""
    ),
    new_code_cell(
        """truth = {"distance": 1.0, "schedule": 0.6}
start = datetime(2026, 1, 5, 9, 0)
profiles = [r[0] for r in conn.execute("select id from needs_profile order by id")]
listings = [r[0] for r in conn.execute("select id from resource where source = 'seed' order by id")]
pairs = rng.sample([(p, r) for p in profiles for r in listings], 400)
for n, (profile_id, resource_id) in enumerate(pairs):
    parts = {p: rng.random() for p in learning.PARTS}
    utility = sum(truth.get(p, 0) * v for p, v in parts.items()) + rng.gauss(0, 0.05)
    conn.execute("insert into rejection (profile_id, resource_id, reason, rejected_at, features)"
                 " values (%s, %s, 'シミュレーション', %s, %s) on conflict do nothing",
                 [profile_id, resource_id, start + timedelta(hours=n), Jsonb(parts)])
    if utility > 0.8:  # a confirmation: turn the row into a placement-like positive decision
        conn.execute("delete from rejection where profile_id = %s and resource_id = %s", [profile_id, resource_id])
        conn.execute("insert into placement (profile_id, resource_id, tier, status, confirmed_at, features)"
                     " values (%s, %s, 2, 'cancelled', %s, %s)", [profile_id, resource_id, start + timedelta(hours=n), Jsonb(parts)])
conn.commit()
decisions = learning.decisions(conn)
held = decisions[int(len(decisions) * 0.7):]
x_held, y_held, _ = learning._matrix(held)
sizes = [20, 40, 80, 120, 160, 200, 240, int(len(decisions) * 0.7)]
curve = [(n, learning._auc(learning.fit_weights(decisions[:n]), x_held, y_held)) for n in sizes]
default_auc = learning._auc(learning.ScoreWeights(), x_held, y_held)
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot([n for n, _ in curve], [a for _, a in curve], marker="o", label="learned weights")
ax.axhline(default_auc, color="grey", linestyle="--", label="default weights")
ax.set_xlabel("decisions used for training")
ax.set_ylabel("AUC on the later 30%")
ax.legend()
fig.tight_layout()
display(fig)
plt.close(fig)
outcome = learning.learn(conn, settings)
display(Markdown(f"**{outcome.note}** — training size {outcome.training_size}, held-out {outcome.metrics['held_out']}; "
                 f"AUC default {outcome.metrics['auc_current']:.3f} → learned {outcome.metrics['auc_new']:.3f}; "
                 f"adopted: {outcome.adopted}"))
print({k: round(v, 3) for k, v in outcome.weights.as_dict().items()})"""
    ),
]


def build() -> nbformat.NotebookNode:
    """The notebook, outputs empty."""
    return notebook(CELLS)


if __name__ == "__main__":
    write(build(), "02-gaps-and-outcomes.ipynb")
