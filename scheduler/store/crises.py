"""Crises and the crisis epoch, and applying the policy's verdicts to posts.

The epoch lives in one row. A toggle (on, update, off) locks it exclusively and
increments it in the same transaction as the crisis change; a dispatcher's claim reads
it under a shared lock, so a claim and a toggle never interleave. On SQLite the claim's
BEGIN IMMEDIATE is that lock. On PostgreSQL the locks are taken on the crisis_state table
rather than with FOR SHARE on its row: row share locks let a steady stream of claims
starve a waiting toggle (we measured `crisis on` waiting out a whole burst of claims),
while table locks queue fairly, so a waiting toggle goes before later claims.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Text,
    insert,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.engine import Dialect

from scheduler.models import Candidate, CrisisRecord, Paused, Post, Status, Verdict, content_key
from scheduler.store.rows import crisis_from_row, post_from_row
from scheduler.store.schema import (
    TEXT_COLUMNS,
    crises,
    crisis_state,
    decisions,
    id_in,
    post_texts,
    posts,
    posts_with_decisions,
    with_texts,
)
from scheduler.store.transitions import Change, move, write_audit, write_note
from scheduler.store.verdicts import apply_verdicts

#: the statuses a crisis toggle re-judges; held posts wait for a human
REJUDGED = (Status.QUEUED, Status.FAILED, Status.PAUSED)


def lock_epoch_shared(conn: Connection) -> int:
    """The current epoch, read under a shared lock held until the transaction ends: no
    toggle can change it meanwhile (a claim, a check before a send)."""
    return _locked_epoch(conn, "SHARE")


def lock_epoch_exclusive(conn: Connection) -> int:
    """The current epoch, read under an exclusive lock held until the transaction ends:
    what a toggle takes, so no claim or other toggle interleaves with it."""
    return _locked_epoch(conn, "EXCLUSIVE")


def _locked_epoch(conn: Connection, mode: str) -> int:
    # on SQLite the writer's BEGIN IMMEDIATE is the lock already
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"LOCK TABLE crisis_state IN {mode} MODE")
    stmt = select(crisis_state.c.epoch).where(crisis_state.c.id == 1)
    return conn.execute(stmt).scalar_one()


#: the PostgreSQL channel a toggle notifies (once, at its commit) with the new epoch
EPOCH_CHANNEL = "tactful_epoch"


def bump_epoch(conn: Connection, now: datetime) -> int:
    lock_epoch_exclusive(conn)
    conn.execute(
        update(crisis_state)
        .where(crisis_state.c.id == 1)
        .values(epoch=crisis_state.c.epoch + 1, updated_at=now)
    )
    epoch = lock_epoch_exclusive(conn)
    if conn.dialect.name == "postgresql":
        # delivered when the toggle commits, never if it rolls back: daemons listening
        # hear of the new crisis state at once (see Store.listen_for_epochs)
        conn.execute(
            text("SELECT pg_notify(:channel, :epoch)"),
            {"channel": EPOCH_CHANNEL, "epoch": str(epoch)},
        )
    return epoch


def active_crises(conn: Connection) -> list[CrisisRecord]:
    rows = conn.execute(select(crises).where(crises.c.active.is_(True)).order_by(crises.c.id))
    return [crisis_from_row(r) for r in rows]


def all_crises(conn: Connection) -> list[CrisisRecord]:
    return [crisis_from_row(r) for r in conn.execute(select(crises).order_by(crises.c.id))]


def get_crisis(conn: Connection, crisis_id: int) -> CrisisRecord | None:
    row = conn.execute(select(crises).where(crises.c.id == crisis_id)).first()
    return crisis_from_row(row) if row else None


def insert_crisis(conn: Connection, values: Mapping[str, Any], change: Change) -> int:
    row = {**values, "active": True, "started_at": change.now, "started_by": change.actor}
    crisis_id = conn.execute(insert(crises).returning(crises.c.id), row).scalar_one()
    # a crisis raised from a feed names its feed, alert and suggestion (change.detail)
    detail = {"crisis": crisis_id, **_jsonable(values), **change.detail}
    write_note(conn, change, "crisis-on", detail)
    return crisis_id


def update_crisis(
    conn: Connection, crisis_id: int, values: Mapping[str, Any], change: Change
) -> None:
    conn.execute(update(crises).where(crises.c.id == crisis_id).values(**values))
    write_note(conn, change, "crisis-update", {"crisis": crisis_id, **_jsonable(values)})


def end_crisis(conn: Connection, crisis_id: int, change: Change) -> None:
    """End a crisis; a note given now joins the one given when it was flagged."""
    values: dict[str, Any] = {"active": False, "ended_at": change.now, "ended_by": change.actor}
    if change.reason:
        flagged = conn.execute(select(crises.c.note).where(crises.c.id == crisis_id)).scalar()
        values["note"] = "; ".join(filter(None, [flagged, f"ended: {change.reason}"]))
    conn.execute(update(crises).where(crises.c.id == crisis_id).values(**values))
    write_note(conn, change, "crisis-off", {"crisis": crisis_id, **change.detail})


def judge_new(
    conn: Connection,
    post_ids: list[int],
    judge: Callable[[int, list[CrisisRecord], list[Post]], dict[int, Verdict]],
    change: Change,
) -> None:
    """Judge posts just inserted under the current epoch (they are added mid-crisis)."""
    active = active_crises(conn)
    if not active or not post_ids:
        return
    epoch = lock_epoch_shared(conn)
    fresh = [
        post_from_row(r)
        for r in conn.execute(posts_with_decisions().where(posts.c.id.in_(post_ids)))
    ]
    verdicts = judge(epoch, active, fresh)
    apply_verdicts(
        conn,
        {p.id: p.status for p in fresh},
        verdicts,
        epoch=epoch,
        change=Change(actor=change.actor, now=change.now, action="judge"),
    )


def expired_crises(conn: Connection, now: datetime) -> list[CrisisRecord]:
    rows = conn.execute(select(crises).where(crises.c.active.is_(True), crises.c.until_at <= now))
    return [crisis_from_row(r) for r in rows]


def in_flight(conn: Connection) -> list[Post]:
    """Posts a daemon holds right now: they may be past their last epoch check."""
    stmt = (
        posts_with_decisions().where(posts.c.status == Status.PUBLISHING.value).order_by(posts.c.id)
    )
    return [post_from_row(r) for r in conn.execute(stmt)]


# tags come back as their JSON text: a queue has few distinct tag lists, so each is
# decoded once per page rather than once per post
_CANDIDATE = [
    type_coerce(posts.c.tags, Text)
    if name == "tags"
    else post_texts.c[name]
    if name in TEXT_COLUMNS
    else posts.c[name]
    for name in Candidate._fields
]
_TAGS = Candidate._fields.index("tags")


def posts_to_judge(
    conn: Connection, *, after_id: int, limit: int, unreachable: Collection[str] = ()
) -> list[Candidate]:
    """The next page of posts a toggle re-judges, in id order (keyset paging): only the
    columns the policy reads. Queued and failed posts of `unreachable` brands are left
    out (no crisis can stop them); their paused posts are not (they may go free)."""
    wanted = posts.c.status.in_([s.value for s in REJUDGED])
    if unreachable:
        wanted &= or_(
            posts.c.brand.not_in(list(unreachable)), posts.c.status == Status.PAUSED.value
        )
    stmt = (
        select(*_CANDIDATE)
        .select_from(with_texts())
        .where(posts.c.id > after_id, wanted)
        .order_by(posts.c.id)
        .limit(limit)
    )
    # the driver's own rows: no per-value processing for a million rows
    compiled = stmt.compile(conn, compile_kwargs={"render_postcompile": True})
    params = (
        tuple(compiled.params[k] for k in compiled.positiontup or ())
        if compiled.positional
        else compiled.params
    )
    rows = conn.exec_driver_sql(str(compiled), params).fetchall()
    decoded: dict[str, tuple[str, ...]] = {}
    out = []
    for row in rows:
        values = list(row)
        raw = values[_TAGS]
        if not isinstance(raw, str):  # a driver that decodes JSON itself
            values[_TAGS] = tuple(raw or ())
        else:
            tags = decoded.get(raw)
            if tags is None:
                tags = decoded[raw] = tuple(json.loads(raw))
            values[_TAGS] = tags
        out.append(Candidate._make(values))
    return out


_PAUSED = [post_texts.c[name] if name in TEXT_COLUMNS else posts.c[name] for name in Paused._fields]


def paused_posts(conn: Connection, *, channel: str | None = None) -> list[Paused]:
    """The paused posts (of one channel, or all), in due order: only the columns that
    judging them again and pacing their release read."""
    stmt = (
        select(*_PAUSED)
        .select_from(with_texts())
        .where(posts.c.status == Status.PAUSED.value)
        .order_by(posts.c.due_at, posts.c.id)
    )
    if channel is not None:
        stmt = stmt.where(posts.c.channel == channel)
    return [Paused._make(row) for row in conn.execute(stmt)]


def decisions_of(conn: Connection, post_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The latest decision of each of these posts that has one."""
    if not post_ids:
        return {}
    rows = conn.execute(
        select(posts.c.id, decisions.c.body)
        .join(decisions, posts.c.decision_id == decisions.c.id)
        .where(id_in(posts.c.id, post_ids, conn.dialect.name))
    )
    return dict(rows.all())


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in values.items()}


def release_paused(
    conn: Connection,
    schedule: list[tuple[int, datetime]],
    expired: list[int],
    change: Change,
    *,
    stopped_as: Status = Status.PAUSED,
) -> tuple[list[int], list[int]]:
    """Paused posts (or, with `stopped_as`, held ones) back to the queue at their planned
    times; expired offers dropped.

    A released post's time becomes its release time, so it is not taken for a post
    that "missed its time" by the hours it spent paused.
    """
    was = "paused" if stopped_as is Status.PAUSED else "held"
    dropped = move(
        conn,
        expired,
        allowed_from={stopped_as},
        to=Status.EXPIRED,
        change=Change(
            actor=change.actor,
            now=change.now,
            action="expire",
            reason=f"its offer expired while it was {was}",
        ),
    )
    if not schedule:
        return [], [r.id for r in dropped]
    when = dict(schedule)
    rows = conn.execute(
        select(posts.c.id, posts.c.channel, post_texts.c.text)
        .select_from(with_texts())
        .where(id_in(posts.c.id, list(when), conn.dialect.name), posts.c.status == stopped_as.value)
        .with_for_update(of=posts)
    ).all()
    # the rows are locked (PostgreSQL) or every other writer is held off (SQLite's BEGIN
    # IMMEDIATE): exactly these are moved by the one UPDATE below
    stamp = _driver_time(conn.dialect)
    moving = [(r.id, stamp(when[r.id]), content_key(r.channel, when[r.id], r.text)) for r in rows]
    if moving:
        requeue = _requeue_postgresql if conn.dialect.name == "postgresql" else _requeue_sqlite
        requeue(conn, moving, stopped_as, change.reason, stamp(change.now))
    write_audit(conn, ((pid, stopped_as, Status.QUEUED) for pid, _, _ in moving), change)
    return [pid for pid, _, _ in moving], [r.id for r in dropped]


# a whole release in one statement, the per-post values (id, time, content key) passed as
# one JSON array or as arrays: one driver step, not one per post
_SQLITE_REQUEUE = (
    "UPDATE posts SET status = ?, prev_status = ?, status_reason = ?, due_at = v.at,"
    " run_at = v.at, content_key = v.key, updated_at = ?"
    " FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS at,"
    " json_extract(value, '$[2]') AS key FROM json_each(?)) AS v"
    " WHERE posts.id = v.id AND posts.status = ?"
)
_PG_REQUEUE = (
    "UPDATE posts SET status = %s, prev_status = %s, status_reason = %s, due_at = v.at,"
    " run_at = v.at, content_key = v.key, updated_at = %s"
    " FROM unnest(%s::bigint[], %s::timestamptz[], %s::text[]) AS v(id, at, key)"
    " WHERE posts.id = v.id AND posts.status = %s"
)


def _driver_time(dialect: Dialect) -> Callable[[datetime], Any]:
    """A time as SQLAlchemy itself hands a post's time to this driver: on SQLite the
    text whose order is time order, microseconds always written out."""
    process = posts.c.due_at.type.dialect_impl(dialect).bind_processor(dialect)
    return process or (lambda at: at)


def _requeue_sqlite(
    conn: Connection, moving: list[tuple[int, Any, str]], was: Status, reason: str | None, now: Any
) -> None:
    conn.exec_driver_sql(
        _SQLITE_REQUEUE,
        (Status.QUEUED.value, was.value, reason, now, json.dumps(moving), was.value),
    )


def _requeue_postgresql(
    conn: Connection, moving: list[tuple[int, Any, str]], was: Status, reason: str | None, now: Any
) -> None:
    ids, times, keys = (list(column) for column in zip(*moving, strict=True))
    conn.exec_driver_sql(
        _PG_REQUEUE, (Status.QUEUED.value, was.value, reason, now, ids, times, keys, was.value)
    )


def clear_holds(conn: Connection, post_ids: list[int], change: Change) -> list[int]:
    """Held posts stay in review without the crisis's verdict: nothing stops them now."""
    return [
        r.id
        for r in move(
            conn,
            post_ids,
            allowed_from={Status.HELD},
            to=Status.HELD,
            change=change,
            values={"decision_id": None},
        )
    ]


def move_paused(conn: Connection, post_ids: list[int], to: Status, change: Change) -> list[int]:
    return [r.id for r in move(conn, post_ids, allowed_from={Status.PAUSED}, to=to, change=change)]
