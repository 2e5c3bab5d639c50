"""Weekly schedules as minute intervals: each minute counted once, midnight handled (no database)."""

import pytest

from matcher.core.schedule import Slot, compact_label, merge_slots, overlap, total_minutes, week_intervals
from tests.unit.factories import slots

MON, TUE, SUN = 0, 1440, 6 * 1440
WEEK = 7 * 1440


@pytest.mark.parametrize(
    ("spec", "intervals"),
    [
        (["mon 09:00 12:00"], [(MON + 540, MON + 720)]),
        (["tue 09:00 10:00"], [(TUE + 540, TUE + 600)]),
        (["mon 00:00 24:00"], [(0, 1440)]),
        (["sun 23:00 24:00"], [(SUN + 1380, WEEK)]),
        (["mon 09:00 12:00", "mon 10:00 11:00"], [(540, 720)]),  # contained: one interval
        (["mon 09:00 10:00", "mon 10:00 12:00"], [(540, 720)]),  # touching: one interval
        (["mon 09:00 10:00", "mon 11:00 12:00"], [(540, 600), (660, 720)]),
        (["tue 09:00 10:00", "mon 09:00 10:00"], [(540, 600), (TUE + 540, TUE + 600)]),  # sorted
        (["mon 22:00 24:00", "tue 00:00 02:00"], [(MON + 1320, TUE + 120)]),  # across midnight
        ([], []),
    ],
)
def test_week_intervals(spec: list[str], intervals: list[tuple[int, int]]) -> None:
    assert week_intervals(slots(*spec)) == intervals


@pytest.mark.parametrize(
    ("spec", "minutes"),
    [
        (["mon 09:00 12:00", "mon 10:00 11:00"], 180),  # not 240: the hour inside is counted once
        (["mon 09:00 12:00", "mon 11:00 13:00"], 240),
        (["mon 09:00 12:00", "mon 09:00 12:00"], 180),
        (["mon 09:00 12:00", "tue 09:00 12:00"], 360),  # same hours, different days
        (["mon 22:00 24:00", "tue 00:00 02:00"], 240),
        (["sun 00:00 24:00"], 1440),
        ([], 0),
    ],
)
def test_total_minutes_counts_each_minute_once(spec: list[str], minutes: int) -> None:
    assert total_minutes(slots(*spec)) == minutes


def test_merge_slots_joins_overlapping_and_touching_slots_of_a_day() -> None:
    merged = merge_slots(slots("wed 13:00 15:00", "mon 10:00 11:00", "mon 09:00 10:00", "wed 14:00 16:30"))
    assert merged == [Slot("mon", "09:00", "11:00"), Slot("wed", "13:00", "16:30")]


def test_merge_slots_keeps_a_day_ending_at_midnight() -> None:
    merged = merge_slots(slots("tue 00:00 02:00", "mon 22:00 24:00"))
    assert merged == [Slot("mon", "22:00", "24:00"), Slot("tue", "00:00", "02:00")]
    assert merge_slots(slots("sun 21:00 24:00")) == [Slot("sun", "21:00", "24:00")]


def test_overlap_of_two_lists() -> None:
    listing = slots("mon 09:00 12:00", "wed 13:00 17:00")
    person = slots("mon 11:00 14:00", "wed 09:00 14:00", "fri 09:00 10:00")
    shared = overlap(listing, person)
    assert shared == [Slot("mon", "11:00", "12:00"), Slot("wed", "13:00", "14:00")]
    assert total_minutes(shared) == 120
    assert overlap(person, listing) == shared  # symmetric


def test_overlap_counts_overlapping_slots_of_one_side_once() -> None:
    # the listing's Monday is 9–12 written twice over; the person is free 10:30–13:00
    shared = overlap(slots("mon 09:00 12:00", "mon 10:00 11:00"), slots("mon 10:30 13:00"))
    assert shared == [Slot("mon", "10:30", "12:00")]
    assert total_minutes(shared) == 90


def test_overlap_across_midnight() -> None:
    shared = overlap(
        slots("mon 22:00 24:00", "tue 00:00 02:00"),
        slots("mon 23:00 24:00", "tue 00:00 01:00", "wed 09:00 10:00"),
    )
    assert shared == [Slot("mon", "23:00", "24:00"), Slot("tue", "00:00", "01:00")]
    assert total_minutes(shared) == 120


def test_slots_that_only_touch_do_not_overlap() -> None:
    assert overlap(slots("mon 09:00 12:00"), slots("mon 12:00 15:00")) == []
    assert overlap(slots("mon 22:00 24:00"), slots("tue 00:00 02:00")) == []
    assert overlap(slots("sun 22:00 24:00"), slots("mon 00:00 02:00")) == []  # the week does not wrap


def test_overlap_with_nothing() -> None:
    assert overlap(slots("mon 09:00 12:00"), []) == []
    assert overlap([], []) == []


@pytest.mark.parametrize(
    ("spec", "label"),
    [
        (["thu 09:00 12:00", "tue 09:00 12:00"], "火・木 9:00–12:00"),
        (["sat 10:00 15:00", "thu 09:00 12:00", "tue 09:00 12:00"], "火・木 9:00–12:00、土 10:00–15:00"),
        (["mon 09:30 11:00"], "月 9:30–11:00"),
        (["wed 13:00 16:30", "mon 09:00 12:00"], "月 9:00–12:00、水 13:00–16:30"),
        (["sun 21:00 24:00"], "日 21:00–24:00"),
        (["mon 00:00 08:00"], "月 0:00–8:00"),
        ([], "未登録"),
    ],
)
def test_compact_label_groups_days_with_the_same_hours(spec: list[str], label: str) -> None:
    assert compact_label(slots(*spec)) == label
