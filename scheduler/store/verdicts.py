"""Writing the crisis policy's verdicts onto posts, with their decisions and audit lines.

A toggle on a million posts moves hundreds of thousands, and it writes them on a second
thread while the first judges on (scheduler/verdict_writer.py). So each window of posts
is moved by a few set-based statements, not a statement or a driver step per post: the
driver lets go of the interpreter for a whole statement, and the judging thread is not
held up waiting for it after every row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from scheduler.models import Status, Verdict
from scheduler.store.schema import decisions
from scheduler.store.transitions import AUDIT_COLUMNS, Change, audit_shared, db_time

_WINDOW = 5000
Move = tuple[int, Status, Status]


def apply_verdicts(
    conn: Connection,
    seen: Mapping[int, Status | str],
    verdicts: Mapping[int, Verdict],
    *,
    epoch: int,
    change: Change,
) -> list[Move]:
    """Move each judged post to its verdict's status, if it is still where it was seen.

    `seen` maps post id -> status when judged; a post that moved since (a daemon sent
    it, a human edited it) is left alone. Each audit line gives the verdict's reason
    unless the change has its own. Each distinct verdict's decision is stored
    once. Returns (id, from, to) for the posts whose status changed.
    """
    if not verdicts:
        return []
    distinct = {id(v): v for v in verdicts.values()}
    saved = save_decisions(conn, [v.decision for v in distinct.values()], change.now)
    decision_ids = dict(zip(distinct, saved, strict=True))
    # (id, to, was, decision, reason) in id order: neighbouring rows share table pages
    rows = [
        (pid, v.status.value, Status(seen[pid]).value, decision_ids[id(v)], v.reason)
        for pid, v in sorted(verdicts.items())
    ]
    move = _move_postgresql if conn.dialect.name == "postgresql" else _move_sqlite
    moved: list[Move] = []
    for start in range(0, len(rows), _WINDOW):
        moved += move(conn, rows[start : start + _WINDOW], epoch, change)
    return moved


_SQLITE_ROWS = (
    "(SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS dest,"
    " json_extract(value, '$[2]') AS was, json_extract(value, '$[3]') AS did,"
    " json_extract(value, '$[4]') AS why FROM json_each(?))"
)
_SQLITE_STALE = (
    f"SELECT v.id FROM {_SQLITE_ROWS} AS v LEFT JOIN posts AS p ON p.id = v.id "
    "WHERE p.status IS NOT v.was"
)
_SQLITE_AUDIT = (
    f"INSERT INTO audit ({', '.join(AUDIT_COLUMNS)}) "
    f"SELECT ?, ?, ?, COALESCE(?, v.why), ?, p.id, p.status, v.dest "
    f"FROM {_SQLITE_ROWS} AS v "
    "JOIN posts AS p ON p.id = v.id WHERE p.status = v.was AND v.was <> v.dest"
)
_SQLITE_UPDATE = (
    "UPDATE posts SET status = v.dest, prev_status = v.was, status_reason = v.why,"
    " decision_id = v.did, judged_epoch = ?, updated_at = ? "
    f"FROM {_SQLITE_ROWS} AS v WHERE posts.id = v.id AND posts.status = v.was"
)


def _move_sqlite(
    conn: Connection, rows: list[tuple[Any, ...]], epoch: int, change: Change
) -> list[Move]:
    # BEGIN IMMEDIATE holds every other writer off, so what the first statement finds
    # stale is exactly what the next two leave alone; it returns no rows as a rule
    payload = json.dumps(rows)
    stale = {r[0] for r in conn.exec_driver_sql(_SQLITE_STALE, (payload,))}
    conn.exec_driver_sql(_SQLITE_AUDIT, (*audit_shared(conn.dialect, change), payload))
    conn.exec_driver_sql(_SQLITE_UPDATE, (epoch, db_time(conn.dialect, change.now), payload))
    return [
        (pid, Status(was), Status(dest))
        for pid, dest, was, _, _ in rows
        if was != dest and pid not in stale
    ]


_PG_MOVE = (
    "WITH moved AS (UPDATE posts AS p SET status = v.dest, prev_status = v.was,"
    " status_reason = v.why, decision_id = v.did, judged_epoch = %s, updated_at = %s"
    " FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::bigint[], %s::text[])"
    " AS v(id, dest, was, did, why)"
    " WHERE p.id = v.id AND p.status = v.was RETURNING p.id, v.was, v.dest, v.why) "
    f"INSERT INTO audit ({', '.join(AUDIT_COLUMNS)}) "
    "SELECT %s, %s, %s, COALESCE(%s, why), %s::json, id, was, dest FROM moved"
    " WHERE was <> dest ORDER BY id "
    "RETURNING post_id, from_status, to_status"
)


def _move_postgresql(
    conn: Connection, rows: list[tuple[Any, ...]], epoch: int, change: Change
) -> list[Move]:
    # the UPDATE locks each row and checks its status again after any wait, so a post a
    # claim took meanwhile is left alone, and only moved posts get an audit line
    columns = [list(c) for c in zip(*rows, strict=True)]
    found = conn.exec_driver_sql(
        _PG_MOVE, (epoch, change.now, *columns, *audit_shared(conn.dialect, change))
    )
    return [(pid, Status(was), Status(dest)) for pid, was, dest in found]


def save_decisions(conn: Connection, bodies: list[dict[str, Any]], now: datetime) -> list[int]:
    """Store decision bodies; returns their ids, in order."""
    if not bodies:
        return []
    if conn.dialect.name == "sqlite":
        # one statement for all: SQLite cannot promise RETURNING order for a multi-row
        # insert, but inside BEGIN IMMEDIATE nobody else inserts, so ids are handed out here
        first = (conn.execute(select(func.max(decisions.c.id))).scalar() or 0) + 1
        conn.exec_driver_sql(
            "INSERT INTO decisions (id, body, created_at) "
            "SELECT ? + key, value, ? FROM json_each(?)",
            (first, db_time(conn.dialect, now), json.dumps(bodies)),
        )
        return list(range(first, first + len(bodies)))
    result = conn.execute(
        insert(decisions).returning(decisions.c.id, sort_by_parameter_order=True),
        [{"body": body, "created_at": now} for body in bodies],
    )
    return list(result.scalars())
