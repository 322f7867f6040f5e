"""`tactful config check`: what config.yaml declares."""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url

from policies.playbook import Playbook
from scheduler.cli.common import App, err, json_option, pass_app, print_json
from scheduler.config import config_path
from scheduler.config_errors import config_location, format_path
from scheduler.errors import ConfigError
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
    _check_credentials(app)
    channels = sum(len(b.channels) for b in config.brands)
    database = make_url(config.database_url).render_as_string(hide_password=True)
    resolved = {
        b.id: [config.playbook_for(b.id).resolve_sector(typed) for typed in b.sectors]
        for b in config.brands
    }
    sectors = {brand: {r.text: list(r.ids) for r in found} for brand, found in resolved.items()}
    ignored = {
        brand: {r.text: list(r.ignored) for r in found if r.ignored}
        for brand, found in resolved.items()
    }
    screened = {b.id: _screening(b.languages) for b in config.brands if b.languages}
    problems = missing_credentials(config) + [
        f"brands {brand}: {_unscreened(langs['not_screened'], config.playbook_for(brand))}"
        for brand, langs in screened.items()
        if langs["not_screened"]
    ]
    if as_json:
        print_json(
            {
                "config": str(config_path(app.config_path)),
                "ok": True,
                "brands": len(config.brands),
                "channels": channels,
                "database": database,
                "sectors": sectors,
                "ignored_words": {b: w for b, w in ignored.items() if w},
                "languages": screened,
                "warnings": problems,
                "notify": [
                    {
                        "name": t.name,
                        "kind": t.kind,
                        "events": t.events,
                        "brands": t.brands,
                        "digest": f"daily {t.digest:%H:%M}" if t.digest else None,
                    }
                    for t in config.notify
                ],
            }
        )
        return
    click.echo(
        f"{config_path(app.config_path)}: OK ({len(config.brands)} brands, "
        f"{channels} channels, database {database})."
    )
    for target in config.notify:
        click.echo(
            f"  notify {target.name}: {target.kind}, {', '.join(target.events)}"
            + (f", brands {', '.join(target.brands)}" if target.brands else "")
            + (f", daily digest at {target.digest:%H:%M}" if target.digest else "")
        )
    for brand, resolved in sectors.items():
        if resolved:
            click.echo(
                f"  {brand}: sectors "
                + "; ".join(_resolution(typed, ids) for typed, ids in resolved.items())
            )
    for brand, langs in screened.items():
        if langs["screened"]:
            click.echo(
                f"  {brand}: posts in {', '.join(langs['screened'])} are screened "
                "in their own language"
            )
    for brand, words in ignored.items():
        for typed, unknown in words.items():
            err(
                f"warning: brands {brand}: sector {typed!r}: the words {', '.join(unknown)} "
                "name no sector and were left out (`tactful sectors` lists them; a brand's "
                "playbook can add one)"
            )
    for problem in problems:
        err(f"warning: {problem}")


def _check_credentials(app: App) -> None:
    """A notification credential or a feed's URL variable that is not set is an error
    here, not a warning: the daemon would find out only when it needs it."""
    from scheduler.notify import credential_problems

    problems = credential_problems(app.config)
    if problems:
        keys, problem = problems[0]
        where = config_location(config_path(app.config_path), keys)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(f"{where}: {format_path(keys)}: {problem}{more}")


def _screening(languages: list[str]) -> dict[str, list[str]]:
    """A brand's languages: those with a lexicon (idioms, tone phrases, inflection) and
    the rest, which only the crisis keywords and the English idioms screen."""
    from policies.lexicon import available_languages

    known = set(available_languages())
    return {
        "screened": [lang for lang in languages if lang.split("-")[0] in known],
        "not_screened": [lang for lang in languages if lang.split("-")[0] not in known],
    }


def _unscreened(languages: list[str], playbook: Playbook) -> str:
    from policies.lexicon import available_languages

    noticed = {lang for texts in playbook.notices.values() for lang in texts}
    english = [lang for lang in languages if lang not in noticed]
    return (
        f"no lexicon for {', '.join(map(repr, languages))}: posts in "
        f"{'it' if len(languages) == 1 else 'them'} are screened only for the crisis's "
        "keywords and English idioms, not for their own idioms or tone"
        + (
            f"; crisis notices for {', '.join(map(repr, english))} are drafted in "
            "English (a brand's playbook can give its own under notices:)"
            if english
            else ""
        )
        + f" (languages with a lexicon: {', '.join(available_languages())})"
    )


def _resolution(typed: str, ids: list[str]) -> str:
    return typed if ids == [typed] else f"{typed!r} -> {', '.join(ids)}"
