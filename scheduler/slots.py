"""Buffer-style posting slots: the next free time a channel likes to post at."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.config import WEEKDAYS, Slot
from scheduler.errors import WhenError
from scheduler.when import resolve_local

HORIZON_DAYS = 366


def slot_times(
    slots: Sequence[Slot], tz: ZoneInfo, *, after: datetime, horizon_days: int = HORIZON_DAYS
) -> Iterator[datetime]:
    """Every slot instant strictly after `after`, in order, as UTC.

    A slot time the clocks skip on a DST day is skipped too; one they repeat is taken
    at its first occurrence.
    """
    start = after.astimezone(tz).date()
    for offset in range(horizon_days + 1):
        day = start + timedelta(days=offset)
        weekday = WEEKDAYS[day.weekday()]
        for at in sorted({t for s in slots if weekday in s.days for t in s.times}):
            try:
                instant = resolve_local(datetime.combine(day, at), tz, fold=None)
            except WhenError:
                instant = _first_or_none(datetime.combine(day, at), tz)
                if instant is None:
                    continue
            if instant > after:
                yield instant


def next_free_slot(
    slots: Sequence[Slot], tz: ZoneInfo, *, after: datetime, taken: Collection[datetime]
) -> datetime | None:
    """The first slot after `after` that no live post of the channel already uses."""
    for instant in slot_times(slots, tz, after=after):
        if instant not in taken:
            return instant
    return None


def _first_or_none(local: datetime, tz: ZoneInfo) -> datetime | None:
    """The first of two instants for a repeated time; None for a skipped one."""
    earlier = resolve_local(local, tz, fold="earlier")
    exists = earlier.astimezone(tz).replace(tzinfo=None) == local
    return earlier if exists else None
