"""A post remembers the CSV row it came from.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

Re-importing a file must queue nothing twice. A row with a fixed time is found again by
its channel, time and text; a `next-slot` row gets a new slot each time, so it is found
by a key of the row itself (its cells and channel, and which repeat of an identical row
it is), kept on the post it made.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("posts", sa.Column("import_key", sa.String(32)))
    op.create_index("ix_posts_import_key", "posts", ["import_key"])


def downgrade() -> None:
    op.drop_index("ix_posts_import_key", "posts")
    op.drop_column("posts", "import_key")
