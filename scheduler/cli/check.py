"""`tactful check`: judge a draft against the crises, without queueing it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from scheduler.cli.common import App, console, json_option, pass_app, print_json
from scheduler.cli.crisis import CONTEXT, KEYWORD, REGION
from scheduler.cli.review import highlighted
from scheduler.errors import WouldNotPublish
from scheduler.judging import summary
from scheduler.models import CrisisSpec

if TYPE_CHECKING:
    from scheduler.checking import Check


@click.command()
@click.argument("text")
@click.option(
    "--brand",
    "-b",
    "brand_id",
    metavar="ID",
    help="The brand it is for (needed when config.yaml has several).",
)
@click.option(
    "--channel", "-c", "channel_id", metavar="ID", help="The channel (default: the brand's first)."
)
@click.option("--lang", metavar="CODE", help="Language of the text (default: the brand's first).")
@click.option("--tag", "-t", "tags", multiple=True, metavar="TAG", help="Tags (repeatable).")
@click.option("--automated", is_flag=True, help="Judge it as an automated post.")
@click.option(
    "--crisis",
    "crisis_name",
    metavar="NAME",
    help="Judge against this hypothetical crisis (with --category ...) instead of the active ones.",
)
@click.option("--category", help="Hypothetical crisis: kind of event.")
@click.option(
    "--severity",
    default="serious",
    show_default=True,
    help="Hypothetical crisis: watch, serious or severe.",
)
@click.option(
    "--ops",
    default="normal",
    show_default=True,
    help="Hypothetical crisis: normal, reduced or closed.",
)
@KEYWORD
@CONTEXT
@REGION
@json_option
@pass_app
def check(
    app: App,
    text: str,
    brand_id: str | None,
    channel_id: str | None,
    lang: str | None,
    tags: tuple[str, ...],
    automated: bool,
    crisis_name: str | None,
    as_json: bool,
    **crisis_opts: Any,
) -> None:
    """Judge a draft against the active crises (or a hypothetical one); queue nothing.

    Prints the decision and its reasons, and exits 0 if the draft would be published,
    1 if not (hold, rewrite, block or pause): a script can stop on it.

    \b
    Example:
      tactful check "Killer deal on race shoes!" --brand stride --tag promo
      tactful check "Nabídka, která vás smete!" --brand kvasek --crisis "Povodně" \\
          --category flood --region cz
    """
    crisis = _hypothetical(app, crisis_name, crisis_opts)
    result = app.check(
        text,
        brand=brand_id,
        channel=channel_id,
        lang=lang,
        tags=tags,
        automated=automated,
        crisis=crisis,
    )
    if as_json:
        print_json(result.to_json())
    else:
        _print(result)
    if not result.would_publish:
        raise WouldNotPublish(result.decision.action.value)


def _print(result: Check) -> None:
    out, decision = console(), result.decision
    if result.only_brand:
        out.print(f"Judged for brand {result.brand}, the only brand in config.yaml.")
    if not result.crises:
        out.print("No crisis is active (give --crisis NAME --category ... to try one).")
    out.print(
        f"[bold]{decision.action.value}[/bold]"
        + (f" — {summary(decision)}" if decision.stops else "")
    )
    out.print(highlighted(result.text, result.to_json()))
    for reason in decision.reasons:
        out.print(f"  [bold]{reason.rule}[/bold]: {reason.advice}", soft_wrap=True)
    if decision.proposed_text:
        out.print(f"  Proposed instead: {decision.proposed_text}")


def _hypothetical(app: App, crisis_name: str | None, opts: dict[str, Any]) -> CrisisSpec | None:
    """The crisis --crisis NAME describes, if any (the options are checked when judged)."""
    if crisis_name is None:
        if opts.get("category"):
            raise click.UsageError(
                "--category describes a hypothetical crisis: give it a name with --crisis NAME"
            )
        return None
    if not opts.get("category"):
        raise click.UsageError("a hypothetical --crisis needs --category")
    return CrisisSpec(
        name=crisis_name, **{k: tuple(v) if isinstance(v, tuple) else v for k, v in opts.items()}
    )
