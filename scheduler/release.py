"""Rule 8, resume with care: when a crisis ends, paused posts come back at a gentle pace.

A pure plan: given the posts to release, the time and a rate per channel, say when each
one goes out. Posts keep their order within a channel (by original time); at most N go
out per channel per period, the first N at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Rate:
    posts: int
    period: timedelta

    def __str__(self) -> str:
        hours = self.period.total_seconds() / 3600
        per = f"{hours:g}h" if hours >= 1 else f"{self.period.total_seconds() / 60:g}m"
        return f"{self.posts}/{per}"


class Releasable(Protocol):
    """What the plan reads of a post: a whole Post, or the lean Paused row."""

    @property
    def id(self) -> int: ...
    @property
    def channel(self) -> str: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class ReleasePlan:
    expired: list[int]
    #: (post id, when it goes out)
    schedule: list[tuple[int, datetime]]


def plan_release(
    posts: Sequence[Releasable], *, now: datetime, rate_for: Callable[[str], Rate]
) -> ReleasePlan:
    """When each paused post goes out: at its own time if that is still ahead, but never
    more than the rate allows per channel in any window of one period."""
    expired = {p.id for p in posts if p.expires_at is not None and p.expires_at <= now}
    paces: dict[str, _Pace] = {}
    schedule = []
    for post in sorted(posts, key=lambda p: (p.due_at, p.id)):
        if post.id in expired:
            continue
        pace = paces.get(post.channel)
        if pace is None:
            pace = paces[post.channel] = _Pace(rate_for(post.channel))
        schedule.append((post.id, pace.take(max(post.due_at, now))))
    return ReleasePlan(
        expired=sorted(expired), schedule=sorted(schedule, key=lambda s: (s[1], s[0]))
    )


class _Pace:
    """One channel's times so far. Posts come in due order, so the times it hands out
    never go backwards: only the last `rate.posts` of them can share a window with the
    next, and the next must wait until the oldest of those is a period old."""

    def __init__(self, rate: Rate) -> None:
        self.period = rate.period
        self.last: deque[datetime] = deque(maxlen=rate.posts)

    def take(self, earliest: datetime) -> datetime:
        at = earliest
        if len(self.last) == self.last.maxlen:
            at = max(at, self.last[0] + self.period)
        self.last.append(at)
        return at
