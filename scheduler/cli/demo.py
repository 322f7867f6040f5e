"""`tactful demo`: a guided walk-through on a throwaway database."""

from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import date
from pathlib import Path

import click

from scheduler.cli.common import console
from scheduler.demo import run_demo


@click.command()
@click.option("--keep", is_flag=True, help="Keep the demo folder to explore it afterwards.")
@click.option(
    "--dir",
    "workdir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Run in this (new or empty) folder instead of a temporary one; kept.",
)
def demo(keep: bool, workdir: Path | None) -> None:
    """Play a week of posts for three example brands on a simulated clock.

    Needs no config, credentials or network: it makes its own config, SQLite database,
    outbox files and a webhook receiver on 127.0.0.1, and removes them afterwards.

    \b
    Example:
      tactful demo
      tactful demo --keep      # then: tactful --config <folder>/config.yaml post list
    """
    out = console()
    # the demo narrates what happens; the daemon's own warnings would only repeat it
    logging.getLogger("tactful").setLevel(logging.ERROR)
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        if any(workdir.iterdir()):
            raise click.BadParameter(f"{workdir} is not empty", param_hint="--dir")
        keep = True
    folder = workdir or Path(tempfile.mkdtemp(prefix="tactful-demo-"))
    try:
        result = run_demo(folder, out, today=date.today())
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    if keep:
        out.print(
            f"\nThe demo folder is kept. Explore it with:\n"
            f"  tactful --config {result.workdir / 'config.yaml'} post list\n"
            f"  tactful --config {result.workdir / 'config.yaml'} audit"
        )
    else:
        out.print("\nDemo folder removed (run `tactful demo --keep` to explore it).")
