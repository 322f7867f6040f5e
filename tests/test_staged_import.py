"""A big import is written in chunks and queued at once: all or nothing, and a crisis
toggle gets through while it runs (SQLite locks the whole database for each writer)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from scheduler.crisis_desk import CrisisDesk
from scheduler.errors import DuplicatePost
from scheduler.judging import Judging
from scheduler.models import CrisisSpec, NewPost, Status
from scheduler.store import Change, queue
from scheduler.store.schema import audit, post_texts, posts

pytestmark = pytest.mark.store

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
CHANGE = Change(actor="importer", now=NOW, action="create")


def _posts(n: int, text: str = "Our new trail shoes are da bomb") -> list[NewPost]:
    return [
        NewPost(
            brand="stride",
            channel="stride-outbox",
            text=f"{text} #{i}",
            due_at=NOW + timedelta(hours=1, minutes=i),
        )
        for i in range(n)
    ]


def _rows(store) -> dict[str, int]:
    with store.read() as conn:
        return {
            "posts": conn.execute(select(func.count()).select_from(posts)).scalar_one(),
            "texts": conn.execute(select(func.count()).select_from(post_texts)).scalar_one(),
            "audit": conn.execute(select(func.count()).select_from(audit)).scalar_one(),
        }


def test_a_crisis_flagged_mid_import_gets_through_and_judges_the_imported_posts(store, config):
    seen: list[dict] = []

    def between_chunks(done: int) -> None:
        if seen:
            return
        # the import is half written: nobody sees its posts yet, and the toggle is not
        # kept waiting (with a chunk's lock still held this would block, not return)
        seen.append({"listed": len(store.list_posts()), "counts": store.status_counts()})
        CrisisDesk(store, config).flag(
            CrisisSpec(
                name="Boston", category="bombing", severity="serious", keywords=("marathon",)
            ),
            Change(actor="desk", now=NOW),
        )

    ids = store.add_posts(
        _posts(12), CHANGE, between_chunks, judge=Judging(config).verdicts, chunk_size=5
    )
    assert seen == [{"listed": 0, "counts": {}}]
    assert len(ids) == 12
    # queued under the crisis that arrived mid-way: the bombing idiom holds every one
    assert {store.get_post(pid).status for pid in ids} == {Status.HELD}
    created = [e for e in store.audit_events(limit=1000) if e.action == "create"]
    assert len(created) == 12


def test_a_big_import_that_fails_midway_leaves_the_queue_as_it_was(store):
    [kept] = store.add_posts(_posts(1, "Already here"), CHANGE)
    before = _rows(store)

    def fail_after_two_chunks(done: int, calls=[]) -> None:  # noqa: B006
        calls.append(done)
        if len(calls) == 2:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        store.add_posts(_posts(12), CHANGE, fail_after_two_chunks, chunk_size=5)
    assert _rows(store) == before
    assert [p.id for p in store.list_posts()] == [kept]


def test_a_duplicate_in_a_later_chunk_refuses_the_whole_import(store):
    batch = _posts(12)
    [existing] = store.add_posts([batch[9]], CHANGE)
    before = _rows(store)
    with pytest.raises(DuplicatePost) as refused:
        store.add_posts(batch, CHANGE, chunk_size=5)
    assert refused.value.existing_id == existing
    assert _rows(store) == before


def test_an_abandoned_import_is_invisible_and_cleared_by_the_next_one(store):
    # a process killed mid-import left staged posts whose time ran out
    with store.write() as conn:
        queue.insert_posts(
            conn,
            _posts(3),
            CHANGE,
            staged=("import-dead", datetime.now(UTC) - timedelta(minutes=1)),
        )
    assert store.list_posts() == [] and store.count_posts() == 0
    # the same posts imported again are not refused as duplicates of the dead import
    ids = store.add_posts(_posts(7), CHANGE, chunk_size=5)
    assert sorted(p.id for p in store.list_posts()) == sorted(ids)
    assert _rows(store)["posts"] == 7


def test_postgresql_learns_the_size_of_a_bulk_import(pg_url):
    # without fresh statistics the planner believed a queue of 52,000 due posts held 90
    from scheduler.store import Store

    store = Store.open(pg_url)
    try:
        store.add_posts(_posts(1200), CHANGE)
        with store.read() as conn:
            estimate = conn.exec_driver_sql(
                "SELECT reltuples FROM pg_class WHERE relname = 'posts'"
            ).scalar_one()
        assert estimate >= 1200
    finally:
        store.close()


def _batch_of_a_process_that_is_gone() -> str:
    # a real pid that no longer exists: the process of an import killed mid-way
    import socket
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return f"import:{socket.gethostname()[:64]}:{done.stdout.strip()}:0123456789ab"


def test_posts_of_an_import_killed_on_this_host_do_not_block_importing_them_again(store):
    # killed with SIGKILL a minute ago: its lease has most of an hour to run
    with store.write() as conn:
        queue.insert_posts(
            conn,
            _posts(8),
            CHANGE,
            staged=(_batch_of_a_process_that_is_gone(), datetime.now(UTC) + timedelta(minutes=59)),
        )
    # they are not queued, so a re-import must not skip them as done...
    assert store.live_duplicates([p.key for p in _posts(8)]) == {}
    # ...and writing them again, in one transaction or in chunks, replaces them
    small = store.add_posts(_posts(3), CHANGE)
    big = store.add_posts(_posts(8)[3:], CHANGE, chunk_size=2)
    assert sorted(p.id for p in store.list_posts()) == sorted(small + big)
    assert _rows(store)["posts"] == 8 and _rows(store)["texts"] == 8


def test_posts_an_import_still_running_is_writing_are_not_taken(store):
    import os
    import socket

    from scheduler.errors import ImportInProgress

    running = f"import:{socket.gethostname()[:64]}:{os.getpid()}:0123456789ab"
    with store.write() as conn:
        ids = queue.insert_posts(
            conn, _posts(4), CHANGE, staged=(running, NOW + timedelta(days=3650))
        )
    before = _rows(store)
    with pytest.raises(ImportInProgress) as busy:
        store.add_posts(_posts(4)[2:], CHANGE)
    assert busy.value.exit_code == 4 and busy.value.existing_id in ids[2:]
    assert _rows(store) == before
    assert store.count_posts() == 0


def test_dropping_a_batch_takes_only_its_posts(store):
    with store.write() as conn:
        queue.insert_posts(conn, _posts(3), CHANGE, staged=("import:a", NOW))
        queue.insert_posts(conn, _posts(2, "other"), CHANGE, staged=("import:b", NOW))
        assert queue.drop_staged(conn, "import:a") == 3
    assert _rows(store)["posts"] == 2 and _rows(store)["texts"] == 2


@pytest.mark.parametrize("signum", ["SIGKILL", "SIGTERM"])
def test_an_import_killed_mid_way_can_simply_be_run_again(tmp_path, signum):
    import signal
    import time

    from scheduler.store import Store
    from tests.conftest import base_config, write_config
    from tests.test_acceptance import start

    day = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    rows = "".join(
        f"stride-outbox,{day}T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d},Row {i}\n"
        for i in range(12_000)
    )
    csv_path = tmp_path / "big.csv"
    csv_path.write_text("channel,at,text\n" + rows)
    db_url = f"sqlite:///{tmp_path / 'tactful.db'}"
    config_file = write_config(tmp_path, base_config(), database=db_url)
    store = Store.open(db_url)

    def staged() -> int:
        with store.read() as conn:
            return conn.execute(
                select(func.count()).select_from(posts).where(posts.c.status == Status.STAGED.value)
            ).scalar_one()

    importing = start(config_file, "post", "import", str(csv_path))
    deadline = time.monotonic() + 120
    while staged() == 0:
        assert importing.poll() is None, importing.communicate()
        assert time.monotonic() < deadline, "the import never wrote a chunk"
        time.sleep(0.02)
    importing.send_signal(getattr(signal, signum))
    importing.communicate(timeout=60)
    if signum == "SIGTERM":  # stopped through its clean-up: nothing is left behind
        assert importing.returncode == 128 + signal.SIGTERM
        assert staged() == 0
    else:  # killed outright: its staged posts stay behind, under a process now gone
        assert staged() >= 5000
    assert store.count_posts() == 0  # nothing was queued either way

    again = start(config_file, "post", "import", str(csv_path), "--json")
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    import json

    assert len(json.loads(out)["queued"]) == 12_000
    assert store.count_posts() == 12_000 and staged() == 0
    store.close()
