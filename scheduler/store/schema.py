"""Table definitions for queries. Alembic migrations own the DDL; a test checks they agree."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from scheduler.models import RETIRED


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

posts = Table(
    "posts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("brand", String(64), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("lang", String(16)),
    Column("automated", Boolean, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("run_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("crisis_text", Text),
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
    Column("published_at", UTCDateTime),
    Column("content_key", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

Index("ix_posts_dispatch", posts.c.status, posts.c.run_at)
Index("ix_posts_channel_due", posts.c.channel, posts.c.due_at)
# one live post per (channel, instant, text): re-running an import cannot duplicate posts
Index("uq_posts_live_content", posts.c.content_key, unique=True,
      sqlite_where=posts.c.status.notin_([s.value for s in RETIRED]),
      postgresql_where=posts.c.status.notin_([s.value for s in RETIRED]))

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
    Column("detail", JSON, nullable=False),
)
Index("ix_audit_post", audit.c.post_id, audit.c.id)
