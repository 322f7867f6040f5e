"""Recurring (evergreen) posts: when the next occurrence falls due."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from scheduler.models import NewPost, Post
from scheduler.when import resolve_local

_DAY = timedelta(days=1)


def next_occurrence(post: Post, now: datetime, tz: ZoneInfo) -> NewPost | None:
    """The same post one period later (skipping periods already past), unless past --until.

    A period of whole days keeps the brand's wall-clock time across a daylight-saving
    change (every 7d at 09:00 stays 09:00); shorter periods are exact spans.
    """
    assert post.every is not None
    due = _advance(post.due_at, post.every, tz)
    while due <= now:
        due = _advance(due, post.every, tz)
    if post.until is not None and due > post.until:
        return None
    expires = post.expires_at + (due - post.due_at) if post.expires_at else None
    return NewPost(
        brand=post.brand,
        channel=post.channel,
        text=post.text,
        due_at=due,
        tags=post.tags,
        lang=post.lang,
        automated=post.automated,
        expires_at=expires,
        crisis_text=post.crisis_text,
        every=post.every,
        until=post.until,
        series_id=post.series_id or post.id,
    )


def _advance(instant: datetime, every: timedelta, tz: ZoneInfo) -> datetime:
    if every % _DAY:
        return instant + every
    local = instant.astimezone(tz).replace(tzinfo=None) + every
    return resolve_local(local, tz, fold="earlier")
