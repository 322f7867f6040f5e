"""What a send to a real network needs remembered between tries.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

- `first_try_at`: when the first send of a post started. Mastodon keeps an
  Idempotency-Key for about an hour, so a retry later than that could post twice.
- `remote_key`: the key Tactful chose for the post before its first try (a Bluesky
  record key), so a retry writes the same record rather than a second one.
- `remote_url`: where a published post can be seen.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scheduler.store.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("first_try_at", UTCDateTime()))
        batch.add_column(sa.Column("remote_key", sa.String(64)))
        batch.add_column(sa.Column("remote_url", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("remote_url")
        batch.drop_column("remote_key")
        batch.drop_column("first_try_at")
