"""`tactful calendar export`: the queue as an iCalendar file."""

from __future__ import annotations

import click

from scheduler.cli.common import App, err, pass_app


@click.group()
def calendar() -> None:
    """Export the queue as an iCalendar file, for the calendar the team already uses.

    \b
    Example:
      tactful calendar export > queue.ics
    """


@calendar.command("export")
@click.option(
    "--brand", "-b", "brands", multiple=True, metavar="ID", help="Only this brand (repeatable)."
)
@click.option(
    "--channel",
    "-c",
    "channels",
    multiple=True,
    metavar="ID",
    help="Only this channel (repeatable).",
)
@click.option("--since", metavar="WHEN", help="Only posts due at or after WHEN.")
@click.option("--until", metavar="WHEN", help="Only posts due before WHEN.")
@click.option(
    "--all",
    "history",
    is_flag=True,
    help="Add what is done with: published, cancelled, dead, expired and retracted posts.",
)
@pass_app
def export(
    app: App,
    brands: tuple[str, ...],
    channels: tuple[str, ...],
    since: str | None,
    until: str | None,
    history: bool,
) -> None:
    """Write the posts still to go out (queued, paused, held, failed, being sent) as an
    iCalendar file on stdout: one event per post at its due time, named by channel and
    first words, with the full text, brand, status and reason in its description and its
    tags as categories. Held and paused posts are tentative.

    Each post keeps its event id across exports, and an unchanged queue exports the same
    bytes, so a calendar that subscribes to the file updates in place. WHEN is ISO 8601,
    'now' or '+2h'; without an offset it is read in config.yaml's time zone.

    \b
    Example:
      tactful calendar export > queue.ics
      tactful calendar export --brand stride --since now --until +7d > week.ics
      tactful calendar export --all --channel stride-masto > stride-masto.ics
    """
    from scheduler import calendar_export

    selection = calendar_export.select(
        app.config,
        brands=brands,
        channels=channels,
        since=since,
        until=until,
        history=history,
        now=app.now(),
    )
    exported = calendar_export.export(app.store, app.config, selection)
    click.echo(exported.data, nl=False)
    err(f"Exported {exported.events} post(s).")
