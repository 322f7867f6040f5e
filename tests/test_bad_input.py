"""Inputs an operator can get wrong, each refused in one line with its exit code and
nothing changed: text that is not UTF-8, control characters in any text, texts of a
megabyte, config and secrets files that are not UTF-8, keys given twice, YAML nested
without end, a database that is not one, a playbook that is a folder."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import Cli, base_config, write_config
from tests.test_cli_post import snapshot

pytestmark = pytest.mark.cli

TACTFUL = str(Path(sys.executable).parent / "tactful")


def one_line_refusal(result, code: int = 2) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    return result.stderr


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    cli = Cli(write_config(tmp_path, base_config()))
    assert cli("post", "add", "seed", "-c", "kvasek-outbox", "--at", "+1d").exit_code == 0
    return cli


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["post", "add", "caf\udce9", "-c", "stride-outbox", "--at", "+1h"],
            "TEXT: not valid UTF-8 text (byte 0xe9)",
        ),
        (
            ["post", "add", "ok", "-c", "stride-outbox", "--at", "+1h", "--crisis-text", "\udcff"],
            "--crisis-text: not valid UTF-8 text (byte 0xff)",
        ),
        (
            ["post", "add", "ok", "-c", "stride-outbox", "--at", "+1h", "--crisis-text", "a\x00b"],
            "--crisis-text: contains the control character U+0000",
        ),
        (
            ["post", "add", "x" * 20_001, "-c", "stride-outbox", "--at", "+1h"],
            "TEXT: 20,001 characters; a post may have at most 20,000",
        ),
        (
            ["post", "edit", "1", "--crisis-text", "bell\x07"],
            "--crisis-text: contains the control character U+0007",
        ),
    ],
)
def test_bad_text_anywhere_is_refused_and_changes_nothing(
    cli: Cli, tmp_path: Path, args: list[str], message: str
):
    before = snapshot(tmp_path)
    assert message in one_line_refusal(cli(*args))
    assert snapshot(tmp_path) == before


def test_a_csv_with_a_nul_in_a_crisis_text_queues_nothing(cli: Cli, tmp_path: Path):
    (tmp_path / "week.csv").write_text(
        "text,channel,at,crisis_text\nFine,stride-outbox,+1h,"
        'ok\nAlso fine,stride-outbox,+2h,"a\x00b"\n'
    )
    before = snapshot(tmp_path)
    error = one_line_refusal(cli("post", "import", str(tmp_path / "week.csv")))
    assert "week.csv:3: column 'crisis_text': contains the control character U+0000" in error
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"timezone: UTC\n\xff\xfe\n", "config.yaml:2: not UTF-8 text (byte 0xff)"),
        (
            b"brands: []\nbrands:\n  - id: x\n",
            "config.yaml:2: not valid YAML (the key 'brands' is given twice (first on line 1)",
        ),
        (b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n", "config.yaml: nested too deeply"),
        (
            b"timezone: UTC\nbrands: \x00\n",
            "config.yaml:2: not valid YAML (the character U+0000 is not allowed)",
        ),
        # the line counts characters, not bytes: four two-byte letters come before it
        (
            "# čšřž\nx: y\ntimezone: \x07\n".encode(),
            "config.yaml:3: not valid YAML (the character U+0007 is not allowed)",
        ),
    ],
)
def test_a_broken_config_file_is_one_line(tmp_path: Path, content: bytes, message: str):
    path = tmp_path / "config.yaml"
    path.write_bytes(content)
    assert message in one_line_refusal(Cli(path)("post", "list"))


def test_a_database_that_is_not_one_is_exit_4_in_one_line(tmp_path: Path):
    (tmp_path / "notes.db").write_text("shopping list, not a database\n" * 100)
    data = {**base_config(), "database": "notes.db"}
    error = one_line_refusal(Cli(write_config(tmp_path, data))("post", "list"), code=4)
    assert "database: file is not a database" in error
    assert (tmp_path / "notes.db").read_text().startswith("shopping list")


def test_a_playbook_that_is_a_folder_is_one_line(tmp_path: Path):
    (tmp_path / "playbooks").mkdir()
    data = base_config()
    data["brands"][0]["playbook"] = "playbooks"
    error = one_line_refusal(Cli(write_config(tmp_path, data))("post", "list"))
    assert "brands[0].playbook:" in error and "is a folder, not a playbook file" in error


def test_a_secrets_file_that_is_not_utf8_is_reported_and_holds_nothing_as_unknown(tmp_path: Path):
    secrets = tmp_path / "secrets.env"
    secrets.write_bytes(b"STRIDE_WEBHOOK_SECRET=\xff\n")
    os.chmod(secrets, 0o600)
    data = {**base_config(), "secrets_file": "secrets.env"}
    data["brands"][0]["channels"][1]["secret_env"] = "STRIDE_WEBHOOK_SECRET"
    cli = Cli(write_config(tmp_path, data))
    checked = cli("config", "check")
    assert "warning: secrets_file:" in checked.stderr and "not UTF-8" in checked.stderr
    cli("post", "add", "hook", "-c", "stride-hook", "--at", "now")
    cli("daemon", "--once")
    shown = cli("post", "show", "1", "--json")
    assert '"status": "held"' in shown.stdout and "not UTF-8" in shown.stdout


def test_a_text_that_is_not_utf8_from_a_real_shell_is_one_line(tmp_path: Path):
    config = write_config(tmp_path, base_config())
    done = subprocess.run(
        [
            TACTFUL,
            "--config",
            str(config),
            "post",
            "add",
            os.fsdecode(b"caf\xe9"),
            "-c",
            "stride-outbox",
            "--at",
            "+1h",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "not valid UTF-8 text (byte 0xe9)" in done.stderr
    assert all(rows == [] for table, rows in snapshot(tmp_path) if table == "posts")


def _hold_write_lock(db: Path, seconds: float, ready: threading.Event) -> None:
    import time

    conn = sqlite3.connect(db, isolation_level=None, timeout=30)
    conn.execute("BEGIN IMMEDIATE")  # what a long import's transaction holds
    ready.set()
    time.sleep(seconds)
    conn.execute("ROLLBACK")
    conn.close()


@pytest.mark.parametrize(("hold", "wait", "code"), [(4, "20", 0), (30, "1", 4)])
def test_a_busy_sqlite_database_is_waited_for_visibly_then_given_up_on(
    tmp_path: Path, hold: float, wait: str, code: int
):
    config = write_config(tmp_path, base_config())
    subprocess.run(
        [TACTFUL, "--config", str(config), "db", "upgrade"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    ready = threading.Event()
    holder = threading.Thread(
        target=_hold_write_lock, args=(tmp_path / "tactful.db", hold, ready), daemon=True
    )
    holder.start()
    assert ready.wait(10)
    started = time.monotonic()
    done = subprocess.run(
        [
            TACTFUL,
            "--config",
            str(config),
            "--wait",
            wait,
            "post",
            "add",
            "Patience",
            "-c",
            "stride-outbox",
            "--at",
            "+1h",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.monotonic() - started
    assert done.returncode == code, done.stderr
    assert "Waiting for the database: another tactful command is writing" in done.stderr
    assert "Traceback" not in done.stderr
    if code == 4:
        assert "held it for 1 s (--wait)" in done.stderr and took < 10


def test_database_errors_are_told_in_one_line_and_others_are_not_mistaken_for_them():
    from sqlalchemy.exc import OperationalError

    from scheduler.errors import database_problem

    cut = OperationalError(
        "SELECT 1",
        {},
        sqlite3.OperationalError(
            "server closed the connection unexpectedly\n\tThis probably means ..."
        ),
    )
    assert database_problem(cut) == (
        "database: server closed the connection unexpectedly; nothing was changed"
    )
    assert database_problem(sqlite3.OperationalError("database is locked")).startswith(
        "database: database is locked (another tactful command holds it"
    )
    assert database_problem(ValueError("locked")) is None
    assert database_problem(KeyError("x")) is None
