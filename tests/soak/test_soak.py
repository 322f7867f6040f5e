"""Soak: several real daemons on PostgreSQL share one queue while things go wrong.

Posts fall due over a window; meanwhile daemons are killed with SIGKILL and started
again, their database connections are cut with `pg_terminate_backend`, the outbox's disk
fills up for a while (every daemon restarted with a file-size limit just above the
outbox's size: writes then fail part-way, as on a full disk), and a crisis is flagged
and ended. At the end: every post published exactly once or in a state that
says why, no outbox line twice or cut short, and no post the crisis stops written after
`crisis on` returned. The counts are printed (run with `-s` to see them).

The suite runs a short version. Longer, by hand:

    TACTFUL_SOAK_SECONDS=600 TACTFUL_SOAK_DAEMONS=8 TACTFUL_SOAK_POSTS=20000 \\
        .venv/bin/pytest tests/soak -s
"""

from __future__ import annotations

import json
import os
import random
import resource
import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from scheduler.models import NewPost, Status
from scheduler.store import Change, Store
from tests.conftest import base_config, write_config
from tests.test_acceptance import TACTFUL, run, start

pytestmark = pytest.mark.acceptance

SECONDS = float(os.environ.get("TACTFUL_SOAK_SECONDS", "20"))
DAEMONS = int(os.environ.get("TACTFUL_SOAK_DAEMONS", "4"))
POSTS = int(os.environ.get("TACTFUL_SOAK_POSTS", "600"))
#: one post in this many carries words the crisis stops ("da bomb" after a bombing)
STOPPED_EVERY = 10


def _outbox(folder: Path) -> tuple[list[dict], int]:
    """The outbox records, and how many lines were not whole JSON records."""
    path = folder / "outbox" / "stride.jsonl"
    if not path.exists():
        return [], 0
    records, broken = [], 0
    for line in path.read_text(encoding="utf-8").split("\n")[:-1]:
        try:
            records.append(json.loads(line))
        except ValueError:
            broken += 1
    return records, broken


def _cut_connections(pg_url: str) -> int:
    database = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(
        pg_url.replace("postgresql+psycopg", "postgresql").rsplit("/", 1)[0] + "/postgres",
        autocommit=True,
    ) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
            "AND pid <> pg_backend_pid() AND application_name <> 'pytest-admin'",
            (database,),
        ).fetchall()
    return len(rows)


def _start_on_a_full_disk(config: Path, room: int) -> subprocess.Popen:
    """A daemon that may write no file past `room` bytes: the outbox's next lines fail
    part-way with EFBIG (Python ignores SIGXFSZ), as they would on a full disk."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

    return subprocess.Popen(
        [TACTFUL, "--config", str(config), "daemon", "--grace", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limit,
    )


def _kill(daemon: subprocess.Popen, counts: Counter[str]) -> None:
    daemon.send_signal(signal.SIGKILL)
    _, err = daemon.communicate(timeout=30)
    counts["sends failed on the full disk"] += err.count("File too large")


def _restart_all(daemons: list[subprocess.Popen], starter, counts: Counter[str]) -> None:
    for i, daemon in enumerate(daemons):
        _kill(daemon, counts)
        daemons[i] = starter()


def test_daemons_killed_and_cut_off_publish_every_post_once(pg_url: str, tmp_path: Path):
    rng = random.Random(20130415)
    config = write_config(
        tmp_path,
        base_config(
            tick_seconds=1,
            poll_seconds=0.2,
            lease_seconds=3,
            batch_size=50,
            backoff_base="1s",
            backoff_cap="2s",
            max_attempts=10,
        ),
        database=pg_url,
    )
    start_at = datetime.now(UTC) + timedelta(seconds=2)
    window = SECONDS * 0.6
    posts = [
        NewPost(
            brand="stride",
            channel="stride-outbox",
            text=(
                f"Our race-day deals are da bomb #{n}"
                if n % STOPPED_EVERY == 0
                else f"Training tip number {n}: hydrate early"
            ),
            due_at=start_at + timedelta(seconds=window * n / POSTS),
        )
        for n in range(POSTS)
    ]
    store = Store.open(pg_url)
    ids = store.add_posts(posts, Change(actor="soak", now=datetime.now(UTC), action="create"))
    stopped_ids = {pid for pid, p in zip(ids, posts, strict=True) if "da bomb" in p.text}

    daemons = [start(config, "daemon", "--grace", "2") for _ in range(DAEMONS)]
    counts: Counter[str] = Counter()
    crisis_on_returned: float | None = None
    crisis_off_started = float("inf")
    deadline = time.monotonic() + SECONDS
    crisis_at = time.monotonic() + SECONDS * 0.3
    crisis_off_at = time.monotonic() + SECONDS * 0.7
    disk_full_at, disk_freed_at = time.monotonic() + SECONDS * 0.2, time.monotonic() + SECONDS * 0.5
    outbox = tmp_path / "outbox" / "stride.jsonl"

    def starter():
        return start(config, "daemon", "--grace", "2")

    try:
        # the window, and then until every scheduled event has happened: on a loaded
        # machine a restart or a toggle can take seconds, and a scenario cut short
        # (the disk never freed) would prove nothing
        while time.monotonic() < deadline or disk_full_at or disk_freed_at or crisis_off_at:
            time.sleep(SECONDS / 20)
            if disk_full_at and time.monotonic() >= disk_full_at:
                room = (outbox.stat().st_size if outbox.exists() else 0) + 2000
                starter = lambda room=room: _start_on_a_full_disk(config, room)  # noqa: E731
                _restart_all(daemons, starter, counts)
                disk_full_at = 0
                counts["disk filled"] += 1
            elif disk_freed_at and not disk_full_at and time.monotonic() >= disk_freed_at:
                starter = lambda: start(config, "daemon", "--grace", "2")  # noqa: E731
                _restart_all(daemons, starter, counts)
                disk_freed_at = 0
                counts["disk freed"] += 1
            roll = rng.random()
            if roll < 0.3:
                victim = rng.randrange(len(daemons))
                _kill(daemons[victim], counts)
                daemons[victim] = starter()
                counts["daemons killed and restarted"] += 1
            elif roll < 0.45:
                counts["connections cut"] += _cut_connections(pg_url)
            if crisis_on_returned is None and time.monotonic() >= crisis_at:
                flagged = run(
                    config,
                    "crisis",
                    "on",
                    "Boston Marathon bombing",
                    "--category",
                    "bombing",
                    "--severity",
                    "serious",
                    "--keyword",
                    "marathon",
                )
                assert flagged.returncode == 0, flagged.stderr
                crisis_on_returned = time.time()
                counts["crisis toggles"] += 1
            if (
                crisis_on_returned is not None
                and crisis_off_at
                and time.monotonic() >= crisis_off_at
            ):
                off_started = time.time()
                ended = run(config, "crisis", "off")
                assert ended.returncode == 0, ended.stderr
                crisis_off_at = 0
                crisis_off_started = off_started
                counts["crisis toggles"] += 1
        # let the queue drain: leases of killed daemons run out, retries come due
        settle = time.monotonic() + 60
        while time.monotonic() < settle:
            left = store.count_posts(statuses=[Status.QUEUED, Status.FAILED, Status.PUBLISHING])
            due_later = store.count_posts(
                statuses=[Status.QUEUED, Status.FAILED],
                due_after=datetime.now(UTC) + timedelta(hours=1),
            )
            if left - due_later == 0:
                break
            time.sleep(0.5)
    finally:
        for daemon in daemons:
            daemon.send_signal(signal.SIGTERM)
        for daemon in daemons:
            try:
                daemon.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.communicate()

    final = {p.id: p for p in store.list_posts()}
    store.close()
    records, broken = _outbox(tmp_path)
    written = Counter(r["id"] for r in records)
    by_status = Counter(p.status.value for p in final.values())
    # between `crisis on` returning and `crisis off` starting, nothing it stops goes out
    stopped_late = [
        r["id"]
        for r in records
        if r["id"] in stopped_ids
        and crisis_on_returned
        and crisis_on_returned
        < datetime.fromisoformat(r["written_at"]).timestamp()
        < crisis_off_started
    ]
    print(
        f"\nsoak: {SECONDS:g} s, {DAEMONS} daemons, {POSTS} posts; "
        + ", ".join(f"{n} {what}" for what, n in counts.items())
        + f"; statuses {dict(by_status)}; outbox lines {len(records)}, "
        f"duplicates {sum(n - 1 for n in written.values() if n > 1)}, "
        f"cut short {broken}, stopped posts out after crisis on {len(stopped_late)}"
    )
    assert counts["daemons killed and restarted"] and counts["connections cut"]
    assert counts["disk filled"] and counts["disk freed"]
    assert counts["sends failed on the full disk"], "the disk never filled up"
    assert broken == 0
    assert all(n == 1 for n in written.values()), "a post written twice"
    assert stopped_late == []
    assert set(final) == set(ids)
    for post in final.values():
        if post.status is Status.PUBLISHED:
            assert written[post.id] == 1
        elif post.status is Status.QUEUED:
            # crisis off released what it no longer stops at a paced rate (mostly due
            # after the end of the run): waiting for its time, and saying so
            assert "released at a paced rate" in (post.status_reason or ""), post
        else:  # not out: a state that says why
            assert post.status in {Status.HELD, Status.PAUSED, Status.UNKNOWN, Status.DEAD}, post
            assert post.status_reason or post.last_error or post.decision, post
            assert written[post.id] == 0 or post.status is Status.UNKNOWN
