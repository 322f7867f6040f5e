"""Daemon heartbeats: one row per daemon process, kept current while it runs.

A daemon's hold on the posts it is sending is its leases, renewed while it works; these
rows are for people: which daemons run, when each was last heard from, what it did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select, update

from scheduler.models import Status
from scheduler.store.schema import daemons, posts


@dataclass(frozen=True, slots=True)
class DaemonRecord:
    worker: str
    host: str
    pid: int
    started_at: datetime
    beat_at: datetime
    stopped_at: datetime | None
    passes: int
    published: int
    epoch_seen: int | None
    #: posts this daemon holds right now (status publishing under its lease)
    in_flight: int


def started(
    conn: Connection, *, worker: str, host: str, pid: int, now: datetime, epoch: int | None = None
) -> None:
    """Record a daemon's start (a restarted process with the same name starts afresh)."""
    conn.execute(daemons.delete().where(daemons.c.worker == worker))
    conn.execute(
        daemons.insert().values(
            worker=worker,
            host=host,
            pid=pid,
            started_at=now,
            beat_at=now,
            passes=0,
            published=0,
            epoch_seen=epoch,
        )
    )


def beat(
    conn: Connection,
    *,
    worker: str,
    host: str,
    pid: int,
    now: datetime,
    passes: int = 0,
    published: int = 0,
    epoch: int | None = None,
    stopped: bool = False,
) -> None:
    """A heartbeat, adding the passes run and posts published since the last one. A
    daemon whose row is missing (its start could not be recorded, or another daemon
    forgot it while the database was away) is recorded as from now."""
    values: dict = {
        "beat_at": now,
        "passes": daemons.c.passes + passes,
        "published": daemons.c.published + published,
    }
    if epoch is not None:
        values["epoch_seen"] = epoch
    if stopped:
        values["stopped_at"] = now
    found = conn.execute(
        update(daemons).where(daemons.c.worker == worker).values(**values)
    ).rowcount
    if not found:
        conn.execute(
            daemons.insert().values(
                worker=worker,
                host=host,
                pid=pid,
                started_at=now,
                beat_at=now,
                passes=passes,
                published=published,
                epoch_seen=epoch,
                stopped_at=now if stopped else None,
            )
        )


def all_daemons(conn: Connection) -> list[DaemonRecord]:
    holding = (
        select(posts.c.lease_owner, func.count().label("n"))
        .where(posts.c.status == Status.PUBLISHING.value)
        .group_by(posts.c.lease_owner)
        .subquery()
    )
    rows = conn.execute(
        select(daemons, func.coalesce(holding.c.n, 0).label("in_flight"))
        .outerjoin(holding, holding.c.lease_owner == daemons.c.worker)
        .order_by(daemons.c.started_at, daemons.c.worker)
    )
    return [
        DaemonRecord(
            worker=r.worker,
            host=r.host,
            pid=r.pid,
            started_at=r.started_at,
            beat_at=r.beat_at,
            stopped_at=r.stopped_at,
            passes=r.passes,
            published=r.published,
            epoch_seen=r.epoch_seen,
            in_flight=r.in_flight,
        )
        for r in rows
    ]


def forget_stopped(conn: Connection, before: datetime) -> int:
    """Drop rows of daemons that stopped (or went silent) before `before`."""
    return conn.execute(daemons.delete().where(daemons.c.beat_at < before)).rowcount
