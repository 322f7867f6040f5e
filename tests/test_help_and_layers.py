"""House rules: every command teaches by example; the policy package stays pure."""

from __future__ import annotations

import pkgutil
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from scheduler.cli import main
from tests.test_readme_tour import CRISIS_HEADING, TOUR_HEADING, tour_lines

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, path=()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


ALL = [(" ".join(path), command) for path, command in _commands(main)]


@pytest.mark.unit
def test_there_are_commands():
    expected = {"post add", "post import", "post list", "daemon", "audit", "demo"}
    assert expected <= {p for p, _ in ALL}


@pytest.mark.cli
@pytest.mark.parametrize("path", [p for p, _ in ALL] + [""])
def test_every_command_has_help_with_an_example(path):
    result = CliRunner().invoke(main, [*path.split(), "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output, f"`tactful {path} --help` shows no example"
    example = result.output.split("Example:")[1].split("Options:")[0]
    assert re.search(r"tactful( --?[a-z-]+ \S+)* " + re.escape(path), example + " "), example


def _command_path(args: list[str], where: str) -> str:
    """The command a `tactful ...` line runs (`post add`), as click resolves it; fails,
    naming the word, when there is no such command."""
    group: click.Command = main
    path: list[str] = []
    words = iter(args)
    for word in words:
        if word.startswith("-"):
            option = next((o for o in group.params if word.split("=")[0] in o.opts), None)
            if option is not None and not option.is_flag and "=" not in word:
                next(words, None)  # its value
            continue
        if not isinstance(group, click.Group):
            break  # an argument of the command
        command = group.get_command(click.Context(group), word)
        if command is None:
            if any(isinstance(p, click.Argument) for p in group.params):
                break
            pytest.fail(f"{where}: `tactful {' '.join(path)}` has no command {word!r}")
        path.append(word)
        group = command
    return " ".join(path)


@pytest.mark.unit
@pytest.mark.parametrize("heading", [TOUR_HEADING, CRISIS_HEADING])
def test_every_command_line_of_the_readme_names_a_command_that_exists(heading):
    for line in tour_lines(README, heading):
        path = _command_path(shlex.split(line.command)[1:], f"README.md:{line.line}")
        assert path, f"README.md:{line.line}: {line.command!r} names no command"


@pytest.mark.unit
@pytest.mark.parametrize("path", [p for p, _ in ALL])
def test_every_command_is_in_the_readme(path):
    """Named as it is typed (`tactful post retry`), in the tour, an example or prose."""
    words = r"\s+".join(map(re.escape, path.split()))
    assert re.search(rf"tactful\s+(--?[a-z-]+\s+\S+\s+)*{words}(?![\w-])", README), (
        f"README.md does not mention `tactful {path}`"
    )


@pytest.mark.cli
@pytest.mark.parametrize(
    "path", ["post list", "post show", "audit", "channel list", "post add", "post import", "daemon"]
)
def test_listing_commands_offer_json(path):
    assert "--json" in CliRunner().invoke(main, [*path.split(), "--help"]).output


@pytest.mark.cli
def test_tactful_help_ends_with_the_exit_codes_the_readme_lists():
    help_codes = CliRunner().invoke(main, ["--help"]).output.split("Exit codes:")[1]
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("\n## Exit codes\n")[1].split("\n## ")[0]
    for code, word in enumerate(["done", "decision", "bad input", "not found", "busy"]):
        assert re.search(rf"^ +{code}  .*{word}", help_codes, re.M), help_codes
        assert re.search(rf"^\| {code} \| .*{word}", table, re.M), table


#: what the pure policy engine must never load: the scheduler around it, the database, the
#: network, the terminal and the clock
NOT_IN_POLICIES = ("scheduler", "sqlalchemy", "httpx", "click", "rich", "apscheduler")


def _policy_modules() -> list[str]:
    import policies

    found = ["policies"]
    found += [m.name for m in pkgutil.walk_packages(policies.__path__, "policies.")]
    return found


@pytest.mark.unit
def test_the_layer_check_finds_every_policy_module():
    found = _policy_modules()
    on_disk = {
        f"policies.{p.stem}" for p in (ROOT / "policies").glob("*.py") if p.stem != "__init__"
    }
    assert on_disk <= set(found), sorted(on_disk - set(found))


@pytest.mark.cli
@pytest.mark.parametrize("module", _policy_modules())
def test_no_policy_module_pulls_in_the_scheduler_the_database_or_the_network(module):
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        f"print(','.join(sorted({{m.split('.')[0] for m in sys.modules}} & "
        f"{set(NOT_IN_POLICIES)!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert out.returncode == 0, f"importing {module} failed:\n{out.stderr}"
    assert out.stdout.strip() == "", f"importing {module} loads {out.stdout.strip()}"


@pytest.mark.unit
@pytest.mark.parametrize("module", _policy_modules())
def test_the_examples_in_the_policy_docstrings_hold(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0, f"{result.failed} example(s) in {module} no longer hold"


@pytest.mark.unit
def test_the_short_help_of_every_command_is_the_first_sentence_of_its_own_help():
    from scheduler.cli import COMMANDS, SHORT_HELP, TactfulGroup

    assert set(SHORT_HELP) == set(COMMANDS)
    group = TactfulGroup()
    for name in COMMANDS:
        command = group.get_command(None, name)  # type: ignore[arg-type]
        paragraph = " ".join((command.help or "").strip().split("\n\n")[0].split())
        first = re.match(r"(.+?\.)(\s|$)", paragraph)
        assert first is not None and SHORT_HELP[name] == first.group(1), name


@pytest.mark.cli
def test_top_level_help_loads_no_command_and_no_database_library():
    code = (
        "import sys; from click.testing import CliRunner; from scheduler.cli import main; "
        "CliRunner().invoke(main, ['--help']); "
        "print(','.join(m for m in ('sqlalchemy', 'pydantic', 'rich', 'scheduler.cli.post') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.cli
def test_completion_scripts_complete_commands_and_choices_in_a_real_bash(tmp_path):
    import os
    from pathlib import Path

    bin_dir = str(Path(sys.executable).parent)
    script = (
        "source <(tactful completion bash)\n"
        "COMP_WORDS=(tactful cr); COMP_CWORD=1; COMPREPLY=()\n"
        '_tactful_completion tactful; echo "[${COMPREPLY[*]}]"\n'
        "COMP_WORDS=(tactful crisis off --resume ''); COMP_CWORD=4; COMPREPLY=()\n"
        '_tactful_completion tactful; echo "[${COMPREPLY[*]}]"\n'
    )
    done = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[crisis]", "[paced review hold]"]
    for shell in ("zsh", "fish"):
        source = subprocess.run(
            [f"{bin_dir}/tactful", "completion", shell], capture_output=True, text=True, timeout=60
        ).stdout
        assert "_TACTFUL_COMPLETE" in source and f"{shell}_" in source


@pytest.mark.cli
@pytest.mark.parametrize(
    ("words", "cword", "expected"),
    [("tactful p", "1", "plain,post"), ("tactful post li", "2", "plain,list")],
)
def test_completing_a_command_loads_neither_the_database_nor_the_config_layer(
    words, cword, expected
):
    """What makes a Tab press feel slow: SQLAlchemy and pydantic (a third of a second)."""
    import os

    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('loaded:', ','.join(m for m in ('sqlalchemy', "
        "'pydantic') if m in sys.modules), file=sys.stderr))\n"
        "sys.argv = ['tactful']\n"
        "from scheduler.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "_TACTFUL_COMPLETE": "bash_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": cword,
        },
        timeout=60,
    )
    assert expected in done.stdout.splitlines()
    assert done.stderr.strip() == "loaded:"
