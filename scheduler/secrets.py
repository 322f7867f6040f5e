"""Credentials: from the environment, else from a 0600 secrets file named in config.yaml.

Secrets never go to the database and never into output: values are wrapped so that
printing or logging them shows a mask, and the log filter masks any that slip into text.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from policies.yaml_text import YamlProblem, read_text
from scheduler.errors import SecretError

_MASK = "********"


class Secret:
    """A credential whose repr and str never show the value."""

    __slots__ = ("_value", "name")

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.name!r}, {_MASK})"

    __str__ = __repr__


class SecretStore:
    """Looks credentials up by name: environment first, then the secrets file."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._file: dict[str, str] | None = None

    def get(self, name: str) -> Secret:
        if name in os.environ:
            # a value pasted with its newline would end up inside an HTTP header, and the
            # error quoting that header would show the credential
            return _remember(Secret(name, os.environ[name].strip()))
        value = self._from_file().get(name)
        if value is None:
            where = f" or in {self._path}" if self._path else ""
            raise SecretError(f"credential {name} is not set: export {name}=...{where}")
        return _remember(Secret(name, value))

    def has(self, name: str) -> bool:
        """Whether the credential is set (its value is not looked at)."""
        try:
            return name in os.environ or name in self._from_file()
        except SecretError:
            return False

    def _from_file(self) -> dict[str, str]:
        if self._file is None:
            self._file = read_secrets_file(self._path) if self._path else {}
        return self._file


def read_secrets_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; refuses a file that group or others can read."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise SecretError(f"{path}: secrets file not found") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretError(
            f"{path}: secrets file is readable by others "
            f"(mode {stat.S_IMODE(mode):04o}); run: chmod 600 {path}"
        )
    try:
        text = read_text(path)
    except YamlProblem as exc:
        raise SecretError(str(exc)) from None
    except OSError as exc:
        raise SecretError(f"{path}: cannot read the secrets file ({exc.strerror})") from None
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not key.strip():
            raise SecretError(f"{path}:{number}: expected KEY=VALUE")
        values[key.strip()] = value.strip().strip("'\"")
    return values


_known_values: set[str] = set()


def _remember(secret: Secret) -> Secret:
    if len(secret.reveal()) >= 4:
        _known_values.add(secret.reveal())
    return secret


def redact(text: str) -> str:
    """Mask every credential value this process has loaded, as written and as a Python
    repr would quote it (an error message may show either)."""
    for value in _known_values:
        text = text.replace(value, _MASK)
        quoted = repr(value)[1:-1]
        if quoted != value:
            text = text.replace(quoted, _MASK)
    return text


class RedactingFilter(logging.Filter):
    """Log filter that masks loaded credentials in every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _known_values:
            record.msg = redact(record.getMessage())
            record.args = None
        return True
