"""Tactful as a library: the README's example runs as written, and the front door gives
typed results and the CLI's own errors."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from scheduler import CrisisSpec, Tactful
from scheduler.errors import BadInput, PostNotFound
from scheduler.outcomes import Ending
from tests.conftest import base_config, write_config

#: a script's use of the library: real SQLite through the front door
pytestmark = pytest.mark.store

README = Path(__file__).parents[1] / "README.md"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Use it from Python") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs_as_written(tmp_path):
    write_config(tmp_path, base_config())
    done = subprocess.run(
        [sys.executable, "-c", readme_example()],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "{'held': 1}"
    assert lines[1] == "1 hold: sensitive-words (Marathon)"
    assert lines[2] == "False hold"
    assert lines[3] == "1 0"
    assert lines[4] == "['queued']"
    assert lines[5] == "nothing due"


@pytest.fixture
def t(tmp_path) -> Tactful:
    with Tactful.open(write_config(tmp_path, base_config()), actor="script") as tactful:
        yield tactful


def test_a_script_gets_typed_results_and_the_audit_names_it(t):
    post = t.posts.add("Fresh bread at seven", channel="kvasek-outbox", at="+1d")
    assert post.id == 1 and post.status.value == "queued"
    page = t.posts.list(limit=1)
    assert page.items[0].id == 1 and page.total == 1 and not page.truncated
    t.crises.flag(
        CrisisSpec(name="Povodně", category="flood", regions=("cz",), keywords=("chleba",))
    )
    ending = t.crises.end()
    assert isinstance(ending, Ending) and ending.still_paused == 0
    assert {e.actor for e in t.posts.audit(1).items} == {"script"}


def test_the_library_refuses_what_the_cli_refuses(t):
    with pytest.raises(BadInput, match="unknown channel"):
        t.posts.add("x", channel="nope", at="+1h")
    with pytest.raises(PostNotFound):
        t.posts.get(99)
    flagged = t.crises.flag(CrisisSpec(name="x", category="flood"))
    with pytest.raises(BadInput, match="nothing to change"):
        t.crises.revise(flagged.crisis.id)


def test_checking_a_draft_creates_no_database(tmp_path):
    config = write_config(tmp_path, base_config())
    with Tactful.open(config) as t:
        result = t.check(
            "Killer deal!",
            brand="stride",
            tags=["promo"],
            crisis=CrisisSpec(
                name="Boston", category="bombing", regions=("us-ma",), severity="serious"
            ),
        )
        assert not result.would_publish
    assert not (tmp_path / "tactful.db").exists()
