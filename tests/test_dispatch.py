"""The dispatcher against real databases, a real outbox file and a real HTTP receiver."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from scheduler.config import Config, load_config
from scheduler.dispatch import Dispatcher
from scheduler.errors import database_problem
from scheduler.loopback import WebhookReceiver
from scheduler.models import NewPost, Receipt, Status
from scheduler.publishers import PublisherPool
from scheduler.retry import retry_time
from scheduler.store import Change, Store
from tests.conftest import base_config, write_config

pytestmark = pytest.mark.store

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def queue(store: Store, *posts: NewPost) -> list[int]:
    return store.add_posts(list(posts), Change(actor="tester", now=T0, action="create"))


def post(text="Hello", at=T0, channel="stride-outbox", **kw) -> NewPost:
    return NewPost(brand="stride", channel=channel, text=text, due_at=at, **kw)


def outbox_lines(config: Config, name="stride") -> list[dict]:
    path = config.base_dir / "outbox" / f"{name}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def make(store: Store, config: Config, clock: Clock, worker="w1") -> Dispatcher:
    return Dispatcher(store, config.daemon, PublisherPool(config), clock=clock, worker=worker)


def with_hook(tmp_path: Path, receiver: WebhookReceiver, **channel) -> Config:
    data = base_config(
        webhook_url=receiver.url + "/hook", max_attempts=3, backoff_base="1m", backoff_cap="10m"
    )
    data["brands"][0]["channels"][1].update(channel)
    return load_config(write_config(tmp_path, data))


def test_due_posts_go_out_once_in_time_order_and_future_ones_wait(store, config):
    later, first, second = queue(
        store,
        post("later", T0 + timedelta(hours=1)),
        post("first", T0 - timedelta(minutes=5)),
        post("second"),
    )
    clock = Clock(T0)
    report = make(store, config, clock).run_pass()
    assert report.published == [first, second]
    assert [line["text"] for line in outbox_lines(config)] == ["first", "second"]
    assert store.get_post(later).status is Status.QUEUED
    assert make(store, config, clock).run_pass().published == []
    published = store.get_post(first)
    assert published.status is Status.PUBLISHED and published.remote_id.startswith("stride.jsonl@")
    assert store.next_wake() == T0 + timedelta(hours=1)


def test_far_overdue_posts_are_held_not_sent(store, config):
    [late] = queue(store, post("stale", T0 - timedelta(hours=7)))
    report = make(store, config, Clock(T0)).run_pass()
    assert report.held == [late] and outbox_lines(config) == []
    held = store.get_post(late)
    assert held.status is Status.HELD
    assert held.status_reason == "missed its time (more than 6h late)"


def test_expired_posts_are_dropped(store, config):
    [gone] = queue(
        store, post("offer", T0 - timedelta(minutes=30), expires_at=T0 - timedelta(minutes=1))
    )
    assert make(store, config, Clock(T0)).run_pass().expired == [gone]
    assert store.get_post(gone).status is Status.EXPIRED


def test_recurring_posts_come_back_after_publishing(store, config):
    [first] = queue(store, post("tip", every=timedelta(days=14), until=T0 + timedelta(days=20)))
    clock = Clock(T0)
    make(store, config, clock).run_pass()
    upcoming = store.list_posts(statuses=[Status.QUEUED])
    assert [(p.text, p.due_at, p.series_id) for p in upcoming] == [
        ("tip", T0 + timedelta(days=14), first)
    ]
    clock.now = T0 + timedelta(days=14)
    make(store, config, clock).run_pass()
    assert store.list_posts(statuses=[Status.QUEUED]) == []  # the next would pass --until
    assert len(outbox_lines(config)) == 2


def test_webhook_delivers_signed_json_to_a_real_server(store, tmp_path, monkeypatch):
    monkeypatch.setenv("HOOK_SECRET", "s3cret-value")
    with WebhookReceiver(secret="s3cret-value") as receiver:
        config = with_hook(tmp_path, receiver, secret_env="HOOK_SECRET")
        [pid] = queue(store, post("Über 🏃 news", channel="stride-hook", lang="en"))
        make(store, config, Clock(T0)).run_pass()
    [got] = receiver.received
    assert got.signature_ok is True and got.path == "/hook"
    assert got.headers["idempotency-key"] == f"tactful-post-{pid}"
    assert got.json["text"] == "Über 🏃 news" and got.json["id"] == pid
    assert store.get_post(pid).remote_id == "hook-1"


def test_a_5xx_is_retried_with_backoff_then_dead(store, tmp_path):
    with WebhookReceiver(failures=[503, 500, 502]) as receiver:
        config = with_hook(tmp_path, receiver)
        [pid] = queue(store, post(channel="stride-hook"))
        clock = Clock(T0)
        outcomes = []
        for _ in range(3):
            report = make(store, config, clock).run_pass()
            outcomes.append((report.failed, report.dead))
            clock.now = store.next_wake() or clock.now
    assert outcomes == [([pid], []), ([pid], []), ([], [pid])]
    dead = store.get_post(pid)
    assert dead.status is Status.DEAD and "HTTP 502" in dead.last_error and dead.attempts == 3
    retries = [e.at for e in store.audit_events(post_id=pid) if e.action == "claim"]
    gaps = [b - a for a, b in itertools.pairwise(retries)]
    # 1 then 2 minutes, each lengthened by up to half so that failures spread out
    assert timedelta(minutes=1) <= gaps[0] <= timedelta(minutes=1.5)
    assert timedelta(minutes=2) <= gaps[1] <= timedelta(minutes=3)


class Ticking(Clock):
    """A clock that moves a minute each time it is read: a pass that runs long."""

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def test_a_pass_tries_each_failing_post_once_however_long_it_runs(store, tmp_path):
    # backoff 1 minute, yet the pass outlives it: no post is retried (and used up) within
    # the pass that failed it; each waits for a later pass, at its own spread-out time
    with WebhookReceiver(failures=[503] * 100) as receiver:
        config = with_hook(tmp_path, receiver)
        ids = queue(store, *[post(f"Post {n}", channel="stride-hook") for n in range(6)])
        report = make(store, config, Ticking(T0)).run_pass()
        assert sorted(report.failed) == ids and report.dead == []
        assert len(receiver.received) == 6
    retry_times = {store.get_post(pid).run_at for pid in ids}
    assert all(store.get_post(pid).attempts == 1 for pid in ids)
    assert len(retry_times) == 6  # not one instant for all


def test_retries_spread_out_by_up_to_half_the_delay():
    now = T0
    plain = retry_time(2, now, base=timedelta(minutes=1), cap=timedelta(hours=1), max_attempts=5)
    longest = retry_time(
        2, now, base=timedelta(minutes=1), cap=timedelta(hours=1), max_attempts=5, spread=1.0
    )
    assert plain == now + timedelta(minutes=2) and longest == now + timedelta(minutes=3)
    assert (
        retry_time(
            5, now, base=timedelta(minutes=1), cap=timedelta(hours=1), max_attempts=5, spread=0.5
        )
        is None
    )


def test_a_4xx_is_held_for_a_human_not_retried(store, tmp_path):
    with WebhookReceiver(failures=[400]) as receiver:
        config = with_hook(tmp_path, receiver)
        [pid] = queue(store, post(channel="stride-hook"))
        assert make(store, config, Clock(T0)).run_pass().held == [pid]
    assert len(receiver.received) == 1
    assert "HTTP 400" in store.get_post(pid).status_reason


def test_a_timeout_on_a_network_without_idempotency_is_unknown(store, tmp_path):
    with WebhookReceiver(delay=1.5) as receiver:
        config = with_hook(tmp_path, receiver, timeout_seconds=0.3)
        [pid] = queue(store, post(channel="stride-hook"))
        assert make(store, config, Clock(T0)).run_pass().unknown == [pid]
    assert store.get_post(pid).status is Status.UNKNOWN


def test_a_missing_credential_holds_the_post_and_names_the_variable(store, tmp_path):
    with WebhookReceiver() as receiver:
        config = with_hook(tmp_path, receiver, secret_env="NOT_SET_ANYWHERE")
        [pid] = queue(store, post(channel="stride-hook"))
        assert make(store, config, Clock(T0)).run_pass().held == [pid]
    assert receiver.received == []
    assert "credential NOT_SET_ANYWHERE is not set" in store.get_post(pid).status_reason


def test_a_stale_lease_is_resent_only_where_the_network_deduplicates(store, tmp_path):
    with WebhookReceiver(dedupe=True) as receiver:
        config = with_hook(tmp_path, receiver)
        idem, blind = queue(store, post("outbox"), post("hook", channel="stride-hook"))
        # a daemon claims both, starts sending both, and dies before recording anything
        store.claim_due(
            now=T0,
            worker="dead-daemon",
            lease=timedelta(seconds=30),
            limit=10,
            max_lateness=timedelta(hours=6),
            idempotent_channels=set(),
        )
        assert store.mark_sending(blind, worker="dead-daemon", now=T0)
        clock = Clock(T0 + timedelta(seconds=31))
        report = make(store, config, clock).run_pass()
    assert report.requeued == [idem] and report.unknown == [blind]
    assert report.published == [idem]
    assert store.get_post(blind).status is Status.UNKNOWN
    assert receiver.received == []


def test_a_stale_post_whose_send_never_started_is_simply_sent(store, tmp_path):
    with WebhookReceiver() as receiver:
        config = with_hook(tmp_path, receiver)
        [pid] = queue(store, post("hook", channel="stride-hook"))
        store.claim_due(
            now=T0,
            worker="dead-daemon",
            lease=timedelta(seconds=30),
            limit=10,
            max_lateness=timedelta(hours=6),
            idempotent_channels=set(),
        )
        report = make(store, config, Clock(T0 + timedelta(seconds=31))).run_pass()
    assert report.requeued == [pid] and report.published == [pid]
    assert len(receiver.received) == 1


@contextmanager
def refusing_to_note_a_send(store: Store, post_id: int) -> Iterator[None]:
    """The database refuses the write that notes `post_id`'s send is about to start (as
    a full disk would), and takes every other write."""
    refuse = f"NEW.id = {post_id} AND NEW.send_started_at IS NOT NULL"
    if store.backend == "sqlite":
        create = [
            f"CREATE TRIGGER refuse_send BEFORE UPDATE OF send_started_at ON posts "
            f"WHEN {refuse} BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        ]
        drop = ["DROP TRIGGER refuse_send"]
    else:
        create = [
            "CREATE FUNCTION refuse_send() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' "
            "USING ERRCODE = 'disk_full'; END $$",
            f"CREATE TRIGGER refuse_send BEFORE UPDATE OF send_started_at ON posts "
            f"FOR EACH ROW WHEN ({refuse}) EXECUTE FUNCTION refuse_send()",
        ]
        drop = ["DROP TRIGGER refuse_send ON posts", "DROP FUNCTION refuse_send()"]
    with store.write() as conn:
        for statement in create:
            conn.execute(text(statement))
    try:
        yield
    finally:
        with store.write() as conn:
            for statement in drop:
                conn.execute(text(statement))


def test_a_database_error_before_a_send_sends_nothing_and_leaves_the_post_to_retry(store, tmp_path):
    # a channel that cannot de-duplicate: the post in hand when the database fails must
    # not end `unknown` (that asks a person to check a network it never reached)
    with WebhookReceiver() as receiver:
        config = with_hook(tmp_path, receiver)
        sent, refused = queue(
            store, post("first", channel="stride-hook"), post("second", channel="stride-hook")
        )
        with refusing_to_note_a_send(store, refused), pytest.raises(DBAPIError) as error:
            make(store, config, Clock(T0)).run_pass()
        # the daemon logs this one line and tries again at its next pass
        assert database_problem(error.value) is not None
        assert [r.json["id"] for r in receiver.received] == [sent]
        assert store.get_post(sent).status is Status.PUBLISHED
        assert store.get_post(refused).status is Status.PUBLISHING  # leased, never started
        # its lease runs out, and the next pass gives it back and sends it, once
        report = make(store, config, Clock(T0 + timedelta(seconds=31))).run_pass()
    assert report.unknown == [] and report.requeued == [refused]
    assert report.published == [refused]
    assert [r.json["id"] for r in receiver.received] == [sent, refused]
    reasons = [e.reason for e in store.audit_events(post_id=refused) if e.action == "recover"]
    assert reasons == ["its daemon stopped before sending it"]


def test_stopping_mid_batch_gives_unsent_posts_back(store, config):
    ids = queue(store, *(post(f"p{i}") for i in range(5)))
    dispatcher = make(store, config, Clock(T0))
    publisher = dispatcher.pool.get("stride-outbox")
    original = publisher.publish

    def publish_then_stop(p):
        dispatcher.stop.set()  # the signal arrives while the first post is being sent
        return original(p)

    publisher.publish = publish_then_stop
    report = dispatcher.run_pass()
    assert report.published == ids[:1] and sorted(report.requeued) == ids[1:]
    assert {store.get_post(i).status for i in ids[1:]} == {Status.QUEUED}
    assert {store.get_post(i).attempts for i in ids[1:]} == {0}


def test_recording_never_overwrites_a_post_another_worker_recovered(store, config):
    [pid] = queue(store, post())
    claim = store.claim_due(
        now=T0,
        worker="slow",
        lease=timedelta(seconds=30),
        limit=1,
        max_lateness=timedelta(hours=6),
        idempotent_channels={"stride-outbox"},
    )
    later = T0 + timedelta(seconds=40)
    make(store, config, Clock(later), worker="fast").run_pass()  # recovers and sends it
    lost = store.record_published(
        [(claim.posts[0], Receipt("late-id"), later)], worker="slow", now=later
    )
    assert lost == [pid]
    assert store.get_post(pid).remote_id != "late-id"
    assert len(outbox_lines(config)) == 1


def test_a_channel_removed_from_config_holds_its_posts(store, config):
    [pid] = queue(store, post(channel="gone-channel"))
    assert make(store, config, Clock(T0)).run_pass().held == [pid]
    assert "no longer in config.yaml" in store.get_post(pid).status_reason


def test_a_send_is_not_marked_once_a_pause_changed_the_epoch_after_the_claim(store):
    from scheduler.store import channels as channel_store

    [pid] = queue(store, post("In hand when the pause comes"))
    claim = store.claim_due(
        now=T0,
        worker="w1",
        lease=timedelta(seconds=30),
        limit=10,
        max_lateness=timedelta(hours=6),
        idempotent_channels=set(),
    )
    assert [p.id for p in claim.posts] == [pid]
    with store.write() as conn:
        channel_store.pause(conn, "stride-outbox", Change(actor="ops", now=T0))
    assert store.mark_sending(pid, worker="w1", now=T0, epoch=claim.epoch) is None
    assert store.mark_sending(pid, worker="w1", now=T0, epoch=store.current_epoch())


def test_a_retry_left_for_the_next_pass_does_not_block_the_posts_behind_it(store):
    now = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    change = Change(actor="t", now=now)
    queued = store.add_posts(
        [
            NewPost(brand="stride", channel="stride-outbox", text=t, due_at=now)
            for t in ("first", "second")
        ],
        change,
    )
    lease = dict(
        worker="w",
        lease=timedelta(seconds=30),
        max_lateness=timedelta(hours=1),
        idempotent_channels=(),
    )
    [first] = store.claim_due(now=now, limit=1, **lease).posts
    # its retry comes due a minute into a pass that began at now, ahead of "second"
    store.record_failure(
        first,
        "disk full",
        to=Status.FAILED,
        worker="w",
        now=now,
        retry_at=now - timedelta(seconds=1),
    )
    later = now + timedelta(minutes=1)
    claim = store.claim_due(now=later, due_by=now - timedelta(seconds=2), limit=1, **lease)
    assert [p.id for p in claim.posts] == [queued[1]]


def test_one_claim_sends_the_head_of_the_line_each_way_it_must_go_with_its_audit(store):
    from sqlalchemy import select

    from scheduler.store import channels as channel_store
    from scheduler.store.schema import posts

    with store.write() as conn:  # a post queued on a paused channel waits at the claim
        channel_store.pause(conn, "stride-hook", Change(actor="ops", now=T0))
    ids = queue(
        store,
        post("fine", T0 - timedelta(minutes=5)),
        post("stale offer", T0 - timedelta(minutes=4), expires_at=T0 - timedelta(1)),
        post("far too late", T0 - timedelta(hours=7)),
        post("on the hook", T0 - timedelta(minutes=3), channel="stride-hook"),
        post("late and stale", T0 - timedelta(hours=8), expires_at=T0 - timedelta(seconds=1)),
        post("also fine", T0 - timedelta(minutes=1)),
        post("not yet", T0 + timedelta(minutes=1)),
    )
    fine, stale, late, hooked, both, also, future = ids
    assert store.get_post(hooked).status is Status.QUEUED
    claim = store.claim_due(
        now=T0,
        worker="w1",
        lease=timedelta(seconds=30),
        limit=10,
        max_lateness=timedelta(hours=6),
        idempotent_channels=set(),
    )
    assert [p.id for p in claim.posts] == [fine, also]
    assert sorted(claim.expired) == sorted([stale, both])  # expiry is said first
    assert claim.late == [late] and claim.stopped == [(hooked, Status.PAUSED)]
    expected = {
        fine: (Status.PUBLISHING, "claim", None),
        also: (Status.PUBLISHING, "claim", None),
        stale: (Status.EXPIRED, "status", "expired before it could go out"),
        both: (Status.EXPIRED, "status", "expired before it could go out"),
        late: (Status.HELD, "status", "missed its time (more than 6h late)"),
        hooked: (Status.PAUSED, "channel-pause", "channel stride-hook is paused"),
        future: (Status.QUEUED, "create", None),
    }
    for pid, (status, action, reason) in expected.items():
        got = store.get_post(pid)
        last = store.audit_events(post_id=pid)[-1]
        assert (got.status, last.action, last.reason) == (status, action, reason), pid
        assert last.to_status == status.value and got.status_reason == reason
    # only the claimed take a lease and a try
    with store.read() as conn:
        leases = dict(conn.execute(select(posts.c.id, posts.c.lease_owner)).all())
    assert {pid: owner for pid, owner in leases.items() if owner} == {fine: "w1", also: "w1"}
    assert [store.get_post(pid).attempts for pid in ids] == [1, 0, 0, 0, 0, 1, 0]
