"""Channels a human paused: the pause itself, and the posts it stops."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from scheduler.models import Status
from scheduler.store.crises import bump_epoch
from scheduler.store.schema import channel_pauses, posts
from scheduler.store.transitions import Change, move_where, write_note

#: what a channel pause stops at once: what waits to go out on it
STOPPED_BY_PAUSE = (Status.QUEUED, Status.FAILED)


@dataclass(frozen=True, slots=True)
class ChannelPause:
    channel: str
    paused_at: datetime
    paused_by: str
    reason: str | None


def paused_channels(conn: Connection) -> dict[str, ChannelPause]:
    rows = conn.execute(select(channel_pauses))
    return {r.channel: ChannelPause(r.channel, r.paused_at, r.paused_by, r.reason) for r in rows}


def pause_reason(channel: str, reason: str | None) -> str:
    return f"channel {channel} is paused" + (f": {reason}" if reason else "")


def in_flight(conn: Connection, channel: str) -> list[int]:
    """Posts of the channel a daemon holds right now."""
    return list(
        conn.execute(
            select(posts.c.id)
            .where(posts.c.channel == channel, posts.c.status == Status.PUBLISHING.value)
            .order_by(posts.c.id)
        ).scalars()
    )


def pause(conn: Connection, channel: str, change: Change) -> list[int]:
    """Pause `channel` and the posts waiting on it; bump the epoch so a daemon holding
    one of them gives it back instead of sending it. The ids of the posts paused."""
    conn.execute(
        insert(channel_pauses).values(
            channel=channel, paused_at=change.now, paused_by=change.actor, reason=change.reason
        )
    )
    bump_epoch(conn, change.now)
    write_note(conn, change, "channel-pause", {"channel": channel})
    waiting = (posts.c.channel == channel) & posts.c.status.in_([s.value for s in STOPPED_BY_PAUSE])
    rows = move_where(
        conn,
        waiting,
        to=Status.PAUSED,
        change=Change(
            actor=change.actor,
            now=change.now,
            action="channel-pause",
            reason=pause_reason(channel, change.reason),
        ),
    )
    return [r.id for r in rows]


def resume(conn: Connection, channel: str, change: Change) -> None:
    """Lift the pause (its posts are released by the caller, judged as after a crisis)."""
    conn.execute(delete(channel_pauses).where(channel_pauses.c.channel == channel))
    bump_epoch(conn, change.now)
    write_note(conn, change, "channel-resume", {"channel": channel, **change.detail})
