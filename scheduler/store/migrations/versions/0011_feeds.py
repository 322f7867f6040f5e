"""Crisis feeds: what each feed said last, every alert once, and the suggestions.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

`feed_state` keeps one row per feed of config.yaml: the validators of its last answer
(ETag, Last-Modified) for a conditional GET, when it is next polled (a daemon takes a
poll by moving that on, so several daemons poll a feed once), and its failures.
`feed_alerts` keeps each alert once by (feed, identifier); CAP Updates and Cancels
rewrite the row they reference. `suggestions` keeps the crisis an alert would flag,
what it would reach, and what a person (or the feed, with `auto:`) decided.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scheduler.store.schema import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "feed_state",
        sa.Column("feed", sa.String(64), primary_key=True),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.Column("next_at", UTCDateTime()),
        sa.Column("polled_at", UTCDateTime()),
        sa.Column("ok_at", UTCDateTime()),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text()),
        sa.Column("alerts", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_table(
        "feed_alerts",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("feed", sa.String(64), nullable=False),
        sa.Column("identifier", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("thread_id", _ID),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("sent_at", UTCDateTime()),
        sa.Column("expires_at", UTCDateTime()),
        sa.Column("first_seen_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("versions", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("body", sa.JSON(), nullable=False),
    )
    op.create_index("ux_feed_alerts_identifier", "feed_alerts", ["feed", "identifier"], unique=True)
    op.create_table(
        "suggestions",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("alert_id", _ID, sa.ForeignKey("feed_alerts.id"), nullable=False, unique=True),
        sa.Column("feed", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("reach", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime()),
        sa.Column("decided_by", sa.String(128)),
        sa.Column("note", sa.Text()),
        sa.Column("crisis_id", _ID),
    )
    op.create_index("ix_suggestions_status", "suggestions", ["status"])


def downgrade() -> None:
    op.drop_table("suggestions")
    op.drop_table("feed_alerts")
    op.drop_table("feed_state")
