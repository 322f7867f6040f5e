"""How cron or systemd runs the daemon: a crontab entry and a systemd user unit.

Neither runs in the shell that printed them: no current folder, no PATH, none of its
exported variables. So both name the tactful executable and config.yaml by absolute
path, set TACTFUL_CONFIG, and read the credentials the channels need from an
environment file. Only the variables' names are printed, never their values.
"""

from __future__ import annotations

import math
import re
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scheduler.config import CONFIG_ENV, DATABASE_ENV, Config
from scheduler.errors import BadInput
from scheduler.publishers import credential_names

ENV_FILE = "tactful.env"
CRON_LOG = "tactful-cron.log"
UNIT_NAME = "tactful.service"
#: systemd's wait after SIGTERM is --grace plus this: the daemon stops waiting for a send
#: at --grace, then needs a moment to close the database and exit on its own
STOP_MARGIN_SECONDS = 15


@dataclass(frozen=True, kw_only=True)
class Variable:
    """A variable the daemon's environment must define, and what reads it."""

    name: str
    used_by: str


@dataclass(frozen=True, kw_only=True)
class RunSetup:
    """What a daemon started by cron or systemd needs, with absolute paths."""

    executable: Path
    config: Path
    env_file: Path
    #: what the environment file must define
    variables: tuple[Variable, ...]
    #: the secrets_file of config.yaml, which the daemon reads itself, and its keys
    secrets_file: Path | None
    secret_keys: tuple[str, ...]

    @property
    def folder(self) -> Path:
        return self.config.parent


def run_setup(
    config_file: Path, config: Config, *, argv0: str, python: str, environ: Mapping[str, str]
) -> RunSetup:
    """The setup for the (already loaded and valid) config at `config_file`."""
    config_file = config_file.resolve()
    executable = tactful_executable(argv0, python)
    for path in (config_file, executable):
        if "\n" in str(path) or "\r" in str(path):
            raise BadInput(
                f"{str(path)!r}: a path with a line break cannot go in a crontab "
                "line or a unit file; move it"
            )
    secrets = config.resolve(config.secrets_file).resolve() if config.secrets_file else None
    channel_vars = _channel_variables(config)
    variables = () if secrets else channel_vars
    if environ.get(DATABASE_ENV):
        variables += (
            Variable(
                name=DATABASE_ENV, used_by="the database (set in the shell that printed this)"
            ),
        )
    return RunSetup(
        executable=executable,
        config=config_file,
        env_file=config_file.parent / ENV_FILE,
        variables=variables,
        secrets_file=secrets,
        secret_keys=tuple(v.name for v in channel_vars) if secrets else (),
    )


def _channel_variables(config: Config) -> tuple[Variable, ...]:
    users: dict[str, list[str]] = {}
    for channel_id, (_, channel) in config.channels.items():
        for name in credential_names(channel):
            users.setdefault(name, []).append(channel_id)
    return tuple(
        Variable(name=name, used_by="channel " + ", ".join(ids)) for name, ids in users.items()
    )


def tactful_executable(argv0: str, python: str) -> Path:
    """The tactful now running: argv[0] when it is the console script, else the one
    beside this Python (a virtualenv's bin), else the first on PATH."""
    running = Path(argv0)
    if running.stem == "tactful" and running.is_file():
        return running.resolve()
    beside = Path(python).parent / "tactful"
    if beside.is_file():
        return beside.absolute()
    found = shutil.which("tactful")
    if found is None:
        raise BadInput(
            "cannot find the tactful executable: run this as `tactful daemon ...` "
            "from the environment tactful is installed in"
        )
    return Path(found).resolve()


def cron_entry(setup: RunSetup) -> str:
    """Comments saying what to set up, then a crontab line: one pass every minute."""
    for path in (setup.executable, setup.config, setup.env_file):
        if "%" in str(path):
            raise BadInput(
                f"{path}: cron reads % in a command as a line break; move it to a path without %"
            )
    run = f"{CONFIG_ENV}={_sh(setup.config)} exec {_sh(setup.executable)} daemon --once"
    if setup.variables:
        # set -a exports what the file defines: NAME=value lines, as systemd reads them
        run = f"{{ set -a && . {_sh(setup.env_file)} && set +a && {run}; }}"
    log = setup.folder / CRON_LOG
    return "\n".join(
        [
            f"# Tactful: one dispatch pass a minute for {setup.config}; add with `crontab -e`.",
            f"# Its output goes to {log}.",
            *_credential_comments(setup),
            f"* * * * * cd {_sh(setup.folder)} && {run} >> {_sh(log)} 2>&1",
        ]
    )


def _sh(path: Path) -> str:
    return shlex.quote(str(path))


def systemd_unit(setup: RunSetup, *, grace: float) -> str:
    """A systemd user unit that runs the long-lived daemon, with how to install it."""
    grace_text = f"{grace:g}"
    command = " ".join(
        _exec_word(w) for w in (str(setup.executable), "daemon", "--grace", grace_text)
    )
    lines = [
        f"# Tactful daemon for {setup.config}, as a systemd user service.",
        f"# Save this as ~/.config/systemd/user/{UNIT_NAME}, then:",
        "#   systemctl --user daemon-reload",
        f"#   systemctl --user enable --now {UNIT_NAME}",
        '#   loginctl enable-linger "$USER"    # keep it running when you log out',
        f"#   journalctl --user -u {UNIT_NAME} -f    # follow its log",
        *_credential_comments(setup),
        "",
        "[Unit]",
        f"Description=Tactful: publish queued posts when they fall due "
        f"({_specifiers(str(setup.config))})",
        "",
        "[Service]",
        "Type=simple",
        f"WorkingDirectory={_specifiers(str(setup.folder))}",
        f"Environment={_quoted(f'{CONFIG_ENV}={setup.config}')}",
    ]
    if setup.variables:
        lines.append(f"EnvironmentFile={_specifiers(str(setup.env_file))}")
    lines += [
        f"ExecStart={command}",
        "Restart=on-failure",
        "RestartSec=5",
        "# exit 2 is bad input (config.yaml broken): restarting would not mend it",
        "RestartPreventExitStatus=2",
        "KillSignal=SIGTERM",
        f"TimeoutStopSec={math.ceil(grace) + STOP_MARGIN_SECONDS}",
        "",
        "[Install]",
        "WantedBy=default.target",
    ]
    return "\n".join(lines)


def _credential_comments(setup: RunSetup) -> list[str]:
    lines = []
    if setup.variables:
        width = max(len(v.name) for v in setup.variables)
        lines += [
            f"# Credentials come from {setup.env_file} (create it, chmod 600): NAME='value' lines",
            "# defining these variables:",
            *(f"#   {v.name:<{width}}  {v.used_by}" for v in setup.variables),
        ]
    if setup.secrets_file and setup.secret_keys:
        lines.append(
            f"# Channel credentials are read from secrets_file {setup.secrets_file}: "
            f"{', '.join(setup.secret_keys)}."
        )
    if not lines:
        lines.append("# No credentials needed: no channel in config.yaml reads one.")
    return lines


_NEEDS_QUOTES = re.compile(r"[\s\"'\\;]")


def _specifiers(text: str) -> str:
    """systemd expands %x in most settings; a literal % is written %%."""
    return text.replace("%", "%%")


def _quoted(text: str) -> str:
    text = _specifiers(text)
    if not _NEEDS_QUOTES.search(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _exec_word(text: str) -> str:
    """A word of ExecStart=, where systemd also expands $NAME."""
    return _quoted(text.replace("$", "$$"))
