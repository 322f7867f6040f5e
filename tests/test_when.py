from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.errors import BadInput, WhenError
from scheduler.when import format_duration, parse_duration, parse_when

pytestmark = pytest.mark.unit

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def test_local_time_is_read_in_the_given_zone():
    assert parse_when("2026-11-24T09:00", now=NOW, tz=NY) == datetime(
        2026, 11, 24, 14, 0, tzinfo=UTC
    )


def test_an_offset_wins_over_the_zone():
    assert parse_when("2026-11-24T09:00+01:00", now=NOW, tz=NY) == datetime(
        2026, 11, 24, 8, 0, tzinfo=UTC
    )
    assert parse_when("2026-11-24T09:00Z", now=NOW, tz=NY).hour == 9


def test_now_and_relative():
    assert parse_when("now", now=NOW, tz=NY) == NOW
    assert parse_when("+1h30m", now=NOW, tz=NY) == NOW + timedelta(minutes=90)


def test_a_skipped_local_time_is_refused_with_the_reason():
    with pytest.raises(WhenError, match="does not exist in America/New_York"):
        parse_when("2027-03-14T02:30", now=NOW, tz=NY)


def test_a_repeated_local_time_is_refused_unless_fold_says_which():
    with pytest.raises(WhenError, match="happens twice"):
        parse_when("2027-11-07T01:30", now=NOW, tz=NY)
    earlier = parse_when("2027-11-07T01:30", now=NOW, tz=NY, fold="earlier")
    later = parse_when("2027-11-07T01:30", now=NOW, tz=NY, fold="later")
    assert later - earlier == timedelta(hours=1)
    assert earlier == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)  # 01:30 EDT


def test_fold_also_settles_a_skipped_time():
    earlier = parse_when("2027-03-14T02:30", now=NOW, tz=NY, fold="earlier")
    later = parse_when("2027-03-14T02:30", now=NOW, tz=NY, fold="later")
    assert (earlier, later) == (
        datetime(2027, 3, 14, 6, 30, tzinfo=UTC),
        datetime(2027, 3, 14, 7, 30, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    "text, problem",
    [
        ("2026-02-30T09:00", "no such date"),
        ("2026-11-24T25:00", "no such date"),
        ("tomorrow", "not a date and time"),
        ("2026-11-24", "give a time of day too"),
        ("+3 parsecs", "not a duration"),
    ],
)
def test_bad_times_name_the_problem(text, problem):
    with pytest.raises(BadInput, match=problem):
        parse_when(text, now=NOW, tz=NY, what="--at")


@given(st.integers(min_value=1, max_value=10**7))
def test_duration_round_trips(seconds):
    span = timedelta(seconds=seconds)
    assert parse_duration(format_duration(span)) == span


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from(["America/New_York", "Europe/Prague", "Asia/Baku", "Australia/Lord_Howe"]),
)
def test_every_local_time_is_either_one_instant_or_refused(local, name):
    tz = ZoneInfo(name)
    text = local.replace(microsecond=0).isoformat()
    try:
        instant = parse_when(text, now=NOW, tz=tz)
    except WhenError:
        first = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
        second = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
        assert first != second  # refused only at a real DST gap or overlap
        return
    assert instant.astimezone(tz).replace(tzinfo=None) == local.replace(microsecond=0)
