from __future__ import annotations

import logging
import os
import sqlite3

import pytest

from scheduler.errors import SecretError
from scheduler.secrets import RedactingFilter, Secret, SecretStore, redact
from tests.conftest import Cli, base_config, write_config


@pytest.mark.unit
def test_environment_wins_then_a_private_file(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.env"
    secrets.write_text("# comment\nexport API_TOKEN='from-file'\nOTHER=x\n")
    os.chmod(secrets, 0o600)
    store = SecretStore(secrets)
    assert store.get("API_TOKEN").reveal() == "from-file"
    monkeypatch.setenv("API_TOKEN", "from-env")
    assert store.get("API_TOKEN").reveal() == "from-env"


@pytest.mark.unit
def test_a_readable_secrets_file_is_refused(tmp_path):
    secrets = tmp_path / "secrets.env"
    secrets.write_text("A=b\n")
    os.chmod(secrets, 0o644)
    with pytest.raises(SecretError, match=r"readable by others .*chmod 600"):
        SecretStore(secrets).get("A")


@pytest.mark.unit
def test_a_missing_secret_names_the_variable_only(tmp_path):
    with pytest.raises(SecretError, match=r"credential NOPE is not set: export NOPE=\.\.\."):
        SecretStore(None).get("NOPE")


@pytest.mark.unit
def test_secrets_never_print_and_are_masked_in_logs(caplog):
    secret = Secret("TOKEN", "hunter2-very-secret")
    assert "hunter2" not in repr(secret) and "hunter2" not in f"{secret}"
    SecretStore(None)  # values become known to the redactor when loaded:
    os.environ["TACTFUL_TEST_TOKEN"] = "hunter2-very-secret"
    try:
        SecretStore(None).get("TACTFUL_TEST_TOKEN")
    finally:
        del os.environ["TACTFUL_TEST_TOKEN"]
    assert redact("token=hunter2-very-secret") == "token=********"
    logger = logging.getLogger("tactful.test")
    handler_filter = RedactingFilter()
    record = logger.makeRecord(
        "tactful.test", logging.INFO, "f", 1, "sent with %s", ("hunter2-very-secret",), None
    )
    handler_filter.filter(record)
    assert record.getMessage() == "sent with ********"


@pytest.mark.cli
def test_a_webhook_secret_never_reaches_the_database(tmp_path, monkeypatch):
    from scheduler.loopback import WebhookReceiver

    monkeypatch.setenv("HOOK_KEY", "do-not-store-me-123")
    with WebhookReceiver(secret="do-not-store-me-123") as receiver:
        data = base_config(webhook_url=receiver.url)
        data["brands"][0]["channels"][1]["secret_env"] = "HOOK_KEY"
        cli = Cli(write_config(tmp_path, data))
        cli("post", "add", "hi", "-c", "stride-hook", "--at", "now")
        result = cli("daemon", "--once")
    assert receiver.received[0].signature_ok
    raw = (tmp_path / "tactful.db").read_bytes()
    wal = tmp_path / "tactful.db-wal"
    raw += wal.read_bytes() if wal.exists() else b""
    assert b"do-not-store-me-123" not in raw
    assert "do-not-store-me-123" not in result.output
    with sqlite3.connect(tmp_path / "tactful.db") as conn:
        published = conn.execute("SELECT count(*) FROM posts WHERE status='published'")
        assert published.fetchone() == (1,)
