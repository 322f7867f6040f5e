"""`tactful daemon`: publish posts as they fall due (long-running, or one pass for cron)."""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click
from rich.table import Table

from scheduler.cli.common import App, console, err, json_option, pass_app, print_json
from scheduler.config import config_path
from scheduler.daemon import HEARTBEAT_SECONDS
from scheduler.errors import BadInput
from scheduler.models import Status
from scheduler.store import DaemonRecord

if TYPE_CHECKING:
    pass


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@click.group(invoke_without_command=True)
@click.option("--once", is_flag=True, help="Do one dispatch pass and exit (for cron).")
@click.option(
    "--print-cron",
    is_flag=True,
    help="Print a crontab entry that runs --once every minute, and exit.",
)
@click.option(
    "--print-systemd",
    is_flag=True,
    help="Print a systemd user unit that runs the daemon, and exit.",
)
@click.option(
    "--grace",
    type=click.FloatRange(0, 3600),
    default=30,
    show_default=True,
    metavar="SECONDS",
    help="On SIGTERM or Ctrl-C, wait this long for a send in progress; then exit "
    "anyway (its lease is recovered by the next daemon).",
)
@json_option
@click.pass_context
def daemon(
    ctx: click.Context,
    once: bool,
    print_cron: bool,
    print_systemd: bool,
    grace: float,
    as_json: bool,
) -> None:
    """Publish queued posts when they fall due.

    Runs in the foreground until SIGTERM or Ctrl-C, which let the post in hand finish.
    Several daemons (or cron runs) may share one database: each post goes out once.
    `tactful daemon status` shows which daemons run and what each holds.

    --print-cron and --print-systemd check config.yaml and print, with absolute paths,
    how cron or systemd should run the daemon: the credentials the channels need come
    from an environment file beside config.yaml, whose variables are named (never their
    values) in comments.

    \b
    Example:
      tactful daemon                 # long-running
      tactful daemon --once          # one pass, e.g. from cron
      tactful daemon --print-cron >> mycrontab
      tactful daemon --print-systemd > ~/.config/systemd/user/tactful.service
      tactful daemon status
    """
    if ctx.invoked_subcommand is not None:
        return
    app = ctx.find_object(App)
    assert app is not None
    if print_cron or print_systemd:
        click.echo(
            _run_setup_text(app, cron=print_cron, systemd=print_systemd, once=once, grace=grace)
        )
        return
    logger = logging.getLogger("tactful")
    if logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    with app.daemon(grace=grace, clock=_wall_clock) as runner:
        if once:
            report = runner.run_once()
            if as_json:
                print_json({"worker": runner.worker, **report.counts(), "events": report.events})
            else:
                click.echo(f"Dispatch pass: {report.summary()}.")
            return
        runner.run()
        if runner.abandoned:
            # a send still runs in a worker thread, which Python would wait for at exit
            # (its client is left open under it)
            logging.shutdown()
            sys.stdout.flush()
            os._exit(0)


def _run_setup_text(app: App, *, cron: bool, systemd: bool, once: bool, grace: float) -> str:
    if cron and systemd:
        raise BadInput("--print-systemd: give it or --print-cron, not both")
    if systemd and once:
        raise BadInput(
            "--print-systemd: runs the long-lived daemon, not --once (for that, use --print-cron)"
        )
    from scheduler.daemon_setup import cron_entry, run_setup, systemd_unit

    # cron or systemd would start a daemon that fails on its first run: refuse now
    setup = run_setup(
        config_path(app.config_path),
        app.config,
        argv0=sys.argv[0],
        python=sys.executable,
        environ=os.environ,
    )
    text = cron_entry(setup) if cron else systemd_unit(setup, grace=grace)
    if setup.variables and not setup.env_file.exists():
        err(f"Note: {setup.env_file} does not exist yet; create it as the comments say.")
    return text


@daemon.command("status")
@json_option
@pass_app
def status(app: App, as_json: bool) -> None:
    """Which daemons run on this database, when each was last heard from, and what it
    holds: alive (a heartbeat within the last 15 s), silent (none since: stopped by a
    kill, a crash or a lost machine; its posts go back to the queue once their leases
    run out) or stopped (shut down cleanly).

    \b
    Example:
      tactful daemon status
      tactful daemon status --json
    """
    now = app.now()
    epoch = app.store.current_epoch()
    rows = [_status_row(d, now, epoch) for d in app.store.daemons()]
    due = app.store.count_due(now)
    in_flight = app.store.count_posts(statuses=[Status.PUBLISHING])
    if as_json:
        print_json({"daemons": rows, "crisis_epoch": epoch, "due_now": due, "in_flight": in_flight})
        return
    if not rows:
        click.echo("No daemon has run on this database lately. Start one with `tactful daemon`.")
    else:
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in (
            "daemon",
            "state",
            "last heard",
            "in flight",
            "passes",
            "published",
            "crisis state",
        ):
            table.add_column(column)
        for row in rows:
            table.add_row(
                row["worker"],
                row["state"],
                f"{row['seconds_since_beat']:.0f} s ago",
                str(row["in_flight"]),
                str(row["passes"]),
                str(row["published"]),
                "current" if row["epoch_current"] else "behind",
            )
        console().print(table)
    click.echo(f"{due} post(s) due now, {in_flight} being sent.")


#: a daemon not heard from for this many heartbeats is called silent
_SILENT_AFTER_BEATS = 3


def _status_row(record: DaemonRecord, now: datetime, epoch: int) -> dict:
    since = (now - record.beat_at).total_seconds()
    if record.stopped_at is not None:
        state = "stopped"
    elif since > HEARTBEAT_SECONDS * _SILENT_AFTER_BEATS:
        state = "silent"
    else:
        state = "alive"
    return {
        "worker": record.worker,
        "host": record.host,
        "pid": record.pid,
        "state": state,
        "started_at": record.started_at.isoformat(),
        "last_heartbeat": record.beat_at.isoformat(),
        "seconds_since_beat": round(max(since, 0.0), 1),
        "stopped_at": record.stopped_at.isoformat() if record.stopped_at else None,
        "in_flight": record.in_flight,
        "passes": record.passes,
        "published": record.published,
        "epoch_seen": record.epoch_seen,
        "epoch_current": record.epoch_seen == epoch,
    }
