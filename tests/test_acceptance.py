"""The installed `tactful` in subprocesses, as an operator runs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.loopback import WebhookReceiver
from scheduler.models import NewPost, Status
from scheduler.store import Change, Store
from tests.conftest import base_config, write_config

pytestmark = pytest.mark.acceptance

TACTFUL = str(Path(sys.executable).parent / "tactful")


def run(config: Path, *args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [TACTFUL, "--config", str(config), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        **kw,
    )


def start(config: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [TACTFUL, "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def queue_now(db_url: str, texts: list[tuple[str, str]], at: datetime | None = None) -> list[int]:
    at = at or datetime.now(UTC)
    store = Store.open(db_url)
    try:
        return store.add_posts(
            [NewPost(brand="stride", channel=ch, text=t, due_at=at) for ch, t in texts],
            Change(actor="test", now=at, action="create"),
        )
    finally:
        store.close()


def outbox_ids(folder: Path) -> list[int]:
    path = folder / "outbox" / "stride.jsonl"
    return (
        [json.loads(line)["id"] for line in path.read_text().splitlines()] if path.exists() else []
    )


def wait_for(condition, timeout=30.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    raise AssertionError("condition not met in time")


def test_four_cron_runs_at_once_publish_each_post_exactly_once(db_url, tmp_path):
    config = write_config(tmp_path, base_config(batch_size=7))
    env = {"TACTFUL_DATABASE_URL": db_url}
    ids = queue_now(db_url, [("stride-outbox", f"post {i}") for i in range(300)])
    runs = [start(config, "daemon", "--once", "--json", env=env) for _ in range(4)]
    reports = [json.loads(p.communicate(timeout=120)[0]) for p in runs]
    assert all(p.returncode == 0 for p in runs)
    written = outbox_ids(tmp_path)
    assert sorted(written) == ids  # every post once: none lost, none twice
    assert sum(r["published"] for r in reports) == 300
    assert sum(1 for r in reports if r["published"]) >= 2, "the runs did not overlap at all"
    store = Store.open(db_url)
    try:
        assert store.status_counts() == {"published": 300}
        publishes = Counter(e.post_id for e in store.audit_events() if e.action == "publish")
        assert set(publishes.values()) == {1}
    finally:
        store.close()


def test_a_daemon_killed_mid_publish_loses_no_post(tmp_path):
    """SIGKILL while a webhook send hangs: afterwards every post is published once or unknown."""
    db_url = f"sqlite:///{tmp_path / 'tactful.db'}"
    with WebhookReceiver() as receiver:
        config = write_config(
            tmp_path,
            base_config(webhook_url=receiver.url + "/hook", lease_seconds=3, batch_size=50),
        )
        posts = (
            [("stride-outbox", f"o{i}") for i in range(20)]
            + [("stride-hook", "h0")]
            + [("stride-outbox", f"p{i}") for i in range(20)]
            + [("stride-hook", "h1")]
        )
        ids = queue_now(db_url, posts[:20]) + queue_now(
            db_url, posts[20:], at=datetime.now(UTC) + timedelta(milliseconds=5)
        )
        receiver.stall.set()
        daemon = start(config, "daemon")
        receiver.arrived.wait(30)
        wait_for(lambda: len(outbox_ids(tmp_path)) >= 20)  # the outbox posts before it went out
        daemon.send_signal(signal.SIGKILL)
        daemon.communicate(timeout=10)
        store = Store.open(db_url)
        stuck = store.list_posts(statuses=[Status.PUBLISHING])
        assert stuck, "the kill should have caught posts mid-publish"
        receiver.stall.clear()
        time.sleep(3.2)  # the dead daemon's lease runs out
        after = run(config, "daemon", "--once", "--json")
        assert after.returncode == 0, after.stderr
        final = {p.id: p for p in store.list_posts()}
        store.close()
    assert {p.status for p in final.values()} <= {Status.PUBLISHED, Status.UNKNOWN}
    written = outbox_ids(tmp_path)
    assert len(written) == len(set(written))  # nothing twice in the outbox
    outbox_posts = {i for i, (ch, _) in zip(ids, posts, strict=True) if ch == "stride-outbox"}
    assert set(written) == outbox_posts
    assert all(final[i].status is Status.PUBLISHED for i in outbox_posts)
    hook_ids = [i for i in ids if i not in outbox_posts]
    assert final[hook_ids[0]].status is Status.UNKNOWN  # in flight: a human checks
    assert final[hook_ids[1]].status is Status.PUBLISHED
    deliveries = Counter(r.json["id"] for r in receiver.received)
    assert deliveries[hook_ids[1]] == 1 and deliveries[hook_ids[0]] <= 1


def test_the_daemon_wakes_for_a_post_before_its_tick_and_stops_on_sigterm(tmp_path):
    config = write_config(tmp_path, base_config(tick_seconds=3600, poll_seconds=0.2))
    daemon = start(config, "daemon")
    try:
        wait_for(lambda: (tmp_path / "tactful.db").exists())
        added = run(config, "post", "add", "soon", "-c", "stride-outbox", "--at", "+2s")
        assert added.returncode == 0, added.stderr
        wait_for(lambda: outbox_ids(tmp_path) == [int(added.stdout)], timeout=20)
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=20)
    assert daemon.returncode == 0
    assert "received SIGTERM" in err and "stopped" in err


def test_sigterm_lets_the_post_in_hand_finish_and_returns_the_rest(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'tactful.db'}"
    with WebhookReceiver() as receiver:
        config = write_config(tmp_path, base_config(webhook_url=receiver.url + "/hook"))
        ids = queue_now(db_url, [("stride-hook", f"h{i}") for i in range(5)])
        receiver.stall.set()
        daemon = start(config, "daemon")
        receiver.arrived.wait(30)
        daemon.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert daemon.poll() is None, "it must wait for the post in hand"
        receiver.stall.clear()
        daemon.communicate(timeout=20)
    assert daemon.returncode == 0
    store = Store.open(db_url)
    statuses = [store.get_post(i).status for i in ids]
    store.close()
    assert statuses == [Status.PUBLISHED] + [Status.QUEUED] * 4
    assert len(receiver.received) == 1


def test_demo_runs_on_a_fresh_machine_setup(tmp_path):
    result = subprocess.run(
        [TACTFUL, "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "block: newsjacking (#BostonStrong, 20% off)" in out
    assert "hold: donation-boast (We donated)" in out
    assert 'so replies will be slow. The Boylston Street store is closed."\n      -> queued' in out
    assert "Added 'Watertown' and 'manhunt'; severity now severe" in out
    assert "Released 2 paused post(s), at most 1 per channel per hour" in out
    assert "Final statuses: 5 cancelled, 15 published" in out
    assert "HMAC signatures all valid" in out
    assert (
        "refused when queued: text: 371 characters, more than the 300 a post on "
        "Bluesky channel 'kvasek-bluesky' may have" in out
    )
    assert "stride-mastodon  mastodon  not set: STRIDE_MASTODON_TOKEN" in out
    assert list(tmp_path.iterdir()) == []  # nothing left behind


@pytest.mark.parametrize("args", [["post", "list"], ["daemon", "--once"]])
def test_bad_config_exits_2_from_a_real_process(tmp_path, args):
    (tmp_path / "config.yaml").write_text("brands:\n  - id: Bad Id\n")
    result = run(tmp_path / "config.yaml", *args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "brands[0].id" in result.stderr
