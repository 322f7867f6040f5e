"""`tactful feeds ...`: the public alert feeds the daemon reads for crisis suggestions."""

from __future__ import annotations

import textwrap
from typing import Any

import click
from rich.table import Table

from scheduler.cli.common import (
    App,
    console,
    err,
    json_option,
    pass_app,
    print_json,
    short,
    short_time,
)
from scheduler.config import Feed
from scheduler.errors import BadInput, TactfulError
from scheduler.when import zone


class FeedFailed(TactfulError):
    """A feed could not be fetched or read (its line says why); nothing was changed."""

    exit_code = 1


@click.group("feeds")
def feeds() -> None:
    """Public alert feeds (CAP, GDACS-style RSS/Atom, USGS GeoJSON) the daemon reads.

    An alert that reaches a brand's regions raises a crisis suggestion
    (`tactful crisis suggestions`); feeds are declared under feeds: in config.yaml.

    \b
    Example:
      tactful feeds list
      tactful feeds check                # fetch and read each feed; store nothing
      tactful feeds poll nws-boston      # poll now, as the daemon would
    """


def _chosen(app: App, feed_id: str | None) -> list[Feed]:
    if not app.config.feeds:
        raise BadInput(
            "config.yaml declares no feeds (add a feeds: list; see Crisis feeds in the README)"
        )
    return [app.config.feed(feed_id)] if feed_id else list(app.config.feeds)


@feeds.command("list")
@json_option
@pass_app
def list_(app: App, as_json: bool) -> None:
    """List the feeds: how often each is polled, when it last answered, its last error.

    \b
    Example:
      tactful feeds list --json
    """
    chosen = _chosen(app, None)
    states = app.feeds.states()
    rows = [_row(feed, states.get(feed.id)) for feed in chosen]
    if as_json:
        print_json(rows)
        return
    tz = zone(app.config.timezone)
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("feed", "format", "every", "auto", "last ok", "next poll", "alerts", "fails"):
        table.add_column(column)
    for feed in chosen:
        state = states.get(feed.id)
        table.add_row(
            feed.id,
            feed.format,
            _every(feed),
            feed.auto,
            short_time(state and state.ok_at, tz),
            short_time(state and state.next_at, tz),
            str(state.alerts if state else 0),
            str(state.failures if state else 0),
        )
    console().print(table)
    click.echo(f"Times in {app.config.timezone}.")
    for feed in chosen:
        state = states.get(feed.id)
        if state and state.last_error:
            err(f"{feed.id}: last error: {state.last_error}")


def _row(feed: Feed, state: Any) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": feed.id,
        "url": feed.shown_url,
        "format": feed.format,
        "every_seconds": feed.every.total_seconds(),
        "auto": feed.auto,
        "min_severity": feed.min_severity,
        "rules": len(feed.rules),
        "polled_at": iso(state and state.polled_at),
        "ok_at": iso(state and state.ok_at),
        "next_at": iso(state and state.next_at),
        "alerts": state.alerts if state else 0,
        "failures": state.failures if state else 0,
        "last_error": state.last_error if state else None,
    }


def _every(feed: Feed) -> str:
    seconds = int(feed.every.total_seconds())
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@feeds.command("check")
@click.argument("feed_id", metavar="[FEED]", required=False)
@json_option
@pass_app
def check(app: App, feed_id: str | None, as_json: bool) -> None:
    """Fetch and read each feed (or FEED) now and say what each alert would raise.

    Stores nothing and changes nothing: a dry run of a poll, ignoring what was seen
    before. Exits 1 if a feed could not be fetched or read.

    \b
    Example:
      tactful feeds check
      tactful feeds check gdacs --json
    """
    results = []
    for feed in _chosen(app, feed_id):
        checked = app.feeds.check(feed)
        alerts = [
            {
                "identifier": j.alert.identifier,
                "kind": j.alert.kind,
                "headline": j.reading.name,
                "regions": list(j.placed.regions),
                "category": j.reading.category,
                "severity": j.reading.severity,
                "severity_from": j.reading.why,
                "brands": list(j.brands),
                "would": "suggest" if j.outcome is None else j.outcome,
            }
            for j in checked.judged
        ]
        results.append(
            {
                "feed": feed.id,
                "ok": checked.error is None,
                "error": checked.error,
                "alerts": alerts,
                "skipped": checked.skipped,
            }
        )
    if as_json:
        print_json(results)
    else:
        for result in results:
            _echo_check(result)
    _fail_if_any(results)


def _echo_check(result: dict[str, Any]) -> None:
    if not result["ok"]:
        click.echo(f"{result['feed']}: FAILED: {result['error']}")
        return
    alerts = result["alerts"]
    raising = [a for a in alerts if a["would"] == "suggest"]
    click.echo(
        f"{result['feed']}: ok, {len(alerts)} alert(s), {len(raising)} would raise a suggestion"
    )
    for line in result["skipped"]:
        click.echo(f"  skipped: {line}")
    for a in alerts:
        where = ", ".join(a["regions"]) or "no region"
        kind = f"{a['category'] or '-'}/{a['severity'] or '-'}"
        reach = f" -> {', '.join(a['brands'])}" if a["brands"] else ""
        click.echo(f"  {a['would']:<14} {kind:<22} [{where}] {short(a['headline'], 60)}{reach}")


def _fail_if_any(results: list[dict[str, Any]]) -> None:
    failed = [r["feed"] for r in results if not r["ok"]]
    if failed:
        raise FeedFailed(f"{len(failed)} of {len(results)} feed(s) failed: {', '.join(failed)}")


@feeds.command("poll")
@click.argument("feed_id", metavar="[FEED]", required=False)
@json_option
@pass_app
def poll(app: App, feed_id: str | None, as_json: bool) -> None:
    """Poll each feed (or FEED) now, as the daemon does: store new alerts once, raise,
    update or withdraw suggestions (or flag, for a feed with auto:).

    Uses a conditional GET: a feed that has not changed answers 304 and costs nothing.
    Exits 1 if a feed could not be fetched or read.

    \b
    Example:
      tactful feeds poll
      tactful feeds poll nws-boston --json
    """
    reports = [app.feeds.poll(feed, app.now()) for feed in _chosen(app, feed_id)]
    if as_json:
        print_json([r.to_json() for r in reports])
    else:
        width = console().width
        for report in reports:
            click.echo(textwrap.fill(report.summary(), width, subsequent_indent="  "))
        if any(a.suggestion and not a.crisis for r in reports for a in r.raised):
            click.echo("See them: tactful crisis suggestions")
    _fail_if_any([{"feed": r.feed, "ok": r.status != "failed"} for r in reports])
