"""Held posts whose offer ends, indexed by when it ends.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

A held post whose --expires passes becomes `expired` (a stale offer leaves the review
queue); the daemon looks for such posts before each pass, through this small index
rather than a scan of the whole queue.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scheduler.store.schema import HELD_EXPIRING_SQL

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_posts_held_expiry",
        "posts",
        ["expires_at"],
        sqlite_where=sa.text(HELD_EXPIRING_SQL),
        postgresql_where=sa.text(HELD_EXPIRING_SQL),
    )


def downgrade() -> None:
    op.drop_index("ix_posts_held_expiry", table_name="posts")
