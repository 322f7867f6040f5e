"""`tactful channel ...`: the channels config.yaml declares, checked, paused, resumed."""

from __future__ import annotations

import click
from rich.table import Table

from scheduler.cli.common import (
    App,
    console,
    echo_release,
    json_option,
    local_time,
    pass_app,
    print_json,
    resume_options,
)
from scheduler.errors import TactfulError, UnknownChannel
from scheduler.publishers import PublisherPool, PublishError, credential_status
from scheduler.secrets import redact
from scheduler.slots import next_free_slot


class CheckFailed(TactfulError):
    """`channel test` reached something wrong: a credential, the network, the account."""


@click.group()
def channel() -> None:
    """Channels declared in config.yaml: list, test, pause and resume them.

    \b
    Example:
      tactful channel list
      tactful channel test stride-masto
      tactful channel pause stride-masto --note "account compromised"
      tactful channel resume stride-masto --resume review
    """


@channel.command("list")
@json_option
@pass_app
def list_channels(app: App, as_json: bool) -> None:
    """Each channel's brand and kind, whether its credentials are set (never their
    values), whether it is paused, and its next free posting slot.

    \b
    Example:
      tactful channel list --json
    """
    now = app.now()
    config = app.config
    credentials = credential_status(config)
    paused = app.store.paused_channels()
    rows = []
    for channel_id, (brand, ch) in config.channels.items():
        tz = config.brand_zone(brand)
        slot = (
            next_free_slot(ch.slots, tz, after=now, taken=app.store.taken_times(channel_id, now))
            if ch.slots
            else None
        )
        names, missing = credentials[channel_id]
        pause = paused.get(channel_id)
        rows.append(
            {
                "id": channel_id,
                "brand": brand.id,
                "kind": ch.kind,
                "credentials": names,
                "credentials_set": not missing,
                "credentials_missing": missing,
                "paused": pause is not None,
                "paused_at": pause.paused_at.isoformat() if pause else None,
                "paused_by": pause.paused_by if pause else None,
                "pause_reason": pause.reason if pause else None,
                "timezone": tz.key,
                "next_slot": slot.isoformat() if slot else None,
                "next_slot_local": local_time(slot, tz) if slot else None,
            }
        )
    if as_json:
        print_json(rows)
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("id", "brand", "kind", "credentials", "paused", "next free slot"):
        table.add_column(column)
    for row in rows:
        cred = (
            "-"
            if not row["credentials"]
            else (
                "set"
                if row["credentials_set"]
                else "MISSING " + ", ".join(row["credentials_missing"])
            )
        )
        table.add_row(
            row["id"],
            row["brand"],
            row["kind"],
            cred,
            f"since {row['paused_at'][:16]}" if row["paused"] else "no",
            row["next_slot_local"] or "-",
        )
    console().print(table)


@channel.command("test")
@click.argument("channel_id")
@pass_app
def test(app: App, channel_id: str) -> None:
    """Check a channel's credentials and that its network answers, without posting.

    Prints one line: what was reached, or what is wrong (exit 1; exit 2 for a channel
    config.yaml does not declare).

    \b
    Example:
      tactful channel test stride-masto
    """
    if channel_id not in app.config.channels:
        raise UnknownChannel(channel_id, list(app.config.channels))
    pool = PublisherPool(app.config)
    try:
        click.echo(f"{channel_id}: ok: {pool.get(channel_id).check()}")
    except PublishError as exc:
        raise CheckFailed(redact(f"{channel_id}: {exc}")) from None
    finally:
        pool.close()


@channel.command("pause")
@click.argument("channel_id")
@click.option("--note", help="Why, for the audit log (shown with the paused posts).")
@json_option
@pass_app
def pause(app: App, channel_id: str, note: str | None, as_json: bool) -> None:
    """Stop one channel now: what waits on it is paused, and nothing goes out on it
    until `channel resume` (a daemon holding one of its posts gives it back).

    \b
    Example:
      tactful channel pause stride-masto --note "token leaked; rotating it"
    """
    done = app.channels.pause(channel_id, note=note)
    if as_json:
        print_json(done.to_json())
        return
    click.echo(f"Paused channel {channel_id}: {len(done.paused)} post(s) paused.")
    if done.in_flight:
        click.echo(
            f"{len(done.in_flight)} post(s) were in a daemon's hands "
            f"({', '.join(map(str, done.in_flight))}): one not yet being sent is "
            "given back and paused; one whose send had begun may still go out "
            "(`tactful post show ID` tells)."
        )


@channel.command("resume")
@click.argument("channel_id")
@resume_options("the channel's pause")
@click.option("--note", help="Why, for the audit log.")
@json_option
@pass_app
def resume(
    app: App, channel_id: str, resume: str, rate: str | None, note: str | None, as_json: bool
) -> None:
    """Lift a channel's pause. Posts a crisis still stops stay paused.

    \b
    Example:
      tactful channel resume stride-masto --resume paced --rate 6/1h
    """
    done = app.channels.resume(channel_id, resume=resume, rate=rate, note=note)
    if as_json:
        print_json(done.to_json())
        return
    click.echo(f"Resumed channel {channel_id}.")
    echo_release(done.posts, done.still_paused, still="a crisis still stops them")
