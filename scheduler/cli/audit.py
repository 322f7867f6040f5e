"""`tactful audit`: the append-only log of every state change."""

from __future__ import annotations

import click

from scheduler.cli.common import POST_ID, App, err, pass_app, short_time
from scheduler.cli.listing import cap, emit, list_options, note_cap, print_table
from scheduler.when import zone


@click.command()
@click.option("--post", "post_id", type=POST_ID, metavar="ID", help="Only this post's events.")
@list_options(200, "entries (the latest)")
@pass_app
def audit(app: App, post_id: int | None, limit: int, as_json: bool, as_nl: bool) -> None:
    """Show who changed what, when and why (oldest first).

    The latest --limit entries are shown, in the order they happened.

    \b
    Example:
      tactful audit --post 42
      tactful audit --limit 20 --json
      tactful audit --limit 0 --nl > audit.ndjson
    """
    page = app.posts.audit(post_id, limit=cap(limit))
    events, total = page.items, page.total
    more = "the earlier ones with --limit 0"
    if emit([e.to_json() for e in events], total, as_json=as_json, as_nl=as_nl, more=more):
        return
    if not events:
        err("The audit log is empty.")
        return
    tz = zone(app.config.timezone)
    rows = [
        (
            short_time(e.at, tz),
            e.actor,
            e.action,
            str(e.post_id or "-"),
            e.from_status or "-",
            e.to_status or "-",
            e.reason or "",
        )
        for e in events
    ]
    print_table(
        ("at", "actor", "action", "post", "from", "to", "reason"),
        rows,
        keep=4,
        squeeze={"from": 9, "to": 9},
        zone=tz.key,
    )
    note_cap(len(events), total, more)
