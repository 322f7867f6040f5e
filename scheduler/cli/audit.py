"""`tactful audit`: the append-only log of every state change."""

from __future__ import annotations

import click
from rich.table import Table

from scheduler.cli.common import (
    LIMIT,
    POST_ID,
    App,
    console,
    err,
    json_option,
    local_time,
    pass_app,
    print_json,
)
from scheduler.when import zone


@click.command()
@click.option("--post", "post_id", type=POST_ID, metavar="ID", help="Only this post's events.")
@click.option("--limit", "-n", default=200, show_default=True, type=LIMIT,
              help="The latest this many.")
@json_option
@pass_app
def audit(app: App, post_id: int | None, limit: int, as_json: bool) -> None:
    """Show who changed what, when and why (oldest first).

    \b
    Example:
      tactful audit --post 42
      tactful audit --limit 20 --json
    """
    if post_id is not None:
        app.store.get_post(post_id)  # a clear error for an unknown id
    events = app.store.audit_events(post_id=post_id, limit=limit)
    if as_json:
        print_json([e.to_json() for e in events])
        return
    if not events:
        err("The audit log is empty.")
        return
    tz = zone(app.config.timezone)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("at", "actor", "action", "post", "from", "to", "reason"):
        table.add_column(column, no_wrap=column != "reason")
    for e in events:
        table.add_row(local_time(e.at, tz), e.actor, e.action, str(e.post_id or "-"),
                      e.from_status or "-", e.to_status or "-", e.reason or "")
    console().print(table)
