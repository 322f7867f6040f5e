"""The one way a post changes status: a conditional UPDATE ... RETURNING plus its audit lines.

Every status change in Tactful goes through `move_where`, so no transition can skip the
audit log, and a post that another process moved first is simply not matched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, case, literal, select, true, update
from sqlalchemy.engine import Dialect

from scheduler.models import Status
from scheduler.store.schema import UTCDateTime, id_in, posts


@dataclass(frozen=True, kw_only=True, slots=True)
class Change:
    """Who is changing posts, when, and why (for the audit log)."""

    actor: str
    now: datetime
    reason: str | None = None
    action: str = "status"
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class Route:
    """Where the posts matching `when` go, in a move that sends posts several ways."""

    when: ColumnElement[bool]
    to: Status | Any
    change: Change
    values: dict[str, Any] = field(default_factory=dict)


def move_where(
    conn: Connection,
    condition: ColumnElement[bool],
    *,
    to: Status | Any,
    change: Change,
    values: dict[str, Any] | None = None,
    order_by: Sequence[Any] = (),
    limit: int | None = None,
    skip_locked: bool = False,
) -> list[Row[Any]]:
    """Move the posts matching `condition` to status `to`; return their new rows.

    On PostgreSQL the candidates are locked first. A dispatcher's claim passes
    `skip_locked` so concurrent daemons split the work instead of waiting; everyone else
    waits for the lock, so a human's cancel is never silently skipped. The condition is
    part of the locking query, so a row another transaction changed meanwhile is checked
    again. On SQLite the caller's BEGIN IMMEDIATE already serialises writers.
    """
    route = Route(when=true(), to=to, change=change, values=values or {})
    return move_routed(
        conn, condition, [route], order_by=order_by, limit=limit, skip_locked=skip_locked
    )[0]


def move_routed(
    conn: Connection,
    condition: ColumnElement[bool],
    routes: Sequence[Route],
    *,
    order_by: Sequence[Any] = (),
    limit: int | None = None,
    skip_locked: bool = False,
) -> list[list[Row[Any]]]:
    """Move each post matching `condition` by the first of `routes` whose `when` it
    meets (posts that meet none stay), in one UPDATE; the new rows, by route. Each route
    writes the audit lines of its own change. See `move_where` for the locking."""
    candidates = select(posts.c.id).where(condition)
    if order_by:
        candidates = candidates.order_by(*order_by)
    if limit is not None:
        candidates = candidates.limit(limit)
    candidates = candidates.with_for_update(skip_locked=skip_locked)
    # which route each row takes (one route: every row, and no CASE to evaluate)
    which = (
        case(*((r.when, index) for index, r in enumerate(routes)), else_=None)
        if len(routes) > 1
        else literal(0)
    )

    def by_route(pick: Callable[[Route], Any], otherwise: Any) -> Any:
        if len(routes) == 1:
            return pick(routes[0])
        return case(*((which == index, pick(r)) for index, r in enumerate(routes)), else_=otherwise)

    columns = {name for r in routes for name in r.values}
    values = {
        name: by_route(lambda r, n=name: r.values.get(n, posts.c[n]), posts.c[name])
        for name in columns
    }
    stmt = (
        update(posts)
        .where(
            posts.c.id.in_(candidates.scalar_subquery()),
            *([which.is_not(None)] if len(routes) > 1 else []),
        )
        .values(
            status=by_route(lambda r: _value(r.to), posts.c.status),
            prev_status=posts.c.status,
            status_reason=by_route(lambda r: r.change.reason, posts.c.status_reason),
            updated_at=routes[0].change.now,
            **values,
        )  # one time for all routes
        .returning(*posts.c, which.label("route"))
    )
    moved: list[list[Row[Any]]] = [[] for _ in routes]
    for row in conn.execute(stmt):
        moved[row.route].append(row)
    for route, rows in zip(routes, moved, strict=True):
        write_audit(conn, ((r.id, r.prev_status, r.status) for r in rows), route.change)
    return moved


def move(
    conn: Connection,
    post_ids: Iterable[int],
    *,
    allowed_from: Iterable[Status],
    to: Status,
    change: Change,
    values: dict[str, Any] | None = None,
) -> list[Row[Any]]:
    """Move the given posts, but only those currently in one of `allowed_from`."""
    # one parameter however many posts: a crisis may release a hundred thousand at once
    condition = id_in(posts.c.id, list(post_ids), conn.dialect.name) & posts.c.status.in_(
        [s.value for s in allowed_from]
    )
    return move_where(conn, condition, to=to, change=change, values=values)


AUDIT_COLUMNS = ("at", "actor", "action", "reason", "detail", "post_id", "from_status", "to_status")


def write_audit(
    conn: Connection, entries: Iterable[tuple[int | None, str | None, str | None]], change: Change
) -> None:
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
            (*shared, ids, olds, news),
        )
        return
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    marks = [mark] * len(AUDIT_COLUMNS)
    if dialect.name == "postgresql":
        marks[AUDIT_COLUMNS.index("detail")] = "%s::json"
    sql = f"INSERT INTO audit ({', '.join(AUDIT_COLUMNS)}) VALUES ({', '.join(marks)})"
    conn.exec_driver_sql(sql, [shared + line for line in lines])


def write_note(conn: Connection, change: Change, action: str, detail: Mapping[str, Any]) -> None:
    """One audit line about no one post (a crisis or a channel toggled): the change's
    actor, time and reason, under `action`, with `detail`."""
    note = Change(
        actor=change.actor, now=change.now, action=action, reason=change.reason, detail=dict(detail)
    )
    write_audit(conn, [(None, None, None)], note)


def audit_shared(dialect: Dialect, change: Change) -> tuple[Any, ...]:
    """The driver's values of the columns all audit lines of one change share, in
    `AUDIT_COLUMNS` order (the post and its statuses follow)."""
    return (
        db_time(dialect, change.now),
        change.actor,
        change.action,
        change.reason,
        json.dumps(change.detail) if change.detail else None,
    )


def db_time(dialect: Dialect, when: datetime) -> Any:
    """`when` as the driver takes it for a UTCDateTime column."""
    at = UTCDateTime().process_bind_param(when, dialect)
    process = UTCDateTime.impl.bind_processor(dialect)
    return process(at) if process else at


def _value(status: str | Status | None) -> str | None:
    return status.value if isinstance(status, Status) else status
