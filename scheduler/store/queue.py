"""Queue operations a marketer triggers: add, look up, list, edit, cancel."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, text, update

from scheduler.errors import DuplicatePost, InvalidTransition, PostNotFound
from scheduler.models import EDITABLE, RETRYABLE, NewPost, Post, Status, content_key
from scheduler.store.rows import new_post_values, post_from_row, text_values
from scheduler.store.schema import (
    HELD_EXPIRING_SQL,
    is_live,
    post_texts,
    posts,
    posts_with_decisions,
)
from scheduler.store.transitions import Change, move, move_where, write_audit

_INSERT_CHUNK = 500


def live_duplicates(
    conn: Connection, keys: Collection[str], *, staged: bool = False
) -> dict[str, int]:
    """Which of these content keys already belong to a live post, and its id. Posts an
    import has staged count only with `staged`: they are not queued yet, and may never
    be (a killed import leaves them behind), so an import must not skip them as done;
    the unique index still keeps two imports from writing the same post."""
    live = is_live() if staged else and_(is_live(), posts.c.status != Status.STAGED.value)
    found: dict[str, int] = {}
    keys = list(keys)
    for start in range(0, len(keys), _INSERT_CHUNK):
        chunk = keys[start : start + _INSERT_CHUNK]
        stmt = select(posts.c.content_key, posts.c.id).where(posts.c.content_key.in_(chunk), live)
        found.update({k: i for k, i in conn.execute(stmt)})
    return found


def imported_rows(conn: Connection, keys: Collection[str]) -> dict[str, int]:
    """Which of these CSV row keys made a post before, and its id (any status but staged:
    a post published or cancelled since was still imported)."""
    found: dict[str, int] = {}
    keys = list(keys)
    for start in range(0, len(keys), _INSERT_CHUNK):
        stmt = (
            select(posts.c.import_key, func.min(posts.c.id))
            .where(
                posts.c.import_key.in_(keys[start : start + _INSERT_CHUNK]),
                posts.c.status != Status.STAGED.value,
            )
            .group_by(posts.c.import_key)
        )
        found.update({k: i for k, i in conn.execute(stmt)})
    return found


def staged_batches(conn: Connection, keys: Collection[str]) -> dict[str, datetime]:
    """The imports that staged posts with these content keys, each with the lease of its
    newest chunk (an import renews its claim with every chunk it writes)."""
    found: dict[str, datetime] = {}
    keys = list(keys)
    for start in range(0, len(keys), _INSERT_CHUNK):
        stmt = (
            select(posts.c.lease_owner, func.max(posts.c.lease_until))
            .where(
                posts.c.content_key.in_(keys[start : start + _INSERT_CHUNK]),
                posts.c.status == Status.STAGED.value,
            )
            .group_by(posts.c.lease_owner)
        )
        for batch, lease in conn.execute(stmt):
            found[batch] = max(lease, found.get(batch, lease))
    return found


def abandoned_batches(conn: Connection, now: datetime) -> list[str]:
    """Imports whose newest chunk's lease has run out: their process is gone."""
    stmt = (
        select(posts.c.lease_owner)
        .where(posts.c.status == Status.STAGED.value)
        .group_by(posts.c.lease_owner)
        .having(func.max(posts.c.lease_until) < now)
    )
    return list(conn.execute(stmt).scalars())


def insert_posts(
    conn: Connection,
    new: Sequence[NewPost],
    change: Change,
    progress: Callable[[int], None] | None = None,
    staged: tuple[str, datetime] | None = None,
) -> list[int]:
    """Insert posts in order and audit their creation; refuses live duplicates. With
    `staged` (an import's batch name, and when it counts as abandoned), the posts are
    written `staged` under that batch, unaudited: `queue_staged` releases them."""
    clash = live_duplicates(conn, [p.key for p in new])
    if clash:
        raise DuplicatePost(next(iter(clash.values())))
    ids: list[int] = []
    extra: dict[str, Any] = {}
    if staged is not None:
        extra = {"status": Status.STAGED.value, "lease_owner": staged[0], "lease_until": staged[1]}
    for start in range(0, len(new), _INSERT_CHUNK):
        chunk = new[start : start + _INSERT_CHUNK]
        values = [new_post_values(p, actor=change.actor, now=change.now) | extra for p in chunk]
        result = conn.execute(
            insert(posts).returning(posts.c.id, sort_by_parameter_order=True), values
        )
        chunk_ids = list(result.scalars())
        conn.execute(
            insert(post_texts),
            [
                {
                    "post_id": pid,
                    "crisis_text": p.crisis_text,
                    "media": [m.to_json() for m in p.media] or None,
                    **text_values(p.text, p.lang),
                }
                for pid, p in zip(chunk_ids, chunk, strict=True)
            ],
        )
        if staged is None:
            write_audit(conn, ((pid, None, Status.QUEUED) for pid in chunk_ids), change)
        ids.extend(chunk_ids)
        if progress:
            progress(len(chunk))
    return ids


def _staged(batch: str) -> Any:
    return and_(posts.c.status == Status.STAGED.value, posts.c.lease_owner == batch)


def queue_staged(conn: Connection, batch: str, ids: Sequence[int], change: Change) -> None:
    """Queue every post an import staged, at once, and audit their creation. Refuses (and
    changes nothing) unless all of `ids` are still staged under the batch."""
    moved = conn.execute(
        update(posts)
        .where(_staged(batch))
        .values(status=Status.QUEUED.value, lease_owner=None, lease_until=None)
    ).rowcount
    if moved != len(ids):
        raise InvalidTransition(
            f"{len(ids) - moved} of the {len(ids)} posts this import wrote were removed "
            "before it finished (an import that stalls for an hour counts as abandoned); "
            "nothing was queued: run the import again"
        )
    write_audit(conn, ((pid, None, Status.QUEUED) for pid in ids), change)


def drop_staged(conn: Connection, batch: str) -> int:
    """Remove the posts of one import's batch: they were never queued, seen or audited.

    The rows are locked first (on PostgreSQL), so a batch that `queue_staged` queues at
    the same moment is either queued whole or dropped whole, never left queued without
    its text."""
    ids = list(conn.execute(select(posts.c.id).where(_staged(batch)).with_for_update()).scalars())
    for start in range(0, len(ids), _INSERT_CHUNK):
        chunk = ids[start : start + _INSERT_CHUNK]
        conn.execute(post_texts.delete().where(post_texts.c.post_id.in_(chunk)))
        conn.execute(posts.delete().where(posts.c.id.in_(chunk)))
    return len(ids)


def get_post(conn: Connection, post_id: int) -> Post:
    row = conn.execute(posts_with_decisions().where(posts.c.id == post_id)).first()
    if row is None:
        raise PostNotFound(post_id)
    return post_from_row(row)


def list_posts(
    conn: Connection,
    *,
    statuses: Collection[Status] = (),
    brands: Collection[str] = (),
    channels: Collection[str] = (),
    due_before: datetime | None = None,
    due_after: datetime | None = None,
    limit: int | None = None,
) -> list[Post]:
    stmt = posts_with_decisions().order_by(posts.c.due_at, posts.c.id)
    for clause in _filters(statuses, brands, channels, due_before, due_after):
        stmt = stmt.where(clause)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [post_from_row(r) for r in conn.execute(stmt)]


def count_posts(conn: Connection, **filters: Any) -> int:
    stmt = select(func.count()).select_from(posts)
    for clause in _filters(**filters):
        stmt = stmt.where(clause)
    return conn.execute(stmt).scalar_one()


def status_counts(conn: Connection) -> dict[str, int]:
    stmt = (
        select(posts.c.status, func.count())
        .where(posts.c.status != Status.STAGED.value)
        .group_by(posts.c.status)
    )
    return {status: n for status, n in conn.execute(stmt)}


def _filters(
    statuses: Collection[Status] = (),
    brands: Collection[str] = (),
    channels: Collection[str] = (),
    due_before: datetime | None = None,
    due_after: datetime | None = None,
) -> list[Any]:
    clauses: list[Any] = []
    if statuses:
        clauses.append(posts.c.status.in_([s.value for s in statuses]))
    else:  # an import still running is not part of the queue yet
        clauses.append(posts.c.status != Status.STAGED.value)
    if brands:
        clauses.append(posts.c.brand.in_(list(brands)))
    if channels:
        clauses.append(posts.c.channel.in_(list(channels)))
    if due_before is not None:
        clauses.append(posts.c.due_at < due_before)
    if due_after is not None:
        clauses.append(posts.c.due_at >= due_after)
    return clauses


def edit_post(
    conn: Connection,
    post_id: int,
    change: Change,
    *,
    text: str | None = None,
    due_at: datetime | None = None,
    tags: Sequence[str] | None = None,
    expires_at: datetime | None = None,
    crisis_text: str | None = None,
) -> Post:
    """Change the content or time of a post that has not gone out yet."""
    post = get_post(conn, post_id)
    _require(post, EDITABLE, "edited")
    values: dict[str, Any] = {}
    words: dict[str, Any] = {}
    if text is not None:
        words |= text_values(text, post.lang)
    if crisis_text is not None:
        words["crisis_text"] = crisis_text
    if due_at is not None:
        values |= {"due_at": due_at, "run_at": due_at}
    if tags is not None:
        values["tags"] = list(tags)
    if words or tags is not None:
        # an approval was of the words and tags the reviewer read, not of these
        values["approved_epoch"] = None
    if expires_at is not None:
        values["expires_at"] = expires_at
    key = content_key(post.channel, values.get("due_at", post.due_at), words.get("text", post.text))
    clash = live_duplicates(conn, [key])
    if clash and clash[key] != post_id:
        raise DuplicatePost(clash[key])
    values["content_key"] = key
    fields = sorted(
        k
        for k in [*values, *words]
        if k not in {"run_at", "content_key", "text_norm", "norm_version", "approved_epoch"}
    )
    edited = dict(change.detail, fields=fields)
    change = Change(
        actor=change.actor,
        now=change.now,
        reason=change.reason or "edited",
        action="edit",
        detail=edited,
    )
    # an edited post keeps its status (a held post stays held for review)
    move_one(conn, post, to=post.status, change=change, values=values)
    if words:  # after move_one, which refuses if the post moved meanwhile
        conn.execute(update(post_texts).where(post_texts.c.post_id == post_id).values(words))
    return get_post(conn, post_id)


def cancel_post(conn: Connection, post_id: int, change: Change) -> Post:
    post = get_post(conn, post_id)
    _require(post, EDITABLE, "cancelled")
    move_one(conn, post, to=Status.CANCELLED, change=change)
    return get_post(conn, post_id)


def expire_held(conn: Connection, change: Change) -> list[int]:
    """Held posts whose --expires has passed become `expired`: a stale offer leaves the
    review queue instead of waiting there to be approved."""
    rows = move_where(
        conn,
        and_(text(HELD_EXPIRING_SQL), posts.c.expires_at <= change.now),
        to=Status.EXPIRED,
        change=change,
    )
    return [r.id for r in rows]


def retry_post(conn: Connection, post_id: int, change: Change, *, run_at: datetime) -> Post:
    """Send a stopped post (held, failed, dead, unknown, paused) back to the queue."""
    post = get_post(conn, post_id)
    _require(post, RETRYABLE, "retried")
    move_one(
        conn,
        post,
        to=Status.QUEUED,
        change=change,
        # a human decided it did not go out: its sends start afresh (Mastodon's
        # memory of the old idempotency key has lapsed anyway); a record key stays
        values={
            "run_at": run_at,
            "attempts": 0,
            "lease_owner": None,
            "lease_until": None,
            "send_started_at": None,
            "first_try_at": None,
        },
    )
    return get_post(conn, post_id)


def mark_published(
    conn: Connection, post_id: int, change: Change, *, remote_id: str | None
) -> Post:
    """A human checked the network: an `unknown` post did go out."""
    post = get_post(conn, post_id)
    _require(post, {Status.UNKNOWN}, "marked published")
    move_one(
        conn,
        post,
        to=Status.PUBLISHED,
        change=change,
        values={"remote_id": remote_id, "published_at": change.now},
    )
    return get_post(conn, post_id)


def retract_post(conn: Connection, post_id: int, change: Change) -> Post:
    """A published post was deleted from its network."""
    post = get_post(conn, post_id)
    _require(post, {Status.PUBLISHED}, "retracted")
    move_one(conn, post, to=Status.RETRACTED, change=change)
    return get_post(conn, post_id)


def move_one(
    conn: Connection,
    post: Post,
    *,
    to: Status,
    change: Change,
    values: dict[str, Any] | None = None,
) -> None:
    """Move one post from the status the caller checked; refuse if it moved meanwhile."""
    if not move(conn, [post.id], allowed_from={post.status}, to=to, change=change, values=values):
        now = get_post(conn, post.id).status.value
        raise InvalidTransition(
            f"post {post.id} changed while you were working on it "
            f"(it is {now} now); look again and retry"
        )


def _require(post: Post, allowed: Collection[Status], done: str) -> None:
    if post.status not in allowed:
        can = ", ".join(sorted(s.value for s in allowed))
        raise InvalidTransition(
            f"post {post.id} is {post.status.value}; only a post that is {can} can be {done}"
        )


def taken_times(conn: Connection, channel: str, since: datetime) -> set[datetime]:
    """Instants on `channel` already used by a live post (for --next-slot)."""
    stmt = select(posts.c.due_at).where(
        posts.c.channel == channel, posts.c.due_at >= since, is_live()
    )
    return set(conn.execute(stmt).scalars())
