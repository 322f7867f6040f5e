"""Failure paths and hostile input: each found by trying to break Tactful."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml

from scheduler.config import load_config, parse_config
from scheduler.dispatch import Dispatcher
from scheduler.errors import ConfigError
from scheduler.models import NewPost, Post, Status
from scheduler.publishers import PublisherPool
from scheduler.publishers.outbox import OutboxPublisher
from scheduler.recurrence import next_occurrence
from scheduler.store import Change, Store
from tests.conftest import Cli, base_config, write_config

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.mark.store
def test_a_human_cancel_waits_for_a_daemon_lock_instead_of_doing_nothing(store: Store):
    [pid] = store.add_posts(
        [
            NewPost(
                brand="stride", channel="stride-outbox", text="x", due_at=T0 + timedelta(hours=1)
            )
        ],
        Change(actor="t", now=T0, action="create"),
    )
    locked = threading.Event()

    def daemon_holds_the_row():
        with store.write() as conn:
            if store.backend == "postgresql":
                conn.exec_driver_sql(f"SELECT id FROM posts WHERE id = {pid} FOR UPDATE")
            locked.set()
            time.sleep(1.0)

    holder = threading.Thread(target=daemon_holds_the_row)
    holder.start()
    locked.wait(5)
    cancelled = store.cancel_post(pid, Change(actor="human", now=T0, action="cancel"))
    holder.join()
    assert cancelled.status is Status.CANCELLED
    assert store.get_post(pid).status is Status.CANCELLED


@pytest.mark.cli
def test_retrying_a_post_that_missed_its_time_sends_it(cli: Cli, tmp_path):
    cli("post", "add", "late", "-c", "stride-outbox", "--at", "now")
    store = Store.open(f"sqlite:///{tmp_path / 'tactful.db'}")
    with store.write() as conn:  # the daemon was down for a day
        day_ago = (datetime.now(UTC) - timedelta(days=1)).replace(tzinfo=None)
        conn.exec_driver_sql("UPDATE posts SET due_at = ?, run_at = ?", (day_ago, day_ago))
    store.close()
    assert json.loads(cli("daemon", "--once", "--json").stdout)["held"] == 1
    assert cli("post", "retry", "1").exit_code == 0
    assert json.loads(cli("daemon", "--once", "--json").stdout)["published"] == 1


@pytest.mark.unit
@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda d: d["brands"][1]["channels"][0]["slots"][0].update(times=[900]),
            'is not a time of day; write it quoted as "HH:MM"',
        ),
        (
            lambda d: d["brands"][1]["channels"][0]["slots"][0].update(times=["09:00+05:00"]),
            "is not a time of day",
        ),
        (lambda d: d["daemon"].update(max_lateness=0), "0 seconds is not a sensible span"),
        (lambda d: d["daemon"].update(max_lateness="99999999999d"), "longer than ten years"),
        (lambda d: d["daemon"].update(lease_seconds=0.5), "greater than or equal to 3"),
        (lambda d: d.update(database="mysql://x@h/db"), "unsupported database 'mysql'"),
        (lambda d: d.update(database="postgresql://u@h:notaport/db"), "not a database URL"),
    ],
)
def test_config_refuses_settings_that_would_misbehave_later(change, message):
    data = base_config()
    change(data)
    with pytest.raises(ConfigError) as caught:
        parse_config(yaml.safe_dump(data), source="config.yaml")
    assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.unit
def test_an_unquoted_slot_time_in_yaml_is_refused_with_its_line():
    raw = (
        "brands:\n- id: b\n  channels:\n  - id: c\n    kind: outbox\n    slots:\n"
        "    - times: [15:00]\n"
    )
    with pytest.raises(
        ConfigError,
        match=r"^config.yaml:7: brands\[0\].channels\[0\]"
        r".slots\[0\].times",
    ):
        parse_config(raw, source="config.yaml")


@pytest.mark.cli
def test_config_check_hides_the_database_password_and_warns_of_missing_credentials(
    tmp_path, monkeypatch
):
    data = base_config()
    data["brands"][0]["channels"][1]["secret_env"] = "NOT_SET_HERE"
    cli = Cli(write_config(tmp_path, data))
    monkeypatch.setenv("TACTFUL_DATABASE_URL", "postgresql://u:S3cretPassw0rd@127.0.0.1/x")
    result = cli("config", "check")
    assert result.exit_code == 0
    assert "S3cretPassw0rd" not in result.output and "***" in result.stdout
    assert "credential NOT_SET_HERE is not set" in result.stderr


@pytest.mark.store
def test_a_full_disk_in_one_send_fails_that_post_only(tmp_path):
    data = base_config()
    data["brands"][0]["channels"][0]["path"] = "/dev/full"  # every write: disk full
    config = load_config(write_config(tmp_path, data))
    store = Store.open(config.database_url)
    bad, good = store.add_posts(
        [
            NewPost(brand="stride", channel="stride-outbox", text="a", due_at=T0),
            NewPost(brand="kvasek", channel="kvasek-outbox", text="b", due_at=T0),
        ],
        Change(actor="t", now=T0, action="create"),
    )
    report = Dispatcher(
        store, config.daemon, PublisherPool(config), clock=lambda: T0, worker="w"
    ).run_pass()
    assert report.published == [good]
    assert store.get_post(bad).status is Status.FAILED  # an outbox retries: idempotent
    assert (
        "cannot write to outbox /dev/full: No space left on device"
        in store.get_post(bad).last_error
    )
    store.close()


@pytest.mark.store
def test_a_post_that_kills_its_daemon_every_time_is_given_up(store: Store, config):
    [pid] = store.add_posts(
        [NewPost(brand="stride", channel="stride-outbox", text="x", due_at=T0)],
        Change(actor="t", now=T0, action="create"),
    )
    now = T0
    for _ in range(config.daemon.max_attempts):
        claim = store.claim_due(
            now=now,
            worker="doomed",
            lease=timedelta(seconds=30),
            limit=1,
            max_lateness=timedelta(hours=6),
            idempotent_channels={"stride-outbox"},
            max_attempts=config.daemon.max_attempts,
        )
        assert claim.posts, "it is claimed again after each crash"
        now += timedelta(seconds=31)  # ... and the daemon dies mid-send
    final = store.claim_due(
        now=now,
        worker="next",
        lease=timedelta(seconds=30),
        limit=1,
        max_lateness=timedelta(hours=6),
        idempotent_channels={"stride-outbox"},
        max_attempts=config.daemon.max_attempts,
    )
    assert final.dead == [pid] and final.posts == []
    assert store.get_post(pid).status is Status.DEAD


@pytest.mark.unit
def test_an_outbox_moved_away_by_log_rotation_is_started_afresh(tmp_path):
    path = tmp_path / "out.jsonl"
    publisher = OutboxPublisher(path)
    publisher.publish(_post(1))
    os.rename(path, tmp_path / "out.jsonl.1")
    publisher.publish(_post(2))
    publisher.close()
    assert [json.loads(line)["id"] for line in path.read_text().splitlines()] == [2]


def _post(pid: int, **kw) -> Post:
    base = dict(
        id=pid,
        brand="b",
        channel="c",
        text="t",
        due_at=T0,
        status=Status.PUBLISHING,
        run_at=T0,
        created_at=T0,
        created_by="t",
    )
    return Post(**{**base, **kw})


@pytest.mark.unit
def test_a_weekly_post_keeps_its_wall_clock_time_across_dst():
    ny = ZoneInfo("America/New_York")
    friday_9am = datetime(2027, 3, 12, 9, 0, tzinfo=ny)
    post = _post(1, due_at=friday_9am.astimezone(UTC), every=timedelta(days=7))
    upcoming = next_occurrence(post, friday_9am.astimezone(UTC), ny)
    assert upcoming.due_at.astimezone(ny).hour == 9
    assert upcoming.due_at - post.due_at == timedelta(days=7, hours=-1)
    hourly = next_occurrence(_post(2, every=timedelta(hours=2)), T0, ny)
    assert hourly.due_at == T0 + timedelta(hours=2)


@pytest.mark.cli
@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["post", "add", "a\x00b", "-c", "stride-outbox", "--at", "now"],
            "contains the control character U+0000",
        ),
        (
            ["post", "add", "x", "-c", "stride-outbox", "--at", "9999-12-31T23:00"],
            "too far in the future",
        ),
        (
            ["post", "add", "x", "-c", "stride-outbox", "--at", "+99999999999d"],
            "longer than ten years",
        ),
        (
            ["post", "add", "x", "-c", "stride-outbox", "--at", "now", "--every", "99999999d"],
            "longer than ten years",
        ),
        (["post", "show", "99999999999999999999"], "is not in the range"),
        (["post", "list", "--limit", "-1"], "is not in the range"),
    ],
)
def test_out_of_range_input_is_refused_in_one_line(cli: Cli, args, message):
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


@pytest.mark.cli
def test_editing_a_post_past_its_own_expiry_is_refused(cli: Cli):
    cli("post", "add", "x", "-c", "stride-outbox", "--at", "+1h", "--expires", "+2h")
    result = cli("post", "edit", "1", "--at", "+3h")
    assert result.exit_code == 2
    assert "would come before its new time" in result.stderr


@pytest.mark.cli
def test_refused_input_creates_no_database(cli: Cli, tmp_path):
    assert cli("post", "add", "x", "-c", "nope", "--at", "now").exit_code == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("channel,at,text\nnope,now,x\n")
    assert cli("post", "import", str(bad)).exit_code == 2
    assert not (tmp_path / "tactful.db").exists()


@pytest.mark.cli
def test_an_unreachable_database_is_one_line_and_exit_4(tmp_path, monkeypatch):
    monkeypatch.setenv("TACTFUL_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    cli = Cli(write_config(tmp_path, base_config()))
    for args in (["post", "list"], ["db", "status"], ["db", "upgrade"]):
        result = cli(*args)
        assert result.exit_code == 4
        assert result.stderr.startswith("Error: cannot use database postgresql+psycopg://nobody@")
        assert "Connection refused" in result.stderr
        assert result.stderr.count("\n") == 1


@pytest.mark.store
def test_a_duplicate_that_races_past_the_check_is_still_a_clean_refusal(store: Store, monkeypatch):
    from scheduler.errors import DuplicatePost
    from scheduler.store import queue

    post = NewPost(brand="stride", channel="stride-outbox", text="x", due_at=T0)
    store.add_posts([post], Change(actor="t", now=T0, action="create"))
    # another process inserts between our duplicate check and our insert:
    real, checks = queue.live_duplicates, []

    def the_check_misses_it(conn, keys, **kw):
        checks.append(keys)
        return {} if len(checks) == 1 else real(conn, keys, **kw)

    monkeypatch.setattr(queue, "live_duplicates", the_check_misses_it)
    with pytest.raises(DuplicatePost):
        store.add_posts([post], Change(actor="t", now=T0, action="create"))


@pytest.mark.cli
def test_sqlite_database_file_is_not_touched_by_a_refused_import(cli: Cli, tmp_path):
    cli("post", "add", "seed", "-c", "stride-outbox", "--at", "+1d")
    before = (
        sqlite3.connect(tmp_path / "tactful.db").execute("SELECT count(*) FROM audit").fetchone()
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("channel,at,text\nstride-outbox,+1d,ok\nstride-outbox,never,x\n")
    assert cli("post", "import", str(bad)).exit_code == 2
    after = (
        sqlite3.connect(tmp_path / "tactful.db").execute("SELECT count(*) FROM audit").fetchone()
    )
    assert before == after
