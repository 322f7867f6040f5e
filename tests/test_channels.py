"""`tactful channel list|test|pause|resume` and `post retract`, through the CLI as an
operator would run them, against a real Mastodon API (mastodon-mock) on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mastodon import Mastodon

from tests.conftest import Cli, base_config, listed, write_config
from tests.test_cli_crisis import BOSTON

pytestmark = pytest.mark.cli

TOKEN = "alice_token"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    from mastodon_mock.testing import MockServer

    with MockServer() as mock:
        yield mock.base_url


@pytest.fixture
def cli(server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    httpx.post(f"{server}/api/v1/_mock/reset").raise_for_status()
    monkeypatch.setenv("STRIDE_MASTODON_TOKEN", TOKEN)
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    data = base_config()
    data["brands"][0]["crisis_alternative"] = {"en": "We support the One Fund."}
    data["brands"][0]["channels"] += [
        {
            "id": "stride-masto",
            "kind": "mastodon",
            "instance": server,
            "token_env": "STRIDE_MASTODON_TOKEN",
            "timeout_seconds": 5,
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


def statuses(server: str) -> list[dict]:
    api = Mastodon(access_token=TOKEN, api_base_url=server)
    return list(api.account_statuses(api.account_verify_credentials()["id"]))


def add(cli: Cli, text: str, channel: str = "stride-masto", *extra: str) -> int:
    result = cli("post", "add", text, "-c", channel, "--at", "now", "--json", *extra)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["id"]


def status_of(cli: Cli, pid: int) -> str:
    return json.loads(cli("post", "show", str(pid), "--json").stdout)["status"]


def test_list_tells_whether_credentials_are_set_never_their_values(cli: Cli):
    rows = {r["id"]: r for r in json.loads(cli("channel", "list", "--json").stdout)}
    assert rows["stride-masto"]["kind"] == "mastodon"
    assert rows["stride-masto"]["credentials_set"] is True
    assert rows["stride-mail"]["credentials_missing"] == ["SMTP_PASSWORD", "SMTP_USER"]
    assert rows["stride-outbox"]["credentials"] == [] and not rows["stride-outbox"]["paused"]
    table = cli("channel", "list").stdout
    assert "MISSING" in table and TOKEN not in table and TOKEN not in json.dumps(rows)


def test_test_reaches_the_account_without_posting_and_fails_in_one_line(
    cli: Cli, server: str, monkeypatch: pytest.MonkeyPatch
):
    ok = cli("channel", "test", "stride-masto")
    assert ok.exit_code == 0 and "ok: signed in to Mastodon" in ok.stdout
    assert "@alice" in ok.stdout and statuses(server) == []
    monkeypatch.setenv("STRIDE_MASTODON_TOKEN", "revoked")
    bad = cli("channel", "test", "stride-masto")
    assert bad.exit_code == 1 and bad.stderr.count("\n") == 1
    assert "refused the access token in STRIDE_MASTODON_TOKEN" in bad.stderr
    mail = cli("channel", "test", "stride-mail")
    assert mail.exit_code == 1 and "SMTP_USER is not set" in mail.stderr
    unknown = cli("channel", "test", "stride-fax")
    assert unknown.exit_code == 2 and "unknown channel 'stride-fax'" in unknown.stderr


def test_a_paused_channel_sends_nothing_until_resumed_and_a_crisis_end_does_not_free_it(
    cli: Cli, server: str
):
    first = add(cli, "Before the pause")
    other = add(cli, "On the outbox", "stride-outbox")
    paused = json.loads(
        cli("channel", "pause", "stride-masto", "--note", "token leaked", "--json").stdout
    )
    assert paused["paused"] == [first]
    again = cli("channel", "pause", "stride-masto")
    assert again.exit_code == 2 and "already paused" in again.stderr
    later = add(cli, "Queued while paused")
    cli("daemon", "--once")
    assert status_of(cli, first) == "paused" and status_of(cli, later) == "paused"
    assert status_of(cli, other) == "published" and statuses(server) == []
    listed = {r["id"]: r for r in json.loads(cli("channel", "list", "--json").stdout)}
    assert (
        listed["stride-masto"]["paused"]
        and listed["stride-masto"]["pause_reason"] == "token leaked"
    )
    cli("crisis", "on", *BOSTON)
    cli("crisis", "off", "--resume", "paced")  # ends the crisis, not the channel's pause
    assert status_of(cli, first) == "paused"
    resumed = json.loads(cli("channel", "resume", "stride-masto", "--json").stdout)
    assert sorted(pid for pid, _ in resumed["released"]) == [first, later]
    cli("daemon", "--once")
    assert sorted(s["content"] for s in statuses(server)) == [
        "<p>Before the pause</p>",
        "<p>Queued while paused</p>",
    ]
    audit = [e["action"] for e in json.loads(cli("audit", "--json").stdout)["items"]]
    assert "channel-pause" in audit and "channel-resume" in audit
    assert cli("channel", "resume", "stride-masto").exit_code == 2


def test_retract_deletes_a_published_status_and_refuses_email(cli: Cli, server: str):
    pid = add(cli, "Went out just before the news")
    cli("daemon", "--once")
    assert len(statuses(server)) == 1
    done = json.loads(cli("post", "retract", str(pid), "--note", "too soon", "--json").stdout)
    assert done["status"] == "retracted" and statuses(server) == []
    again = cli("post", "retract", str(pid))
    assert again.exit_code == 2 and "only a published post" in again.stderr
    mailed = add(cli, "Newsletter", "stride-outbox")
    cli("daemon", "--once")
    refused = cli("post", "retract", str(mailed))
    assert refused.exit_code == 2 and "cannot delete a post" in refused.stderr


def test_a_paused_channel_lets_nothing_through_whatever_the_batch_size(tmp_path: Path):
    """The claim takes the head of the line: with a batch of 2 and 5 posts on a paused
    channel, none goes out (the claim looks past the posts it sets aside)."""
    data = base_config(batch_size=2)
    cli = Cli(write_config(tmp_path, data))
    for n in range(5):
        assert cli("post", "add", f"Post {n}", "-c", "stride-outbox", "--at", "now").exit_code == 0
    cli("post", "add", "Elsewhere", "-c", "kvasek-outbox", "--at", "now")
    cli("channel", "pause", "stride-outbox")
    for n in range(5):
        cli("post", "add", f"Later {n}", "-c", "stride-outbox", "--at", "now")
    assert cli("daemon", "--once").exit_code == 0
    posts = listed(cli)
    assert {p["status"] for p in posts if p["channel"] == "stride-outbox"} == {"paused"}
    assert [p["status"] for p in posts if p["channel"] == "kvasek-outbox"] == ["published"]
    assert not (tmp_path / "outbox" / "stride.jsonl").exists()
