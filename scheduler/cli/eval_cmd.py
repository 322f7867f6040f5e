"""`tactful eval`: how often the crisis policy agrees with the labelled corpus."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from scheduler.cli.common import console, json_option, print_json
from scheduler.errors import BadInput
from scheduler.evaluation import Report, Tally, evaluate

DEFAULT_CORPUS = Path("evals")


@click.command("eval")
@click.argument("corpus", required=False, type=click.Path(path_type=Path))
@click.option(
    "--split",
    type=click.Choice(["dev", "test"]),
    help="Only the dev two thirds (looked at while improving the policy) or the "
    "held-out test third.",
)
@click.option(
    "--lang",
    "langs",
    multiple=True,
    metavar="CODE",
    help="Only cases in these languages (repeatable).",
)
@click.option(
    "--keep-going",
    is_flag=True,
    help="List case files that cannot be read and judge the rest, instead of "
    "stopping at the first.",
)
@click.option(
    "--show",
    default=20,
    show_default=True,
    metavar="N",
    help="How many disagreements to list (0: none, -1: all).",
)
@json_option
def eval_command(
    corpus: Path | None,
    split: str | None,
    langs: tuple[str, ...],
    keep_going: bool,
    show: int,
    as_json: bool,
) -> None:
    """Judge every labelled case in the corpus and report agreement.

    CORPUS is the corpus directory (default: ./evals) or one case file. Prints
    agreement, stop recall (posts an expert would stop that the policy stopped), publish
    precision (posts the policy let out that should go out), leaks and false blocks,
    by split, language, rule and category, then the disagreements.

    \b
    Example:
      tactful eval
      tactful eval --split test --json
      tactful eval evals/cases/cs/flood.yaml --show -1
    """
    root = corpus or DEFAULT_CORPUS
    if not root.exists():
        raise BadInput(
            f"{root}: no corpus here; give its directory (the repository's evals/) or a case file"
        )
    report = evaluate(root, split=split, langs=langs, keep_going=keep_going)
    if as_json:
        print_json(report.to_json())
        return
    _print(report, show)


def _print(report: Report, show: int) -> None:
    out = console()
    for error in report.errors:
        out.print(f"[red]not judged[/red] {error}", soft_wrap=True, highlight=False)
    overall = report.overall
    out.print(
        f"[bold]{overall.cases} cases[/bold]: agreement {overall.agreement:.1%}, "
        f"stop recall {overall.stop_recall:.1%}, publish precision "
        f"{overall.publish_precision:.1%}, {overall.leaks} leaks, "
        f"{overall.false_blocks} false blocks"
        + (f" ({len(report.retired)} retired)" if report.retired else "")
    )
    for title, tallies in (
        ("split", report.tally(lambda o: o.case.split)),
        ("language", report.tally(lambda o: o.case.lang or "-")),
        ("rule", report.tally(lambda o: o.case.rule)),
        ("category", report.tally(lambda o: o.case.category)),
    ):
        out.print(_table(title, tallies))
    wrong = report.disagreements()
    if wrong and show:
        out.print(f"[bold]{len(wrong)} disagreements[/bold]")
        for outcome in wrong if show < 0 else wrong[:show]:
            data = outcome.to_json()
            flag = (
                "FALSE BLOCK"
                if outcome.false_block
                else ("LEAK" if data["expect"] == "stop" else "over-stop")
            )
            out.print(
                f"  {flag} {data['id']} ({data['rule']}): {data['policy']}\n"
                f"    {data['text']}\n    expected {data['expect']}: {data['why']}",
                soft_wrap=True,
                highlight=False,
                markup=False,
            )
        if 0 < show < len(wrong):
            out.print(f"  ... and {len(wrong) - show} more (--show -1 lists them all)")


def _table(title: str, tallies: dict[str, Tally]) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in (
        title,
        "cases",
        "agree",
        "stop recall",
        "publish prec.",
        "leaks",
        "false blocks",
    ):
        table.add_column(column, justify="left" if column == title else "right")
    for key, t in tallies.items():
        table.add_row(
            key,
            str(t.cases),
            f"{t.agreement:.1%}",
            f"{t.stop_recall:.1%}",
            f"{t.publish_precision:.1%}",
            str(t.leaks),
            str(t.false_blocks),
        )
    return table
