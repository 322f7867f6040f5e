"""The store on real SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from scheduler.errors import DuplicatePost, InvalidTransition, PostNotFound
from scheduler.models import NewPost, Status
from scheduler.store import Change, Store
from scheduler.store.migrate import current_revision, head_revision
from scheduler.store.schema import metadata

pytestmark = pytest.mark.store

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
ME = Change(actor="tester", now=NOW, action="create")


def new(text="Hello", minutes=10, channel="stride-outbox", **kw) -> NewPost:
    return NewPost(
        brand="stride", channel=channel, text=text, due_at=NOW + timedelta(minutes=minutes), **kw
    )


def test_schema_is_created_on_first_use_and_matches_the_tables(store: Store):
    assert current_revision(store.engine) == head_revision()
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_opening_twice_does_not_migrate_again(db_url):
    Store.open(db_url).close()
    again = Store.open(db_url)
    assert current_revision(again.engine) == head_revision()
    again.close()


texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=300,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=texts,
    tags=st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True), max_size=4, unique=True),
    minutes=st.integers(min_value=-10_000, max_value=10**6),
    automated=st.booleans(),
    lang=st.sampled_from([None, "en", "cs", "ru", "ar", "az", "id"]),
    every=st.one_of(st.none(), st.integers(min_value=3600, max_value=10**7)),
)
def test_store_then_load_is_the_identity(store: Store, text, tags, minutes, automated, lang, every):
    # one database serves every example, so each gets its own channel
    post = NewPost(
        brand="stride",
        channel=f"c-{uuid.uuid4().hex[:12]}",
        text=text,
        due_at=NOW + timedelta(minutes=minutes, microseconds=123),
        tags=tuple(tags),
        lang=lang,
        automated=automated,
        expires_at=NOW + timedelta(days=400),
        crisis_text=text[::-1],
        every=timedelta(seconds=every) if every else None,
    )
    [pid] = store.add_posts([post], ME)
    loaded = store.get_post(pid)
    for name in (
        "brand",
        "channel",
        "text",
        "due_at",
        "tags",
        "lang",
        "automated",
        "expires_at",
        "crisis_text",
        "every",
    ):
        assert getattr(loaded, name) == getattr(post, name), name
    assert loaded.status is Status.QUEUED and loaded.due_at.tzinfo is not None


def test_a_live_duplicate_is_refused_and_nothing_is_added(store: Store):
    [first] = store.add_posts([new()], ME)
    with pytest.raises(DuplicatePost) as caught:
        store.add_posts([new("Other"), new()], ME)
    assert caught.value.existing_id == first
    assert store.count_posts() == 1


def test_a_cancelled_post_does_not_block_the_same_post_again(store: Store):
    [first] = store.add_posts([new()], ME)
    store.cancel_post(first, Change(actor="tester", now=NOW, action="cancel"))
    [second] = store.add_posts([new()], ME)
    assert second != first


def test_edit_and_cancel_only_before_it_goes_out(store: Store):
    [pid] = store.add_posts([new()], ME)
    edited = store.edit_post(
        pid, Change(actor="ed", now=NOW), text="Changed", due_at=NOW + timedelta(hours=2)
    )
    assert (edited.text, edited.due_at, edited.run_at) == (
        "Changed",
        NOW + timedelta(hours=2),
        NOW + timedelta(hours=2),
    )
    store.cancel_post(pid, Change(actor="ed", now=NOW, action="cancel"))
    with pytest.raises(InvalidTransition, match="is cancelled; only a post that is"):
        store.edit_post(pid, Change(actor="ed", now=NOW), text="Again")
    with pytest.raises(PostNotFound):
        store.cancel_post(99999, Change(actor="ed", now=NOW))
    actions = [(e.action, e.from_status, e.to_status) for e in store.audit_events(post_id=pid)]
    assert actions == [
        ("create", None, Status.QUEUED),
        ("edit", Status.QUEUED, Status.QUEUED),
        ("cancel", Status.QUEUED, Status.CANCELLED),
    ]
    assert store.audit_events(post_id=pid)[1].detail == {"fields": ["due_at", "text"]}


def test_the_audit_log_refuses_updates_and_deletes(store: Store):
    store.add_posts([new()], ME)
    for statement in ("UPDATE audit SET actor = 'mallory'", "DELETE FROM audit"):
        with pytest.raises(DBAPIError, match="append-only"), store.write() as conn:
            conn.execute(text(statement))
    assert [e.actor for e in store.audit_events()] == ["tester"]


def test_import_sized_batches_keep_their_order(store: Store):
    batch = [new(f"post {i}", minutes=i) for i in range(1200)]
    ids = store.add_posts(batch, ME)
    assert ids == sorted(ids) and len(set(ids)) == 1200
    assert [p.text for p in store.list_posts(limit=3)] == ["post 0", "post 1", "post 2"]
    assert store.count_posts(statuses=[Status.QUEUED]) == 1200


def test_the_migration_predicates_match_the_queries():
    """Partial indexes only serve queries whose predicate is literally the same."""
    import importlib.util

    from scheduler.store.migrate import MIGRATIONS
    from scheduler.store.schema import DUE_SQL, LIVE_SQL, PUBLISHING_SQL

    spec = importlib.util.spec_from_file_location("m0001", MIGRATIONS / "versions/0001_queue.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (module.DUE, module.LIVE, module.PUBLISHING) == (DUE_SQL, LIVE_SQL, PUBLISHING_SQL)


def test_the_claim_reads_the_due_index_in_order(tmp_path):
    """EXPLAIN the statements claim_due really sends: no full scan, no sort of the backlog."""
    from sqlalchemy import event

    store = Store.open(f"sqlite:///{tmp_path / 'plan.db'}")
    store.add_posts([new(f"p{i}", minutes=-i) for i in range(50)], ME)
    sent: list[tuple[str, tuple]] = []

    def capture(conn, cursor, statement, params, context, executemany):
        if statement.startswith("UPDATE posts") and not executemany:
            sent.append((statement, params))

    event.listen(store.engine, "before_cursor_execute", capture)
    store.claim_due(
        now=NOW,
        worker="w",
        lease=timedelta(seconds=30),
        limit=10,
        max_lateness=timedelta(hours=6),
        idempotent_channels=set(),
    )
    event.remove(store.engine, "before_cursor_execute", capture)
    claim = next(s for s, _ in sent if "lease_owner" in s and "attempts" in s)
    params = next(p for s, p in sent if s == claim)
    with store.read() as conn:
        plan = " | ".join(
            str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + claim, params)
        )
    store.close()
    assert "ix_posts_due" in plan, plan
    assert "TEMP B-TREE" not in plan and "SCAN posts" not in plan, plan


def test_upgrading_from_the_first_schema_keeps_the_queue(db_url):
    """An upgrade never loses a queue: posts written under 0001 survive every later
    migration intact (and on PostgreSQL the way down works too)."""
    from sqlalchemy import inspect

    from scheduler.store.migrate import upgrade

    old = Store.open(db_url, migrate=False)
    if current_revision(old.engine) is None:
        upgrade(old.engine, "0001")
    else:  # PostgreSQL's test databases are copies of a template at head: go back down
        from alembic import command

        from scheduler.store.migrate import _alembic_config

        with old.engine.begin() as conn:
            command.downgrade(_alembic_config(conn), "0001")
    assert current_revision(old.engine) == "0001"
    with old.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO posts (brand, channel, text, crisis_text, tags, automated, due_at,"
            " run_at, status, attempts, content_key, created_at, created_by, updated_at)"
            " VALUES ('b', 'c', 'kept', 'alt', '[\"promo\"]', false, '2026-11-23 14:00:00',"
            " '2026-11-23 14:00:00', 'queued', 0, 'k1', '2026-11-23 13:00:00', 'old',"
            " '2026-11-23 13:00:00')"
        )
    old.close()
    store = Store.open(db_url)  # upgrades to head on first use
    try:
        assert current_revision(store.engine) == head_revision()
        [post] = store.list_posts()
        assert (post.text, post.crisis_text, post.tags, post.status, post.decision) == (
            "kept",
            "alt",
            ("promo",),
            Status.QUEUED,
            None,
        )
        assert store.current_epoch() == 0
        assert "crises" in inspect(store.engine).get_table_names()
    finally:
        store.close()


def test_the_head_constant_is_alembics_head():
    from scheduler.store.migrate import HEAD, alembic_head

    assert alembic_head() == HEAD


def test_a_new_sqlite_database_and_its_wal_are_readable_by_the_owner_only(tmp_path):
    from datetime import UTC, datetime

    from scheduler.models import NewPost
    from scheduler.store import Change, Store

    opened = Store.open(f"sqlite:///{tmp_path / 'private.db'}")
    now = datetime(2026, 12, 2, tzinfo=UTC)
    opened.add_posts(
        [NewPost(brand="b", channel="c", text="unreleased", due_at=now)],
        Change(actor="t", now=now, action="create"),
    )
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    opened.close()
    assert modes["private.db"] == 0o600 and modes["private.db-wal"] == 0o600
