"""A constructed history around fiscal year 2025 (2025-04-01 to 2026-03-31, Japan time) for the KPI tests.

Every timestamp is written with its offset. Several sit on the year's edges: 2025-03-31T15:30Z is
2025-04-01 00:30 in Japan (FY2025) and 2026-03-31T15:30Z is 2026-04-01 00:30 (FY2026), so counting in UTC
would put them in the other year. The expected figures are worked out by hand in test_kpi.py.

Listings (programme null = a 参加支援 listing):
  r1  参加支援  created 2024-06-01            active  確認日 2025-06-01
  r2  shuro_b   created 2024-06-01            active  確認日 2024-12-01
  r3  参加支援  created 2025-03-31T15:30Z     active  確認日 2026-01-15   (2025-04-01 JST: new in FY2025)
  r4  参加支援  created 2026-03-31T15:30Z     active  確認日 2026-04-02   (2026-04-01 JST: new in FY2026)
  r5  参加支援  created 2025-09-10            paused  no 確認日
  r6  kaigo_yobo created 2025-10-05           active  no 確認日
  r7  参加支援  created 2026-03-31T14:30Z     closed  no 確認日        (2026-03-31 23:30 JST: FY2025)

Profiles (created): pA 2025-03-19T16:00Z (= 2025-03-20 01:00 JST), pB 2025-04-10, pC 2025-05-01,
pD 2025-01-10, pE 2025-06-01, pF 2026-03-01, pG 2024-04-01.

Placements (JST unless marked Z):
  P1 pA→r1 active    confirmed 2025-03-25, trial 2025-04-05, started 2025-04-20
  P2 pB→r2 ended     confirmed 2025-04-15, started 2025-05-10, ended 2025-12-20
  P3 pC→r3 ended     confirmed 2025-05-05, trial 2025-05-20, ended 2025-06-10 (never started)
  P4 pD→r1 ended     confirmed 2024-11-01, started 2024-12-01, ended 2025-03-31T14:00Z (23:00 JST, FY2024)
  P5 pD→r2 referred  confirmed 2025-03-31T15:30Z (2025-04-01 JST)
  P6 pE→r5 CANCELLED confirmed 2025-06-05, trial 2025-06-06, started 2025-06-07, ended 2025-06-08
                     (the workflow cancels only before 見学; the row is extreme so that counting it would show)
  P7 pF→r6 active    confirmed 2026-03-20, trial 2026-03-31T14:30Z (23:30 JST), started 2026-03-31T15:30Z
  P8 pG→r6 ended     confirmed 2024-05-01, started 2024-05-15, ended 2025-02-01

Follow-ups (month, still taking part, recorded):
  P1 1 yes 2025-05-20 · P1 3 yes 2025-07-22 · P1 6 yes 2025-10-21
  P2 3 no  2025-08-12 · P2 6 yes 2025-11-10
  P4 3 yes 2025-03-31T15:30Z (2025-04-01 JST)
  P6 6 no  2025-12-01 (cancelled placement) · P8 6 no 2024-11-15
"""

import psycopg

PREFIX = "kpi-"  # ids do not clash with the demo data's r01…, p01…

LISTINGS = [
    # id, programme, created_at, status, assured_at
    ("r1", None, "2024-06-01 10:00+09", "active", "2025-06-01"),
    ("r2", "shuro_b", "2024-06-01 10:00+09", "active", "2024-12-01"),
    ("r3", None, "2025-03-31 15:30Z", "active", "2026-01-15"),
    ("r4", None, "2026-03-31 15:30Z", "active", "2026-04-02"),
    ("r5", None, "2025-09-10 10:00+09", "paused", None),
    ("r6", "kaigo_yobo", "2025-10-05 10:00+09", "active", None),
    ("r7", None, "2026-03-31 14:30Z", "closed", None),
]
PROFILES = [
    ("pA", "2025-03-19 16:00Z"),
    ("pB", "2025-04-10 10:00+09"),
    ("pC", "2025-05-01 09:00+09"),
    ("pD", "2025-01-10 10:00+09"),
    ("pE", "2025-06-01 10:00+09"),
    ("pF", "2026-03-01 10:00+09"),
    ("pG", "2024-04-01 10:00+09"),
]
PLACEMENTS = [
    # name, profile, listing, status, end_reason, confirmed, trial, started, ended
    (
        "P1",
        "pA",
        "r1",
        "active",
        None,
        "2025-03-25 10:00+09",
        "2025-04-05 10:00+09",
        "2025-04-20 10:00+09",
        None,
    ),
    (
        "P2",
        "pB",
        "r2",
        "ended",
        "completed",
        "2025-04-15 10:00+09",
        None,
        "2025-05-10 10:00+09",
        "2025-12-20 10:00+09",
    ),
    (
        "P3",
        "pC",
        "r3",
        "ended",
        "dropped_out",
        "2025-05-05 10:00+09",
        "2025-05-20 10:00+09",
        None,
        "2025-06-10 10:00+09",
    ),
    (
        "P4",
        "pD",
        "r1",
        "ended",
        "completed",
        "2024-11-01 10:00+09",
        None,
        "2024-12-01 10:00+09",
        "2025-03-31 14:00Z",
    ),
    ("P5", "pD", "r2", "referred", None, "2025-03-31 15:30Z", None, None, None),
    (
        "P6",
        "pE",
        "r5",
        "cancelled",
        None,
        "2025-06-05 10:00+09",
        "2025-06-06 10:00+09",
        "2025-06-07 10:00+09",
        "2025-06-08 10:00+09",
    ),
    ("P7", "pF", "r6", "active", None, "2026-03-20 10:00+09", "2026-03-31 14:30Z", "2026-03-31 15:30Z", None),
    (
        "P8",
        "pG",
        "r6",
        "ended",
        "completed",
        "2024-05-01 10:00+09",
        None,
        "2024-05-15 10:00+09",
        "2025-02-01 10:00+09",
    ),
]
FOLLOWUPS = [
    # placement, month, still taking part, recorded
    ("P1", 1, True, "2025-05-20 10:00+09"),
    ("P1", 3, True, "2025-07-22 10:00+09"),
    ("P1", 6, True, "2025-10-21 10:00+09"),
    ("P2", 3, False, "2025-08-12 10:00+09"),
    ("P2", 6, True, "2025-11-10 10:00+09"),
    ("P4", 3, True, "2025-03-31 15:30Z"),
    ("P6", 6, False, "2025-12-01 10:00+09"),
    ("P8", 6, False, "2024-11-15 10:00+09"),
]


def build_history(conn: psycopg.Connection) -> None:
    """Writes the history above (ids prefixed with `kpi-`) and commits it."""
    for name, programme, created, status, assured in LISTINGS:
        conn.execute(
            "insert into resource (id, name, kind, programme, area, contact_level, physical_load, reward,"
            " status, assured_at, created_at) values (%s, %s, 'other', %s, '中央圏域', 1, 1, 'none', %s, %s, %s)",
            [PREFIX + name, f"実績テスト {name}", programme, status, assured, created],
        )
    for name, created in PROFILES:
        conn.execute(
            "insert into needs_profile (id, age_band, area, lat, lon, max_travel_km, contact_tolerance,"
            " physical_capacity, stage, created_at) values (%s, '30-39', '中央圏域', 35.47, 133.05, 10, 2, 2, 2, %s)",
            [PREFIX + name, created],
        )
    ids: dict[str, int] = {}
    for name, profile, listing, status, end_reason, confirmed, trial, started, ended in PLACEMENTS:
        row = conn.execute(
            "insert into placement (profile_id, resource_id, status, tier, end_reason, confirmed_at,"
            " trial_at, started_at, ended_at) values (%s, %s, %s, 2, %s, %s, %s, %s, %s) returning id",
            [PREFIX + profile, PREFIX + listing, status, end_reason, confirmed, trial, started, ended],
        ).fetchone()
        assert row is not None
        ids[name] = row[0]
    for placement, month, still, recorded in FOLLOWUPS:
        conn.execute(
            "insert into followup (placement_id, month, still_participating, recorded_at) values (%s, %s, %s, %s)",
            [ids[placement], month, still, recorded],
        )
    conn.commit()
