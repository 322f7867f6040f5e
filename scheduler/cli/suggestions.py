"""`tactful crisis suggestions|accept|dismiss`: the crises the feeds suggest."""

from __future__ import annotations

import shlex
from typing import Any

import click

from scheduler.cli.common import App, console, json_option, pass_app, print_json
from scheduler.cli.listing import narrow_table
from scheduler.feeds.raising import on_command, shell_quote, spec_of
from scheduler.feeds.suggestion_desk import STATUSES
from scheduler.store.feeds import Suggestion


@click.command("suggestions")
@click.option("--all", "everything", is_flag=True, help="Decided and withdrawn ones too.")
@click.option(
    "--status", "statuses", multiple=True, type=click.Choice(STATUSES), help="Only these."
)
@json_option
@pass_app
def suggestions(app: App, everything: bool, statuses: tuple[str, ...], as_json: bool) -> None:
    """List the crises the feeds suggest (open ones unless --all or --status).

    Each names the alert it came from, the brands it reaches, what flagging it would
    do to the queue (a preview taken when it was raised), and the exact command.

    \b
    Example:
      tactful crisis suggestions
      tactful crisis accept 3
      tactful crisis dismiss 4 --note "drill in another county"
    """
    wanted = None if everything else (statuses or ("open",))
    found = app.suggestions.list(wanted)
    rows = [_row(app, s) for s in found]
    if as_json:
        print_json(rows)
        return
    if not rows:
        click.echo("No open suggestions." if wanted == ("open",) else "No suggestions.")
        return
    # when each was raised and what it would flag in full: --json
    columns = ("id", "status", "feed", "kind", "regions", "brands", "stops", "crisis")
    table = [
        (
            str(s.id),
            s.status,
            s.feed,
            f"{row['category']}/{row['severity']}",
            ", ".join(row["regions"]),
            ", ".join(row["reach"].get("brands", [])),
            str(row["stops"]),
            row["name"],
        )
        for s, row in zip(found, rows, strict=True)
    ]
    squeeze = {"feed": 10, "kind": 14, "regions": 12, "brands": 12}
    out = console()
    out.print(narrow_table(columns, table, keep=2, squeeze=squeeze, width=out.width))
    for row in rows:
        if row["status"] == "open":
            click.echo(f"{row['id']}: accept: tactful crisis accept {row['id']}")
            lead = " " * len(str(row["id"])) + "  or run: "
            click.echo(lead + shell_lines(row["command"], out.width, len(lead)))
        elif row["crisis"]:
            click.echo(f"{row['id']}: {row['status']}: crisis {row['crisis']}")


def shell_lines(command: str, width: int, first: int, indent: int = 4) -> str:
    """A shell command broken between its words (never inside a quoted one, nor between
    an option and its value) with `\\`, so that it fits `width` columns after `first`
    columns on its first line and `indent` on the others, and still pastes as one
    command. A single word too long for a line keeps its line to itself."""
    units: list[str] = []
    for word in (shell_quote(w) for w in shlex.split(command)):
        if units and units[-1].startswith("--") and " " not in units[-1]:
            units[-1] += " " + word  # an option stays on the line of its value
        else:
            units.append(word)
    lines: list[str] = []
    line = ""
    for unit in units:
        room = width - (indent if lines else first) - 2  # 2: the " \\" that ends a line
        if line and len(line) + 1 + len(unit) > room:
            lines.append(line)
            line = unit
        else:
            line = f"{line} {unit}" if line else unit
    lines.append(line)
    return (" \\\n" + " " * indent).join(lines)


def _row(app: App, s: Suggestion) -> dict[str, Any]:
    spec = spec_of(s)
    alert = app.suggestions.alert_of(s)
    counts = s.reach.get("posts", {})
    return {
        "id": s.id,
        "status": s.status,
        "feed": s.feed,
        "alert": alert.identifier,
        "alert_status": alert.status,
        "headline": alert.headline,
        "expires": alert.expires_at.isoformat() if alert.expires_at else None,
        "name": spec.name,
        "category": spec.category,
        "severity": spec.severity,
        "regions": list(spec.regions),
        "keywords": list(spec.keywords),
        "reach": s.reach,
        "stops": sum(n for label, n in counts.items() if label != "untouched"),
        "command": on_command(spec),
        "created_at": s.created_at.isoformat(),
        "decided_at": s.decided_at.isoformat() if s.decided_at else None,
        "decided_by": s.decided_by,
        "note": s.note,
        "crisis": s.crisis_id,
    }


@click.command("accept")
@click.argument("suggestion_id", metavar="ID", type=click.IntRange(1))
@click.option("--note", help="Why, for the audit log.")
@json_option
@pass_app
def accept(app: App, suggestion_id: int, note: str | None, as_json: bool) -> None:
    """Flag the crisis a feed suggests: exactly what its `tactful crisis on` command
    would do, with the feed and the alert in the audit log.

    \b
    Example:
      tactful crisis accept 3
    """
    from scheduler.cli.crisis import _report

    impact = app.suggestions.accept(suggestion_id, note=note)
    _report(app, impact, as_json, verb="Flagged")


@click.command("dismiss")
@click.argument("suggestion_id", metavar="ID", type=click.IntRange(1))
@click.option("--note", required=True, help="Why it is not a crisis for us (audit log).")
@pass_app
def dismiss(app: App, suggestion_id: int, note: str) -> None:
    """Decide a suggested crisis is not one for us; the note says why.

    \b
    Example:
      tactful crisis dismiss 4 --note "our stores there are closed this week anyway"
    """
    app.suggestions.dismiss(suggestion_id, note)
    click.echo(f"Dismissed suggestion {suggestion_id}.")
