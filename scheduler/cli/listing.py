"""What every capped list shares: `--limit` (0 for all), `--json` that states the cap,
`--nl` for one JSON object per line, and tables that read at 80 columns.

A script must never mistake a capped list for the whole one, so JSON output is an
object with the total and whether it was cut: `{"items": [...], "total": N,
"truncated": false}`. NDJSON has no room for that; its cap goes to stderr.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click
from rich.table import Table
from rich.text import Text

from scheduler.cli.common import console, err, print_json

F = TypeVar("F", bound=Callable[..., Any])

LIMIT = click.IntRange(0, 1_000_000)


def list_options(default: int, what: str) -> Callable[[F], F]:
    """--limit/-n, --json and --nl for a list of `what`."""

    def decorate(func: F) -> F:
        func = click.option(
            "--nl",
            "as_nl",
            is_flag=True,
            help="One JSON object per line (NDJSON), for streaming into "
            "other tools; a cap is noted on stderr.",
        )(func)
        func = click.option(
            "--json",
            "as_json",
            is_flag=True,
            help='JSON: {"items": [...], "total": N, "truncated": true|false}.',
        )(func)
        return click.option(
            "--limit",
            "-n",
            default=default,
            show_default=True,
            type=LIMIT,
            help=f"At most this many {what}; 0 for all.",
        )(func)

    return decorate


def cap(limit: int) -> int | None:
    return None if limit == 0 else limit


def emit(
    items: Sequence[dict[str, Any]], total: int, *, as_json: bool, as_nl: bool, more: str
) -> bool:
    """Print the machine-readable forms; False when a table is wanted instead."""
    if as_nl:
        for item in items:
            click.echo(json.dumps(item, ensure_ascii=False, default=str))
        note_cap(len(items), total, more)
        return True
    if as_json:
        print_json({"items": list(items), "total": total, "truncated": len(items) < total})
        return True
    return False


def note_cap(shown: int, total: int, more: str) -> None:
    if total > shown:
        err(f"Showing {shown} of {total}; {more}.")


def narrow_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    keep: int,
    squeeze: dict[str, int],
    width: int,
    title: str = "",
) -> Table:
    """A table that fits `width` (80 columns is the floor we design for): the first
    `keep` columns (an id, a status, a time) are never cut; `squeeze` columns are cut
    with an ellipsis beyond their width, more so if the line is still too long; the last
    column (the text) gets what is left. Rows are one line each."""
    longest = [max([len(name), *(len(r[i]) for r in rows)]) for i, name in enumerate(columns)]
    sizes = [min(n, squeeze.get(name, n)) for name, n in zip(columns, longest, strict=True)]
    gaps = len(columns) - 1  # one space between columns
    room = width - gaps - sum(sizes[:-1])
    for i in range(len(columns) - 2, keep - 1, -1):  # squeeze more, right to left
        if room >= _TEXT_MIN:
            break
        give = min(sizes[i] - 3, _TEXT_MIN - room)
        sizes[i] -= give
        room += give
    sizes[-1] = max(min(longest[-1], room), len(columns[-1]))
    table = Table(
        box=None,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        header_style="bold",
        title=title or None,
        title_justify="left",
    )
    for name, size in zip(columns, sizes, strict=True):
        table.add_column(name, no_wrap=True, overflow="ellipsis", width=size)
    for row in rows:
        # cells are data (a post's text, a feed's headline), never markup: "[/bold]"
        # in a headline must print as it is, not fail
        table.add_row(*(Text(cell) for cell in row))
    return table


#: the least a text column is given before other columns are squeezed further
_TEXT_MIN = 24


def print_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    keep: int,
    squeeze: dict[str, int],
    zone: str,
) -> None:
    """A list's table on stdout, fitted to the terminal, with the zone its times are in."""
    out = console()
    out.print(
        narrow_table(
            columns, rows, keep=keep, squeeze=squeeze, width=out.width, title=f"Times in {zone}"
        )
    )
