"""Crisis-off benchmark: end a crisis that paused 100,000 posts, and time the release.

Run by hand (not part of the tests):

    .venv/bin/python bench/crisis_off.py                          # both layouts, 3 rounds
    .venv/bin/python bench/crisis_off.py --posts 5000,20000 --channels 1 --rounds 1
    .venv/bin/python bench/crisis_off.py --rounds 3 --cli \\
        --python before=../wt-base/.venv/bin/python --python after=.venv/bin/python

Each run builds a fresh SQLite database in a temporary folder: a config with one brand
and `--channels` outbox channels, `--posts` posts queued with `Store.add_posts` (5,000 per
call; post i on channel i mod C, a distinct text each; each channel's posts due 20
minutes apart, the first 12 hours ago, as if the crisis had lasted that long), then
a crisis flagged with `--ops closed` (`CrisisDesk.flag`), which pauses every one of them.
None of that is timed. What is timed is ending the crisis with the default resume
(paced, the playbook's 4/1h per channel): `CrisisDesk.end` in the run's own process, or,
with `--via cli`, the installed `tactful crisis off` in a subprocess, start-up included.

Each run is a subprocess of the Python given by `--python LABEL=PATH` (default: this
one), so two checkouts, each with its own venv, are measured by the same script. The
runs alternate between them, round after round (a shared machine's drift hits both
alike). `--timeout` stops a run that takes too long, and says so. Prints one JSON
document: each run, and min / median per layout and Python.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

CHUNK = 5000
TARGET_SECONDS = 10.0
#: a channel's posts are due this far apart: 3 an hour, under the default pace of 4/1h
SPACING = timedelta(minutes=20)
#: how long the crisis lasted: the posts due since then are overdue when it ends
OVERDUE = timedelta(hours=12)


# -- one run, in the Python being measured ---------------------------------------------------


def write_config(folder: Path, channels: int) -> Path:
    data = {
        "database": f"sqlite:///{folder / 'bench.db'}",
        "timezone": "UTC",
        "brands": [
            {
                "id": "bench",
                "name": "Bench",
                "regions": ["us"],
                "languages": ["en"],
                "channels": [
                    {"id": f"bench-{c}", "kind": "outbox", "path": f"out/{c}.jsonl"}
                    for c in range(channels)
                ],
            }
        ],
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def queue_posts(store: Any, posts: int, channels: int, now: datetime) -> None:
    """Post i goes to channel i mod C, each channel's posts `SPACING` apart, the first
    due `OVERDUE` ago: the posts that fell due while the crisis lasted come back at the
    paced rate from now, and the rest keep their own times once the pace has caught up."""
    from scheduler.models import NewPost
    from scheduler.store import Change

    first = now - OVERDUE
    change = Change(actor="bench", now=now, action="create")
    for start in range(0, posts, CHUNK):
        store.add_posts(
            [
                NewPost(
                    brand="bench",
                    channel=f"bench-{i % channels}",
                    text=f"Bench post {i}: new arrivals this week",
                    due_at=first + SPACING * (i // channels),
                    lang="en",
                )
                for i in range(start, min(start + CHUNK, posts))
            ],
            change,
        )


def build(folder: Path, posts: int, channels: int) -> Path:
    """A database whose every post a closed-operations crisis has paused."""
    from scheduler.config import load_config
    from scheduler.crisis_desk import CrisisDesk
    from scheduler.models import CrisisSpec
    from scheduler.store import Change, Store

    cfg = write_config(folder, channels)
    config = load_config(cfg)
    store = Store.open(config.database)
    try:
        now = datetime.now(UTC)
        queue_posts(store, posts, channels, now)
        CrisisDesk(store, config).flag(
            CrisisSpec(
                name="Bench closure",
                category="flood",
                severity="watch",
                ops="closed",
                note="bench/crisis_off.py",
            ),
            Change(actor="bench", now=now, action="crisis-on"),
        )
        paused = store.status_counts().get("paused", 0)
    finally:
        store.close()
    if paused != posts:
        raise SystemExit(f"expected {posts} paused posts, found {paused}")
    return cfg


def end_by_library(cfg: Path) -> dict[str, Any]:
    from scheduler.config import load_config
    from scheduler.crisis_desk import CrisisDesk
    from scheduler.store import Change, Store

    config = load_config(cfg)
    store = Store.open(config.database)
    try:
        desk = CrisisDesk(store, config)
        started, cpu = time.perf_counter(), time.process_time()
        result = desk.end(None, Change(actor="bench", now=datetime.now(UTC), action="crisis-off"))
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        queued = store.status_counts().get("queued", 0)
    finally:
        store.close()
    return {
        "seconds": round(wall, 3),
        "cpu_seconds": round(cpu, 3),
        # a typed Ending since issue 11; a dict before it (the "before" side of a comparison)
        "released": len(result.posts.released if hasattr(result, "posts") else result["released"]),
        "queued_after": queued,
    }


def end_by_cli(cfg: Path) -> dict[str, Any]:
    tactful = Path(sys.executable).parent / "tactful"
    started = time.perf_counter()
    done = subprocess.run(
        [str(tactful), "--config", str(cfg), "crisis", "off"], capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"tactful crisis off exited {done.returncode}: {done.stderr}")
    return {"seconds": round(wall, 3), "output": done.stdout.strip().splitlines()[:2]}


def one_run(posts: int, channels: int, via: str, folder: Path) -> dict[str, Any]:
    import scheduler

    started = time.perf_counter()
    cfg = build(folder, posts, channels)
    setup = time.perf_counter() - started
    timed = end_by_cli(cfg) if via == "cli" else end_by_library(cfg)
    return {
        "code": str(Path(scheduler.__file__).parents[1]),
        "commit": commit_of(Path(scheduler.__file__).parent),
        "setup_seconds": round(setup, 1),
        **timed,
    }


def commit_of(folder: Path) -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=folder,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


# -- the rounds, alternating between Pythons -------------------------------------------------


def measure(python: str, posts: int, channels: int, via: str, timeout: float) -> dict[str, Any]:
    """One run in a subprocess of `python`, in a folder of this process's (removed here
    even when the run is stopped); a run past `timeout` is stopped and reported as such."""
    with tempfile.TemporaryDirectory(prefix="tactful-bench-off-") as tmp:
        command = [
            python,
            __file__,
            "--one",
            "--posts",
            str(posts),
            "--channels",
            str(channels),
            "--via",
            via,
            "--folder",
            tmp,
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"timed_out_after": timeout}
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = [r["seconds"] for r in runs if "seconds" in r]
    if not seconds:
        return {"runs": [], "timed_out": len(runs)}
    return {
        "runs": seconds,
        "min": min(seconds),
        "median": round(statistics.median(seconds), 3),
        "timed_out": len(runs) - len(seconds),
    }


def ratios(by_label: dict[str, list[dict[str, Any]]]) -> dict[str, float | None]:
    """The first Python's median over each other's (before / after: the speed-up)."""
    (first, runs), *others = by_label.items()
    base = summarise(runs).get("median")
    out = {}
    for label, other in others:
        median = summarise(other).get("median")
        out[f"{first} / {label}"] = round(base / median, 1) if base and median else None
    return out


def python_arg(text: str) -> tuple[str, str]:
    label, _, path = text.partition("=")
    if not path:
        raise argparse.ArgumentTypeError(
            f"{text!r}: write LABEL=PATH, such as after=.venv/bin/python"
        )
    return label, path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", default="100000", help="paused posts: counts, comma-separated")
    parser.add_argument(
        "--channels",
        default="200,1",
        help="the layouts to measure: channel counts, comma-separated",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--python",
        type=python_arg,
        action="append",
        metavar="LABEL=PATH",
        help="a Python (a venv's) to measure; repeat to compare",
    )
    parser.add_argument(
        "--cli",
        action="store_true",
        help="also time `tactful crisis off` once per layout and Python",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="seconds before a run is stopped (setup included)",
    )
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--via", choices=("library", "cli"), default="library", help=argparse.SUPPRESS
    )
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    layouts = [(int(n), int(c)) for n in args.posts.split(",") for c in args.channels.split(",")]
    if args.one:
        print(json.dumps(one_run(*layouts[0], args.via, args.folder)))
        return
    pythons = args.python or [("this", sys.executable)]
    runs: dict[str, dict[str, list]] = {}
    for _ in range(args.rounds):
        for posts, channels in layouts:
            for label, python in pythons:
                run = measure(python, posts, channels, "library", args.timeout)
                name = f"{posts} posts, {channels} channel(s)"
                runs.setdefault(name, {}).setdefault(label, []).append(run)
                print(f"{name}, {label}: {run}", file=sys.stderr)
    cli = {}
    if args.cli:
        for posts, channels in layouts:
            for label, python in pythons:
                cli[f"{posts} posts, {channels} channel(s), {label}"] = measure(
                    python, posts, channels, "cli", args.timeout
                )
    print(
        json.dumps(
            {
                "date": datetime.now(UTC).strftime("%Y-%m-%d"),
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} "
                f"{platform.release()}, Python {platform.python_version()}, SQLite "
                f"{sqlite3.sqlite_version}",
                "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                "rounds": args.rounds,
                "target_seconds": TARGET_SECONDS,
                "crisis_end_library": {
                    layout: {label: summarise(r) for label, r in by.items()}
                    for layout, by in runs.items()
                },
                "median_ratios": {layout: ratios(by) for layout, by in runs.items()},
                "runs": runs,
                "crisis_off_cli": cli,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
