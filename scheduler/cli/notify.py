"""`tactful notify ...`: send a test message to the notification targets; see how far
each has got."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click
from rich.table import Table

from scheduler.cli.common import App, console, err, json_option, local_time, pass_app, print_json
from scheduler.config import Config, NotifyTarget
from scheduler.errors import BadInput, NotifyError
from scheduler.when import zone


@click.group("notify")
def notify() -> None:
    """Tell people of crises, held and blocked posts, and dead or unknown ones.

    Targets (a chat webhook or an email list) are declared under notify: in config.yaml;
    the daemon sends what the audit log records, each event once.

    \b
    Example:
      tactful notify test
      tactful notify test team-slack
      tactful notify status --json
    """


def _targets(config: Config, name: str | None) -> list[NotifyTarget]:
    if not config.notify:
        raise BadInput(
            "config.yaml declares no notification targets (add a notify: list; "
            "see Notifications in the README)"
        )
    if name is None:
        return list(config.notify)
    found = [t for t in config.notify if t.name == name]
    if not found:
        raise BadInput(
            f"unknown notification target {name!r}; known targets: "
            f"{', '.join(t.name for t in config.notify)}"
        )
    return found


@notify.command("test")
@click.argument("name", required=False)
@pass_app
def test(app: App, name: str | None) -> None:
    """Send a test message to each target (or NAME) and say which took it.

    Exits 4 if any target did not take its message, 2 for a NAME config.yaml does not
    declare. Nothing is recorded: the daemon's notifications are not affected.

    \b
    Example:
      tactful notify test
      tactful notify test ops-mail
    """
    from scheduler.notify import send_test

    targets = _targets(app.config, name)
    failed = []
    for target in targets:
        try:
            send_test(app.config, target)
        except NotifyError as exc:
            failed.append(target.name)
            click.echo(f"{target.name}: failed: {exc}")
        else:
            click.echo(f"{target.name}: ok ({target.kind})")
    if failed:
        raise NotifyError(
            f"{len(failed)} of {len(targets)} target(s) did not take the test "
            f"message: {', '.join(failed)}"
        )


@notify.command("status")
@json_option
@pass_app
def status(app: App, as_json: bool) -> None:
    """List the notification targets: their events, how far behind each is, its last error.

    "Behind" counts the audit lines worth telling that its last pass had not reached
    (whatever its events and brands filters keep of them).

    \b
    Example:
      tactful notify status
      tactful notify status --json
    """
    targets = _targets(app.config, None)
    cursors = app.store.notify_cursors()
    rows = [_row(app, t, cursors.get(t.name)) for t in targets]
    if as_json:
        print_json(rows)
        return
    tz = zone(app.config.timezone)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("target", "kind", "events", "behind", "last sent", "failures", "next try"):
        table.add_column(column)
    for row, target in zip(rows, targets, strict=True):
        cursor = cursors.get(target.name)
        table.add_row(
            row["name"],
            row["kind"] + (f" ({row['digest']})" if row["digest"] else ""),
            ", ".join(row["events"]) + (f" [{', '.join(row['brands'])}]" if row["brands"] else ""),
            str(row["behind"]),
            local_time(cursor and cursor.last_sent_at, tz),
            str(row["failures"]),
            local_time(cursor and cursor.next_at, tz),
        )
    console().print(table)
    for row in rows:
        if row["last_error"]:
            err(f"{row['name']}: last error: {row['last_error']}")


def _row(app: App, target: NotifyTarget, cursor: Any) -> dict[str, Any]:
    behind, oldest = app.store.notify_backlog(cursor.position) if cursor else (0, None)
    return {
        "name": target.name,
        "kind": target.kind,
        "events": target.events,
        "brands": target.brands,
        "digest": f"daily {target.digest:%H:%M}" if target.digest else None,
        "behind": behind,
        "oldest_behind_at": _iso(oldest),
        "last_audit_id": cursor.last_id if cursor else None,
        "sent": cursor.sent if cursor else 0,
        "last_sent_at": _iso(cursor.last_sent_at) if cursor else None,
        "failures": cursor.failures if cursor else 0,
        "last_error": cursor.last_error if cursor else None,
        "next_at": _iso(cursor.next_at) if cursor else None,
        "started_at": _iso(cursor.created_at) if cursor else None,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
