"""Images with their alt text, beside a post's words.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

`post add --media FILE --alt TEXT` (and the CSV columns media, alt): the files are read
and uploaded when the post is sent; what is kept is where each file is, its type, size
and checksum (to notice a file changed since), and the alt text.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("post_texts") as batch:
        batch.add_column(sa.Column("media", sa.JSON(none_as_null=True)))


def downgrade() -> None:
    with op.batch_alter_table("post_texts") as batch:
        batch.drop_column("media")
