"""Crisis feeds in the database: each feed's last answer and next poll, every alert once,
and the suggestions alerts raise.

A daemon takes a poll by moving the feed's `next_at` on in one conditional UPDATE, so
that of several daemons one polls a feed at a time and the others see it is not due
(`tactful feeds poll` polls at once, due or not). Alerts are unique by (feed,
identifier): one read twice, by two pollers at once, is stored once (the loser of the
insert finds the winner's row), and a changed alert is rewritten only over the version
it was read against, so two pollers never both announce one change. A suggestion is
locked while a poll changes it, so a person deciding it at that moment waits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, or_, select, update

from scheduler.store.schema import feed_alerts, feed_state, insert_for, suggestions

#: the outcome of an identifier kept for an alert an Update or Cancel already replaced
SUPERSEDED = "superseded"
#: what a suggestion can become; only an open one can be accepted or dismissed
OPEN, ACCEPTED, DISMISSED, WITHDRAWN, FLAGGED = (
    "open",
    "accepted",
    "dismissed",
    "withdrawn",
    "flagged",
)


@dataclass(frozen=True, slots=True)
class FeedState:
    feed: str
    etag: str | None
    last_modified: str | None
    next_at: datetime | None
    polled_at: datetime | None
    ok_at: datetime | None
    failures: int
    last_error: str | None
    alerts: int


@dataclass(frozen=True, slots=True)
class StoredAlert:
    id: int
    feed: str
    identifier: str
    kind: str
    thread_id: int | None
    digest: str
    status: str
    outcome: str
    headline: str
    regions: list[str]
    sent_at: datetime | None
    expires_at: datetime | None
    first_seen_at: datetime
    updated_at: datetime
    versions: int
    body: dict[str, Any]

    @property
    def thread(self) -> int:
        """The id of its story's first alert."""
        return self.thread_id or self.id


@dataclass(frozen=True, slots=True)
class Suggestion:
    id: int
    alert_id: int
    feed: str
    status: str
    spec: dict[str, Any]
    reach: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    note: str | None
    crisis_id: int | None


# -- polls ----------------------------------------------------------------------------
def take_poll(conn: Connection, feed: str, now: datetime, hold: timedelta, force: bool) -> bool:
    """Take the feed's poll if it is due (or `force`): its next poll moves to `now +
    hold` until the poll finishes, so no one else polls it meanwhile."""
    conn.execute(
        insert_for(conn)(feed_state).on_conflict_do_nothing(),
        {"feed": feed, "failures": 0, "alerts": 0},
    )
    due = or_(feed_state.c.next_at.is_(None), feed_state.c.next_at <= now)
    taken = conn.execute(
        update(feed_state)
        .where(feed_state.c.feed == feed, due if not force else feed_state.c.feed == feed)
        .values(next_at=now + hold)
    )
    return taken.rowcount == 1


def finish_poll(
    conn: Connection,
    feed: str,
    *,
    now: datetime,
    next_at: datetime,
    error: str | None,
    warning: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    alerts: int = 0,
    modified: bool = False,
) -> None:
    values: dict[str, Any] = {
        "next_at": next_at,
        "polled_at": now,
        "last_error": error or warning,
    }
    if error is None:
        values.update(ok_at=now, failures=0)
        if modified:  # a 304 keeps the validators it matched
            values.update(etag=etag, last_modified=last_modified)
        values["alerts"] = feed_state.c.alerts + alerts
    else:
        values["failures"] = feed_state.c.failures + 1
    conn.execute(update(feed_state).where(feed_state.c.feed == feed).values(**values))


def states(conn: Connection, feeds: Iterable[str] | None = None) -> dict[str, FeedState]:
    query = select(feed_state)
    if feeds is not None:
        query = query.where(feed_state.c.feed.in_(list(feeds)))
    return {row.feed: FeedState(**row._mapping) for row in conn.execute(query)}


# -- alerts ---------------------------------------------------------------------------
def find_alert(conn: Connection, feed: str, identifier: str) -> StoredAlert | None:
    row = conn.execute(
        select(feed_alerts).where(
            feed_alerts.c.feed == feed, feed_alerts.c.identifier == identifier
        )
    ).first()
    return _alert(row._mapping) if row else None


def alert(conn: Connection, alert_id: int) -> StoredAlert | None:
    row = conn.execute(select(feed_alerts).where(feed_alerts.c.id == alert_id)).first()
    return _alert(row._mapping) if row else None


def insert_alert(conn: Connection, values: Mapping[str, Any]) -> int | None:
    """The new row's id; None when another poller stored this alert first."""
    return conn.execute(
        insert_for(conn)(feed_alerts)
        .on_conflict_do_nothing(index_elements=["feed", "identifier"])
        .returning(feed_alerts.c.id),
        dict(values),
    ).scalar()


def update_alert(conn: Connection, alert_id: int, was: str, **values: Any) -> bool:
    """Rewrite an alert read before with digest `was`; False if another poller changed
    it meanwhile (its version is then the one kept)."""
    done = conn.execute(
        update(feed_alerts)
        .where(feed_alerts.c.id == alert_id, feed_alerts.c.digest == was)
        .values(**values)
    )
    return done.rowcount == 1


def reserve(
    conn: Connection, feed: str, identifiers: Iterable[str], thread: int, now: datetime
) -> None:
    """Keep the identifiers an Update or Cancel replaces, for alerts not read yet: the
    original arriving after its Update is then known, and raises nothing."""
    rows = [
        {
            "feed": feed,
            "identifier": identifier,
            "kind": "alert",
            "thread_id": thread,
            "digest": "",
            "status": "active",
            "outcome": SUPERSEDED,
            "headline": "",
            "regions": [],
            "first_seen_at": now,
            "updated_at": now,
            "body": {},
        }
        for identifier in identifiers
    ]
    if rows:
        conn.execute(
            insert_for(conn)(feed_alerts).on_conflict_do_nothing(
                index_elements=["feed", "identifier"]
            ),
            rows,
        )


def cancel_story(conn: Connection, alert_id: int, now: datetime) -> bool:
    """Mark a story's first alert cancelled; False if it already was."""
    done = conn.execute(
        update(feed_alerts)
        .where(feed_alerts.c.id == alert_id, feed_alerts.c.status == "active")
        .values(status="cancelled", updated_at=now)
    )
    return done.rowcount == 1


def _alert(row: RowMapping) -> StoredAlert:
    return StoredAlert(**row)


# -- suggestions ------------------------------------------------------------------------
def suggestion_for(conn: Connection, alert_id: int, lock: bool = False) -> Suggestion | None:
    """The suggestion of a story (by its first alert); `lock`: held until the
    transaction ends, so that no one decides it while a poll changes it."""
    query = select(suggestions).where(suggestions.c.alert_id == alert_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    return Suggestion(**row._mapping) if row else None


def expired_open(conn: Connection, feed: str, now: datetime) -> list[Suggestion]:
    """Open suggestions of a feed whose alert has expired."""
    query = (
        select(suggestions)
        .join(feed_alerts, feed_alerts.c.id == suggestions.c.alert_id)
        .where(
            suggestions.c.feed == feed,
            suggestions.c.status == OPEN,
            feed_alerts.c.expires_at.is_not(None),
            feed_alerts.c.expires_at <= now,
        )
        .with_for_update(of=suggestions)
    )
    return [Suggestion(**row._mapping) for row in conn.execute(query)]


def suggestion(conn: Connection, suggestion_id: int) -> Suggestion | None:
    row = conn.execute(select(suggestions).where(suggestions.c.id == suggestion_id)).first()
    return Suggestion(**row._mapping) if row else None


def insert_suggestion(conn: Connection, values: Mapping[str, Any]) -> int:
    return conn.execute(
        insert_for(conn)(suggestions).returning(suggestions.c.id), dict(values)
    ).scalar_one()


def update_suggestion(conn: Connection, suggestion_id: int, **values: Any) -> None:
    conn.execute(update(suggestions).where(suggestions.c.id == suggestion_id).values(**values))


def decide(conn: Connection, suggestion_id: int, status: str, **values: Any) -> bool:
    """Move an open suggestion to `status`; False if it was no longer open (someone else
    decided first)."""
    done = conn.execute(
        update(suggestions)
        .where(suggestions.c.id == suggestion_id, suggestions.c.status == OPEN)
        .values(status=status, **values)
    )
    return done.rowcount == 1


def list_suggestions(conn: Connection, statuses: Iterable[str] | None) -> list[Suggestion]:
    query = select(suggestions).order_by(suggestions.c.id)
    if statuses is not None:
        query = query.where(suggestions.c.status.in_(list(statuses)))
    return [Suggestion(**row._mapping) for row in conn.execute(query)]
