"""What every command shares: the loaded config and store, the actor, output helpers."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

import click
from rich.console import Console

from scheduler.tactful import Tactful

if TYPE_CHECKING:
    from scheduler.outcomes import Ending, Released

F = TypeVar("F", bound=Callable[..., Any])


class App(Tactful):
    """The library's front door for one CLI invocation: the same object a script uses,
    saying on stderr when it waits for another writer."""

    def __init__(
        self, config_path: str | None, actor: str | None, wait: float | None = None
    ) -> None:
        super().__init__(config_path, actor=actor, wait=wait)

    def _before_open(self) -> None:
        from scheduler.store.engine import write_wait

        write_wait.notify = _say_waiting


def _say_waiting(left: float) -> None:
    err(
        f"Waiting for the database: another tactful command is writing to it (up to "
        f"{left:.0f} s more; --wait SECONDS sets how long)."
    )


pass_app = click.make_pass_decorator(App)
#: ids and limits the databases can hold (a 64-bit integer)
POST_ID = click.IntRange(1, 2**63 - 1)
LIMIT = click.IntRange(1, 1_000_000)


def resume_options(what: str) -> Callable[[F], F]:
    """--resume and --rate: what becomes of paused posts when `what` lets them go."""

    def decorate(func: F) -> F:
        func = click.option(
            "--rate",
            metavar="N/PERIOD",
            help="For paced: at most N posts per channel per PERIOD, e.g. 4/1h (default: "
            "the channel's max_per_hour, else the playbook's rate).",
        )(func)
        return click.option(
            "--resume",
            type=click.Choice(["paced", "review", "hold"]),
            default="paced",
            show_default=True,
            help=f"What becomes of the posts {what} paused. paced: release them a few at a "
            "time after a last check; review: send them to the review queue; hold: "
            "keep them paused for a human.",
        )(func)

    return decorate


def json_option(func: F) -> F:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print machine-readable JSON instead of a table."
    )(func)


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


def short(text: str, width: int) -> str:
    """`text` on one line, cut with an ellipsis to `width` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def is_terminal() -> bool:
    return sys.stderr.isatty()


#: what became of held posts that no active crisis stops when a crisis ended (the paced
#: release aside), by the field of the result that lists them
_HELD_OUTCOMES = (
    ("expired", "Dropped {n} held post(s) whose offer expired."),
    (
        "to_review",
        "{n} held post(s) stay in review with no crisis verdict: approve "
        "them to send them (tactful review list).",
    ),
    ("kept_paused", "{n} held post(s) that no active crisis stops stay held (--resume hold)."),
)


def echo_release(done: Released, still_paused: int, *, still: str) -> None:
    """What became of paused posts when a crisis ended or a channel resumed."""
    if done.released:
        first, last = done.released[0][1], done.released[-1][1]
        click.echo(
            f"Released {len(done.released)} paused post(s) at a paced rate, "
            f"from {first.isoformat()} to {last.isoformat()}."
        )
    if done.expired:
        click.echo(f"Dropped {len(done.expired)} paused post(s) whose offer expired.")
    if done.to_review:
        click.echo(f"Sent {len(done.to_review)} paused post(s) to review (tactful review list).")
    if done.kept_paused:
        click.echo(
            f"Kept {len(done.kept_paused)} post(s) paused; release them with tactful post retry ID."
        )
    if still_paused:
        click.echo(f"{still_paused} post(s) stay paused: {still}.")


def echo_holds(ending: Ending) -> None:
    """What became of the posts a crisis held, once it ended."""
    holds = ending.holds
    if holds.released:
        first, last = holds.released[0][1], holds.released[-1][1]
        click.echo(
            f"Released {len(holds.released)} held post(s) that no active crisis "
            f"stops, at a paced rate, from {first.isoformat()} to {last.isoformat()}."
        )
    for field, message in _HELD_OUTCOMES:
        if getattr(holds, field):
            click.echo(message.format(n=len(getattr(holds, field))))
    if ending.still_held:
        click.echo(f"{ending.still_held} held post(s) stay held: a crisis still active stops them.")
