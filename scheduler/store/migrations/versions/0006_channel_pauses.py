"""Channels a human paused.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

`tactful channel pause ID` stops one channel (the per-channel pause marketers rely on
when an account is compromised or a network misbehaves) without a crisis; nothing goes
out on it until `channel resume`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scheduler.store.schema import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_pauses",
        sa.Column("channel", sa.String(64), primary_key=True),
        sa.Column("paused_at", UTCDateTime(), nullable=False),
        sa.Column("paused_by", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text()),
    )


def downgrade() -> None:
    op.drop_table("channel_pauses")
