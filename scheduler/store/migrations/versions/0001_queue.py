"""The post queue and the append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scheduler.store.schema import Id, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# frozen copies of scheduler.store.schema.DUE_SQL and LIVE_SQL (a test keeps them equal)
DUE = "status IN ('failed', 'queued')"
LIVE = "status NOT IN ('cancelled', 'dead', 'expired')"
PUBLISHING = "status IN ('publishing')"


def upgrade() -> None:
    op.create_table(
        "posts",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("brand", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("lang", sa.String(16)),
        sa.Column("automated", sa.Boolean, nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("run_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime),
        sa.Column("crisis_text", sa.Text),
        sa.Column("every_seconds", sa.Integer),
        sa.Column("until_at", UTCDateTime),
        sa.Column("series_id", Id),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("prev_status", sa.String(16)),
        sa.Column("status_reason", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_until", UTCDateTime),
        sa.Column("send_started_at", UTCDateTime),
        sa.Column("remote_id", sa.Text),
        sa.Column("last_error", sa.Text),
        sa.Column("published_at", UTCDateTime),
        sa.Column("content_key", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index(
        "ix_posts_due",
        "posts",
        ["run_at", "id"],
        sqlite_where=sa.text(DUE),
        postgresql_where=sa.text(DUE),
    )
    op.create_index(
        "ix_posts_publishing",
        "posts",
        ["lease_until"],
        sqlite_where=sa.text(PUBLISHING),
        postgresql_where=sa.text(PUBLISHING),
    )
    op.create_index("ix_posts_channel_due", "posts", ["channel", "due_at"])
    op.create_index(
        "uq_posts_live_content",
        "posts",
        ["content_key"],
        unique=True,
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )
    op.create_table(
        "audit",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("post_id", Id),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16)),
        sa.Column("reason", sa.Text),
        sa.Column("detail", sa.JSON),
    )
    op.create_index("ix_audit_post", "audit", ["post_id", "id"])
    _make_audit_append_only()


def _make_audit_append_only() -> None:
    # The log is evidence: the database itself refuses to rewrite or delete it.
    if op.get_context().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_no_{event.lower()} BEFORE {event} ON audit "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
    )


def downgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        op.execute("DROP TRIGGER audit_append_only ON audit")
        op.execute("DROP FUNCTION audit_append_only()")
    op.drop_table("audit")
    op.drop_table("posts")
