"""Daemons say they are alive.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

Each running daemon keeps one row up to date (a heartbeat every few seconds, the passes
it ran, the posts it published, the crisis epoch it last saw), so `tactful daemon status`
can tell an operator which daemons run, which went silent, and what each holds.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scheduler.store.schema import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daemons",
        sa.Column("worker", sa.String(128), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("beat_at", UTCDateTime(), nullable=False),
        sa.Column("stopped_at", UTCDateTime()),
        sa.Column("passes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("published", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("epoch_seen", sa.BigInteger()),
    )


def downgrade() -> None:
    op.drop_table("daemons")
