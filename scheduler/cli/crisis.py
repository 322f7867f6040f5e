"""`tactful crisis ...`: flag, preview, update and end a crisis; see what it did."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

import click
from rich.table import Table

from policies.lexicon import CATEGORIES
from policies.models import Ops, Severity
from scheduler.cli.common import (
    App,
    console,
    echo_holds,
    echo_release,
    err,
    json_option,
    local_time,
    pass_app,
    print_json,
    resume_options,
    short,
    short_time,
)
from scheduler.cli.listing import print_table
from scheduler.impact import Impact
from scheduler.models import CrisisSpec
from scheduler.when import parse_when, zone

COLUMNS = ("paused", "held", "rewritten", "blocked", "untouched")


KEYWORD = click.option(
    "--keyword",
    "-k",
    "keywords",
    multiple=True,
    metavar="WORD",
    help="A word or hashtag of the event (repeatable): marathon, "
    "'#BostonStrong'. Matches inflected forms too.",
)
CONTEXT = click.option(
    "--context",
    "contexts",
    multiple=True,
    metavar="TAG",
    help="What the event involves, for sector closeness (repeatable): "
    "marathon, school, vehicle, aircraft...",
)
REGION = click.option(
    "--region",
    "regions",
    multiple=True,
    metavar="CODE",
    help="Where (repeatable; hierarchical: us contains us-ma). None: everywhere.",
)


def scope_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The event's words, context and scope, shared by on, preview and update."""
    options = [
        KEYWORD,
        CONTEXT,
        REGION,
        click.option(
            "--brand", "brands", multiple=True, metavar="ID", help="Only these brands (repeatable)."
        ),
        click.option(
            "--channel",
            "channels",
            multiple=True,
            metavar="ID",
            help="Only these channels (repeatable).",
        ),
        click.option(
            "--lang",
            "langs",
            multiple=True,
            metavar="CODE",
            help="Only posts in these languages (repeatable).",
        ),
        click.option(
            "--until", metavar="WHEN", help="End the crisis by itself at this time (paced resume)."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def kind_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """What kind of event, how severe, and how the business is operating."""
    options = [
        click.option(
            "--category",
            type=click.Choice(CATEGORIES),
            required=True,
            help="The kind of event; picks the idioms that read badly after it.",
        ),
        click.option(
            "--severity",
            type=click.Choice([s.value for s in Severity]),
            default=Severity.SERIOUS.value,
            show_default=True,
            help="watch: hold posts with the event's words; serious: also pause "
            "promotion close to the event and automated sequences; severe: "
            "also pause every automated post.",
        ),
        click.option(
            "--ops",
            type=click.Choice([o.value for o in Ops]),
            default=Ops.NORMAL.value,
            show_default=True,
            help="The business's operating status: reduced pauses promotion and "
            "automated posts, closed pauses everything but notices a person "
            "writes; both draft a notice.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _spec(app: App, name: str, **opts: Any) -> CrisisSpec:
    until = opts.pop("until", None)
    note = opts.pop("note", None)
    return CrisisSpec(
        name=name,
        note=note,
        until=_until(app, until),
        **{k: tuple(v) if isinstance(v, tuple | list) else v for k, v in opts.items()},
    )


def _until(app: App, until: str | None):
    if until is None:
        return None
    return parse_when(until, now=app.now(), tz=zone(app.config.timezone), what="--until")


@click.group()
def crisis() -> None:
    """Flag a crisis and let the policy judge every queued post.

    \b
    Example:
      tactful crisis preview "Boston Marathon bombing" --category bombing \\
          --keyword marathon --keyword '#BostonStrong' --context marathon --region us-ma
      tactful crisis on "Boston Marathon bombing" --category bombing --severity serious \\
          --keyword marathon --keyword '#BostonStrong' --context marathon --region us-ma
      tactful crisis off --resume paced --rate 4/1h
    """


@crisis.command("on")
@click.argument("name")
@kind_options
@scope_options
@click.option("--note", help="Why, for the audit log.")
@json_option
@pass_app
def on(app: App, name: str, as_json: bool, **opts: Any) -> None:
    """Flag a crisis: commit it, judge the queue in scope, and report the impact.

    Returns only once the new crisis epoch is committed: from then on no post the policy
    stops goes out, except those listed as already in flight.

    \b
    Example:
      tactful crisis on "Boston Marathon bombing" --category bombing --severity serious \\
          --keyword marathon --keyword Boston --keyword '#BostonStrong' \\
          --context marathon --region us-ma --ops reduced
    """
    impact = app.crises.flag(_spec(app, name, **opts))
    _report(app, impact, as_json, verb="Flagged")


@crisis.command("preview")
@click.argument("name")
@kind_options
@scope_options
@json_option
@pass_app
def preview(app: App, name: str, as_json: bool, **opts: Any) -> None:
    """Show what `crisis on` would do to today's queue; change nothing (a drill).

    \b
    Example:
      tactful crisis preview "Flooding in Prague" --category flood --region cz --severity severe
    """
    impact = app.crises.preview(_spec(app, name, **opts))
    _report(app, impact, as_json, verb="Preview of")


@crisis.command("update")
@click.argument("crisis_id", type=click.IntRange(1))
@click.option("--category", type=click.Choice(CATEGORIES), help="Change the kind of event.")
@click.option(
    "--severity",
    type=click.Choice([s.value for s in Severity]),
    help="Raise or lower the severity.",
)
@click.option(
    "--ops", type=click.Choice([o.value for o in Ops]), help="Change the operating status."
)
@scope_options
@click.option("--note", help="Why, for the audit log.")
@json_option
@pass_app
def update(app: App, crisis_id: int, as_json: bool, **opts: Any) -> None:
    """Add keywords or contexts, change severity, ops or scope, and re-judge at once.

    Keywords and contexts given are added; regions, brands, channels and languages given
    replace the crisis's scope.

    \b
    Example:
      tactful crisis update 3 --keyword Watertown --severity severe
    """
    until = opts.pop("until", None)
    impact = app.crises.revise(crisis_id, until=_until(app, until), **opts)
    _report(app, impact, as_json, verb="Updated")


@crisis.command("off")
@click.argument("crisis_id", type=click.IntRange(1), required=False)
@resume_options("the crisis")
@click.option("--note", help="Why, for the audit log.")
@json_option
@pass_app
def off(
    app: App, crisis_id: int | None, resume: str, rate: str | None, note: str | None, as_json: bool
) -> None:
    """End a crisis (the only active one, or CRISIS_ID). Held posts stay held.

    \b
    Example:
      tactful crisis off --resume paced --rate 4/1h
      tactful crisis off 3 --resume review
    """
    ending = app.crises.end(crisis_id, resume=resume, rate=rate, note=note)
    if as_json:
        print_json(ending.to_json())
        return
    click.echo(f"Ended crisis {ending.crisis} (epoch {ending.epoch}).")
    echo_release(
        ending.posts,
        ending.still_paused,
        still="another crisis or a paused channel still stops them",
    )
    echo_holds(ending)


@crisis.command("status")
@json_option
@pass_app
def status(app: App, as_json: bool) -> None:
    """The active crises, the epoch, and how many posts are paused or held.

    \b
    Example:
      tactful crisis status --json
    """
    now = app.crises.status()
    active, epoch = now.active, now.epoch
    if as_json:
        print_json(now.to_json())
        return
    if not active:
        click.echo(f"No crisis is active (epoch {epoch}).")
    tz = zone(app.config.timezone)
    for c in active:
        until = f"; ends by itself {local_time(c.until, tz)}" if c.until else ""
        click.echo(
            f"Crisis {c.id}: {c.name} [{c.category}, {c.severity}, ops {c.ops}] "
            f"{scope_words(c)}; keywords: {', '.join(c.keywords) or '-'}; since "
            f"{local_time(c.started_at, tz)} by {c.started_by}{until}"
        )
    click.echo(f"Posts paused: {now.paused}, held for review: {now.held}.")


def scope_words(c: CrisisSpec) -> str:
    """Where a crisis reaches, in words: every limit it has, or everywhere."""
    limits = [
        ("in", c.regions),
        ("for brands", c.brands),
        ("on channels", c.channels),
        ("in languages", c.langs),
    ]
    said = [f"{words} {', '.join(values)}" for words, values in limits if values]
    return "; ".join(said) if said else "everywhere"


@crisis.command("list")
@json_option
@pass_app
def list_(app: App, as_json: bool) -> None:
    """Every crisis, active or ended, with who started and ended it, when and why.

    \b
    Example:
      tactful crisis list
    """
    every = app.crises.history()
    if as_json:
        print_json([c.to_json() for c in every])
        return
    if not every:
        err("No crisis has been flagged yet.")
        return
    tz = zone(app.config.timezone)
    rows = [
        (
            str(c.id),
            c.severity,
            short_time(c.started_at, tz),
            short_time(c.ended_at, tz) if c.ended_at else "active",
            c.name + (f" — {c.note}" if c.note else ""),
        )
        for c in every
    ]
    print_table(
        ("id", "severity", "started", "ended", "name and note"),
        rows,
        keep=4,
        squeeze={},
        zone=tz.key,
    )
    click.echo("`tactful crisis status` shows the active ones in full; --json every field.")


def _report(app: App, impact: Impact, as_json: bool, verb: str) -> None:
    if as_json:
        print_json(impact.to_json())
        return
    crisis = impact.crisis
    epoch = f" (epoch {impact.epoch})" if impact.epoch is not None else " (nothing changed)"
    if crisis is not None:
        click.echo(
            f"{verb} crisis {crisis.id or '(preview)'}: {crisis.name} "
            f"[{crisis.category}, {crisis.severity}]{epoch}."
        )
    table = Table(
        title=f"Impact on {impact.judged} queued post(s)",
        box=None,
        header_style="bold",
        title_justify="left",
    )
    table.add_column("brand")
    for column in COLUMNS:
        table.add_column(column, justify="right")
    for brand, counts in sorted(impact.by_brand.items()):
        table.add_row(brand, *(str(counts.get(c, 0)) for c in COLUMNS))
    totals = impact.totals()
    table.add_row("[bold]all[/bold]", *(f"[bold]{totals.get(c, 0)}[/bold]" for c in COLUMNS))
    console().print(table)
    width = console().width
    for label in COLUMNS[:-1]:
        shown = impact.examples.get(label, [])
        for example in shown:
            click.echo(f"  {label:<9} post {example['post']} ({example['channel']})")
            click.echo(_indented(short(example["text"], width - 12), width))
            click.echo(_indented(example["why"], width))
        more = totals.get(label, 0) - len(shown)
        if more > 0:
            click.echo(f"  {'':<9} and {more} more {label} (--json lists every post)")
    if impact.keyword_forms:
        click.echo("Keyword matches in the posts stopped (check for words they should not catch):")
        for keyword, forms in sorted(impact.keyword_forms.items()):
            shown = ", ".join(f"{form} ({n})" for form, n in forms.most_common(8))
            more = f", and {len(forms) - 8} more" if len(forms) > 8 else ""
            click.echo(
                textwrap.fill(
                    f"{keyword}: {shown}{more}",
                    width,
                    initial_indent="  ",
                    subsequent_indent="    ",
                )
            )
    notes = []
    if impact.in_flight:
        ids = ", ".join(str(p.id) for p in impact.in_flight)
        notes.append(f"Already in flight when the crisis was flagged (may still go out): {ids}")
    if impact.notices:
        notes.append(
            f"Drafted {len(impact.notices)} notice(s) of the operating change for "
            f"review: {', '.join(map(str, impact.notices))} (tactful review list)."
        )
    if impact.superseded:
        notes.append("A newer crisis change took over while judging; it re-judges the queue.")
    for note in notes:
        click.echo(textwrap.fill(note, width))


def _indented(text: str, width: int) -> str:
    """Under an example's first line, wrapped at words to the terminal."""
    return textwrap.fill(
        text, width, initial_indent=" " * 12, subsequent_indent=" " * 12, break_on_hyphens=False
    )


def _add_suggestion_commands() -> None:
    # defined in their own module; registered here so `tactful crisis --help` lists them
    from scheduler.cli.suggestions import accept, dismiss, suggestions

    for command in (suggestions, accept, dismiss):
        crisis.add_command(command)


_add_suggestion_commands()
