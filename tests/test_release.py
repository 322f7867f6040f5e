"""The paced release after a crisis (rule 8) and the retry backoff: pure, no database."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.models import Post, Status
from scheduler.release import Rate, ReleasePlan, plan_release
from scheduler.retry import retry_time

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

#: pure planning and backoff rules: no database, no process
pytestmark = pytest.mark.unit


def paused(pid: int, due: datetime, channel: str = "x", expires: datetime | None = None) -> Post:
    return Post(
        id=pid,
        brand="b",
        channel=channel,
        text=f"post {pid}",
        due_at=due,
        status=Status.PAUSED,
        run_at=due,
        created_at=NOW,
        created_by="t",
        expires_at=expires,
    )


def every(rate: Rate) -> Callable[[str], Rate]:
    return lambda _channel: rate


# -- the reference: the rule as stated, by brute force --------------------------------------


def fits(times: Sequence[datetime], rate: Rate) -> bool:
    """No window of one period, (end - period, end], holds more than rate.posts times
    (a window holding the most ends at one of the times)."""
    return all(sum(end - rate.period < t <= end for t in times) <= rate.posts for end in times)


def reference(
    posts: Sequence[Post], *, now: datetime, rate_for: Callable[[str], Rate]
) -> ReleasePlan:
    """Each post in (due, id) order takes the earliest time, not before its due time or
    now, that keeps its channel's whole plan within the rate. Only that time or the end
    of a period after a time already planned can be the earliest."""
    expired = sorted(p.id for p in posts if p.expires_at is not None and p.expires_at <= now)
    planned: dict[str, list[datetime]] = defaultdict(list)
    schedule = []
    for post in sorted(posts, key=lambda p: (p.due_at, p.id)):
        if post.id in expired:
            continue
        rate, times = rate_for(post.channel), planned[post.channel]
        earliest = max(post.due_at, now)
        at = min(
            t
            for t in [earliest, *(s + rate.period for s in times)]
            if t >= earliest and fits([*times, t], rate)
        )
        times.append(at)
        schedule.append((post.id, at))
    return ReleasePlan(expired=expired, schedule=sorted(schedule, key=lambda s: (s[1], s[0])))


minutes = st.integers(min_value=-180, max_value=600).map(lambda m: NOW + timedelta(minutes=m))
rates = st.builds(
    Rate, posts=st.integers(1, 4), period=st.integers(1, 180).map(lambda m: timedelta(minutes=m))
)


@st.composite
def queues(draw: st.DrawFn) -> tuple[list[Post], dict[str, Rate]]:
    """Paused posts on up to three channels, due in the past or ahead, many at the same
    minute; some with offers that have run out or will."""
    channels = draw(st.lists(st.sampled_from("abc"), min_size=1, max_size=3, unique=True))
    rows = draw(
        st.lists(st.tuples(st.sampled_from(channels), minutes, st.none() | minutes), max_size=40)
    )
    ids = draw(st.permutations(range(1, len(rows) + 1)))
    posts = [
        paused(pid, due, channel, expires)
        for pid, (channel, due, expires) in zip(ids, rows, strict=True)
    ]
    return posts, {c: draw(rates) for c in channels}


@settings(max_examples=400, deadline=None)
@given(queues())
def test_the_plan_is_the_rule_applied_post_by_post(queue):
    posts, by_channel = queue
    assert plan_release(posts, now=NOW, rate_for=by_channel.__getitem__) == reference(
        posts, now=NOW, rate_for=by_channel.__getitem__
    )


@settings(max_examples=200, deadline=None)
@given(queues())
def test_times_keep_the_rate_the_due_time_and_the_order_of_each_channel(queue):
    posts, by_channel = queue
    plan = plan_release(posts, now=NOW, rate_for=by_channel.__getitem__)
    by_id = {p.id: p for p in posts}
    assert plan.schedule == sorted(plan.schedule, key=lambda s: (s[1], s[0]))
    assert {pid for pid, _ in plan.schedule} | set(plan.expired) == set(by_id)
    assert not {pid for pid, _ in plan.schedule} & set(plan.expired)
    times: dict[str, list[tuple[tuple[datetime, int], datetime]]] = defaultdict(list)
    for pid, at in plan.schedule:
        post = by_id[pid]
        assert at >= max(post.due_at, NOW)
        times[post.channel].append(((post.due_at, pid), at))
    for channel, planned in times.items():
        assert fits([at for _, at in planned], by_channel[channel])
        in_order = [at for _, at in sorted(planned)]
        assert in_order == sorted(in_order)  # a later post never goes before an earlier one


def test_the_first_n_go_at_once_then_one_period_after_each():
    posts = [paused(i, NOW - HOUR) for i in range(1, 6)]
    plan = plan_release(posts, now=NOW, rate_for=every(Rate(2, HOUR)))
    assert plan.schedule == [
        (1, NOW),
        (2, NOW),
        (3, NOW + HOUR),
        (4, NOW + HOUR),
        (5, NOW + 2 * HOUR),
    ]


def test_a_post_due_later_keeps_its_time_when_the_rate_allows():
    posts = [paused(1, NOW - HOUR), paused(2, NOW + 3 * HOUR), paused(3, NOW + 3 * HOUR)]
    plan = plan_release(posts, now=NOW, rate_for=every(Rate(1, HOUR)))
    assert plan.schedule == [(1, NOW), (2, NOW + 3 * HOUR), (3, NOW + 4 * HOUR)]


def test_channels_are_paced_apart_and_each_at_its_own_rate():
    posts = [paused(i, NOW, channel) for i, channel in enumerate("aabb", 1)]
    rates = {"a": Rate(1, HOUR), "b": Rate(1, timedelta(minutes=10))}
    plan = plan_release(posts, now=NOW, rate_for=rates.__getitem__)
    assert plan.schedule == [(1, NOW), (3, NOW), (4, NOW + timedelta(minutes=10)), (2, NOW + HOUR)]


def test_posts_due_at_the_same_time_go_in_id_order():
    posts = [paused(pid, NOW) for pid in (9, 3, 5)]
    plan = plan_release(posts, now=NOW, rate_for=every(Rate(1, HOUR)))
    assert plan.schedule == [(3, NOW), (5, NOW + HOUR), (9, NOW + 2 * HOUR)]


def test_expired_offers_are_dropped_and_take_no_place_in_the_pace():
    posts = [
        paused(1, NOW - HOUR, expires=NOW),
        paused(2, NOW - HOUR, expires=NOW + HOUR),
        paused(3, NOW),
    ]
    plan = plan_release(posts, now=NOW, rate_for=every(Rate(1, HOUR)))
    assert plan.expired == [1]
    assert plan.schedule == [(2, NOW), (3, NOW + HOUR)]


def test_nothing_to_release():
    assert plan_release([], now=NOW, rate_for=every(Rate(4, HOUR))) == ReleasePlan(
        expired=[], schedule=[]
    )


def test_a_long_queue_on_one_channel_is_paced_throughout():
    # when each post rescanned its channel's whole plan, a period at a time while the rate
    # held it back, this took more than ten minutes
    posts = [paused(i, NOW - HOUR + timedelta(minutes=7 * i)) for i in range(1, 20_001)]
    plan = plan_release(posts, now=NOW, rate_for=every(Rate(4, HOUR)))
    times = [at for _, at in plan.schedule]
    assert len(times) == 20_000 and times[:4] == [NOW] * 4
    assert all(b - a >= HOUR for a, b in zip(times[:-4], times[4:], strict=True))
    assert all(a <= b for a, b in itertools.pairwise(times))


def test_rates_read_as_the_playbook_writes_them():
    assert str(Rate(4, HOUR)) == "4/1h" and str(Rate(10, timedelta(minutes=30))) == "10/30m"


# -- retry_time ---------------------------------------------------------------------------

BASE, CAP = timedelta(minutes=1), timedelta(hours=1)


def retry(attempts: int, **options) -> datetime | None:
    return retry_time(
        attempts, NOW, base=BASE, cap=CAP, max_attempts=options.pop("max", 8), **options
    )


def test_backoff_doubles_from_the_base_and_stops_at_the_cap():
    delays = [retry(n) - NOW for n in range(8)]
    assert delays == [BASE, BASE, 2 * BASE, 4 * BASE, 8 * BASE, 16 * BASE, 32 * BASE, CAP]


def test_no_retry_once_attempts_run_out():
    assert retry(4, max=5) is not None
    assert retry(5, max=5) is None and retry(6, max=5) is None


def test_spread_lengthens_the_delay_by_up_to_half_and_is_clamped():
    assert retry(3, spread=0.5) - NOW == 4 * BASE * 1.25
    assert retry(3, spread=1.0) - NOW == 6 * BASE
    assert retry(3, spread=7.0) == retry(3, spread=1.0)
    assert retry(3, spread=-1.0) == retry(3)


def test_a_networks_retry_after_wins_only_when_longer():
    assert retry(1, retry_after=600) - NOW == timedelta(minutes=10)
    assert retry(3, retry_after=5) - NOW == 4 * BASE


@given(
    attempts=st.integers(0, 29),
    spread=st.floats(0, 1),
    retry_after=st.none() | st.floats(0, 86_400),
)
def test_the_delay_stays_between_the_backoff_and_half_again(attempts, spread, retry_after):
    at = retry(attempts, spread=spread, retry_after=retry_after, max=31)
    backoff = min(CAP, BASE * 2 ** max(attempts - 1, 0))
    floor = max(backoff, timedelta(seconds=retry_after or 0))
    assert floor <= at - NOW <= max(backoff * 1.5, timedelta(seconds=retry_after or 0))
    assert retry(attempts, spread=spread, max=31) <= retry(attempts + 1, spread=spread, max=31)
