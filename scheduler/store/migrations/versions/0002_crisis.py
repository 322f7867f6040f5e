"""Crisis mode: crises, the crisis epoch, and each post's latest decision.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scheduler.store.schema import Id, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crises",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("ops", sa.String(16), nullable=False),
        sa.Column("keywords", sa.JSON, nullable=False),
        sa.Column("contexts", sa.JSON, nullable=False),
        sa.Column("regions", sa.JSON, nullable=False),
        sa.Column("brands", sa.JSON, nullable=False),
        sa.Column("channels", sa.JSON, nullable=False),
        sa.Column("langs", sa.JSON, nullable=False),
        sa.Column("until_at", UTCDateTime),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("started_by", sa.String(128), nullable=False),
        sa.Column("ended_at", UTCDateTime),
        sa.Column("ended_by", sa.String(128)),
        sa.Column("note", sa.Text),
    )
    # one row: the epoch every crisis toggle increments, which dispatchers check
    op.create_table(
        "crisis_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("updated_at", UTCDateTime),
    )
    op.execute("INSERT INTO crisis_state (id, epoch) VALUES (1, 0)")
    # a decision is stored once and shared: a toggle can pause 200,000 posts for the same
    # reason, and writing that reason 200,000 times would cost more than the judging
    op.create_table(
        "decisions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    # plain ADD COLUMN on both backends: no table copy, indexes and triggers untouched
    op.add_column("posts", sa.Column("decision_id", Id))
    op.add_column("posts", sa.Column("judged_epoch", sa.Integer))
    op.add_column("posts", sa.Column("approved_epoch", sa.Integer))
    op.add_column("posts", sa.Column("text_norm", sa.Text))
    op.add_column("posts", sa.Column("norm_version", sa.Integer))


def downgrade() -> None:
    for column in ("norm_version", "text_norm", "approved_epoch", "judged_epoch", "decision_id"):
        op.drop_column("posts", column)
    op.drop_table("decisions")
    op.drop_table("crisis_state")
    op.drop_table("crises")
