from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.config import WEEKDAYS, Slot
from scheduler.slots import next_free_slot, slot_times

pytestmark = pytest.mark.unit

NY = ZoneInfo("America/New_York")
WEEKDAY_SLOTS = [Slot(days=["weekdays"], times=[time(9), time(15)])]


def test_next_slot_skips_weekends_and_taken_times():
    friday_after_nine = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 10:00 EST
    first = next_free_slot(WEEKDAY_SLOTS, NY, after=friday_after_nine, taken=set())
    assert first == datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # Fri 15:00 EST
    second = next_free_slot(WEEKDAY_SLOTS, NY, after=friday_after_nine, taken={first})
    assert second == datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # Mon 09:00 EST


def test_a_slot_the_dst_change_skips_is_skipped_and_a_repeated_one_taken_once():
    spring_slots = [Slot(times=[time(2, 30)])]
    saturday_noon = datetime(2027, 3, 13, 17, tzinfo=UTC)
    spring = list(slot_times(spring_slots, NY, after=saturday_noon, horizon_days=2))
    # 02:30 on Sunday 14 March does not exist in New York
    assert [s.astimezone(NY).date().isoformat() for s in spring] == ["2027-03-15"]
    autumn_slots = [Slot(times=[time(1, 30)])]
    saturday_evening = datetime(2027, 11, 7, 0, tzinfo=UTC)
    autumn = list(slot_times(autumn_slots, NY, after=saturday_evening, horizon_days=1))
    # 01:30 on Sunday 7 November happens twice: the first (EDT) is taken, once
    assert autumn == [datetime(2027, 11, 7, 5, 30, tzinfo=UTC)]


def test_no_slots_means_none():
    assert next_free_slot([], NY, after=datetime(2026, 1, 1, tzinfo=UTC), taken=set()) is None


@given(
    after=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
    days=st.lists(st.sampled_from(WEEKDAYS), min_size=1, unique=True),
    hours=st.lists(st.integers(0, 23), min_size=1, max_size=4, unique=True),
    taken_count=st.integers(0, 5),
    zone=st.sampled_from(["America/New_York", "Europe/Prague", "Asia/Baku", "UTC"]),
)
def test_next_slot_is_a_free_slot_time_after_now_and_none_is_skipped(
    after, days, hours, taken_count, zone
):
    tz = ZoneInfo(zone)
    slots = [Slot(days=days, times=[time(h) for h in hours])]
    upcoming = list(slot_times(slots, tz, after=after, horizon_days=30))
    taken = set(upcoming[:taken_count])
    found = next_free_slot(slots, tz, after=after, taken=taken)
    assert found is not None and found > after and found not in taken
    local = found.astimezone(tz)
    assert WEEKDAYS[local.weekday()] in days and local.hour in hours and local.minute == 0
    assert all(t in taken for t in upcoming if t < found)
    assert upcoming == sorted(upcoming) and len(set(upcoming)) == len(upcoming)
    assert found - after < timedelta(days=8 + taken_count * 7)
