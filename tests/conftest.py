"""Shared fixtures: a config in a temp folder, real SQLite and PostgreSQL databases."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
import yaml
from click.testing import CliRunner, Result

from scheduler.cli import main
from scheduler.config import Config, load_config
from scheduler.store import Store
from scheduler.store import engine as store_engine
from scheduler.store.migrate import upgrade

PG_ADMIN_URL = os.environ.get("TACTFUL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
#: this test run's own template: two runs on one server (a developer's and CI's) must not
#: drop each other's
PG_TEMPLATE = f"tactful_test_template_{os.getpid()}_{uuid.uuid4().hex[:6]}"
IN_CI = os.environ.get("CI", "").lower() == "true"


def base_config(webhook_url: str = "http://127.0.0.1:9/hook", **daemon: Any) -> dict:
    """Two brands in different zones; outbox channels with slots; one webhook channel."""
    return {
        "timezone": "UTC",
        "daemon": {"tick_seconds": 1, "poll_seconds": 0.2, "lease_seconds": 30, **daemon},
        "brands": [
            {
                "id": "stride",
                "name": "Stride",
                "timezone": "America/New_York",
                "sectors": ["athletic-apparel"],
                "regions": ["us-ma"],
                "languages": ["en"],
                "channels": [
                    {
                        "id": "stride-outbox",
                        "kind": "outbox",
                        "path": "outbox/stride.jsonl",
                        "slots": [{"days": "weekdays", "times": ["09:00", "15:00"]}],
                    },
                    {
                        "id": "stride-hook",
                        "kind": "webhook",
                        "url": webhook_url,
                        "retries": 0,
                        "timeout_seconds": 5,
                    },
                ],
            },
            {
                "id": "kvasek",
                "timezone": "Europe/Prague",
                "languages": ["cs"],
                "channels": [
                    {
                        "id": "kvasek-outbox",
                        "kind": "outbox",
                        "path": "outbox/kvasek.jsonl",
                        "slots": [{"days": "daily", "times": ["07:00"]}],
                    },
                ],
            },
        ],
    }


def write_config(folder: Path, data: dict, database: str | None = None) -> Path:
    if database:
        data = {**data, "database": database}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def _cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache folder for the run (the taxonomy index is built once, not per test)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _cache_home: Path) -> None:
    """No test reads the developer's config, database, identity or cache."""
    for name in ("TACTFUL_CONFIG", "TACTFUL_DATABASE_URL", "TACTFUL_ACTOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(_cache_home))
    monkeypatch.chdir(tmp_path)


#: the test tiers, lightest first (README.md, "Tests"); each test has exactly one
TIERS = ("unit", "store", "cli", "acceptance")


@pytest.fixture(autouse=True)
def _unit_stays_pure(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `unit` test that opens a database, starts a process, runs the CLI or opens a
    socket fails, saying so: `pytest -m unit` stays pure and fast because it cannot
    quietly grow heavier."""
    if request.node.get_closest_marker("unit") is None:
        return

    def refuse(what: str) -> Any:
        def refused(*_: Any, **__: Any) -> None:
            pytest.fail(f"this unit test {what}: mark it store, cli or acceptance", pytrace=False)

        return refused

    monkeypatch.setattr(store_engine, "create_engine", refuse("opened a database"))
    monkeypatch.setattr(sqlalchemy, "create_engine", refuse("opened a database"))
    monkeypatch.setattr(sqlite3, "connect", refuse("opened a database"))
    monkeypatch.setattr(subprocess.Popen, "__init__", refuse("started a process"))
    monkeypatch.setattr(CliRunner, "invoke", refuse("ran the CLI"))
    for method in ("connect", "connect_ex", "bind"):
        monkeypatch.setattr(socket.socket, method, refuse("opened a socket"))


def _pg_admin():
    import psycopg

    return psycopg.connect(
        PG_ADMIN_URL.replace("postgresql+psycopg", "postgresql"), autocommit=True, connect_timeout=3
    )


def _pg_url(dbname: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{dbname}"


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated template database; each test gets a fresh copy of it."""
    try:
        admin = _pg_admin()
    except Exception as exc:  # psycopg.OperationalError, ImportError
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI=true but unreachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    with admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_TEMPLATE}")
        admin.execute(f"CREATE DATABASE {PG_TEMPLATE}")
    store = Store.open(_pg_url(PG_TEMPLATE), migrate=False)
    upgrade(store.engine)
    store.close()
    yield PG_TEMPLATE
    with _pg_admin() as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_TEMPLATE}")


@contextmanager
def fresh_pg_database(template: str) -> Iterator[str]:
    """A new database copied from the migrated template, dropped afterwards."""
    name = f"tactful_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield _pg_url(name)
    with _pg_admin() as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    with fresh_pg_database(pg_template) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tactful.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store.open(db_url)
    yield opened
    _assert_no_leaked_connections(opened)
    opened.close()


def _assert_no_leaked_connections(store: Store) -> None:
    checked_out = store.engine.pool.checkedout()  # type: ignore[attr-defined]
    assert checked_out == 0, f"{checked_out} database connection(s) left checked out"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return write_config(tmp_path, base_config())


@pytest.fixture
def config(config_file: Path) -> Config:
    return load_config(config_file)


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


class Cli:
    """Runs `tactful` in-process against one config file."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(
            main,
            ["--config", str(self.config), "--actor", "tester", *args],
            input=input,
            catch_exceptions=False,
        )


@pytest.fixture
def cli(config_file: Path) -> Cli:
    return Cli(config_file)


#: `crisis on` arguments for the Boston Marathon bombing, as the CLI tests flag it
BOSTON = [
    "Boston Marathon bombing",
    "--category",
    "bombing",
    "--keyword",
    "marathon",
    "--context",
    "marathon",
    "--region",
    "us-ma",
]


def crisis_scratch(folder: Path) -> Cli:
    """The crisis tests' brands: stride (Boston, with a prepared alternative) and kvasek
    (Prague)."""
    data = base_config()
    data["brands"][0]["crisis_alternative"] = {"en": "We support the One Fund."}
    data["brands"][1]["regions"] = ["cz"]
    return Cli(write_config(folder, data))


def queue_post(cli: Cli, text: str, channel: str = "stride-outbox", *extra: str) -> int:
    """Queue a post two hours ahead through the CLI; its id."""
    result = cli("post", "add", text, "-c", channel, "--at", "+2h", *extra)
    assert result.exit_code == 0, result.output
    return int(result.stdout)


def listed(cli: Cli, *args: str) -> list[dict]:
    """Every post `post list` finds (history too, no cap), as JSON items."""
    result = cli("post", "list", "--all", "--json", *args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total"] == len(data["items"]) and not data["truncated"]
    return data["items"]


def queued_posts(cli: Cli) -> list[dict]:
    return listed(cli)


def refused(cli: Cli, *args: str) -> str:
    """Runs a command that must be refused as bad input: exit 2, one line, nothing queued
    or changed. Its error line."""
    before = queued_posts(cli)
    result = cli(*args)
    assert result.exit_code == 2, result.stdout
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert queued_posts(cli) == before
    return result.stderr
