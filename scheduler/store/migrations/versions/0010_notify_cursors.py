"""Notifications keep their place in the audit log.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

Each notification target (`notify:` in config.yaml) keeps one row: how far into the
audit log it has told its people, its lease while a daemon sends, and its last error.

On PostgreSQL each audit line also records the transaction that wrote it (`xact`), and
a target's place is a transaction horizon rather than an audit id: ids are handed out
when a line is written, not when it commits, so a long crisis toggle commits lines with
ids lower than some already read, which a place kept as an id would skip for good. Lines
written before this migration keep no transaction; no target starts before them. The
column is added without a default and the default set afterwards, so a large audit
table is not rewritten. On SQLite one writer at a time commits ids in order, and the
column stays empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scheduler.store.schema import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit", sa.Column("xact", sa.BigInteger()))
    if op.get_bind().dialect.name == "postgresql":
        # txid_current(): the writing transaction's id with its epoch, so it never wraps
        op.execute("ALTER TABLE audit ALTER COLUMN xact SET DEFAULT txid_current()")
    # lines written before this one keep no transaction; on SQLite none does
    op.create_index(
        "ix_audit_xact",
        "audit",
        ["xact"],
        sqlite_where=sa.text("xact IS NOT NULL"),
        postgresql_where=sa.text("xact IS NOT NULL"),
    )
    op.create_table(
        "notify_cursors",
        sa.Column("target", sa.String(64), primary_key=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("last_id", sa.BigInteger()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("next_at", UTCDateTime()),
        sa.Column("claimed_by", sa.String(128)),
        sa.Column("claimed_until", UTCDateTime()),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text()),
        sa.Column("last_try_at", UTCDateTime()),
        sa.Column("last_sent_at", UTCDateTime()),
        sa.Column("sent", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("notify_cursors")
    op.drop_index("ix_audit_xact", "audit")
    op.drop_column("audit", "xact")
