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

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
CHANGE = Change(actor="importer", now=NOW, action="create")


def _posts(n: int, text: str = "Our new trail shoes are da bomb") -> list[NewPost]:
    return [NewPost(brand="stride", channel="stride-outbox", text=f"{text} #{i}",
                    due_at=NOW + timedelta(hours=1, minutes=i)) for i in range(n)]


def _rows(store) -> dict[str, int]:
    with store.read() as conn:
        return {"posts": conn.execute(select(func.count()).select_from(posts)).scalar_one(),
                "texts": conn.execute(select(func.count()).select_from(post_texts)
                                      ).scalar_one(),
                "audit": conn.execute(select(func.count()).select_from(audit)).scalar_one()}


def test_a_crisis_flagged_mid_import_gets_through_and_judges_the_imported_posts(
        store, config):
    seen: list[dict] = []

    def between_chunks(done: int) -> None:
        if seen:
            return
        # the import is half written: nobody sees its posts yet, and the toggle is not
        # kept waiting (with a chunk's lock still held this would block, not return)
        seen.append({"listed": len(store.list_posts()), "counts": store.status_counts()})
        CrisisDesk(store, config).flag(CrisisSpec(
            name="Boston", category="bombing", severity="serious", keywords=("marathon",)),
            Change(actor="desk", now=NOW))

    ids = store.add_posts(_posts(12), CHANGE, between_chunks,
                          judge=Judging(config).verdicts, chunk_size=5)
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
        queue.insert_posts(conn, _posts(3), CHANGE,
                           staged=("import-dead", datetime.now(UTC) - timedelta(minutes=1)))
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
                "SELECT reltuples FROM pg_class WHERE relname = 'posts'").scalar_one()
        assert estimate >= 1200
    finally:
        store.close()
