"""`tactful sectors`, `tactful contexts`, `tactful tags`: the words the crisis policy knows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from rich.table import Table

from policies.playbook import Playbook, default_playbook
from policies.taxonomy import Resolved
from scheduler.cli.common import App, console, json_option, pass_app, print_json

BRAND = click.option(
    "--brand",
    "-b",
    "brand_id",
    metavar="ID",
    help="Use this brand's playbook (with its own additions); default: the built-in playbook.",
)
RESOLVE = click.option(
    "--resolve",
    "typed",
    metavar="TEXT",
    help="Show what TEXT resolves to instead of listing everything.",
)


def _playbook(app: App, brand_id: str | None) -> Playbook:
    if brand_id is None:
        return default_playbook()
    app.config.brand(brand_id)
    return app.config.playbook_for(brand_id)


@click.command()
@BRAND
@RESOLVE
@json_option
@pass_app
def sectors(app: App, brand_id: str | None, typed: str | None, as_json: bool) -> None:
    """List the sectors brands can declare, with their names and what each is close to.

    Brands type sectors as they like (`sectors: [kids clothing]`, `детская одежда`): the
    words are read in any of six languages and resolved to these entries. A sector is
    close to an event when the event's category or one of its contexts is listed for
    it or for a sector above it (rule 3: a close brand does not promote).

    \b
    Example:
      tactful sectors
      tactful sectors --resolve "Fireworks & Pyrotechnics"
      tactful sectors --brand kvasek --json
    """
    playbook = _playbook(app, brand_id)
    if typed is not None:
        _show_resolved(
            playbook.resolve_sector(typed), playbook.sector_names.nearest(typed), as_json
        )
        return
    rows = [
        {
            "id": key,
            "parent": spec.parent,
            "lineage": playbook.lineage(key)[1:],
            "names": spec.names,
            "close_to_categories": sorted(spec.categories),
            "close_to_contexts": sorted(spec.contexts),
        }
        for key, spec in sorted(playbook.sectors.items())
    ]
    _print(
        rows,
        as_json,
        {
            "sector": lambda r: r["id"],
            "within": lambda r: " > ".join(r["lineage"]) or "-",
            "close to": lambda r: (
                ", ".join(r["close_to_categories"] + r["close_to_contexts"]) or "-"
            ),
            "also called": lambda r: _some(r["names"]),
        },
    )


@click.command()
@BRAND
@RESOLVE
@json_option
@pass_app
def contexts(app: App, brand_id: str | None, typed: str | None, as_json: bool) -> None:
    """List what an event can involve (`crisis on --context`), with names and what each
    implies.

    \b
    Example:
      tactful contexts
      tactful contexts --resolve "concert hall"
    """
    playbook = _playbook(app, brand_id)
    if typed is not None:
        _show_resolved(
            playbook.resolve_context(typed), playbook.context_names.nearest(typed), as_json
        )
        return
    rows = [
        {"id": key, "names": spec.names, "implies": sorted(spec.implies)}
        for key, spec in sorted(playbook.contexts.items())
    ]
    _print(
        rows,
        as_json,
        {
            "context": lambda r: r["id"],
            "implies": lambda r: ", ".join(r["implies"]) or "-",
            "also called": lambda r: _some(r["names"]),
        },
    )


@click.command()
@BRAND
@json_option
@pass_app
def tags(app: App, brand_id: str | None, as_json: bool) -> None:
    """List the post tags the crisis policy knows, by what they mean to it.

    Promotion tags make a post promotion (paused when operations are reduced, or when
    the brand is close to the event); service tags mark notices; automated-sequence tags
    pause from `serious`; other tags are known and mean nothing to the rules. Any other
    tag is refused when a post is queued.

    \b
    Example:
      tactful tags
      tactful tags --brand stride --json
    """
    vocabulary = _playbook(app, brand_id).tags
    rows = [
        {"tag": tag, "means": group, "aliases": vocabulary.aliases.get(tag, [])}
        for tag, group in sorted(vocabulary.vocabulary.items(), key=lambda item: (item[1], item[0]))
    ]
    _print(
        rows,
        as_json,
        {
            "tag": lambda r: r["tag"],
            "means": lambda r: r["means"].replace("_", " "),
            "also written": lambda r: _some(r["aliases"]),
        },
    )


def _print(
    rows: list[dict[str, Any]], as_json: bool, columns: dict[str, Callable[[dict[str, Any]], str]]
) -> None:
    """The rows as JSON, or as a table of these columns."""
    if as_json:
        print_json(rows)
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(cell(row) for cell in columns.values()))
    console().print(table)


def _show_resolved(found: Resolved, nearest: list[str], as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "text": found.text,
                "resolved": list(found.ids),
                "ignored_words": list(found.ignored),
                "nearest": [] if found.ids else nearest,
            }
        )
        return
    if found.ids:
        left = f" (words left out: {', '.join(found.ignored)})" if found.ignored else ""
        click.echo(f"{found.text!r} -> {', '.join(found.ids)}{left}")
    else:
        hint = f" (nearest: {', '.join(nearest)})" if nearest else ""
        click.echo(f"{found.text!r} -> nothing{hint}")


def _some(names: list[str], limit: int = 6) -> str:
    more = f" (+{len(names) - limit})" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more or "-"
