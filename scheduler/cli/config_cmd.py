"""`tactful config check`: what config.yaml declares."""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url

from scheduler.cli.common import App, err, json_option, pass_app, print_json
from scheduler.config import config_path
from scheduler.publishers import missing_credentials


@click.group("config")
def config_group() -> None:
    """Check config.yaml.

    \b
    Example:
      tactful config check
    """


@config_group.command("check")
@json_option
@pass_app
def check(app: App, as_json: bool) -> None:
    """Validate config.yaml and say what it declares (exit 2 with the line if broken).

    Shows what each brand's sectors resolved to in the sector taxonomy (`tactful
    sectors`), so "kids clothing" is seen to mean childrens-clothing.

    \b
    Example:
      tactful --config staging.yaml config check
    """
    config = app.config
    channels = sum(len(b.channels) for b in config.brands)
    database = make_url(config.database_url).render_as_string(hide_password=True)
    resolved = {b.id: [config.playbook_for(b.id).resolve_sector(typed) for typed in b.sectors]
                for b in config.brands}
    sectors = {brand: {r.text: list(r.ids) for r in found} for brand, found in resolved.items()}
    ignored = {brand: {r.text: list(r.ignored) for r in found if r.ignored}
               for brand, found in resolved.items()}
    problems = missing_credentials(config)
    if as_json:
        print_json({"config": str(config_path(app.config_path)), "ok": True,
                    "brands": len(config.brands), "channels": channels,
                    "database": database, "sectors": sectors,
                    "ignored_words": {b: w for b, w in ignored.items() if w},
                    "warnings": problems})
        return
    click.echo(f"{config_path(app.config_path)}: OK ({len(config.brands)} brands, "
               f"{channels} channels, database {database}).")
    for brand, resolved in sectors.items():
        if resolved:
            click.echo(f"  {brand}: sectors " + "; ".join(
                _resolution(typed, ids) for typed, ids in resolved.items()))
    for brand, words in ignored.items():
        for typed, unknown in words.items():
            err(f"warning: brands {brand}: sector {typed!r}: the words {', '.join(unknown)} "
                "name no sector and were left out (`tactful sectors` lists them; a brand's "
                "playbook can add one)")
    for problem in problems:
        err(f"warning: {problem}")


def _resolution(typed: str, ids: list[str]) -> str:
    return typed if ids == [typed] else f"{typed!r} -> {', '.join(ids)}"
