"""A daemon answers "did the crisis state change?" from what its listener heard, only
when the listener can vouch for it, and asks the database otherwise."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import psycopg
import pytest

from scheduler.crisis_desk import CrisisDesk
from scheduler.dispatch import Dispatcher
from scheduler.epoch_watch import FRESH_SECONDS, EpochWatch
from scheduler.models import CrisisSpec, NewPost
from scheduler.publishers import PublisherPool
from scheduler.store import LISTENER_NAME, Change, Store
from tests.test_daemon_status import wait_for


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.unit
def test_memory_answers_only_for_the_session_that_listened_since_the_claim():
    clock = _Clock()
    watch = EpochWatch(clock)
    assert watch.ticket() is None  # nobody listens: ask the database
    assert watch.moved_since(3, None) is None

    watch.listening(3)
    ticket = watch.ticket()
    assert ticket is not None
    assert watch.moved_since(3, ticket) is False
    watch.heard(4)
    assert watch.moved_since(3, ticket) is True
    assert watch.moved_since(4, ticket) is False

    # the session ends: a toggle now would go unheard
    watch.lost()
    assert watch.moved_since(4, ticket) is None
    assert watch.ticket() is None
    # a new session does not vouch for a claim made before it began
    watch.listening(4)
    assert watch.moved_since(4, ticket) is None
    assert watch.moved_since(4, watch.ticket()) is False
    # whatever the session, an epoch heard past the claim's is a change
    assert watch.moved_since(2, ticket) is True


@pytest.mark.unit
def test_a_listener_that_stopped_answering_vouches_for_nothing():
    clock = _Clock()
    watch = EpochWatch(clock)
    watch.listening(1)
    ticket = watch.ticket()
    clock.now += FRESH_SECONDS / 2
    assert watch.moved_since(1, ticket) is False
    clock.now += FRESH_SECONDS  # no probe answered since: maybe a dead connection
    assert watch.moved_since(1, ticket) is None
    assert watch.ticket() is None
    watch.heard(1)  # it answers again
    assert watch.moved_since(1, ticket) is False


def _flag(store: Store, config, name: str = "x") -> None:
    CrisisDesk(store, config).flag(
        CrisisSpec(name=name, category="flood", severity="watch", keywords=("river",)),
        Change(actor="t", now=datetime.now(UTC)),
    )


@pytest.mark.store
def test_the_listener_keeps_the_watch_true_through_toggles_and_cut_connections(pg_url, config):
    store = Store.open(pg_url)
    watch = EpochWatch()
    heard: list[int] = []
    stop = threading.Event()
    listener = threading.Thread(target=store.listen_for_epochs, args=(stop, heard.append, watch))
    listener.start()
    try:
        wait_for(lambda: watch.ticket() is not None, timeout=5, step=0.01)
        ticket = watch.ticket()
        epoch = store.current_epoch()
        assert watch.moved_since(epoch, ticket) is False
        _flag(store, config)
        wait_for(lambda: watch.moved_since(epoch, ticket), timeout=5, step=0.005)
        assert heard == [epoch + 1]

        # cut the listener's connection: memory stops vouching for claims made before
        ticket, epoch = watch.ticket(), store.current_epoch()
        with psycopg.connect(pg_url, autocommit=True) as admin:
            cut = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = %s",
                (LISTENER_NAME,),
            ).fetchall()
            assert cut
        wait_for(lambda: watch.moved_since(epoch, ticket) is None, timeout=5, step=0.01)
        # a toggle while no session listens is caught by the new session's first read
        _flag(store, config, "y")
        wait_for(lambda: watch.ticket() not in (None, ticket), timeout=10, step=0.01)
        wait_for(lambda: heard[-1] == epoch + 1, timeout=5, step=0.01)
        assert watch.moved_since(epoch, watch.ticket()) is True
        assert listener.is_alive()
    finally:
        stop.set()
        listener.join(5)
        store.close()


class _CountingStore(Store):
    """A real store that counts the epoch reads a send makes."""

    epoch_reads = 0

    def current_epoch(self) -> int:
        type(self).epoch_reads += 1
        return super().current_epoch()


@pytest.mark.store
def test_a_daemon_that_listens_sends_without_asking_and_stops_at_a_toggle(pg_url, config):
    store = _CountingStore.open(pg_url)
    stop = threading.Event()
    watch = EpochWatch()
    listener = threading.Thread(target=store.listen_for_epochs, args=(stop, lambda _: None, watch))
    listener.start()
    toggled = threading.Event()
    outbox = config.base_dir / "outbox" / "stride.jsonl"

    def clock() -> datetime:
        # read after each send: once five posts are out, a crisis is flagged, and time
        # goes on until the listener has heard of it (a note comes within milliseconds)
        if not toggled.is_set() and outbox.exists() and len(outbox.read_text().splitlines()) == 5:
            epoch = store.current_epoch()
            _flag(store, config)
            wait_for(lambda: watch.moved_since(epoch, watch.ticket()), timeout=5, step=0.005)
            toggled.set()
        return datetime.now(UTC)

    try:
        wait_for(lambda: watch.ticket() is not None, timeout=5, step=0.01)
        now = datetime.now(UTC)
        ids = store.add_posts(
            [
                NewPost(brand="stride", channel="stride-outbox", text=f"hello {i}", due_at=now)
                for i in range(20)
            ],
            Change(actor="t", now=now, action="create"),
        )
        dispatcher = Dispatcher(
            store, config.daemon, PublisherPool(config), clock=clock, worker="w1", epoch_watch=watch
        )
        reads = _CountingStore.epoch_reads
        report = dispatcher.run_pass()
        assert toggled.is_set()
        # the first batch went out on what the listener vouched for: no epoch read per
        # send; the toggle gave the rest back, and the next claim judged and sent them
        assert _CountingStore.epoch_reads - reads == 1  # the test's own read above
        assert sorted(report.requeued) == ids[5:]
        assert sorted(report.published) == sorted(ids)
    finally:
        stop.set()
        listener.join(5)
        store.close()
