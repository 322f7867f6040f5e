"""What every command shares: the loaded config and store, the actor, output helpers."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import click
from rich.console import Console

if TYPE_CHECKING:
    # loaded when a command first needs them: shell completion and --help load neither
    # pydantic nor SQLAlchemy
    from scheduler.config import Config
    from scheduler.crisis_desk import CrisisDesk
    from scheduler.judging import Judging
    from scheduler.review_desk import ReviewDesk
    from scheduler.store import Change, Store

ACTOR_ENV = "TACTFUL_ACTOR"
F = TypeVar("F", bound=Callable[..., Any])


class App:
    """Lazily opened config and store for one CLI invocation."""

    def __init__(self, config_path: str | None, actor: str | None,
                 wait: float | None = None) -> None:
        self.config_path = config_path
        self._actor = actor
        self._wait = wait
        self._store: Store | None = None

    @cached_property
    def config(self) -> Config:
        from scheduler.config import load_config

        return load_config(self.config_path)

    @property
    def store(self) -> Store:
        if self._store is None:
            from scheduler.store import Store
            from scheduler.store.engine import write_wait

            if self._wait is not None:
                write_wait.seconds = self._wait
            write_wait.notify = _say_waiting
            self._store = Store.open(self.config.database_url)
            if self.config.notify:
                # a target added to config.yaml hears of what happens from its first
                # command on: `crisis on` right after adding it is told of
                from scheduler.notify import start_targets

                start_targets(self._store, self.config, self.now())
        return self._store

    def has_database(self) -> bool:
        """Whether the database is there already (without making it): a SQLite file that
        does not exist yet holds no posts, and a refused command must not create it."""
        if self._store is not None:
            return True
        from scheduler.store import sqlite_file

        file = sqlite_file(self.config.database_url)
        return file is None or file.exists()

    @cached_property
    def judging(self) -> Judging:
        from scheduler.judging import Judging

        return Judging(self.config)

    @property
    def crisis_desk(self) -> CrisisDesk:
        from scheduler.crisis_desk import CrisisDesk

        return CrisisDesk(self.store, self.config, self.judging)

    @property
    def review_desk(self) -> ReviewDesk:
        from scheduler.review_desk import ReviewDesk

        return ReviewDesk(self.store, self.config, self.judging)

    @property
    def actor(self) -> str:
        return self._actor or os.environ.get(ACTOR_ENV) or _os_user()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def change(self, reason: str | None = None, action: str = "status",
               **detail: Any) -> Change:
        from scheduler.store import Change

        return Change(actor=self.actor, now=self.now(), reason=reason, action=action,
                      detail=detail)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _say_waiting(left: float) -> None:
    err(f"Waiting for the database: another tactful command is writing to it (up to "
        f"{left:.0f} s more; --wait SECONDS sets how long).")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


pass_app = click.make_pass_decorator(App)
#: ids and limits the databases can hold (a 64-bit integer)
POST_ID = click.IntRange(1, 2**63 - 1)
LIMIT = click.IntRange(1, 1_000_000)


def resume_options(what: str) -> Callable[[F], F]:
    """--resume and --rate: what becomes of paused posts when `what` lets them go."""
    def decorate(func: F) -> F:
        func = click.option(
            "--rate", metavar="N/PERIOD",
            help="For paced: at most N posts per channel per PERIOD, e.g. 4/1h (default: "
                 "the channel's max_per_hour, else the playbook's rate).")(func)
        return click.option(
            "--resume", type=click.Choice(["paced", "review", "hold"]), default="paced",
            show_default=True,
            help=f"What becomes of the posts {what} paused. paced: release them a few at a "
                 "time after a last check; review: send them to the review queue; hold: "
                 "keep them paused for a human.")(func)
    return decorate


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True,
                        help="Print machine-readable JSON instead of a table.")(func)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


#: width of tables written to a pipe or file, where no terminal says how wide to be
PIPE_WIDTH = 160


def console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else PIPE_WIDTH
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width)


def err(message: str) -> None:
    """A note for humans on stderr, so stdout stays clean for scripts."""
    click.echo(message, err=True)


def local_time(value: datetime | None, tz: ZoneInfo) -> str:
    if value is None:
        return "-"
    return value.astimezone(tz).strftime("%a %Y-%m-%d %H:%M %Z")


def short_time(value: datetime | None, tz: ZoneInfo) -> str:
    """For a table column, where the zone is said once above it."""
    return "-" if value is None else value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def is_terminal() -> bool:
    return sys.stderr.isatty()


#: what became of held posts that no active crisis stops when a crisis ended (the paced
#: release aside), by the key of the result that lists them
_HELD_OUTCOMES = (
    ("holds_expired", "Dropped {n} held post(s) whose offer expired."),
    ("holds_to_review", "{n} held post(s) stay in review with no crisis verdict: approve "
                        "them to send them (tactful review list)."),
    ("holds_kept_paused", "{n} held post(s) that no active crisis stops stay held "
                          "(--resume hold)."))


def echo_release(result: dict[str, Any], *, still: str) -> None:
    """What became of paused posts when a crisis ended or a channel resumed."""
    if result["released"]:
        first, last = result["released"][0][1], result["released"][-1][1]
        click.echo(f"Released {len(result['released'])} paused post(s) at a paced rate, "
                   f"from {first} to {last}.")
    if result["expired"]:
        click.echo(f"Dropped {len(result['expired'])} paused post(s) whose offer expired.")
    if result["to_review"]:
        click.echo(f"Sent {len(result['to_review'])} paused post(s) to review "
                   "(tactful review list).")
    if result["kept_paused"]:
        click.echo(f"Kept {len(result['kept_paused'])} post(s) paused; release them with "
                   "tactful post retry ID.")
    if result["still_paused"]:
        click.echo(f"{result['still_paused']} post(s) stay paused: {still}.")
    if result.get("holds_released"):
        first, last = result["holds_released"][0][1], result["holds_released"][-1][1]
        click.echo(f"Released {len(result['holds_released'])} held post(s) that no active "
                   f"crisis stops, at a paced rate, from {first} to {last}.")
    for key, message in _HELD_OUTCOMES:
        if result.get(key):
            click.echo(message.format(n=len(result[key])))
    if result.get("still_held"):
        click.echo(f"{result['still_held']} held post(s) stay held: a crisis still active "
                   "stops them.")
