"""Fuzzing what an operator types or hands over: CSV files, `post add` arguments,
config.yaml, a brand's playbook, a secrets file. Whatever comes in, the command ends in
a result or one line of refusal (exit 2; 3 for a database it cannot use), never a
traceback, and a refusal leaves every table as it was.

The examples per input are few in the suite (`TACTFUL_FUZZ_EXAMPLES`, default 25);
run longer by hand, e.g. `TACTFUL_FUZZ_EXAMPLES=2000 .venv/bin/pytest
tests/test_fuzz_inputs.py`.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cli, base_config, write_config
from tests.test_cli_post import snapshot

pytestmark = pytest.mark.cli

EXAMPLES = int(os.environ.get("TACTFUL_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: any character, control characters, lone surrogates and NUL included
ANY_CHARS = st.text(st.characters(codec=None), max_size=40)
COLUMNS = [
    "channel",
    "at",
    "text",
    "tags",
    "lang",
    "expires",
    "crisis_text",
    "automated",
    "every",
    "until",
    "media",
    "alt",
]
PLAUSIBLE = {
    "channel": ["stride-outbox", "kvasek-outbox", "stride-hook", "nope", ""],
    "at": [
        "+1h",
        "+2d",
        "next-slot",
        "2027-03-14 02:30",
        "2027-02-30 09:00",
        "2027-05-01T09:00",
        "yesterday",
        "-1h",
        "9999-99-99",
        "",
    ],
    "text": ["Fresh bread at dawn", "Da bomb deals!", "x" * 300, ""],
    "tags": ["promo", "promo,news", "zzz-unknown", "", "tips;faq"],
    "lang": ["en", "cs", "xx", "", "pt-BR"],
    "expires": ["+3d", "2020-01-01", "never", ""],
    "crisis_text": ["We are thinking of you", "", "\x00"],
    "automated": ["true", "false", "maybe", ""],
    "every": ["1w", "1d", "0s", "forever", ""],
    "until": ["+30d", "2020-01-01", ""],
    "media": ["", "missing.png", "../etc/passwd"],
    "alt": ["", "a photo"],
}


def _cell(column: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(PLAUSIBLE.get(column, [""])), ANY_CHARS)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    header = draw(
        st.lists(
            st.one_of(st.sampled_from(COLUMNS), ANY_CHARS), min_size=1, max_size=8, unique=True
        )
    )
    sep = draw(st.sampled_from([",", ";", "\t"]))
    rows = draw(st.lists(st.lists(st.one_of(*[_cell(c) for c in COLUMNS]), max_size=9), max_size=6))

    def line(cells: list[str]) -> str:
        return sep.join(
            '"' + c.replace('"', '""') + '"' if draw(st.booleans()) else c for c in cells
        )

    text = "\n".join([line(header), *(line(r) for r in rows)])
    raw = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):  # now and then bytes that are not UTF-8 at all
        raw = draw(st.binary(max_size=200)) + raw
    return raw


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    cli = Cli(write_config(tmp_path, base_config()))
    assert cli("post", "add", "seed", "-c", "kvasek-outbox", "--at", "+1d").exit_code == 0
    return cli


def _one_error_line(stderr: str) -> None:
    """The refusal is one line, `Error: ...`, last; before it at most click's usage
    reminder (`Usage: ...`, `Try ... --help`) for a command typed wrong."""
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert lines and lines[-1].startswith("Error: "), stderr
    assert all(not line.startswith("Error: ") for line in lines[:-1]), stderr
    assert all(line.startswith(("Usage: ", "Try ")) or not line.strip() for line in lines[:-1]), (
        stderr
    )


def _refused_or_done(cli: Cli, folder: Path, *args: str, codes=(0, 2)) -> None:
    before = snapshot(folder)
    result = cli(*args)  # an unexpected exception escapes here: the test fails with it
    assert result.exit_code in codes, (args, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    if result.exit_code != 0:
        _one_error_line(result.stderr)
        assert snapshot(folder) == before


@FUZZ
@given(raw=csv_files())
def test_any_csv_file_is_imported_or_refused_in_one_line(
    cli: Cli, tmp_path: Path, raw: bytes
) -> None:
    (tmp_path / "fuzz.csv").write_bytes(raw)
    _refused_or_done(cli, tmp_path, "post", "import", "fuzz.csv")


@FUZZ
@given(
    text=_cell("text"),
    at=_cell("at"),
    channel=_cell("channel"),
    tags=_cell("tags"),
    lang=_cell("lang"),
    expires=_cell("expires"),
    crisis=_cell("crisis_text"),
)
def test_any_post_add_is_queued_or_refused_in_one_line(
    cli: Cli,
    tmp_path: Path,
    text: str,
    at: str,
    channel: str,
    tags: str,
    lang: str,
    expires: str,
    crisis: str,
) -> None:
    # values given as --option=VALUE and the text after `--`, as a script would, so that
    # a value starting with a dash is a value
    args = [
        "post",
        "add",
        f"--channel={channel}",
        f"--at={at}",
        f"--lang={lang}",
        f"--expires={expires}",
        f"--crisis-text={crisis}",
    ]
    if tags:
        args += [f"--tag={tags}"]
    _refused_or_done(cli, tmp_path, *args, "--", text)


def _paths(data, prefix=()):
    """Every key path of a nested YAML document."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**12),
    st.floats(allow_nan=True),
    ANY_CHARS.map(lambda s: s.encode("utf-8", "replace").decode("utf-8")),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def mutated(draw: st.DrawFn, document: dict) -> str:
    """A document with a few keys removed or given other values, as YAML text; or text
    that is barely YAML at all."""
    data = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(data))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(VALUES)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    if draw(st.integers(0, 9)) == 0:  # a cut-off file, tabs, a stray colon
        text = text[: draw(st.integers(0, len(text)))] + draw(
            st.sampled_from(["", "\t- : x", "brands: [", "{{", "\x00"])
        )
    return text


@FUZZ
@given(data=st.data())
def test_any_broken_config_is_refused_in_one_line(tmp_path: Path, data: st.DataObject) -> None:
    text = data.draw(mutated(base_config()))
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    cli = Cli(path)
    for args in (["config", "check"], ["post", "list"]):
        result = cli(*args)
        assert result.exit_code in (0, 2, 4), (text, result.stderr)
        if result.exit_code:
            _one_error_line(result.stderr)


PLAYBOOK = {
    "version": 1,
    "tags": {"promotion+": ["flash-drop"]},
    "rules": {"sensitive-words": {"from": "watch", "action": "hold"}},
    "sectors": {"vinyl-records": {"parent": "retail", "names": ["record shop"]}},
}


@FUZZ
@given(data=st.data())
def test_any_broken_playbook_is_refused_in_one_line(tmp_path: Path, data: st.DataObject) -> None:
    (tmp_path / "stride.yaml").write_text(
        data.draw(mutated(PLAYBOOK)), encoding="utf-8", errors="surrogatepass"
    )
    config = base_config()
    config["brands"][0]["playbook"] = "stride.yaml"
    cli = Cli(write_config(tmp_path, config))
    result = cli("config", "check")
    assert result.exit_code in (0, 2), result.stderr
    if result.exit_code:
        _one_error_line(result.stderr)


@FUZZ
@given(
    raw=st.one_of(
        st.binary(max_size=300),
        ANY_CHARS.map(lambda s: ("WEBHOOK_TOKEN=" + s).encode("utf-8", "surrogatepass")),
    )
)
def test_any_secrets_file_is_used_or_refused_in_one_line(tmp_path: Path, raw: bytes) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_bytes(raw)
    secrets.chmod(0o600)
    config = base_config()
    config["secrets_file"] = "secrets.env"
    cli = Cli(write_config(tmp_path, config))
    for args in (["channel", "list"], ["post", "add", "hi", "-c", "stride-outbox", "--at", "+1d"]):
        before = snapshot(tmp_path)
        result = cli(*args)
        assert result.exit_code in (0, 2), (raw, result.stderr)
        if result.exit_code:
            _one_error_line(result.stderr)
            assert snapshot(tmp_path) == before


def test_the_documents_the_fuzzers_start_from_are_valid(tmp_path: Path) -> None:
    # a fuzzer that starts from a broken document tests only one refusal
    (tmp_path / "stride.yaml").write_text(yaml.safe_dump(PLAYBOOK), encoding="utf-8")
    config = base_config()
    config["brands"][0]["playbook"] = "stride.yaml"
    result = Cli(write_config(tmp_path, config))("config", "check")
    assert result.exit_code == 0, result.stderr
