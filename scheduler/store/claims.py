"""What the dispatcher asks of the store: claim due posts under a lease, record outcomes.

A claim is one write transaction: expired leases are recovered, posts that are far
too late or past their expiry are set aside, and up to `limit` due posts are moved to
`publishing` with a lease, each by a single UPDATE ... RETURNING. Recording an outcome
only touches a post whose lease this worker still holds, so a post another daemon
recovered is never recorded twice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, bindparam, func, or_, select, true, update

from scheduler.models import CrisisRecord, NewPost, Post, Receipt, SendStart, Status, Verdict
from scheduler.store.channels import pause_reason, paused_channels
from scheduler.store.crises import active_crises, lock_epoch_shared
from scheduler.store.queue import insert_posts, live_duplicates
from scheduler.store.rows import post_from_row
from scheduler.store.schema import (
    due_in_order,
    is_due,
    is_publishing,
    posts,
    posts_with_decisions,
)
from scheduler.store.transitions import Change, Route, db_time, move_routed, move_where, write_audit
from scheduler.store.verdicts import apply_verdicts

#: (epoch, active crises, candidate posts) -> verdicts for the posts the policy stops
ClaimJudge = Callable[[int, list[CrisisRecord], list[Post]], dict[int, Verdict]]


@dataclass(frozen=True, kw_only=True, slots=True)
class Claim:
    posts: list[Post]
    #: the crisis epoch the claimed posts were judged under; re-checked before each send
    epoch: int
    #: posts whose daemon died mid-send: back in the queue (idempotent) or `unknown`
    requeued: list[int]
    unknown: list[int]
    dead: list[int]
    late: list[int]
    expired: list[int]
    #: posts the crisis policy stopped at the claim: (id, new status)
    stopped: list[tuple[int, Status]] = field(default_factory=list)


def claim_due(
    conn: Connection,
    *,
    now: datetime,
    worker: str,
    lease: timedelta,
    limit: int,
    max_lateness: timedelta,
    idempotent_channels: Collection[str],
    max_attempts: int = 5,
    judge: ClaimJudge | None = None,
    remembers_for: Mapping[str, timedelta] | None = None,
    due_by: datetime | None = None,
) -> Claim:
    """Recover stale leases, set aside late and expired posts, and lease up to `limit` due
    ones, each judged by the crisis policy under the epoch read in this transaction. A
    failed post whose retry falls after `due_by` (when the pass began) is left for later.

    `idempotent_channels` de-duplicate a re-send; those in `remembers_for` only for that
    long after a post's first try (Mastodon forgets an Idempotency-Key after an hour)."""
    requeued, unknown, dead = _recover(
        conn, now, worker, idempotent_channels, max_attempts, remembers_for or {}
    )
    epoch = lock_epoch_shared(conn)
    crises = active_crises(conn) if judge else []
    # Sweep only the head of the line (the posts this claim would take), so a claim costs
    # the same with a backlog of a hundred or a million; every due post reaches the head.
    ready = posts.c.run_at <= now
    if due_by is not None and due_by < now:
        # a retry that came due while this pass ran waits for a later pass: a pass that
        # runs long (a full disk, a slow network) must not use up every try at once
        ready = and_(ready, or_(posts.c.status != Status.FAILED.value, posts.c.run_at <= due_by))
    head_of_line = due_in_order(select(posts.c.id).where(ready)).limit(limit)
    # the due test sits in the locking query too: PostgreSQL re-checks it on a row that
    # another daemon claimed since our snapshot, and then leaves that row alone
    head = and_(posts.c.id.in_(head_of_line.scalar_subquery()), is_due(), ready)
    expired = posts.c.expires_at < now
    # late means due (run_at) for too long without going out: a daemon that was down,
    # not a post a human re-queued or a retry that came due
    late = posts.c.run_at < now - max_lateness
    paused = list(paused_channels(conn))
    # the head of the line goes one of these ways, in one UPDATE: past its expiry, too
    # late, waiting for its paused channel, or claimed
    routes = [
        Route(
            when=expired,
            to=Status.EXPIRED,
            change=Change(actor=worker, now=now, reason="expired before it could go out"),
        ),
        Route(
            when=late,
            to=Status.HELD,
            change=Change(
                actor=worker,
                now=now,
                reason=f"missed its time (more than {_hours(max_lateness)} late)",
            ),
        ),
        *(
            Route(
                when=posts.c.channel == channel,
                to=Status.PAUSED,
                change=Change(
                    actor=worker,
                    now=now,
                    action="channel-pause",
                    reason=pause_reason(channel, None),
                ),
            )
            for channel in paused
        ),
    ]
    claim = {
        "lease_owner": worker,
        "lease_until": now + lease,
        "send_started_at": None,
        "attempts": posts.c.attempts + 1,
    }
    stopped: list[tuple[int, Status]] = []
    claimable: ColumnElement[bool] = true()
    if crises and judge is not None:
        # what may be judged says so itself: not expired, not late, not on a paused channel
        fit = and_(
            head,
            or_(posts.c.expires_at.is_(None), posts.c.expires_at >= now),
            posts.c.run_at >= now - max_lateness,
        )
        if paused:
            fit = and_(fit, posts.c.channel.not_in(paused))
        claimable, judged = _judge_head(conn, fit, judge, epoch, crises, worker, now)
        stopped += judged
    # `head` is a query, run again by the UPDATE: after the judge stopped some posts it
    # holds the next ones in line, which only the judged may join
    moved = move_routed(
        conn,
        head,
        [
            *routes,
            Route(
                when=claimable,
                to=Status.PUBLISHING,
                change=Change(actor=worker, now=now, action="claim"),
                values=claim,
            ),
        ],
        skip_locked=True,
    )
    expired_rows, late_rows, claimed = moved[0], moved[1], moved[-1]
    stopped += [(r.id, Status.PAUSED) for rows in moved[2:-1] for r in rows]
    whole = conn.execute(posts_with_decisions().where(posts.c.id.in_([r.id for r in claimed])))
    in_order = sorted((post_from_row(r) for r in whole), key=lambda p: (p.run_at, p.id))
    return Claim(
        posts=in_order,
        epoch=epoch,
        requeued=requeued,
        unknown=unknown,
        dead=dead,
        late=[r.id for r in late_rows],
        expired=[r.id for r in expired_rows],
        stopped=stopped,
    )


def _judge_head(
    conn: Connection,
    head: ColumnElement[bool],
    judge: ClaimJudge,
    epoch: int,
    crises: list[CrisisRecord],
    worker: str,
    now: datetime,
) -> tuple[ColumnElement[bool], list[tuple[int, Status]]]:
    """Judge the head of the line; stop what the policy stops; return what may be claimed."""
    rows = conn.execute(
        posts_with_decisions().where(head).with_for_update(skip_locked=True, of=posts)
    ).all()
    candidates = [post_from_row(r) for r in rows]
    verdicts = judge(epoch, crises, candidates)
    moved = apply_verdicts(
        conn,
        {p.id: p.status for p in candidates},
        verdicts,
        epoch=epoch,
        change=Change(actor=worker, now=now, action="judge"),
    )
    fit = [p.id for p in candidates if p.id not in verdicts]
    return posts.c.id.in_(fit), [(pid, to) for pid, _, to in moved]


def _recover(
    conn: Connection,
    now: datetime,
    worker: str,
    idempotent_channels: Collection[str],
    max_attempts: int,
    remembers_for: Mapping[str, timedelta],
) -> tuple[list[int], list[int], list[int]]:
    # Find the stale posts through the small in-flight index, then sort them here: a
    # condition on channel would tempt SQLite into scanning the channel's whole history.
    stale = conn.execute(
        select(
            posts.c.id,
            posts.c.channel,
            posts.c.send_started_at,
            posts.c.attempts,
            posts.c.first_try_at,
        ).where(is_publishing(), posts.c.lease_until < now)
    ).all()

    def deduplicated(row: Any) -> bool:
        if row.channel not in idempotent_channels:
            return False
        window = remembers_for.get(row.channel)
        return (
            window is None
            or row.send_started_at is None
            or row.first_try_at is None
            or now - row.first_try_at <= window
        )

    if not stale:
        return [], [], []
    released = {"lease_owner": None, "lease_until": None, "run_at": now}
    # a post whose daemon died on it this many times is likely what kills daemons
    poison = [r.id for r in stale if r.attempts >= max_attempts]
    dead = _recover_as(
        conn,
        poison,
        Status.DEAD,
        f"its daemon stopped mid-send {max_attempts} times; giving up so it cannot stop the queue",
        worker,
        now,
        released,
    )
    stale = [r for r in stale if r.id not in set(poison)]
    resend = [r.id for r in stale if deduplicated(r)]
    unsent = [r.id for r in stale if r.send_started_at is None and r.id not in set(resend)]
    uncertain = [r.id for r in stale if r.id not in set(unsent) | set(resend)]
    requeued = _recover_as(
        conn, unsent, Status.QUEUED, "its daemon stopped before sending it", worker, now, released
    )
    requeued += _recover_as(
        conn,
        resend,
        Status.QUEUED,
        "its daemon stopped mid-send; re-sending with the same idempotency key",
        worker,
        now,
        released,
    )
    unknown = _recover_as(
        conn,
        uncertain,
        Status.UNKNOWN,
        "its daemon stopped mid-send and this channel cannot "
        "de-duplicate a re-send now: check whether it went out",
        worker,
        now,
        released,
    )
    return requeued, unknown, dead


def _recover_as(
    conn: Connection,
    ids: list[int],
    to: Status,
    reason: str,
    worker: str,
    now: datetime,
    values: dict,
) -> list[int]:
    if not ids:
        return []
    stale = and_(posts.c.id.in_(ids), is_publishing(), posts.c.lease_until < now)
    rows = move_where(
        conn,
        stale,
        to=to,
        values=values,
        change=Change(actor=worker, now=now, action="recover", reason=reason),
    )
    return [r.id for r in rows]


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g}h" if hours >= 1 else f"{span.total_seconds() / 60:g}m"


def _leased_by(worker: str) -> ColumnElement[bool]:
    return and_(is_publishing(), posts.c.lease_owner == worker)


def record_published(
    conn: Connection,
    sent: Sequence[tuple[Post, Receipt, datetime]],
    *,
    worker: str,
    now: datetime,
    next_posts: Mapping[int, NewPost] | None = None,
) -> list[int]:
    """Mark posts published with their remote ids, and queue the next occurrence of each
    recurring one (`next_posts`, by post id); returns the ids whose lease was lost."""
    if not sent:
        return []
    if conn.dialect.name == "postgresql":
        recorded = _mark_published_at_once(conn, sent, worker, now)
    else:  # SQLite: no round trips to save; a row per post through executemany
        stmt = (
            update(posts)
            .where(posts.c.id == bindparam("pid"), _leased_by(worker))
            .values(
                status=Status.PUBLISHED.value,
                prev_status=Status.PUBLISHING.value,
                remote_id=bindparam("rid"),
                remote_url=bindparam("url"),
                published_at=bindparam("at"),
                lease_owner=None,
                lease_until=None,
                last_error=None,
                status_reason=None,
                updated_at=now,
            )
        )
        params = [{"pid": p.id, "rid": r.remote_id, "url": r.url, "at": at} for p, r, at in sent]
        recorded = conn.execute(stmt, params).rowcount
    if recorded == len(sent):
        done, lost = [p for p, _, _ in sent], []
    else:  # rare: another daemon recovered some of these; find out which one per post
        done, lost = _split_by_owner(conn, sent, worker)
    change = Change(actor=worker, now=now, action="publish")
    write_audit(conn, ((p.id, Status.PUBLISHING, Status.PUBLISHED) for p in done), change)
    upcoming = [next_posts[p.id] for p in done if next_posts and p.id in next_posts]
    _queue_next_occurrences(conn, upcoming, worker=worker, now=now)
    return lost


def _mark_published_at_once(
    conn: Connection, sent: Sequence[tuple[Post, Receipt, datetime]], worker: str, now: datetime
) -> int:
    """PostgreSQL: every post of the batch marked published by one statement, its
    per-post values passed as arrays; how many this worker still held."""
    when = db_time(conn.dialect, now)
    result = conn.exec_driver_sql(
        "UPDATE posts SET status = %s, prev_status = %s, remote_id = v.rid, "
        "remote_url = v.url, published_at = v.at, lease_owner = NULL, lease_until = NULL, "
        "last_error = NULL, status_reason = NULL, updated_at = %s "
        "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::timestamptz[]) "
        "AS v(pid, rid, url, at) "
        "WHERE posts.id = v.pid AND posts.status = %s AND posts.lease_owner = %s",
        (
            Status.PUBLISHED.value,
            Status.PUBLISHING.value,
            when,
            [p.id for p, _, _ in sent],
            [r.remote_id for _, r, _ in sent],
            [r.url for _, r, _ in sent],
            [db_time(conn.dialect, at) for _, _, at in sent],
            Status.PUBLISHING.value,
            worker,
        ),
    )
    return result.rowcount


def _split_by_owner(
    conn: Connection, sent: Sequence[tuple[Post, Receipt, datetime]], worker: str
) -> tuple[list[Post], list[int]]:
    rows = conn.execute(
        select(posts.c.id, posts.c.status, posts.c.remote_id).where(
            posts.c.id.in_([p.id for p, _, _ in sent])
        )
    )
    state = {r.id: (r.status, r.remote_id) for r in rows}
    done = [p for p, r, _ in sent if state.get(p.id) == (Status.PUBLISHED.value, r.remote_id)]
    done_ids = {p.id for p in done}
    return done, [p.id for p, _, _ in sent if p.id not in done_ids]


def record_failure(
    conn: Connection,
    post: Post,
    error: str,
    *,
    to: Status,
    retry_at: datetime | None,
    worker: str,
    now: datetime,
) -> bool:
    """Record a send that did not succeed: `failed` (retry at `retry_at`), `dead`,
    `unknown` (it may have gone out) or `held` (a human must decide)."""
    reason = f"attempt {post.attempts} failed: {error}"
    if to is Status.DEAD:
        reason += "; giving up"
    elif to is Status.UNKNOWN:
        reason += "; it may have gone out, and this channel cannot de-duplicate a re-send"
    values = {"lease_owner": None, "lease_until": None, "last_error": error}
    if retry_at:
        values["run_at"] = retry_at
    rows = move_where(
        conn,
        (posts.c.id == post.id) & _leased_by(worker),
        to=to,
        change=Change(actor=worker, now=now, action="fail", reason=reason, detail={"error": error}),
        values=values,
    )
    return bool(rows)


def requeue(
    conn: Connection,
    post_ids: Sequence[int],
    *,
    worker: str,
    now: datetime,
    reason: str,
    run_at: datetime | None = None,
) -> list[int]:
    """Give leased posts back to the queue unsent (shutdown, the crisis epoch moved, or
    the network asked us to slow down: then not before `run_at`)."""
    if not post_ids:
        return []
    rows = move_where(
        conn,
        posts.c.id.in_(list(post_ids)) & _leased_by(worker),
        to=Status.QUEUED,
        change=Change(actor=worker, now=now, reason=reason, action="release"),
        values={
            "lease_owner": None,
            "lease_until": None,
            "run_at": run_at or now,
            "attempts": posts.c.attempts - 1,
        },
    )
    return [r.id for r in rows]


def mark_sending(
    conn: Connection,
    post_id: int,
    *,
    worker: str,
    now: datetime,
    key: str | None = None,
    epoch: int | None = None,
) -> SendStart | None:
    """Note that a send is about to start, and the first try's time and `key` if this is
    the first; what is kept, or None if this worker no longer holds the post or the
    crisis epoch is no longer `epoch` (a crisis or a channel pause came since the claim)."""
    if epoch is not None and lock_epoch_shared(conn) != epoch:
        return None
    stmt = (
        update(posts)
        .where(posts.c.id == post_id, _leased_by(worker))
        .values(
            send_started_at=now,
            first_try_at=func.coalesce(posts.c.first_try_at, now),
            remote_key=func.coalesce(posts.c.remote_key, key),
        )
        .returning(posts.c.first_try_at, posts.c.remote_key)
    )
    row = conn.execute(stmt).first()
    return SendStart(row.first_try_at, row.remote_key) if row is not None else None


def forget_first_try(conn: Connection, post_id: int, *, worker: str, at: datetime) -> None:
    """The first try (started `at`) surely did not reach the network: the next is a first
    try again."""
    conn.execute(
        update(posts)
        .where(
            posts.c.id == post_id,
            posts.c.first_try_at == at,
            or_(posts.c.lease_owner == worker, posts.c.lease_owner.is_(None)),
        )
        .values(first_try_at=None, send_started_at=None)
    )


def renew_leases(conn: Connection, *, worker: str, until: datetime) -> int:
    stmt = update(posts).where(_leased_by(worker)).values(lease_until=until)
    return conn.execute(stmt).rowcount


def next_wake(conn: Connection) -> datetime | None:
    """The earliest moment the dispatcher has work: a due post or a lease to recover."""
    times = [conn.execute(select(func.min(posts.c.run_at)).where(is_due())).scalar()]
    times.append(
        conn.execute(select(func.min(posts.c.lease_until)).where(is_publishing())).scalar()
    )
    found = [t for t in times if t is not None]
    return min(found) if found else None


def count_due(conn: Connection, now: datetime) -> int:
    """Posts a daemon would take at `now`: their time to run (first, or after a failed
    attempt's back-off) has come."""
    return conn.execute(
        select(func.count()).select_from(posts).where(is_due(), posts.c.run_at <= now)
    ).scalar_one()


def _queue_next_occurrences(
    conn: Connection, upcoming: Sequence[NewPost], *, worker: str, now: datetime
) -> None:
    """Evergreen posts come back: queue each one's next occurrence after it publishes."""
    if not upcoming:
        return
    taken = live_duplicates(conn, [n.key for n in upcoming])
    fresh = [n for n in upcoming if n.key not in taken]
    insert_posts(
        conn,
        fresh,
        Change(actor=worker, now=now, action="recur", reason="next occurrence of a recurring post"),
    )
