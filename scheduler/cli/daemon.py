"""`tactful daemon`: publish posts as they fall due (long-running, or one pass for cron)."""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from scheduler.cli.common import App, json_option, pass_app, print_json
from scheduler.config import config_path
from scheduler.daemon import Daemon
from scheduler.dispatch import Dispatcher
from scheduler.publishers import PublisherPool


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@click.command()
@click.option("--once", is_flag=True, help="Do one dispatch pass and exit (for cron).")
@click.option("--print-cron", is_flag=True, help="Print a crontab line that runs --once "
                                                  "every minute, and exit.")
@click.option("--grace", type=click.FloatRange(0, 3600), default=30, show_default=True,
              metavar="SECONDS",
              help="On SIGTERM or Ctrl-C, wait this long for a send in progress; then exit "
                   "anyway (its lease is recovered by the next daemon).")
@json_option
@pass_app
def daemon(app: App, once: bool, print_cron: bool, grace: float, as_json: bool) -> None:
    """Publish queued posts when they fall due.

    Runs in the foreground until SIGTERM or Ctrl-C, which let the post in hand finish.
    Several daemons (or cron runs) may share one database: each post goes out once.

    \b
    Example:
      tactful daemon                 # long-running
      tactful daemon --once          # one pass, e.g. from cron
      tactful daemon --print-cron >> mycrontab
    """
    if print_cron:
        click.echo(cron_line(app))
        return
    logger = logging.getLogger("tactful")
    if logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    pool = PublisherPool(app.config)
    try:
        dispatcher = Dispatcher(app.store, app.config.daemon, pool, clock=_wall_clock,
                                judge=app.judging.verdicts,
                                before_pass=app.crisis_desk.upkeep)
        if once:
            report = dispatcher.run_pass()
            if as_json:
                print_json({"worker": dispatcher.worker, **report.counts(),
                            "events": report.events})
            else:
                click.echo(f"Dispatch pass: {report.summary()}.")
            return
        running = Daemon(dispatcher, grace=grace)
        running.run()
        if running.abandoned:
            # a send still runs in a worker thread, which Python would wait for at exit
            logging.shutdown()
            sys.stdout.flush()
            os._exit(0)
    finally:
        pool.close()


def cron_line(app: App) -> str:
    config = config_path(app.config_path).resolve()
    exe = shutil.which("tactful") or str(Path(sys.argv[0]).resolve())
    log = config.parent / "tactful-cron.log"
    command = (f"{shlex.quote(exe)} --config {shlex.quote(str(config))} daemon --once "
               f">> {shlex.quote(str(log))} 2>&1")
    return f"* * * * * {command}"
