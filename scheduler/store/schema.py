"""Table definitions for queries. Alembic migrations own the DDL; a test checks they agree."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Join,
    MetaData,
    Select,
    String,
    Table,
    Text,
    TextClause,
    any_,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.types import TypeDecorator

from scheduler.models import DISPATCHABLE, RETIRED, Status


def _status_sql(operator: str, statuses: frozenset) -> str:
    return f"status {operator} ({', '.join(repr(s.value) for s in sorted(statuses))})"


# The predicates of the partial indexes. Queries use these very clauses: both planners
# match an index predicate against literal SQL, not against bind parameters.
DUE_SQL = _status_sql("IN", DISPATCHABLE)
LIVE_SQL = _status_sql("NOT IN", RETIRED)
PUBLISHING_SQL = _status_sql("IN", frozenset({Status.PUBLISHING}))
HELD_EXPIRING_SQL = _status_sql("IN", frozenset({Status.HELD})) + " AND expires_at IS NOT NULL"


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    SQLite keeps naive UTC text, whose order is time order; PostgreSQL keeps timestamptz.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Id = BigInteger().with_variant(Integer, "sqlite")
metadata = MetaData()


def insert_for(conn: Connection) -> Any:
    """The backend's own INSERT construct, which knows ON CONFLICT DO NOTHING."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


posts = Table(
    "posts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("brand", String(64), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("tags", JSON, nullable=False),
    Column("lang", String(16)),
    Column("automated", Boolean, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("run_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("every_seconds", Integer),
    Column("until_at", UTCDateTime),
    Column("series_id", Id),
    Column("status", String(16), nullable=False),
    # the status before the latest transition: an UPDATE ... RETURNING sees only new
    # values, so a claim keeps the old one here to write the audit line in one statement
    Column("prev_status", String(16)),
    Column("status_reason", Text),
    Column("attempts", Integer, nullable=False),
    Column("lease_owner", String(128)),
    Column("lease_until", UTCDateTime),
    # set right before a send on a network that cannot de-duplicate: a post whose daemon
    # died after this may have gone out; one whose daemon died before it surely did not
    Column("send_started_at", UTCDateTime),
    Column("remote_id", Text),
    Column("last_error", Text),
    # networks (0005): when the first send started (Mastodon forgets idempotency keys
    # after about an hour), the key chosen before it (a Bluesky record key), the post's URL
    Column("first_try_at", UTCDateTime),
    Column("remote_key", String(64)),
    Column("remote_url", Text),
    Column("published_at", UTCDateTime),
    Column("content_key", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # crisis mode (0002): the latest policy decision, the crisis epoch it was made under,
    # and the epoch a human approved the post at
    Column("decision_id", Id),
    Column("judged_epoch", Integer),
    Column("approved_epoch", Integer),
    # the CSV row a post came from (0009): a re-import finds a next-slot row by it
    Column("import_key", String(32)),
)

# A post's words, apart from its state (0003). Claims, retries and crisis toggles rewrite
# the state row again and again; the words are written when the post is queued or edited.
# Kept in the same row, they made every status change rewrite three times the bytes: a
# toggle pausing 270,000 of a million posts rewrote the whole 630 MB table.
post_texts = Table(
    "post_texts",
    metadata,
    Column("post_id", Id, ForeignKey("posts.id"), primary_key=True, autoincrement=False),
    Column("text", Text, nullable=False),
    # the post's own prepared alternative for a crisis
    Column("crisis_text", Text),
    # the text normalised for matching, and the normaliser's version that made it
    Column("text_norm", Text),
    Column("norm_version", Integer),
    # images with their alt text (0007): [{path, alt, mime, size, sha256}]
    Column("media", JSON(none_as_null=True)),
)
TEXT_COLUMNS = ("text", "crisis_text", "text_norm", "norm_version", "media")

# No plain index on status: SQLite would prefer it to the partial ones below and then sort
# the whole backlog on every claim.
# the dispatch queue in claim order, whatever the size of the backlog
Index(
    "ix_posts_due",
    posts.c.run_at,
    posts.c.id,
    sqlite_where=text(DUE_SQL),
    postgresql_where=text(DUE_SQL),
)
# posts in flight, by lease expiry: recovery and lease renewal read only these
Index(
    "ix_posts_publishing",
    posts.c.lease_until,
    sqlite_where=text(PUBLISHING_SQL),
    postgresql_where=text(PUBLISHING_SQL),
)
Index("ix_posts_channel_due", posts.c.channel, posts.c.due_at)
# held posts with an offer that ends: a stale offer leaves the review queue on time
Index(
    "ix_posts_held_expiry",
    posts.c.expires_at,
    sqlite_where=text(HELD_EXPIRING_SQL),
    postgresql_where=text(HELD_EXPIRING_SQL),
)
Index("ix_posts_import_key", posts.c.import_key)
# one live post per (channel, instant, text): re-running an import cannot duplicate posts
Index(
    "uq_posts_live_content",
    posts.c.content_key,
    unique=True,
    sqlite_where=text(LIVE_SQL),
    postgresql_where=text(LIVE_SQL),
)


def is_due() -> TextClause:
    return text(DUE_SQL)


def is_publishing() -> TextClause:
    return text(PUBLISHING_SQL)


def due_in_order(query: Select[Any]) -> Select[Any]:
    """Due posts in claim order, read off ix_posts_due."""
    return query.where(is_due()).order_by(posts.c.run_at, posts.c.id)


def is_live() -> TextClause:
    return text(LIVE_SQL)


# A channel a human paused (0006): nothing goes out on it until it is resumed.
channel_pauses = Table(
    "channel_pauses",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("paused_at", UTCDateTime, nullable=False),
    Column("paused_by", String(128), nullable=False),
    Column("reason", Text),
)

#: one row per daemon process: its heartbeat and what it did (migration 0008)
daemons = Table(
    "daemons",
    metadata,
    Column("worker", String(128), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("beat_at", UTCDateTime, nullable=False),
    Column("stopped_at", UTCDateTime),
    Column("passes", Integer, nullable=False, server_default="0"),
    Column("published", Integer, nullable=False, server_default="0"),
    Column("epoch_seen", BigInteger),
)

audit = Table(
    "audit",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(32), nullable=False),
    Column("post_id", Id),
    Column("from_status", String(16)),
    Column("to_status", String(16)),
    Column("reason", Text),
    Column("detail", JSON(none_as_null=True)),
    # PostgreSQL (0010): the transaction that wrote the line (DEFAULT txid_current(), set
    # by the migration): notifications read the log by committed transaction, not by id
    Column("xact", BigInteger),
)
Index("ix_audit_post", audit.c.post_id, audit.c.id)
# PostgreSQL only in practice: on SQLite every line's xact is NULL, and the index empty
Index(
    "ix_audit_xact",
    audit.c.xact,
    sqlite_where=text("xact IS NOT NULL"),
    postgresql_where=text("xact IS NOT NULL"),
)

#: where each notification target (config `notify:`) has got to in the audit (0010)
notify_cursors = Table(
    "notify_cursors",
    metadata,
    Column("target", String(64), primary_key=True),
    # the first position not yet handled: an audit id on SQLite, a transaction horizon on
    # PostgreSQL (see scheduler.store.notify)
    Column("position", BigInteger, nullable=False),
    Column("last_id", BigInteger),
    Column("created_at", UTCDateTime, nullable=False),
    # not before: a retry after a failure, or the next digest
    Column("next_at", UTCDateTime),
    Column("claimed_by", String(128)),
    Column("claimed_until", UTCDateTime),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("last_try_at", UTCDateTime),
    Column("last_sent_at", UTCDateTime),
    Column("sent", Integer, nullable=False, server_default="0"),
)

crises = Table(
    "crises",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("category", String(32), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("ops", String(16), nullable=False),
    Column("keywords", JSON, nullable=False),
    Column("contexts", JSON, nullable=False),
    Column("regions", JSON, nullable=False),
    Column("brands", JSON, nullable=False),
    Column("channels", JSON, nullable=False),
    Column("langs", JSON, nullable=False),
    Column("until_at", UTCDateTime),
    Column("active", Boolean, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("started_by", String(128), nullable=False),
    Column("ended_at", UTCDateTime),
    Column("ended_by", String(128)),
    Column("note", Text),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("body", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

crisis_state = Table(
    "crisis_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("epoch", Integer, nullable=False),
    Column("updated_at", UTCDateTime),
)


def with_texts() -> Join:
    """Posts beside their words (every post has its row in post_texts)."""
    return posts.join(post_texts, post_texts.c.post_id == posts.c.id)


def posts_with_decisions() -> Select[Any]:
    """Whole posts: state, words, and the body of the latest decision (`decision_body`)."""
    return select(
        posts,
        *(post_texts.c[name] for name in TEXT_COLUMNS),
        decisions.c.body.label("decision_body"),
    ).select_from(with_texts().outerjoin(decisions, posts.c.decision_id == decisions.c.id))


def id_in(column: Any, ids: list[int], dialect: str) -> ColumnElement[bool]:
    """`column IN (ids)` with one parameter however many ids: an expanded IN of thousands
    of placeholders costs more to build than the UPDATE it selects for costs to run."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(BigInteger)))
    values = func.json_each(json.dumps(list(ids))).table_valued("value")
    return column.in_(select(values.c.value))


# -- crisis feeds (migration 0011) ----------------------------------------------------
feed_state = Table(
    "feed_state",
    metadata,
    Column("feed", String(64), primary_key=True),
    # what the server said last, for a conditional GET
    Column("etag", Text),
    Column("last_modified", Text),
    # the next poll: a daemon takes a poll by moving it on (see store.feeds.take_poll)
    Column("next_at", UTCDateTime),
    Column("polled_at", UTCDateTime),
    Column("ok_at", UTCDateTime),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("alerts", Integer, nullable=False, server_default="0"),
)

feed_alerts = Table(
    "feed_alerts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("feed", String(64), nullable=False),
    Column("identifier", Text, nullable=False),
    # CAP msgType: alert, update, cancel
    Column("kind", String(16), nullable=False),
    # the first alert of its story: Updates and Cancels point to the alert they replace
    # (none: this one is the first); the suggestion hangs on the first
    Column("thread_id", Id),
    # a hash of the alert as read: the same alert seen again changes nothing
    Column("digest", String(64), nullable=False),
    # of a story's first alert: active, cancelled
    Column("status", String(16), nullable=False),
    # what came of it: suggested, flagged, no-brand, no-category, below-severity, ...
    Column("outcome", String(32), nullable=False),
    Column("headline", Text, nullable=False),
    Column("regions", JSON, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("expires_at", UTCDateTime),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("versions", Integer, nullable=False, server_default="1"),
    # the alert as read, for people and the audit log
    Column("body", JSON, nullable=False),
    Index("ux_feed_alerts_identifier", "feed", "identifier", unique=True),
)

suggestions = Table(
    "suggestions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("alert_id", Id, ForeignKey("feed_alerts.id"), nullable=False, unique=True),
    Column("feed", String(64), nullable=False),
    # open, accepted, dismissed, withdrawn, flagged (by the feed itself: `auto:`)
    Column("status", String(16), nullable=False),
    # the crisis it would flag (CrisisSpec.values()) and what that would reach
    Column("spec", JSON, nullable=False),
    Column("reach", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
    Column("decided_by", String(128)),
    Column("note", Text),
    Column("crisis_id", Id),
    Index("ix_suggestions_status", "status"),
)
