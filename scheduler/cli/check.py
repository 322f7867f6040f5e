"""`tactful check`: judge a draft against the crises, without queueing it."""

from __future__ import annotations

from typing import Any

import click

from policies.engine import Judge
from policies.models import Decision, PostFacts
from scheduler.cli.common import App, console, json_option, pass_app, print_json
from scheduler.cli.crisis import CONTEXT, KEYWORD, REGION
from scheduler.cli.review import highlighted
from scheduler.config import Brand
from scheduler.crisis_desk import check_spec
from scheduler.drafting import check_tags
from scheduler.errors import BadInput, WouldNotPublish
from scheduler.judging import summary, to_policy
from scheduler.models import CrisisRecord, CrisisSpec
from scheduler.store import crises as crisis_store


@click.command()
@click.argument("text")
@click.option("--brand", "-b", "brand_id", metavar="ID",
              help="The brand it is for (needed when config.yaml has several).")
@click.option("--channel", "-c", "channel_id", metavar="ID",
              help="The channel (default: the brand's first).")
@click.option("--lang", metavar="CODE",
              help="Language of the text (default: the brand's first).")
@click.option("--tag", "-t", "tags", multiple=True, metavar="TAG", help="Tags (repeatable).")
@click.option("--automated", is_flag=True, help="Judge it as an automated post.")
@click.option("--crisis", "crisis_name", metavar="NAME",
              help="Judge against this hypothetical crisis (with --category ...) instead of "
                   "the active ones.")
@click.option("--category", help="Hypothetical crisis: kind of event.")
@click.option("--severity", default="serious", show_default=True,
              help="Hypothetical crisis: watch, serious or severe.")
@click.option("--ops", default="normal", show_default=True,
              help="Hypothetical crisis: normal, reduced or closed.")
@KEYWORD
@CONTEXT
@REGION
@json_option
@pass_app
def check(app: App, text: str, brand_id: str | None, channel_id: str | None,
          lang: str | None, tags: tuple[str, ...], automated: bool, crisis_name: str | None,
          as_json: bool, **crisis_opts: Any) -> None:
    """Judge a draft against the active crises (or a hypothetical one); queue nothing.

    Prints the decision and its reasons, and exits 0 if the draft would be published,
    1 if not (hold, rewrite, block or pause): a script can stop on it.

    \b
    Example:
      tactful check "Killer deal on race shoes!" --brand stride --tag promo
      tactful check "Nabídka, která vás smete!" --brand kvasek --crisis "Povodně" \\
          --category flood --region cz
    """
    brand = app.config.brand(brand_id) if brand_id else _only_brand(app)
    if channel_id and channel_id not in {c.id for c in brand.channels}:
        known = ", ".join(c.id for c in brand.channels) or "none"
        raise click.BadParameter(f"{channel_id!r} is not a channel of brand {brand.id!r} "
                                 f"(its channels: {known})", param_hint="--channel")
    channel = channel_id or (brand.channels[0].id if brand.channels else "-")
    vocabulary = app.config.playbook_for(brand.id).tags
    post = PostFacts(text=text, brand=app.judging.brand_facts(brand.id), channel=channel,
                     tags=frozenset(check_tags(tags, "--tag", vocabulary)),
                     lang=lang or (brand.languages[0] if brand.languages else None),
                     automated=automated)
    judge = _judge(app, crisis_name, crisis_opts)
    decision = judge.judge(post)
    data = {"brand": brand.id, "channel": channel, "text": text,
            "crises": [c.id for c in judge.crises], **decision.to_json()}
    if as_json:
        print_json(data)
    else:
        _print(decision, judge, data, said_brand=brand_id is not None)
    if decision.stops:
        raise WouldNotPublish(decision.action.value)


def _print(decision: Decision, judge: Judge, data: dict[str, Any], said_brand: bool) -> None:
    out = console()
    if not said_brand:
        out.print(f"Judged for brand {data['brand']}, the only brand in config.yaml.")
    if not judge.crises:
        out.print("No crisis is active (give --crisis NAME --category ... to try one).")
    out.print(f"[bold]{decision.action.value}[/bold]" +
              (f" — {summary(decision)}" if decision.stops else ""))
    out.print(highlighted(data["text"], data))
    for reason in decision.reasons:
        out.print(f"  [bold]{reason.rule}[/bold]: {reason.advice}", soft_wrap=True)
    if decision.proposed_text:
        out.print(f"  Proposed instead: {decision.proposed_text}")


def _only_brand(app: App) -> Brand:
    """The brand to judge for when none is given: the only one. With several, guessing
    would answer for the wrong sectors and regions, so the user must say."""
    brands = app.config.brands
    if len(brands) == 1:
        return brands[0]
    if not brands:
        raise BadInput("config.yaml declares no brands: add the one to judge the draft for")
    raise BadInput(f"give --brand: config.yaml has several brands "
                   f"({', '.join(b.id for b in brands)})")


def _judge(app: App, crisis_name: str | None, opts: dict[str, Any]) -> Judge:
    if crisis_name is None:
        if opts.get("category"):
            raise click.UsageError("--category describes a hypothetical crisis: give it a "
                                   "name with --crisis NAME")
        with app.store.read() as conn:
            active = crisis_store.active_crises(conn)
        return Judge([to_policy(c) for c in active], app.config.playbook_for)
    if not opts.get("category"):
        raise click.UsageError("a hypothetical --crisis needs --category")
    spec = check_spec(app.config, CrisisSpec(name=crisis_name, **{
        k: tuple(v) if isinstance(v, tuple) else v for k, v in opts.items()}))
    drill = CrisisRecord.drill(spec, app.now(), app.actor)
    return Judge([to_policy(drill)], app.config.playbook_for)
