"""Notification cursors: how far into the audit log each target has told its people.

A target's `position` is the first place in the log it has not handled. On SQLite that
is an audit id: one writer at a time means ids commit in order. On PostgreSQL ids are
handed out as lines are written, not as they commit, so a crisis toggle that writes for
a minute commits ids below some a notifier has already read past; a position kept as an
id would skip them for good. There the position is a transaction horizon instead: every
audit line records its transaction (`xact`, migration 0010), and a pass reads the lines
of the transactions between the target's position and the oldest one still running
(`txid_snapshot_xmin`). Every transaction below that horizon has ended, so each line is
read by exactly one pass, whatever order transactions commit in.

A daemon claims a target with a lease (the claim of `claims.py`, SKIP LOCKED on
PostgreSQL, BEGIN IMMEDIATE on SQLite), sends outside any transaction, then moves the
position on only if it still holds the lease: a send never holds a database lock.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select, text, update

from scheduler.models import CrisisRecord
from scheduler.store.rows import crisis_from_row
from scheduler.store.schema import audit, crises, insert_for, notify_cursors, posts

#: the audit actions of a crisis toggle, and the line its desk writes once it has judged
TOGGLES = ("crisis-on", "crisis-update", "crisis-off")
JUDGED = "crisis-judged"
#: what feeds suggest, and what people decide of it (scheduler.feeds)
SUGGESTIONS = ("crisis-suggested", "crisis-dismissed")
#: post statuses someone should hear of
TOLD_STATUSES = ("held", "dead", "unknown")
#: lines read from the database at a time
_BATCH = 2000


@dataclass(frozen=True, slots=True)
class Cursor:
    target: str
    position: int
    last_id: int | None
    created_at: datetime
    next_at: datetime | None
    claimed_by: str | None
    claimed_until: datetime | None
    failures: int
    last_error: str | None
    last_try_at: datetime | None
    last_sent_at: datetime | None
    sent: int


@dataclass(frozen=True, slots=True)
class Line:
    """An audit line as notifications read it: with its place and its post's brand."""

    id: int
    position: int
    at: datetime
    actor: str
    action: str
    post_id: int | None
    from_status: str | None
    to_status: str | None
    reason: str | None
    detail: dict[str, Any]
    brand: str | None
    channel: str | None


def _place(conn: Connection) -> Any:
    return audit.c.xact if conn.dialect.name == "postgresql" else audit.c.id


def audit_end(conn: Connection) -> int:
    """The position just past every line that has surely committed."""
    if conn.dialect.name == "postgresql":
        return int(
            conn.execute(text("SELECT txid_snapshot_xmin(txid_current_snapshot())")).scalar_one()
        )
    return int(conn.execute(select(func.coalesce(func.max(audit.c.id), 0))).scalar_one()) + 1


def start(conn: Connection, targets: Mapping[str, datetime | None], now: datetime) -> list[str]:
    """Give each target that has none a cursor at the end of the log (a new target hears
    of what happens from now on, not of the history), first due at its value; the names
    of those created. Another process starting the same target at once is no error."""
    known = set(
        conn.execute(
            select(notify_cursors.c.target).where(notify_cursors.c.target.in_(list(targets)))
        ).scalars()
    )
    fresh = [name for name in targets if name not in known]
    if not fresh:
        return []
    end = audit_end(conn)
    conn.execute(
        insert_for(conn)(notify_cursors).on_conflict_do_nothing(),
        [
            {
                "target": name,
                "position": end,
                "created_at": now,
                "next_at": targets[name],
                "failures": 0,
                "sent": 0,
            }
            for name in fresh
        ],
    )
    return fresh


def claim(
    conn: Connection, target: str, *, worker: str, now: datetime, lease: timedelta
) -> Cursor | None:
    """Take the target for `lease` if no one holds it and it is due; None otherwise."""
    free = (
        select(notify_cursors.c.target)
        .where(
            notify_cursors.c.target == target,
            or_(notify_cursors.c.claimed_until.is_(None), notify_cursors.c.claimed_until < now),
            or_(notify_cursors.c.next_at.is_(None), notify_cursors.c.next_at <= now),
        )
        .with_for_update(skip_locked=True)
    )
    row = conn.execute(
        update(notify_cursors)
        .where(notify_cursors.c.target.in_(free.scalar_subquery()))
        .values(claimed_by=worker, claimed_until=now + lease, last_try_at=now)
        .returning(*notify_cursors.c)
    ).first()
    return Cursor(**row._mapping) if row else None


def finish(
    conn: Connection,
    target: str,
    *,
    worker: str,
    position: int,
    last_id: int | None,
    sent: int,
    now: datetime,
    next_at: datetime | None,
    error: str | None,
) -> bool:
    """Record a pass: the new position, what was sent, the error if any; release the
    lease. False if the lease was lost meanwhile (another daemon took over)."""
    values: dict[str, Any] = {
        "position": position,
        "last_id": func.coalesce(last_id, notify_cursors.c.last_id),
        "sent": notify_cursors.c.sent + sent,
        "next_at": next_at,
        "claimed_by": None,
        "claimed_until": None,
        "last_error": error,
        "failures": notify_cursors.c.failures + 1 if error else 0,
    }
    if sent:
        values["last_sent_at"] = now
    done = conn.execute(
        update(notify_cursors)
        .where(notify_cursors.c.target == target, notify_cursors.c.claimed_by == worker)
        .values(**values)
    )
    return done.rowcount == 1


def all_cursors(conn: Connection) -> dict[str, Cursor]:
    return {r.target: Cursor(**r._mapping) for r in conn.execute(select(notify_cursors))}


def _told(conn: Connection) -> ColumnElement[bool]:
    """The lines a notification is made of (most lines, publishes and claims, are not)."""
    moved = or_(audit.c.from_status.is_(None), audit.c.from_status != audit.c.to_status)
    return or_(
        audit.c.action.in_([*TOGGLES, JUDGED, *SUGGESTIONS]),
        and_(audit.c.to_status.in_(TOLD_STATUSES), moved),
    )


def _between(conn: Connection, first: int, stop: int | None) -> ColumnElement[bool]:
    place = _place(conn)
    return and_(place >= first, place < stop) if stop is not None else place >= first


def read_lines(
    conn: Connection,
    first: int,
    stop: int,
    each: Callable[[Line], None],
    *,
    toggles_only: bool = False,
) -> None:
    """Call `each` with every line worth telling from `first` up to `stop`, in order."""
    place = _place(conn)
    wanted = audit.c.action.in_([*TOGGLES, JUDGED]) if toggles_only else _told(conn)
    stmt = (
        select(
            audit,
            place.label("place"),
            posts.c.brand,
            posts.c.channel,
            posts.c.status.label("status_now"),
            posts.c.status_reason,
        )
        .select_from(audit.outerjoin(posts, posts.c.id == audit.c.post_id))
        .where(_between(conn, first, stop), wanted)
        .order_by(place, audit.c.id)
    )
    for row in conn.execution_options(yield_per=_BATCH).execute(stmt):
        m = row._mapping
        # a verdict's line leaves the reason to the post (a toggle writes a great many):
        # the post's own, if it still is where that line put it
        reason = m["reason"] or (m["status_reason"] if m["status_now"] == m["to_status"] else None)
        each(
            Line(
                id=m["id"],
                position=m["place"],
                at=m["at"],
                actor=m["actor"],
                action=m["action"],
                post_id=m["post_id"],
                from_status=m["from_status"],
                to_status=m["to_status"],
                reason=reason,
                detail=m["detail"] or {},
                brand=m["brand"],
                channel=m["channel"],
            )
        )


def backlog(conn: Connection, first: int) -> tuple[int, datetime | None]:
    """How many lines worth telling lie at or after `first`, and when the oldest was
    written."""
    row = conn.execute(
        select(func.count(), func.min(audit.c.at)).where(_between(conn, first, None), _told(conn))
    ).one()
    return int(row[0]), row[1]


def crises_by_id(conn: Connection, ids: Collection[int]) -> dict[int, CrisisRecord]:
    if not ids:
        return {}
    rows = conn.execute(select(crises).where(crises.c.id.in_(sorted(ids))))
    return {r.id: crisis_from_row(r) for r in rows}
