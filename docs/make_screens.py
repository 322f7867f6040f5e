"""Capture what the daily loop looks like in an 80-column terminal, into docs/screens.md.

Runs the installed `tactful` on a scratch config (two brands, a few posts, the Boston
crisis flagged, a feed that suggests a flood crisis in Prague) with COLUMNS=80, as a
marketer's terminal would be, and writes each command with its output. Run it by hand
after changing how a list prints:

    .venv/bin/python docs/make_screens.py            # rewrites docs/screens.md
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

WIDTH = 80
CONFIG = """\
timezone: UTC
brands:
  - id: stride
    name: Stride Running Co.
    timezone: America/New_York
    sectors: [athletic-apparel]
    regions: [us-ma]
    languages: [en]
    crisis_alternative: {en: "Our thoughts are with everyone affected today."}
    channels:
      - {id: stride-outbox, kind: outbox, path: outbox/stride.jsonl}
  - id: kvasek
    name: Pekárna Kvásek
    timezone: Europe/Prague
    sectors: [food]
    regions: [cz]
    languages: [cs]
    channels:
      - {id: kvasek-outbox, kind: outbox, path: outbox/kvasek.jsonl}
feeds:
  - {id: cz-hydro, url: "file://{folder}/cz-hydro.xml", format: cap}
"""
#: the feed's one alert: the demo's flood warning for Prague
ALERT = Path(__file__).parent.parent / "scheduler" / "demo" / "prague_flood.xml"
POSTS = [
    (
        "Killer deal: 30% off race-day singlets, this weekend only",
        "stride-outbox",
        "+2h",
        ["--tag", "promo"],
    ),
    (
        "Marathon memories: thank you to every volunteer who handed out water along the "
        "course last year",
        "stride-outbox",
        "+3h",
        [],
    ),
    (
        "Trail report: the river path is muddy today, bring the lugged soles",
        "stride-outbox",
        "+1d",
        [],
    ),
    (
        "Čerstvý kváskový chléb z pece každé ráno od sedmi hodin",
        "kvasek-outbox",
        "+5h",
        ["--tag", "service"],
    ),
]
CRISIS = [
    "crisis",
    "on",
    "Boston Marathon bombing",
    "--category",
    "bombing",
    "--severity",
    "serious",
    "--keyword",
    "marathon",
    "--keyword",
    "#BostonStrong",
    "--context",
    "marathon",
    "--region",
    "us-ma",
    "--note",
    "flagged by comms",
]
SHOWN = [
    ["post", "list"],
    CRISIS,
    ["review", "list"],
    ["review", "show", "2"],
    ["post", "list", "--brand", "stride"],
    ["feeds", "poll"],
    ["crisis", "suggestions"],
]


def capture(tactful: str, folder: Path) -> str:
    env = {
        **os.environ,
        "COLUMNS": str(WIDTH),
        "TACTFUL_CONFIG": str(folder / "config.yaml"),
        "TACTFUL_ACTOR": "maria",
        "NO_COLOR": "1",
        "TERM": "dumb",
    }
    (folder / "config.yaml").write_text(CONFIG.replace("{folder}", str(folder)), encoding="utf-8")
    now = datetime.now(UTC).replace(microsecond=0)
    alert = ALERT.read_text(encoding="utf-8").format(
        sent=now.isoformat(), expires=(now + timedelta(days=2)).isoformat()
    )
    (folder / "cz-hydro.xml").write_text(alert, encoding="utf-8")

    def run(args: list[str]) -> str:
        done = subprocess.run(
            [tactful, *args], cwd=folder, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout + done.stderr

    for text, channel, at, extra in POSTS:
        run(["post", "add", text, "-c", channel, "--at", at, *extra])
    parts = [
        f"# Screens at {WIDTH} columns\n",
        "What the daily loop prints in an 80-column terminal, captured by\n"
        "`docs/make_screens.py` (times are relative to when it ran).\n",
    ]
    for args in SHOWN:
        shown = " \\\n    ".join(
            textwrap.wrap(
                " ".join(f'"{a}"' if " " in a else a for a in args),
                WIDTH - 12,
                break_on_hyphens=False,
            )
        )
        parts.append(f"```console\n$ tactful {shown}\n{run(args).rstrip()}\n```\n")
    return "\n".join(parts)


def main() -> None:
    tactful = shutil.which("tactful", path=str(Path(sys.executable).parent)) or "tactful"
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("screens.md")
    with tempfile.TemporaryDirectory() as scratch:
        target.write_text(capture(tactful, Path(scratch)), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
