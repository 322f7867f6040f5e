"""`tactful daemon --print-cron` and `--print-systemd` through the CLI: what they print
runs as cron or systemd would run it, and names credentials without showing them."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from scheduler.loopback import WebhookReceiver
from tests.conftest import Cli, base_config, write_config

pytestmark = pytest.mark.cli

HOOK_KEY = "hook-signing-key-d41d8cd9"


def with_credentials(tmp_path: Path, hook_url: str = "http://127.0.0.1:9/hook") -> Cli:
    """A config whose channels read credentials of every kind."""
    data = base_config(webhook_url=hook_url)
    channels = data["brands"][0]["channels"]
    channels[1]["secret_env"] = "STRIDE_HOOK_SECRET"
    channels += [
        {
            "id": "stride-masto",
            "kind": "mastodon",
            "instance": "http://127.0.0.1:9",
            "token_env": "STRIDE_MASTODON_TOKEN",
        },
        {
            "id": "stride-mail",
            "kind": "email",
            "host": "127.0.0.1",
            "port": 9,
            "tls": "none",
            "username_env": "SMTP_USER",
            "password_env": "SMTP_PASSWORD",
            "from": "news@stride.example",
            "to": ["list@stride.example"],
        },
    ]
    return Cli(write_config(tmp_path, data))


def printed(cli: Cli, *args: str) -> str:
    result = cli("daemon", *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def schedule_and_command(entry: str) -> tuple[str, str]:
    [line] = [x for x in entry.splitlines() if x and not x.startswith("#")]
    fields = line.split(" ", 5)
    return " ".join(fields[:5]), fields[5]


def test_the_cron_line_runs_a_pass_from_any_folder_with_only_the_env_file(tmp_path: Path):
    with WebhookReceiver(secret=HOOK_KEY) as receiver:
        cli = with_credentials(tmp_path, receiver.url + "/hook")
        assert cli("post", "add", "Doors open", "-c", "stride-hook", "--at", "now").exit_code == 0
        entry = printed(cli, "--print-cron")
        schedule, command = schedule_and_command(entry)
        assert schedule == "* * * * *"
        env_file = tmp_path / "tactful.env"
        env_file.write_text(f"STRIDE_HOOK_SECRET='{HOOK_KEY}'\n")
        env_file.chmod(0o600)
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        # what cron gives a job: sh, a home, a bare PATH, nothing of our shell
        cron_env = {
            "HOME": str(tmp_path),
            "PATH": "/usr/bin:/bin",
            "SHELL": "/bin/sh",
            "XDG_CACHE_HOME": os.environ["XDG_CACHE_HOME"],
        }
        done = subprocess.run(
            ["sh", "-c", command],
            cwd=elsewhere,
            env=cron_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        log = (tmp_path / "tactful-cron.log").read_text()
        assert "Dispatch pass: 1 published" in log, log
        [sent] = receiver.delivered()
        assert sent.signature_ok is True  # the key came from the environment file
    assert f"TACTFUL_CONFIG={tmp_path / 'config.yaml'}" in command
    assert list(elsewhere.iterdir()) == []


def test_the_cron_line_needs_no_env_file_when_no_channel_reads_a_credential(
    cli: Cli, config_file: Path, tmp_path: Path
):
    entry = printed(cli, "--print-cron")
    assert "No credentials needed" in entry and "tactful.env" not in entry
    _, command = schedule_and_command(entry)
    words = shlex.split(command)
    executable = Path(words[words.index("exec") + 1])
    assert executable.is_absolute() and os.access(executable, os.X_OK)
    assert f"TACTFUL_CONFIG={config_file.resolve()}" in words
    done = subprocess.run(
        ["sh", "-c", command],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "XDG_CACHE_HOME": os.environ["XDG_CACHE_HOME"],
        },
    )
    assert done.returncode == 0, done.stderr
    assert "Dispatch pass: nothing due." in (tmp_path / "tactful-cron.log").read_text()


def test_the_systemd_unit_is_complete(tmp_path: Path):
    cli = with_credentials(tmp_path)
    text = printed(cli, "--print-systemd", "--grace", "40")
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(text)
    assert unit.sections() == ["Unit", "Service", "Install"]
    service = unit["Service"]
    assert service["Type"] == "simple"
    exec_start = shlex.split(service["ExecStart"])
    assert Path(exec_start[0]).is_absolute() and os.access(exec_start[0], os.X_OK)
    assert exec_start[1:] == ["daemon", "--grace", "40"]
    assert service["WorkingDirectory"] == str(tmp_path)
    assert service["Environment"] == f"TACTFUL_CONFIG={tmp_path / 'config.yaml'}"
    assert service["EnvironmentFile"] == str(tmp_path / "tactful.env")
    assert service["Restart"] == "on-failure" and service["KillSignal"] == "SIGTERM"
    assert int(service["TimeoutStopSec"]) > 40
    assert unit["Install"]["WantedBy"] == "default.target"
    assert "systemctl --user enable --now tactful.service" in text
    assert "Note: " in cli("daemon", "--print-systemd").stderr  # no tactful.env yet
    if shutil.which("systemd-analyze"):
        (tmp_path / "tactful.env").write_text("")
        (tmp_path / "tactful.service").write_text(text)
        checked = subprocess.run(
            ["systemd-analyze", "verify", str(tmp_path / "tactful.service")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        # some containers have no manager for verify to start: that says nothing of the unit
        if "Failed to initialize manager" not in checked.stderr:
            assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("flag", ["--print-cron", "--print-systemd"])
def test_credentials_are_named_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: str
):
    secrets = {
        "STRIDE_HOOK_SECRET": HOOK_KEY,
        "STRIDE_MASTODON_TOKEN": "masto-token-7f3a9",
        "SMTP_USER": "mailer-user-5521",
        "SMTP_PASSWORD": "smtp-pass-88c1",
        "TACTFUL_DATABASE_URL": "postgresql://tactful:db-pass-19ab@127.0.0.1:9/t",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    result = with_credentials(tmp_path)("daemon", flag)
    assert result.exit_code == 0, result.output
    named = re.findall(r"^#   ([A-Z_][A-Z0-9_]*)  ", result.stdout, re.MULTILINE)
    assert sorted(named) == sorted(secrets)
    for value in (*secrets.values(), "db-pass-19ab"):
        assert value not in result.stdout and value not in result.stderr


def test_a_secrets_file_holds_the_channel_credentials_instead(tmp_path: Path):
    data = base_config()
    data["brands"][0]["channels"][1]["secret_env"] = "STRIDE_HOOK_SECRET"
    data["secrets_file"] = "secrets.env"
    cli = Cli(write_config(tmp_path, data))
    entry = printed(cli, "--print-cron")
    assert f"secrets_file {tmp_path / 'secrets.env'}: STRIDE_HOOK_SECRET." in entry
    assert "tactful.env" not in entry


@pytest.mark.parametrize("flag", ["--print-cron", "--print-systemd"])
def test_a_missing_or_broken_config_is_refused(tmp_path: Path, flag: str):
    missing = Cli(tmp_path / "nowhere" / "config.yaml")("daemon", flag)
    assert missing.exit_code == 2 and missing.stdout == ""
    assert "config file not found" in missing.stderr
    assert missing.stderr.strip().count("\n") == 0
    (tmp_path / "config.yaml").write_text("brands:\n  - id: Bad Id\n")
    broken = Cli(tmp_path / "config.yaml")("daemon", flag)
    assert broken.exit_code == 2 and broken.stdout == ""
    assert "config.yaml:2: brands[0].id" in broken.stderr
    assert broken.stderr.strip().count("\n") == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--print-cron", "--print-systemd"], "give it or --print-cron, not both"),
        (["--print-systemd", "--once"], "runs the long-lived daemon, not --once"),
    ],
)
def test_conflicting_flags_are_refused(cli: Cli, args: list[str], message: str):
    result = cli("daemon", *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert message in result.stderr and result.stderr.strip().count("\n") == 0
