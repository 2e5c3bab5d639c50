"""Weekly time slots ({day, start, end}) shared by listings and profiles."""

import json
import re
from collections.abc import Sequence
from typing import Annotated, Any, NamedTuple, Protocol, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from matcher.core.vocabulary import LABELS, Day

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
_SLOT_TEXT = re.compile(r"^\s*(\w+)\s+(\d{1,2}:\d{2})\s*[-–〜~]\s*(\d{1,2}:\d{2})\s*$")
DAY_ORDER = [d.value for d in Day]
_JA_DAYS = {v: k for k, v in LABELS[Day].items()}


class Slot(NamedTuple):
    """A weekly slot read back from the database (already validated): cheap to build in bulk."""

    day: str
    start: str
    end: str


class SlotLike(Protocol):
    """Anything with a day and a start and end time."""

    @property
    def day(self) -> str: ...
    @property
    def start(self) -> str: ...
    @property
    def end(self) -> str: ...


S = TypeVar("S", bound=SlotLike)


def _check_time(value: Any) -> str:
    text = str(value).strip()
    if len(text) == 4 and text[1] == ":":
        text = "0" + text
    if not _TIME.match(text):
        raise ValueError(f"時刻は HH:MM で書いてください（{value!r}）")
    return text


Clock = Annotated[
    str,
    BeforeValidator(_check_time),
    Field(
        description="時刻 HH:MM（00:00〜24:00）",
        json_schema_extra={"pattern": r"^(?:(?:[01]?\d|2[0-3]):[0-5]\d|24:00)$"},
    ),
]


def minutes(clock: str) -> int:
    """Minutes since midnight of an HH:MM time."""
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


class TimeSlot(BaseModel):
    """One weekly slot: a day and a start and end time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    day: Day
    start: Clock
    end: Clock

    @model_validator(mode="after")
    def _start_before_end(self) -> "TimeSlot":
        if minutes(self.start) >= minutes(self.end):
            raise ValueError(f"開始（{self.start}）は終了（{self.end}）より前にしてください")
        return self

    def label(self) -> str:
        """Japanese text such as 「火 9:00–12:00」."""
        return f"{LABELS[Day][self.day]} {_short(self.start)}–{_short(self.end)}"


def _short(clock: str) -> str:
    return clock[1:] if clock.startswith("0") else clock


def parse_slots(value: Any) -> Any:
    """Accepts the CSV form 'mon 09:00-12:00; wed 13:00-15:00' (or 月 9:00-12:00) besides a list."""
    if not isinstance(value, str):
        return value
    if value.strip().startswith("["):
        return json.loads(value)
    slots = []
    for part in filter(None, (p.strip() for p in re.split(r"[;；、]", value))):
        match = _SLOT_TEXT.match(part)
        if not match:
            raise ValueError(f"「{part}」は「mon 09:00-12:00」の形ではありません")
        day = _JA_DAYS.get(match[1].rstrip("曜日"), match[1].lower())
        slots.append({"day": day, "start": match[2], "end": match[3]})
    return slots


def slots_text(slots: list[TimeSlot]) -> str:
    """The CSV form of a list of slots."""
    return "; ".join(f"{s.day} {s.start}-{s.end}" for s in slots)


def sort_slots(slots: Sequence[S]) -> list[S]:
    """Slots in week order."""
    return sorted(slots, key=lambda s: (DAY_ORDER.index(s.day), s.start))


def week_intervals(slots: Sequence[SlotLike]) -> list[tuple[int, int]]:
    """The minutes of the week the slots cover (Monday 00:00 = 0) as merged, disjoint, sorted
    [start, end) intervals, so that overlapping or touching slots count each minute once.

    The one interval reading of a schedule in Python: `total_minutes`, `overlap`, `merge_slots`, the
    numpy constraints and the audit all use it; the SQL `week_minutes` bit strings are the other."""
    spans = sorted(
        (DAY_ORDER.index(s.day) * 1440 + minutes(s.start), DAY_ORDER.index(s.day) * 1440 + minutes(s.end))
        for s in slots
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _intersect(first: list[tuple[int, int]], second: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The shared part of two merged interval lists (itself merged)."""
    shared: list[tuple[int, int]] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start, end = max(first[i][0], second[j][0]), min(first[i][1], second[j][1])
        if start < end:
            shared.append((start, end))
        if first[i][1] <= second[j][1]:
            i += 1
        else:
            j += 1
    return shared


def _as_slots(intervals: list[tuple[int, int]]) -> list[Slot]:
    """Week intervals as slots in week order, split at midnight (a day ends at 24:00)."""
    result = []
    for start, end in intervals:
        while start < end:
            day = start // 1440
            stop = min(end, (day + 1) * 1440)
            result.append(Slot(DAY_ORDER[day], clock(start - day * 1440), clock(stop - day * 1440)))
            start = stop
    return result


def merge_slots(slots: Sequence[SlotLike]) -> list[Slot]:
    """The slots in week order, with overlapping or touching slots of the same day merged into one."""
    return _as_slots(week_intervals(slots))


def _merged(slots: list[TimeSlot]) -> list[TimeSlot]:
    merged = merge_slots(slots)
    if merged == [Slot(str(s.day), s.start, s.end) for s in slots]:
        return slots
    return [TimeSlot(day=Day(s.day), start=s.start, end=s.end) for s in merged]


Slots = Annotated[list[TimeSlot], BeforeValidator(parse_slots), AfterValidator(_merged)]
"""A weekly schedule: a list of slots (or their CSV form), stored in week order with overlapping or
touching slots of the same day merged."""


def overlap(first: Sequence[SlotLike], second: Sequence[SlotLike]) -> list[Slot]:
    """The days and hours both lists share, merged: in week order, one slot per contiguous span of a day
    (so that its minutes are those the SQL `overlap_minutes` counts)."""
    return _as_slots(_intersect(week_intervals(first), week_intervals(second)))


def total_minutes(slots: Sequence[SlotLike]) -> int:
    """Minutes of the week the slots cover, each minute once however many slots cover it."""
    return sum(end - start for start, end in week_intervals(slots))


def clock(total: int) -> str:
    """'09:30' for 570."""
    return f"{total // 60:02d}:{total % 60:02d}"


def compact_label(slots: Sequence[SlotLike]) -> str:
    """Japanese text grouping days with the same hours: 「火・木 9:00–12:00、土 10:00–15:00」."""
    groups: dict[tuple[str, str], list[str]] = {}
    for slot in sort_slots(slots):
        groups.setdefault((slot.start, slot.end), []).append(LABELS[Day][slot.day])
    return (
        "、".join(f"{'・'.join(days)} {_short(s)}–{_short(e)}" for (s, e), days in groups.items()) or "未登録"
    )
