"""`tactful`: the command line. Thin glue: parse, call the library, print.

Errors the library raises on purpose become one line on stderr and exit with the status
their class carries (scheduler/errors.py); EXIT_CODES says what each means.
"""

from __future__ import annotations

import importlib
import logging
import signal
from typing import Any

import click

from scheduler.errors import TactfulError, Unavailable, WouldNotPublish, database_problem
from scheduler.secrets import RedactingFilter

#: exit status when the database cannot be used (busy, unreachable, not a database,
#: read-only): nothing was changed; try again, or fix what the line says
DATABASE_UNAVAILABLE = Unavailable.exit_code

#: the end of `tactful --help`; README.md ("Exit codes") says the same
EXIT_CODES = """\b
Exit codes:
  0  done
  1  a decision to look at: `tactful check` would not publish the draft
     (hold, rewrite, block or pause); or a network said no (`channel test`,
     `post retract`)
  2  bad input: a wrong option, date, file, channel or brand name; nothing
     changed
  3  not found: no post, crisis or review item with that id; nothing changed
  4  busy or unavailable: the database is locked, unreachable or read-only,
     or another import is writing these posts; nothing changed, try later"""


class CliError(click.ClickException):
    def __init__(self, message: str, exit_code: int) -> None:
        # what a user typed may hold bytes that are not UTF-8 (kept as surrogates):
        # show them escaped rather than fail while saying what went wrong
        super().__init__(message.encode("utf-8", "backslashreplace").decode("utf-8"))
        self.exit_code = exit_code


#: command name -> module in scheduler.cli and the click object in it; imported only when
#: that command runs, so `tactful post list` does not load the daemon's scheduler or httpx
COMMANDS = {
    "post": "post:post",
    "crisis": "crisis:crisis",
    "review": "review:review",
    "check": "check:check",
    "daemon": "daemon:daemon",
    "audit": "audit:audit",
    "db": "db:db",
    "demo": "demo:demo",
    "channel": "channel:channel",
    "config": "config_cmd:config_group",
    "sectors": "taxonomy:sectors",
    "contexts": "taxonomy:contexts",
    "tags": "taxonomy:tags",
    "eval": "eval_cmd:eval_command",
    "completion": "completion:completion",
    "calendar": "calendar_cmd:calendar",
    "notify": "notify:notify",
    "feeds": "feeds:feeds",
}


#: what `tactful --help` says of each command, written here so that listing the commands
#: imports none of them (a test keeps each the first sentence of the command's own help)
SHORT_HELP = {
    "audit": "Show who changed what, when and why (oldest first).",
    "calendar": "Export the queue as an iCalendar file, for the calendar the team already uses.",
    "channel": "Channels declared in config.yaml: list, test, pause and resume them.",
    "check": "Judge a draft against the active crises (or a hypothetical one); queue nothing.",
    "completion": "Print the shell completion script for bash, zsh or fish.",
    "config": "Check config.yaml.",
    "contexts": "List what an event can involve (`crisis on --context`), with names and "
    "what each implies.",
    "crisis": "Flag a crisis and let the policy judge every queued post.",
    "daemon": "Publish queued posts when they fall due.",
    "db": "Create, upgrade and inspect the database schema.",
    "demo": "Play a week of posts for three example brands on a simulated clock.",
    "eval": "Judge every labelled case in the corpus and report agreement.",
    "feeds": "Public alert feeds (CAP, GDACS-style RSS/Atom, USGS GeoJSON) the daemon reads.",
    "notify": "Tell people of crises, held and blocked posts, and dead or unknown ones.",
    "post": "Queue, import, list, show, edit and cancel posts.",
    "review": "Approve, edit or reject the posts the crisis policy held.",
    "sectors": "List the sectors brands can declare, with their names and what each is close to.",
    "tags": "List the post tags the crisis policy knows, by what they mean to it.",
}


class TactfulGroup(click.Group):
    """Loads commands on demand; turns domain errors into one line and their exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SHORT_HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[Any]:
        """Command names with their short help, importing none of the commands (click
        would import every one to ask for its help)."""
        from click.shell_completion import CompletionItem

        names = [
            CompletionItem(name, help=SHORT_HELP.get(name))
            for name in self.list_commands(ctx)
            if name.startswith(incomplete)
        ]
        return names + click.Command.shell_complete(self, ctx, incomplete)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(f"scheduler.cli.{module}"), attr)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WouldNotPublish as exc:  # the command printed the decision and its reasons
            raise click.exceptions.Exit(exc.exit_code) from None
        except TactfulError as exc:
            raise CliError(str(exc), exc.exit_code) from None
        except Exception as exc:
            problem = database_problem(exc)
            if problem is None:
                raise
            raise CliError(problem, DATABASE_UNAVAILABLE) from None


@click.group(
    cls=TactfulGroup, epilog=EXIT_CODES, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    envvar="TACTFUL_CONFIG",
    help="config.yaml to use (default: $TACTFUL_CONFIG, else ./config.yaml).",
)
@click.option(
    "--actor",
    metavar="NAME",
    help="Who to record in the audit log (default: $TACTFUL_ACTOR, else your login name).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option(
    "--wait",
    type=click.FloatRange(0, 86400),
    metavar="SECONDS",
    help="How long to wait for another command writing to a SQLite database "
    "(a big import) before giving up with exit 4 (default 30).",
)
@click.version_option(package_name="tactful")
@click.pass_context
def main(
    ctx: click.Context, config_path: str | None, actor: str | None, verbose: int, wait: float | None
) -> None:
    """Tactful: a social-media scheduler that knows when to be quiet.

    Queue brand posts, let the daemon publish them on time, and (when something
    terrible happens) let the crisis policy decide post by post what goes out.

    \b
    Example:
      tactful demo                       # a guided tour on a throwaway database
      tactful post add "Fresh bread at 7" --channel bakery-outbox --at +1d
      tactful post list
      tactful daemon --once              # publish what is due, then exit (for cron)
    """
    from scheduler.cli.common import App

    # SIGTERM ends a command the way Ctrl-C does, through its clean-up: an import that is
    # stopped removes what it staged instead of leaving it for a later import to clear
    signal.signal(signal.SIGTERM, _stop)
    _setup_logging(verbose)
    app = App(config_path, actor, wait)
    ctx.obj = app
    ctx.call_on_close(app.close)


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("tactful")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
