"""Schema creation and upgrades through Alembic, safe when several processes start at once.

Alembic is imported only when there is something to upgrade: every command checks the
schema on start, and that check is a single query against alembic_version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, inspect, text

MIGRATIONS = Path(__file__).parent / "migrations"
#: the newest migration; a test keeps it equal to what Alembic finds in MIGRATIONS
HEAD = "0011"
# any fixed number; every Tactful process agrees on it
_PG_LOCK_KEY = 0x74616374


def _alembic_config(conn: Connection | None = None) -> Any:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def head_revision() -> str:
    return HEAD


def alembic_head() -> str | None:
    """What Alembic itself finds to be the newest migration (for the test of HEAD)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return _revision(conn)


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str | None]:
    """Upgrade to `target` under a database-wide lock; returns (before, after) revisions."""
    from alembic import command

    with engine.connect().execution_options(write=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        # on SQLite the BEGIN IMMEDIATE of this write transaction is the lock
        before = _revision(conn)
        command.upgrade(_alembic_config(conn), target)
        after = _revision(conn)
    return before, after


def ensure_schema(engine: Engine) -> None:
    """Create or upgrade the schema on first use; a no-op once it is current."""
    if current_revision(engine) != HEAD:
        upgrade(engine)
