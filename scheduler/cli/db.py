"""`tactful db`: the database schema (Alembic migrations)."""

from __future__ import annotations

import click

from scheduler.cli.common import App, pass_app
from scheduler.store import Store
from scheduler.store.migrate import current_revision, head_revision, upgrade


@click.group()
def db() -> None:
    """Create, upgrade and inspect the database schema.

    \b
    Example:
      tactful db upgrade
      tactful db status
    """


@db.command("upgrade")
@pass_app
def upgrade_(app: App) -> None:
    """Create the schema or bring it up to date (also done on first use).

    \b
    Example:
      tactful --config /etc/tactful/config.yaml db upgrade
    """
    store = Store.open(app.config.database_url, migrate=False)
    try:
        with store.unavailable_as_error():
            before, after = upgrade(store.engine)
    finally:
        store.close()
    if before == after:
        click.echo(f"Database already at revision {after}.")
    else:
        click.echo(f"Database upgraded from {before or 'empty'} to {after}.")


@db.command("status")
@pass_app
def status(app: App) -> None:
    """Show the database URL (without password) and its schema revision.

    \b
    Example:
      tactful db status
    """
    store = Store.open(app.config.database_url, migrate=False)
    try:
        with store.unavailable_as_error():
            current = current_revision(store.engine)
        url = store.engine.url.render_as_string(hide_password=True)
    finally:
        store.close()
    state = "up to date" if current == head_revision() else f"behind (head is {head_revision()})"
    click.echo(f"{url}: revision {current or 'none'}, {state}.")
