"""CLI start-up: CPU time of `tactful --help` and `tactful post list`, as a user runs them.

Run by hand (not part of the tests):

    .venv/bin/python bench/startup.py                 # 7 runs of each
    .venv/bin/python bench/startup.py --runs 15 --posts 500

Each command runs in a fresh process on a config of its own (the example config.yaml, a
SQLite database with `--posts` queued posts, made and warmed once beforehand), and its
CPU time (user + system, from the kernel's accounting of the child) is recorded. Prints
one JSON document with the runs, min and median of each. Target: under 0.35 s of CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TACTFUL = str(Path(sys.executable).parent / "tactful")
COMMANDS = {"--help": ["--help"], "post list": ["post", "list"]}


def cpu_of(args: list[str], env: dict[str, str]) -> float:
    """CPU seconds (user + system) one run of `tactful args` used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([TACTFUL, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--posts", type=int, default=50, help="posts queued before timing `post list`"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tactful-bench-startup-") as tmp:
        folder = Path(tmp)
        shutil.copy(ROOT / "config.yaml", folder / "config.yaml")
        env = {**os.environ, "TACTFUL_CONFIG": str(folder / "config.yaml")}
        for n in range(args.posts):
            subprocess.run(
                [TACTFUL, "post", "add", f"Post {n}", "-c", "stride-outbox", "--at", f"+{n + 1}h"],
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        runs: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(args.runs):  # alternate, so drift on a shared machine hits both
            for name, command in COMMANDS.items():
                runs[name].append(cpu_of(command, env))
    print(
        json.dumps(
            {
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
                f"{platform.python_version()}",
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "posts": args.posts,
                "cpu_seconds": {
                    name: {
                        "runs": [round(x, 3) for x in values],
                        "min": round(min(values), 3),
                        "median": round(statistics.median(values), 3),
                    }
                    for name, values in runs.items()
                },
                "target_cpu_seconds": 0.35,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
