"""`tactful daemon status`: daemons' heartbeats, what each holds, alive, silent, stopped."""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime, timedelta

import pytest

from scheduler.cli.daemon import _status_row
from scheduler.models import NewPost, Status
from scheduler.store import Change, DaemonRecord
from tests.conftest import base_config, write_config
from tests.test_acceptance import outbox_ids, queue_now, run, start, wait_for

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def _status(config) -> dict:
    shown = run(config, "daemon", "status", "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


@pytest.mark.acceptance
def test_a_running_daemon_beats_counts_what_it_published_and_says_when_it_stopped(tmp_path):
    config = write_config(tmp_path, base_config(tick_seconds=3600, poll_seconds=0.2))
    db_url = f"sqlite:///{tmp_path / 'tactful.db'}"
    daemon = start(config, "daemon")
    try:
        [pid] = queue_now(db_url, [("stride-outbox", "hello")])
        wait_for(lambda: outbox_ids(tmp_path) == [pid], timeout=20)
        # the published post is counted at the next heartbeat (every 5 s)
        wait_for(lambda: _status(config)["daemons"][0]["published"] == 1, timeout=20, step=0.5)
        [row] = _status(config)["daemons"]
        assert row["state"] == "alive" and row["pid"] == daemon.pid
        assert row["passes"] >= 1 and row["in_flight"] == 0 and row["epoch_current"]
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.communicate(timeout=30)
    [row] = _status(config)["daemons"]
    assert row["state"] == "stopped" and row["stopped_at"] is not None
    shown = run(config, "daemon", "status")
    assert "stopped" in shown.stdout and "0 post(s) due now" in shown.stdout


@pytest.mark.store
def test_posts_a_daemon_holds_are_shown_as_its_own(store):
    store.daemon_started(worker="w1", host="h", pid=1, now=NOW)
    store.add_posts(
        [
            NewPost(brand="stride", channel="stride-outbox", text=f"p{i}", due_at=NOW)
            for i in range(3)
        ],
        Change(actor="t", now=NOW),
    )
    claim = store.claim_due(
        now=NOW,
        worker="w1",
        lease=timedelta(seconds=30),
        limit=2,
        max_lateness=timedelta(hours=1),
        idempotent_channels=(),
    )
    assert len(claim.posts) == 2
    [record] = store.daemons()
    assert record.worker == "w1" and record.in_flight == 2
    store.daemon_beat(
        worker="w1", host="h", pid=1, now=NOW + timedelta(seconds=5), passes=1, published=2, epoch=7
    )
    [record] = store.daemons()
    assert (record.passes, record.published, record.epoch_seen) == (1, 2, 7)


@pytest.mark.store
def test_a_daemon_whose_start_was_not_recorded_appears_at_its_first_beat(store):
    # its start fell in a database outage: the beats that follow still make it visible
    store.daemon_beat(worker="w2", host="h", pid=2, now=NOW, passes=3, published=4, epoch=1)
    store.daemon_beat(
        worker="w2", host="h", pid=2, now=NOW + timedelta(seconds=5), passes=1, published=1
    )
    [record] = store.daemons()
    assert (record.worker, record.pid, record.passes, record.published) == ("w2", 2, 4, 5)
    assert record.beat_at == NOW + timedelta(seconds=5) and record.stopped_at is None


def _record(beat_at: datetime, stopped_at: datetime | None = None) -> DaemonRecord:
    return DaemonRecord(
        worker="w",
        host="h",
        pid=1,
        started_at=NOW,
        beat_at=beat_at,
        stopped_at=stopped_at,
        passes=0,
        published=0,
        epoch_seen=3,
        in_flight=0,
    )


@pytest.mark.unit
def test_a_daemon_not_heard_from_for_three_beats_is_silent():
    assert _status_row(_record(NOW), NOW + timedelta(seconds=14), 3)["state"] == "alive"
    assert _status_row(_record(NOW), NOW + timedelta(seconds=16), 3)["state"] == "silent"
    stopped = _status_row(_record(NOW, NOW), NOW + timedelta(hours=1), 4)
    assert stopped["state"] == "stopped" and not stopped["epoch_current"]


@pytest.mark.store
def test_a_daemon_on_postgresql_hears_a_toggle_the_moment_it_commits(pg_url, config):
    import threading
    import time

    from scheduler.crisis_desk import CrisisDesk
    from scheduler.models import CrisisSpec
    from scheduler.store import Store

    store = Store.open(pg_url)
    heard: list[int] = []
    stop = threading.Event()
    listener = threading.Thread(target=store.listen_for_epochs, args=(stop, heard.append))
    listener.start()
    try:
        time.sleep(0.5)  # listening
        with store.write() as conn:  # anyone may write on the channel: that is no toggle
            conn.exec_driver_sql("NOTIFY tactful_epoch, 'hello'")
        before = store.current_epoch()
        CrisisDesk(store, config).flag(
            CrisisSpec(name="x", category="flood", severity="watch", keywords=("river",)),
            Change(actor="t", now=NOW),
        )
        returned = time.monotonic()
        wait_for(lambda: heard, timeout=5, step=0.005)
        assert heard == [before + 1]
        assert time.monotonic() - returned < 1.0
        assert listener.is_alive()
    finally:
        stop.set()
        listener.join(5)
        store.close()


@pytest.mark.store
def test_on_sqlite_there_is_nothing_to_listen_to(tmp_path):
    import threading

    from scheduler.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'tactful.db'}")
    heard: list[int] = []
    store.listen_for_epochs(threading.Event(), heard.append)  # never stopped: returns at once
    assert heard == []
    store.close()


@pytest.mark.unit
def test_a_pass_that_runs_long_is_not_reported_every_second(caplog):
    import logging

    import scheduler.daemon  # noqa: F401  (attaches the filter)

    scheduler_log = logging.getLogger("apscheduler.scheduler")
    with caplog.at_level(logging.WARNING):
        scheduler_log.warning(
            'Execution of job "%s" skipped: maximum number of running instances reached (%d)',
            "Daemon._dispatch",
            1,
        )
        scheduler_log.warning("Run time of job %s was missed", "tick")
    assert [r.getMessage() for r in caplog.records] == ["Run time of job tick was missed"]


@pytest.mark.store
def test_due_now_counts_what_a_daemon_would_take(store):
    store.add_posts(
        [
            NewPost(
                brand="stride",
                channel="stride-outbox",
                text=f"p{i}",
                due_at=NOW - timedelta(minutes=1),
            )
            for i in range(3)
        ]
        + [
            NewPost(
                brand="stride",
                channel="stride-outbox",
                text="later",
                due_at=NOW + timedelta(hours=1),
            )
        ],
        Change(actor="t", now=NOW),
    )
    claim = store.claim_due(
        now=NOW,
        worker="w1",
        lease=timedelta(seconds=30),
        limit=1,
        max_lateness=timedelta(hours=1),
        idempotent_channels=(),
    )
    [failed] = claim.posts
    # its retry waits ten minutes: late by its first time, yet not due now
    store.record_failure(
        failed,
        "timeout",
        to=Status.FAILED,
        worker="w1",
        now=NOW,
        retry_at=NOW + timedelta(minutes=10),
    )
    assert store.count_due(NOW) == 2
    assert store.count_due(NOW + timedelta(minutes=10)) == 3
    assert store.count_due(NOW + timedelta(hours=1)) == 4
