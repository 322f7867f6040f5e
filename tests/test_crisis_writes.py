"""How a crisis toggle writes its verdicts: in windows of set-based statements, on a
second thread, leaving alone what moved meanwhile, and skipping brands no crisis reaches."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, event, select, update

from scheduler.crisis_desk import CrisisDesk
from scheduler.models import CrisisSpec, NewPost, Status, Verdict, content_key
from scheduler.store import Change
from scheduler.store.crises import release_paused
from scheduler.store.schema import posts
from scheduler.store.verdicts import _WINDOW, apply_verdicts
from scheduler.verdict_writer import VerdictWriter

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def _queue(store, n: int, brand: str = "stride", text: str = "post") -> list[int]:
    channel = f"{brand}-outbox"
    return store.add_posts(
        [
            NewPost(
                brand=brand,
                channel=channel,
                text=f"{text} {i}",
                due_at=NOW + timedelta(hours=1, seconds=i),
            )
            for i in range(n)
        ],
        Change(actor="t", now=NOW, action="create"),
    )


def _pause(reason: str) -> Verdict:
    return Verdict(
        status=Status.PAUSED,
        reason=reason,
        decision={"action": "pause", "proposed_text": None, "reasons": []},
    )


@pytest.mark.store
def test_verdicts_across_windows_move_each_post_once_and_skip_what_moved(store):
    ids = _queue(store, _WINDOW + 7)
    moved_away, already_paused = ids[3], ids[_WINDOW + 2]
    with store.write() as conn:  # someone else acts between the judging and the writing
        conn.execute(update(posts).where(posts.c.id == moved_away).values(status="cancelled"))
        conn.execute(update(posts).where(posts.c.id == already_paused).values(status="paused"))
    own = _pause("pause: its own words")
    shared = _pause("pause: slow-automation")
    verdicts = {pid: (own if pid == ids[0] else shared) for pid in ids}
    seen = dict.fromkeys(ids, Status.QUEUED)
    seen[already_paused] = Status.PAUSED  # seen paused: judged paused again, not a move
    with store.write() as conn:
        moves = apply_verdicts(
            conn, seen, verdicts, epoch=7, change=Change(actor="t", now=NOW, action="judge")
        )

    expected = [pid for pid in ids if pid not in (moved_away, already_paused)]
    assert sorted(pid for pid, _, _ in moves) == expected
    assert {(was, to) for _, was, to in moves} == {(Status.QUEUED, Status.PAUSED)}
    assert store.get_post(moved_away).status == Status.CANCELLED
    first, other, again = (store.get_post(i) for i in (ids[0], ids[-1], already_paused))
    assert (first.status, first.status_reason, first.judged_epoch) == (
        Status.PAUSED,
        "pause: its own words",
        7,
    )
    assert (other.status, other.status_reason) == (Status.PAUSED, "pause: slow-automation")
    assert again.judged_epoch == 7 and again.decision == shared.decision
    # one audit line per move, none for the post that stayed paused or moved away
    lines = [e for e in store.audit_events() if e.action == "judge"]
    assert sorted(e.post_id for e in lines) == expected
    assert {(e.from_status, e.to_status) for e in lines} == {("queued", "paused")}
    # each line says why: the verdict's own reason
    assert {e.post_id: e.reason for e in lines}[ids[0]] == "pause: its own words"
    assert {e.reason for e in lines} == {"pause: its own words", "pause: slow-automation"}


@pytest.mark.unit
def test_the_writer_stops_after_a_superseded_batch_and_reraises_a_failure():
    landed: list[int] = []

    def write(seen, verdicts):
        landed.append(len(verdicts))
        return len(verdicts) != 2  # the second batch finds a newer toggle

    with VerdictWriter(write) as writer:
        assert writer.submit({}, {1: None}) is True
        assert writer.submit({}, {1: None, 2: None}) is True
        assert writer.submit({}, {1: None, 2: None, 3: None}) is False
        assert writer.wait() is False
    assert landed == [1, 2]

    def broken(seen, verdicts):
        raise RuntimeError("disk full")

    with VerdictWriter(broken) as writer:
        writer.submit({}, {})
        with pytest.raises(RuntimeError, match="disk full"):
            writer.wait()


@pytest.mark.store
def test_batches_are_written_off_the_judging_thread(store, config, monkeypatch):
    import scheduler.crisis_desk as desk_module

    monkeypatch.setattr(desk_module, "WRITE_EVERY", 3)
    monkeypatch.setattr(desk_module, "PAGE", 2)
    _queue(store, 10, text="marathon")
    writers: set[str] = set()
    write = CrisisDesk._write

    def spy(self, *args):
        writers.add(threading.current_thread().name)
        return write(self, *args)

    monkeypatch.setattr(CrisisDesk, "_write", spy)
    impact = CrisisDesk(store, config).flag(
        CrisisSpec(name="x", category="bombing", severity="severe", keywords=("marathon",)),
        Change(actor="t", now=NOW),
    )
    assert impact.totals()["blocked"] + impact.totals()["held"] == 10
    assert store.count_posts(statuses=[Status.HELD]) == 10
    assert writers and threading.current_thread().name not in writers


@pytest.mark.store
def test_brands_out_of_reach_are_counted_and_their_paused_posts_go_free(store, config):
    """A worldwide crisis narrowed to stride: kvasek's posts are no longer its business."""
    stride = _queue(store, 2, "stride", "marathon day")
    kvasek = _queue(store, 3, "kvasek", "marathon day")
    desk = CrisisDesk(store, config)
    world = desk.flag(
        CrisisSpec(name="x", category="bombing", severity="serious", keywords=("marathon",)),
        Change(actor="t", now=NOW),
    )
    assert {store.get_post(i).status for i in stride + kvasek} == {Status.HELD}
    assert world.judged == 5
    with store.write() as conn:  # a post paused under the worldwide scope
        conn.execute(update(posts).where(posts.c.id == kvasek[0]).values(status="paused"))
        conn.execute(update(posts).where(posts.c.id == kvasek[1]).values(status="queued"))

    narrowed = desk.update(
        world.crisis.id, {"brands": ("stride",)}, Change(actor="t", now=NOW + timedelta(minutes=1))
    )
    assert store.get_post(kvasek[0]).status == Status.QUEUED  # released: out of scope now
    assert store.get_post(kvasek[1]).status == Status.QUEUED  # counted, not judged
    assert store.get_post(kvasek[2]).status == Status.HELD  # held posts wait for a human
    assert narrowed.by_brand["kvasek"]["untouched"] == 2
    assert narrowed.judged == 2  # stride's posts are held, so not re-judged


def _paused(store, n: int, text: str) -> list[int]:
    ids = _queue(store, n, text=text)
    with store.write() as conn:
        conn.execute(update(posts).where(posts.c.id.in_(ids)).values(status="paused"))
    return ids


@contextmanager
def _statements(engine: Engine) -> Iterator[list[tuple[str, int]]]:
    """Each statement sent to the driver, with how many sets of parameters it took."""
    seen: list[tuple[str, int]] = []

    def count(_conn, _cursor, statement, parameters, _context, executemany) -> None:
        seen.append((statement, len(parameters) if executemany else 1))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.mark.store
def test_a_release_takes_as_many_statements_for_many_posts_as_for_few(store):
    counts = []
    for n in (3, 300):
        ids = _paused(store, n, f"batch of {n}")
        schedule = [(pid, NOW + timedelta(minutes=15 * i)) for i, pid in enumerate(ids)]
        with _statements(store.engine) as seen, store.write() as conn:
            released, expired = release_paused(
                conn, schedule, ids[:1], Change(actor="t", now=NOW, reason="paced")
            )
        assert expired == ids[:1] and sorted(released) == ids[1:]
        counts.append(len(seen))
        # an UPDATE run once per post would be a driver step (a round trip) each
        assert [sets for sql, sets in seen if sql.lstrip().upper().startswith("UPDATE")] == [1, 1]
    assert counts[0] == counts[1]


@pytest.mark.store
def test_released_posts_take_their_planned_time_and_what_moved_meanwhile_stays(store):
    ids = _paused(store, 3, "release me")
    with store.write() as conn:  # a human sent the last one back to the queue already
        conn.execute(update(posts).where(posts.c.id == ids[2]).values(status="queued"))
    before = store.get_post(ids[2])
    # whole seconds: SQLite must still store them as SQLAlchemy does, or comparisons of
    # times in SQL (the claim's) would see a different text
    schedule = [(pid, NOW + timedelta(hours=5, minutes=20 * i)) for i, pid in enumerate(ids)]
    with store.write() as conn:
        released, _ = release_paused(
            conn, schedule, [], Change(actor="t", now=NOW, action="resume", reason="paced")
        )
    assert sorted(released) == ids[:2]
    for pid, at in schedule[:2]:
        post = store.get_post(pid)
        assert (post.status, post.due_at, post.run_at) == (Status.QUEUED, at, at)
        assert (post.status_reason, post.updated_at) == ("paced", NOW)
        with store.read() as conn:
            key, found = conn.execute(
                select(posts.c.content_key, posts.c.id).where(posts.c.run_at == at)
            ).one()
        assert (key, found) == (content_key(post.channel, at, post.text), pid)
        last = store.audit_events(post_id=pid, limit=1)[0]
        assert (last.from_status, last.to_status, last.reason) == (
            Status.PAUSED,
            Status.QUEUED,
            "paced",
        )
    assert store.get_post(ids[2]) == before
    assert store.audit_events(post_id=ids[2], limit=1)[0].action != "resume"


@pytest.mark.store
def test_ending_a_crisis_releases_every_paused_post_at_the_pace_it_reports(store, config):
    ids = _queue(store, 40, text="New arrivals this week")
    desk = CrisisDesk(store, config)
    desk.flag(
        CrisisSpec(name="closure", category="flood", severity="watch", ops="closed"),
        Change(actor="t", now=NOW),
    )
    assert {store.get_post(i).status for i in ids} == {Status.PAUSED}
    result = desk.end(None, Change(actor="t", now=NOW + timedelta(hours=2)), rate="4/1h")
    planned = dict(result.posts.released)
    assert set(planned) == set(ids)
    assert all(store.get_post(pid).run_at == at for pid, at in planned.items())
    assert sorted(planned.values())[:5] == [NOW + timedelta(hours=2)] * 4 + [
        NOW + timedelta(hours=3)
    ]
