"""The README's tour of the command line, run line by line as a user would type it.

Each `tactful ...` line of the block (continuations joined, `# comments` dropped) runs in
order through `sh -c`, with the installed `tactful` on PATH, in a scratch folder whose
config.yaml declares the brands and channels the tour names; the Mastodon channel talks
to mastodon-mock on loopback. Every line must exit 0, or the status its comment gives
("exit 2"). A line that stops working fails here, named by its line in README.md.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.acceptance

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
TOUR_HEADING = "## A tour of the command line"
CRISIS_HEADING = "## Crisis mode"
BIN = Path(sys.executable).parent
MASTODON_TOKEN = "alice_token"  # the account mastodon-mock seeds
#: how long a long-running `tactful daemon` of the tour runs before it gets SIGTERM
DAEMON_SECONDS = 2.0

#: a 1x1 JPEG (arithmetic-coded), for the tour's rye.jpg
JPEG = bytes.fromhex(
    "ffd8ffdb004300030202020203020202030303030406040404040408060605060908"
    "0a0a090809090a0c0f0c0a0b0e0b09090d110d0e0f101011100a0c12131210130f10"
    "1010ffc9000b080001000101011100ffcc000600101005ffda0008010100003f00d2"
    "cf20ffd9"
)

WEEK_CSV = """channel,at,text,tags
kvasek-outbox,next-slot,Poppy seed rolls are back on Friday,promo
stride-outbox,+3d,Trail running club meets Thursday at 6pm,
"""


@dataclass(frozen=True)
class TourLine:
    line: int  # where the command starts in README.md
    command: str  # as a shell reads it: continuations joined, the comment dropped
    expect: int  # exit status: 0 unless the comment says "exit N"

    @property
    def runs_until_stopped(self) -> bool:
        """`tactful daemon` without --once (or a subcommand) runs until SIGTERM."""
        args = shlex.split(self.command)
        return args[1:2] == ["daemon"] and not {
            "--once",
            "--print-cron",
            "--print-systemd",
            "status",
            "--help",
            "-h",
        } & set(args)


def split_comment(text: str) -> tuple[str, str]:
    """The command and its `# comment`: a `#` that starts a word outside quotes."""
    quote = None
    for i, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or text[i - 1].isspace()):
            return text[:i].rstrip(), text[i + 1 :].strip()
    return text.rstrip(), ""


def tour_lines(readme: str, heading: str = TOUR_HEADING) -> list[TourLine]:
    """Every command of the ```sh block under `heading`, in order."""
    lines = readme.splitlines()
    start = lines.index(heading)
    opening = next(i for i in range(start, len(lines)) if lines[i].startswith("```"))
    closing = next(i for i in range(opening + 1, len(lines)) if lines[i] == "```")
    found: list[TourLine] = []
    number = opening + 1
    while number < closing:
        first = number + 1  # README lines count from 1
        text = lines[number]
        while text.endswith("\\") and number + 1 < closing:
            number += 1
            text = text[:-1].rstrip() + " " + lines[number].strip()
        number += 1
        command, comment = split_comment(text)
        if not command:
            continue
        assert command.startswith("tactful "), (
            f"README.md:{first}: the tour runs only `tactful ...` lines: {command!r}"
        )
        said = re.search(r"\bexit (\d+)\b", comment)
        found.append(TourLine(first, command, int(said.group(1)) if said else 0))
    return found


def test_the_tour_is_read_as_a_shell_would():
    readme = "\n".join(
        [
            TOUR_HEADING,
            "",
            "```sh",
            "tactful a 'x # y' \"#z\"  # a comment",
            "tactful b --one \\",
            "    --two 3   # exit 2 if wrong",
            "",
            "tactful daemon --grace 10",
            "tactful daemon status",
            "```",
            "tactful not-in-the-tour",
        ]
    )
    lines = tour_lines(readme)
    assert [(t.line, t.command, t.expect) for t in lines] == [
        (4, "tactful a 'x # y' \"#z\"", 0),
        (5, "tactful b --one --two 3", 2),
        (8, "tactful daemon --grace 10", 0),
        (9, "tactful daemon status", 0),
    ]
    assert [t.runs_until_stopped for t in lines] == [False, False, True, False]


def _config(instance: str) -> dict:
    return {
        "timezone": "UTC",
        "daemon": {"tick_seconds": 1, "poll_seconds": 0.2, "lease_seconds": 5},
        "brands": [
            {
                "id": "stride",
                "name": "Stride",
                "timezone": "America/New_York",
                "sectors": ["athletic-apparel"],
                "regions": ["us-ma"],
                "languages": ["en"],
                "crisis_alternative": {"en": "Our thoughts are with everyone affected."},
                "channels": [
                    {
                        "id": "stride-outbox",
                        "kind": "outbox",
                        "path": "outbox/stride.jsonl",
                        "slots": [{"days": "weekdays", "times": ["09:00", "15:00"]}],
                    },
                    {
                        "id": "stride-masto",
                        "kind": "mastodon",
                        "instance": instance,
                        "token_env": "STRIDE_MASTODON_TOKEN",
                        "timeout_seconds": 10,
                    },
                ],
            },
            {
                "id": "kvasek",
                "name": "Pekárna Kvásek",
                "timezone": "Europe/Prague",
                "sectors": ["food"],
                "regions": ["cz"],
                "languages": ["cs"],
                "channels": [
                    {
                        "id": "kvasek-outbox",
                        "kind": "outbox",
                        "path": "outbox/kvasek.jsonl",
                        "slots": [{"days": "daily", "times": ["07:00"]}],
                    },
                    # the tour queues a post on it for two hours ahead and never sends it:
                    # nothing listens here, and nothing needs to
                    {
                        "id": "kvasek-bluesky",
                        "kind": "bluesky",
                        "service": "http://127.0.0.1:9",
                        "handle": "kvasek.test",
                        "password_env": "KVASEK_BSKY_PASSWORD",
                    },
                ],
            },
        ],
    }


@pytest.fixture
def mastodon() -> Iterator[str]:
    from mastodon_mock.testing import MockServer

    with MockServer() as mock:
        yield mock.base_url


@pytest.fixture
def scratch(tmp_path: Path, mastodon: str) -> Path:
    """What a user of the tour has: a config.yaml, week.csv and rye.jpg beside it, the
    corpus checkout's evals/, and a completions folder as bash-completion expects."""
    (tmp_path / "config.yaml").write_text(
        yaml.safe_dump(_config(mastodon), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    (tmp_path / "week.csv").write_text(WEEK_CSV, encoding="utf-8")
    (tmp_path / "rye.jpg").write_bytes(JPEG)
    (tmp_path / "evals").symlink_to(ROOT / "evals")
    (tmp_path / "home" / ".local" / "share" / "bash-completion" / "completions").mkdir(parents=True)
    return tmp_path


def _environment(scratch: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "HOME": str(scratch / "home"),
        "TACTFUL_CONFIG": str(scratch / "config.yaml"),
        "STRIDE_MASTODON_TOKEN": MASTODON_TOKEN,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    for name in ("TACTFUL_DATABASE_URL", "TACTFUL_ACTOR", "KVASEK_BSKY_PASSWORD"):
        env.pop(name, None)
    return env


def _run(step: TourLine, scratch: Path, env: dict[str, str]) -> tuple[int, str, str]:
    if not step.runs_until_stopped:
        done = subprocess.run(
            ["sh", "-c", step.command],
            cwd=scratch,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        return done.returncode, done.stdout, done.stderr
    return _run_daemon(step, scratch, env)


def _run_daemon(step: TourLine, scratch: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """Start it, let it work once it has said it started, then SIGTERM, as Ctrl-C or
    systemd would stop it."""
    log = scratch / f"daemon-{step.line}.err"
    with open(log, "w") as err:
        daemon = subprocess.Popen(
            ["sh", "-c", f"exec {step.command}"],
            cwd=scratch,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    try:
        deadline = time.monotonic() + 60
        while " started: " not in log.read_text() and daemon.poll() is None:
            assert time.monotonic() < deadline, f"README.md:{step.line}: never started"
            time.sleep(0.05)
        time.sleep(DAEMON_SECONDS)
        daemon.send_signal(signal.SIGTERM)
        out, _ = daemon.communicate(timeout=60)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
    return daemon.returncode, out, log.read_text()


@pytest.mark.parametrize(("heading", "least"), [(TOUR_HEADING, 25), (CRISIS_HEADING, 15)])
def test_every_line_of_the_readme_tour_works_as_documented(scratch: Path, heading: str, least: int):
    steps = tour_lines(README.read_text(encoding="utf-8"), heading)
    assert len(steps) >= least, "the tour was not found whole"
    env = _environment(scratch)
    for step in steps:
        status, out, err = _run(step, scratch, env)
        assert status == step.expect, (
            f"README.md:{step.line}: `{step.command}` exited {status}, the tour says "
            f"{step.expect}\n--- stdout\n{out}--- stderr\n{err}"
        )
