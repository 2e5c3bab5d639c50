"""Dates that mean something: back-dated steps need a reason and never go into the future or before the
previous step; a planned 見学 date the host sees; the person's つながり rating at the start and after."""

from datetime import date, timedelta
from functools import partial

import psycopg
import pytest

from matcher.config import Settings
from matcher.core.vocabulary import Consent
from matcher.placements.referrals import referrals_for_host
from matcher.placements.service import (
    PlacementError,
    advance,
    confirm,
    followups_of,
    plan_trial,
    record_followup,
)
from matcher.profiles.service import set_consent

TODAY = date.today()


def referred(conn: psycopg.Connection, settings: Settings) -> int:
    set_consent(conn, profile_id="p02", consent=Consent.full, consent_date=TODAY, actor="c1")
    placement = confirm(conn, settings, profile_id="p02", resource_id="r02", actor="c1")
    conn.execute(
        "update placement set confirmed_at = now() - interval '10 days' where id = %s", [placement.id]
    )
    advance(
        conn,
        placement_id=placement.id,
        action="refer",
        actor="c1",
        on=TODAY - timedelta(days=9),
        dated_reason="紙で紹介済み",
    )
    return placement.id


def test_a_step_may_be_back_dated_with_a_reason_but_not_into_the_future_or_before_the_last_step(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    pid = referred(seeded_conn, seeded_settings)
    trial_on = partial(
        advance, seeded_conn, placement_id=pid, action="trial", actor="c1", override_reason="電話で調整済み"
    )
    with pytest.raises(PlacementError, match="理由を入れてください"):
        trial_on(on=TODAY - timedelta(days=2))
    with pytest.raises(PlacementError, match="未来の日付"):
        trial_on(on=TODAY + timedelta(days=1))
    with pytest.raises(PlacementError, match="より前の日付にはできません"):
        trial_on(on=TODAY - timedelta(days=20), dated_reason="記録漏れ")
    placement = trial_on(on=TODAY - timedelta(days=2), dated_reason="記録漏れ")
    assert placement.trial_at is not None and placement.trial_at.astimezone().date() == TODAY - timedelta(
        days=2
    )
    assert placement.dated_reason == "記録漏れ"
    assert placement.answer_due == TODAY - timedelta(days=9) + timedelta(
        days=7
    )  # from the day it was referred


def test_a_planned_trial_date_is_today_or_later_and_the_host_sees_it(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    pid = referred(seeded_conn, seeded_settings)
    with pytest.raises(PlacementError, match="今日以降"):
        plan_trial(seeded_conn, placement_id=pid, on=TODAY - timedelta(days=1), actor="c1")
    plan_trial(seeded_conn, placement_id=pid, on=TODAY + timedelta(days=5), actor="c1")
    (shown,) = referrals_for_host(seeded_conn, resource_ids=["r02"], actor="h1")
    assert shown.trial_planned_on == TODAY + timedelta(days=5)
    advance(seeded_conn, placement_id=pid, action="activate", actor="c1", override_reason="電話で調整済み")
    with pytest.raises(PlacementError, match="見学の予定を入れられません"):
        plan_trial(seeded_conn, placement_id=pid, on=TODAY + timedelta(days=6), actor="c1")


def test_wellbeing_is_recorded_at_the_start_and_at_each_follow_up(
    seeded_conn: psycopg.Connection, seeded_settings: Settings
) -> None:
    pid = referred(seeded_conn, seeded_settings)
    with pytest.raises(PlacementError, match="1〜5"):
        advance(
            seeded_conn, placement_id=pid, action="activate", actor="c1", override_reason="電話", wellbeing=6
        )
    placement = advance(
        seeded_conn, placement_id=pid, action="activate", actor="c1", override_reason="電話", wellbeing=2
    )
    assert placement.wellbeing_start == 2
    seeded_conn.execute("update placement set started_at = now() - interval '32 days' where id = %s", [pid])
    record_followup(
        seeded_conn,
        placement_id=pid,
        month=1,
        still_participating=True,
        frequency="",
        rating=None,
        note="",
        actor="c1",
        wellbeing=4,
    )
    assert [f.wellbeing for f in followups_of(seeded_conn, profile_id="p02")] == [4]
