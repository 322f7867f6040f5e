"""The one way a post changes status: a conditional UPDATE ... RETURNING plus its audit lines.

Every status change in Tactful goes through `move_where`, so no transition can skip the
audit log, and a post that another process moved first is simply not matched.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, select, update
from sqlalchemy.engine import Dialect

from scheduler.models import Status
from scheduler.store.schema import UTCDateTime, posts


@dataclass(frozen=True, kw_only=True, slots=True)
class Change:
    """Who is changing posts, when, and why (for the audit log)."""

    actor: str
    now: datetime
    reason: str | None = None
    action: str = "status"
    detail: dict[str, Any] = field(default_factory=dict)


def move_where(conn: Connection, condition: ColumnElement[bool], *, to: Status | Any,
               change: Change, values: dict[str, Any] | None = None,
               order_by: Sequence[Any] = (), limit: int | None = None,
               skip_locked: bool = False) -> list[Row[Any]]:
    """Move the posts matching `condition` to status `to`; return their new rows.

    On PostgreSQL the candidates are locked first. A dispatcher's claim passes
    `skip_locked` so concurrent daemons split the work instead of waiting; everyone else
    waits for the lock, so a human's cancel is never silently skipped. The condition is
    part of the locking query, so a row another transaction changed meanwhile is checked
    again. On SQLite the caller's BEGIN IMMEDIATE already serialises writers.
    """
    candidates = select(posts.c.id).where(condition)
    if order_by:
        candidates = candidates.order_by(*order_by)
    if limit is not None:
        candidates = candidates.limit(limit)
    candidates = candidates.with_for_update(skip_locked=skip_locked)
    target = to.value if isinstance(to, Status) else to
    stmt = (
        update(posts)
        .where(posts.c.id.in_(candidates.scalar_subquery()))
        .values(status=target, prev_status=posts.c.status, status_reason=change.reason,
                updated_at=change.now, **(values or {}))
        .returning(*posts.c)
    )
    rows = list(conn.execute(stmt))
    write_audit(conn, ((r.id, r.prev_status, r.status) for r in rows), change)
    return rows


def move(conn: Connection, post_ids: Iterable[int], *, allowed_from: Iterable[Status],
         to: Status, change: Change, values: dict[str, Any] | None = None) -> list[Row[Any]]:
    """Move the given posts, but only those currently in one of `allowed_from`."""
    condition = posts.c.id.in_(list(post_ids)) & posts.c.status.in_(
        [s.value for s in allowed_from])
    return move_where(conn, condition, to=to, change=change, values=values)


AUDIT_COLUMNS = ("at", "actor", "action", "reason", "detail", "post_id", "from_status",
                  "to_status")


def write_audit(conn: Connection, entries: Iterable[tuple[int | None, str | None, str | None]],
                change: Change) -> None:
    """Append (post_id, from, to) lines for one change.

    The lines of one change share everything but the post and its statuses, so those
    shared values are converted for the database once and the rows go to the driver as
    plain tuples: a crisis toggle may write hundreds of thousands of lines.
    """
    lines = [(pid, _value(old), _value(new)) for pid, old, new in entries]
    if not lines:
        return
    dialect = conn.dialect
    shared = audit_shared(dialect, change)
    if dialect.name == "postgresql":
        # one statement, whatever the count: a row per line would be a round trip each
        # (pipelined, still 27 ms for a batch of 200 here)
        ids, olds, news = (list(column) for column in zip(*lines, strict=True))
        conn.exec_driver_sql(
            f"INSERT INTO audit ({', '.join(AUDIT_COLUMNS)}) SELECT %s, %s, %s, %s, "
            "%s::json, unnest(%s::bigint[]), unnest(%s::text[]), unnest(%s::text[])",
            (*shared, ids, olds, news))
        return
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    marks = [mark] * len(AUDIT_COLUMNS)
    if dialect.name == "postgresql":
        marks[AUDIT_COLUMNS.index("detail")] = "%s::json"
    sql = f"INSERT INTO audit ({', '.join(AUDIT_COLUMNS)}) VALUES ({', '.join(marks)})"
    conn.exec_driver_sql(sql, [shared + line for line in lines])


def audit_shared(dialect: Dialect, change: Change) -> tuple[Any, ...]:
    """The driver's values of the columns all audit lines of one change share, in
    `AUDIT_COLUMNS` order (the post and its statuses follow)."""
    return (db_time(dialect, change.now), change.actor, change.action, change.reason,
            json.dumps(change.detail) if change.detail else None)


def db_time(dialect: Dialect, when: datetime) -> Any:
    """`when` as the driver takes it for a UTCDateTime column."""
    at = UTCDateTime().process_bind_param(when, dialect)
    process = UTCDateTime.impl.bind_processor(dialect)
    return process(at) if process else at


def _value(status: str | Status | None) -> str | None:
    return status.value if isinstance(status, Status) else status
