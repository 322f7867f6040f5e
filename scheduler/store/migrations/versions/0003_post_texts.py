"""A post's words move to their own table, apart from the state that keeps changing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Every claim, retry and crisis toggle rewrites a post's state row; its words are written
when it is queued or edited. In one row they tripled the bytes each status change wrote.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from scheduler.store.schema import Id

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_MOVED = ("text", "crisis_text", "text_norm", "norm_version")


def upgrade() -> None:
    op.create_table(
        "post_texts",
        sa.Column("post_id", Id, sa.ForeignKey("posts.id"), primary_key=True, autoincrement=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("crisis_text", sa.Text),
        sa.Column("text_norm", sa.Text),
        sa.Column("norm_version", sa.Integer),
    )
    op.execute(
        f"INSERT INTO post_texts (post_id, {', '.join(_MOVED)}) "
        f"SELECT id, {', '.join(_MOVED)} FROM posts"
    )
    # plain DROP COLUMN on both backends (SQLite 3.35+): none of these is indexed
    for column in _MOVED:
        op.execute(f"ALTER TABLE posts DROP COLUMN {column}")


def downgrade() -> None:
    op.add_column("posts", sa.Column("text", sa.Text, nullable=False, server_default=""))
    op.add_column("posts", sa.Column("crisis_text", sa.Text))
    op.add_column("posts", sa.Column("text_norm", sa.Text))
    op.add_column("posts", sa.Column("norm_version", sa.Integer))
    op.execute(
        f"UPDATE posts SET {', '.join(f'{c} = t.{c}' for c in _MOVED)} "
        "FROM post_texts AS t WHERE t.post_id = posts.id"
    )
    op.drop_table("post_texts")
