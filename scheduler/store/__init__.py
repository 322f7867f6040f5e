"""The only door to the database. Everything else speaks in domain objects.

`Store.open(url)` creates or upgrades the schema on first use. Each public method is one
transaction; `write()` hands out a connection for callers that must combine steps
atomically (SQLite: BEGIN IMMEDIATE; PostgreSQL: row locks with SKIP LOCKED).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from scheduler.config import check_database_url
from scheduler.epoch_watch import PROBE_SECONDS, EpochWatch
from scheduler.errors import (
    ConfigError,
    DuplicatePost,
    ImportInProgress,
    TactfulError,
    Unavailable,
)
from scheduler.models import (
    AuditEvent,
    CrisisRecord,
    NewPost,
    Post,
    Receipt,
    SendStart,
    Status,
)
from scheduler.store import channels, claims, crises, notify, queue
from scheduler.store import daemons as daemon_rows
from scheduler.store.claims import Claim, ClaimJudge
from scheduler.store.daemons import DaemonRecord
from scheduler.store.engine import make_engine
from scheduler.store.migrate import ensure_schema
from scheduler.store.rows import audit_from_row
from scheduler.store.schema import audit
from scheduler.store.transitions import Change, write_note

#: how a daemon's listening connection names itself to PostgreSQL (pg_stat_activity)
LISTENER_NAME = "tactful-epoch-listener"
log = logging.getLogger("tactful.store")

#: a bigger import is written in chunks of this many posts, and queued at the end
STAGE_CHUNK = 5000
#: an import whose chunks stop coming for this long is taken for dead and removed
ABANDONED_AFTER = timedelta(hours=1)
#: the pause between an import's chunks on SQLite, for a waiting writer to get in
HANDOFF_SECONDS = 0.15
#: after queueing this many posts at once, PostgreSQL's planner statistics are renewed
ANALYZE_AFTER = 1000

__all__ = ["Change", "Claim", "ClaimJudge", "DaemonRecord", "Store", "StoreUnavailable"]


def _import_batch_name() -> str:
    """Names the import's staged posts with its host and process, so that a later import
    on the same host can tell at once that one killed mid-way is gone."""
    return f"import:{socket.gethostname()[:64]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _import_alive(batch: str) -> bool:
    """Whether the import that staged a batch may still be running. Only a process on this
    host can be checked; for others, the batch's lease decides."""
    _, host, pid, _ = ([*batch.split(":"), "", "", ""])[:4]
    if host != socket.gethostname()[:64] or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, under another user
        return True
    return True


class StoreUnavailable(Unavailable):
    """The database cannot be opened or reached."""


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None: another database, or one in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(parsed.database)
    return None


class Store:
    """The one door to the database: posts, their words and decisions, crises and the
    epoch, the audit log, daemons and notification cursors, on SQLite or PostgreSQL.

    Open one with `Store.open(url)` (it creates and migrates the schema), and close it.
    Each method is one transaction; `read()` and `write()` give a connection to the
    store's own modules (queue, crises, claims, verdicts) for work that must be one
    transaction across them. A write on SQLite waits for another writer up to
    `engine.write_wait.seconds`, then raises an error `database_problem` can name.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # the per-send epoch check reads on a connection of its own, one per thread,
        # kept out of the pool: no checkout, pre-ping, BEGIN and ROLLBACK for each send
        self._epoch_local = threading.local()
        self._epoch_conns: list[Any] = []
        self._epoch_lock = threading.Lock()

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        try:
            check_database_url(url)
        except ValueError as exc:
            raise ConfigError(f"database URL: {exc}") from None
        file = sqlite_file(url)
        if file is not None and not file.parent.is_dir():
            raise StoreUnavailable(f"database folder {file.parent} does not exist")
        store = cls(make_engine(url))
        if migrate:
            with store.unavailable_as_error():
                ensure_schema(store.engine)
        return store

    @contextmanager
    def unavailable_as_error(self) -> Iterator[None]:
        """A database that cannot be reached becomes one clear line, not a traceback."""
        try:
            yield
        except OperationalError as exc:
            self.close()
            first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            where = self.engine.url.render_as_string(hide_password=True)
            raise StoreUnavailable(f"cannot use database {where}: {first_line}") from None

    def close(self) -> None:
        with self._epoch_lock:
            for conn in self._epoch_conns:
                with contextlib.suppress(Exception):
                    conn.close()
            self._epoch_conns.clear()
        self._epoch_local = threading.local()
        self.engine.dispose()

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(write=True) as conn, conn.begin():
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # -- the queue -------------------------------------------------------------------
    def add_posts(
        self,
        new: Sequence[NewPost],
        change: Change,
        progress: Callable[[int], None] | None = None,
        judge: ClaimJudge | None = None,
        *,
        chunk_size: int = STAGE_CHUNK,
    ) -> list[int]:
        """Queue posts, all or none; with `judge`, posts queued during a crisis are
        judged as they are added.

        Up to `chunk_size` posts go in one transaction. More are written `staged` in
        transactions of that size, then queued together by one short last step: a big
        import never holds the write lock for long, so a crisis toggle gets through
        between its chunks (on SQLite, where a writer locks the whole database), and
        the posts it wrote are judged under the crisis state of that last step."""
        try:
            ids = self._add_posts(new, change, progress, judge, chunk_size)
        except IntegrityError:
            # the same post was written meanwhile: by another process, or staged by an
            # import that was killed; the latter's posts go, and we try once more
            if not self._drop_abandoned_imports([p.key for p in new]):
                raise self._clash(new) from None
            try:
                ids = self._add_posts(new, change, progress, judge, chunk_size)
            except IntegrityError:
                raise self._clash(new) from None
        if len(new) >= ANALYZE_AFTER and self.backend == "postgresql":
            self._analyze()
        return ids

    def _add_posts(
        self,
        new: Sequence[NewPost],
        change: Change,
        progress: Callable[[int], None] | None,
        judge: ClaimJudge | None,
        chunk_size: int,
    ) -> list[int]:
        if len(new) > chunk_size:
            return self._add_staged(new, change, progress, judge, chunk_size)
        with self.write() as conn:
            ids = queue.insert_posts(conn, new, change, progress)
            if judge is not None:
                crises.judge_new(conn, ids, judge, change)
        return ids

    def _clash(self, new: Sequence[NewPost]) -> TactfulError:
        keys = [p.key for p in new]
        if clash := self.live_duplicates(keys):
            return DuplicatePost(next(iter(clash.values())))
        with self.read() as conn:
            staged = queue.live_duplicates(conn, keys, staged=True)
        return ImportInProgress(next(iter(staged.values()), 0))

    def _drop_abandoned_imports(self, keys: Collection[str]) -> int:
        """Remove what imports that died mid-way staged with these posts' keys, and
        every import whose lease ran out; how many posts went."""
        now = datetime.now(UTC)
        with self.read() as conn:
            holders = queue.staged_batches(conn, keys)
            stale = set(queue.abandoned_batches(conn, now))
        dropped = 0
        for batch in stale | {b for b in holders if not _import_alive(b)}:
            with self.write() as conn:
                gone = queue.drop_staged(conn, batch)
            log.warning(
                "removed %d posts staged by an import that did not finish (%s)", gone, batch
            )
            dropped += gone
        return dropped

    def _analyze(self) -> None:
        """Refresh PostgreSQL's statistics of the queue: left to autovacuum, the planner
        went on believing a queue of 52,000 due posts held 90 and chose its claim plan
        for that (157 ms a claim). Best effort: the posts are queued either way."""
        try:
            with self.engine.connect() as conn, conn.begin():
                conn.exec_driver_sql("ANALYZE posts")
                conn.exec_driver_sql("ANALYZE post_texts")
        except Exception as exc:  # never fail an import that has committed
            log.warning("ANALYZE after a bulk import failed: %s", exc)

    def _add_staged(
        self,
        new: Sequence[NewPost],
        change: Change,
        progress: Callable[[int], None] | None,
        judge: ClaimJudge | None,
        chunk_size: int,
    ) -> list[int]:
        batch = _import_batch_name()
        ids: list[int] = []
        try:
            for start in range(0, len(new), chunk_size):
                chunk = new[start : start + chunk_size]
                with self.write() as conn:
                    # each chunk's lease keeps the whole batch alive: an import is taken
                    # for dead only when its newest chunk's lease has run out
                    ids += queue.insert_posts(
                        conn, chunk, change, staged=(batch, datetime.now(UTC) + ABANDONED_AFTER)
                    )
                if progress:  # between chunks, holding no lock
                    progress(len(chunk))
                if self.backend == "sqlite" and start + chunk_size < len(new):
                    # a waiting SQLite writer retries every 100 ms at most: without a
                    # pause longer than that it would rarely find the lock free
                    time.sleep(HANDOFF_SECONDS)
            with self.write() as conn:
                queue.queue_staged(conn, batch, ids, change)
                if judge is not None:
                    crises.judge_new(conn, ids, judge, change)
            return ids
        except BaseException:
            # all or nothing: what this import wrote goes; if even that fails (the
            # database is gone), a later import that meets these posts removes them
            with contextlib.suppress(Exception), self.write() as conn:
                queue.drop_staged(conn, batch)
            raise

    def live_duplicates(self, keys: Collection[str]) -> dict[str, int]:
        with self.read() as conn:
            return queue.live_duplicates(conn, keys)

    def imported_rows(self, keys: Collection[str]) -> dict[str, int]:
        with self.read() as conn:
            return queue.imported_rows(conn, keys)

    def get_post(self, post_id: int) -> Post:
        with self.read() as conn:
            return queue.get_post(conn, post_id)

    def list_posts(self, **filters: Any) -> list[Post]:
        with self.read() as conn:
            return queue.list_posts(conn, **filters)

    def count_posts(self, **filters: Any) -> int:
        with self.read() as conn:
            return queue.count_posts(conn, **filters)

    def status_counts(self) -> dict[str, int]:
        with self.read() as conn:
            return queue.status_counts(conn)

    def edit_post(self, post_id: int, change: Change, **fields: Any) -> Post:
        with self.write() as conn:
            return queue.edit_post(conn, post_id, change, **fields)

    def cancel_post(self, post_id: int, change: Change) -> Post:
        with self.write() as conn:
            return queue.cancel_post(conn, post_id, change)

    def retry_post(self, post_id: int, change: Change, *, run_at: datetime) -> Post:
        with self.write() as conn:
            return queue.retry_post(conn, post_id, change, run_at=run_at)

    def retract_post(self, post_id: int, change: Change) -> Post:
        with self.write() as conn:
            return queue.retract_post(conn, post_id, change)

    def mark_published(self, post_id: int, change: Change, *, remote_id: str | None) -> Post:
        with self.write() as conn:
            return queue.mark_published(conn, post_id, change, remote_id=remote_id)

    def paused_channels(self) -> dict[str, channels.ChannelPause]:
        """The channels paused now, with who paused them, when and why."""
        with self.read() as conn:
            return channels.paused_channels(conn)

    def taken_times(self, channel: str, since: datetime) -> set[datetime]:
        with self.read() as conn:
            return queue.taken_times(conn, channel, since)

    # -- the audit log ---------------------------------------------------------------
    def audit_events(
        self, *, post_id: int | None = None, limit: int | None = None
    ) -> list[AuditEvent]:
        stmt = select(audit).order_by(audit.c.id.desc())
        if post_id is not None:
            stmt = stmt.where(audit.c.post_id == post_id)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.read() as conn:
            return [audit_from_row(r) for r in reversed(list(conn.execute(stmt)))]

    def count_audit(self, *, post_id: int | None = None) -> int:
        stmt = select(func.count()).select_from(audit)
        if post_id is not None:
            stmt = stmt.where(audit.c.post_id == post_id)
        with self.read() as conn:
            return conn.execute(stmt).scalar_one()

    def note(self, change: Change) -> None:
        """An audit line about no one post (what a crisis toggle did, say)."""
        with self.write() as conn:
            write_note(conn, change, change.action, change.detail)

    # -- the dispatcher --------------------------------------------------------------
    def claim_due(
        self,
        *,
        now: datetime,
        worker: str,
        lease: timedelta,
        limit: int,
        max_lateness: timedelta,
        idempotent_channels: Collection[str],
        max_attempts: int = 5,
        judge: ClaimJudge | None = None,
        remembers_for: Mapping[str, timedelta] | None = None,
        due_by: datetime | None = None,
    ) -> Claim:
        with self.write() as conn:
            return claims.claim_due(
                conn,
                now=now,
                due_by=due_by,
                worker=worker,
                lease=lease,
                limit=limit,
                max_lateness=max_lateness,
                idempotent_channels=idempotent_channels,
                max_attempts=max_attempts,
                judge=judge,
                remembers_for=remembers_for,
            )

    def current_epoch(self) -> int:
        """The epoch now, read without a lock: the check right before each send. Straight
        through the driver on this thread's own connection: once per post sent, the pool
        and SQLAlchemy's transaction layers cost more than the query (on PostgreSQL four
        round trips for one SELECT, half of dispatch time)."""
        for attempt in (1, 2):
            conn = self._epoch_connection()
            try:
                cursor = conn.cursor()
                try:
                    cursor.execute("SELECT epoch FROM crisis_state WHERE id = 1")
                    epoch = int(cursor.fetchone()[0])
                finally:
                    cursor.close()
                return epoch
            except Exception:
                self._drop_epoch_connection(conn)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _epoch_connection(self) -> Any:
        conn = getattr(self._epoch_local, "conn", None)
        if conn is None:
            conn = self.engine.raw_connection()
            if self.backend == "postgresql":
                # one round trip per read, and no transaction left open between reads
                conn.driver_connection.autocommit = True  # type: ignore[union-attr]
            conn.detach()  # ours now, not the pool's: closed by `close`
            self._epoch_local.conn = conn
            with self._epoch_lock:
                self._epoch_conns.append(conn)
        return conn

    def _drop_epoch_connection(self, conn: Any) -> None:
        self._epoch_local.conn = None
        with self._epoch_lock:
            if conn in self._epoch_conns:
                self._epoch_conns.remove(conn)
        with contextlib.suppress(Exception):
            conn.close()

    def record_published(
        self,
        sent: Sequence[tuple[Post, Receipt, datetime]],
        *,
        worker: str,
        now: datetime,
        next_posts: Mapping[int, NewPost] | None = None,
    ) -> list[int]:
        with self.write() as conn:
            return claims.record_published(
                conn, sent, worker=worker, now=now, next_posts=next_posts
            )

    def record_failure(
        self,
        post: Post,
        error: str,
        *,
        to: Status,
        retry_at: datetime | None,
        worker: str,
        now: datetime,
    ) -> bool:
        with self.write() as conn:
            return claims.record_failure(
                conn, post, error, to=to, retry_at=retry_at, worker=worker, now=now
            )

    def requeue(
        self,
        post_ids: Sequence[int],
        *,
        worker: str,
        now: datetime,
        reason: str,
        run_at: datetime | None = None,
    ) -> list[int]:
        with self.write() as conn:
            return claims.requeue(
                conn, post_ids, worker=worker, now=now, reason=reason, run_at=run_at
            )

    def mark_sending(
        self,
        post_id: int,
        *,
        worker: str,
        now: datetime,
        key: str | None = None,
        epoch: int | None = None,
    ) -> SendStart | None:
        with self.write() as conn:
            return claims.mark_sending(conn, post_id, worker=worker, now=now, key=key, epoch=epoch)

    def forget_first_try(self, post_id: int, *, worker: str, at: datetime) -> None:
        with self.write() as conn:
            claims.forget_first_try(conn, post_id, worker=worker, at=at)

    def renew_leases(self, *, worker: str, until: datetime) -> int:
        with self.write() as conn:
            return claims.renew_leases(conn, worker=worker, until=until)

    def count_due(self, now: datetime) -> int:
        with self.read() as conn:
            return claims.count_due(conn, now)

    def next_wake(self) -> datetime | None:
        with self.read() as conn:
            return claims.next_wake(conn)

    def listen_for_epochs(
        self, stop: threading.Event, heard: Callable[[int], None], watch: EpochWatch | None = None
    ) -> None:
        """On PostgreSQL, call `heard(epoch)` as soon as a crisis toggle or a channel
        pause commits (LISTEN on the channel `bump_epoch` notifies), until `stop` is
        set; a lost connection is opened again. `watch` learns each session's start and
        end and every epoch heard; the epoch is also read every `PROBE_SECONDS`, which
        proves the session alive and catches a note that never came. On SQLite (one
        machine, no such channel) return at once: daemons there learn of a toggle at
        their next epoch check."""
        if self.backend != "postgresql":
            return
        import psycopg

        url = self.engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        known = -1  # the newest epoch `heard` was told of

        def learn(epoch: int, noted: bool) -> None:
            nonlocal known
            if watch is not None:
                watch.heard(epoch)
            # a probe that finds a newer epoch stands for a note that never came (or came
            # while no session listened)
            if epoch > known and (noted or known >= 0):
                heard(epoch)
            known = max(known, epoch)

        read = "SELECT epoch FROM crisis_state WHERE id = 1"
        while not stop.is_set():
            try:
                # a peer that vanished without closing the connection is noticed in
                # seconds, not when the kernel gives up on it
                with psycopg.connect(
                    conninfo,
                    autocommit=True,
                    application_name=LISTENER_NAME,
                    keepalives=1,
                    keepalives_idle=5,
                    keepalives_interval=2,
                    keepalives_count=2,
                    tcp_user_timeout=5000,
                ) as conn:
                    conn.execute(f"LISTEN {crises.EPOCH_CHANNEL}")
                    epoch = int(conn.execute(read).fetchone()[0])  # type: ignore[index]
                    if watch is not None:
                        watch.listening(epoch)  # a new session, which also heard `epoch`
                    learn(epoch, noted=False)
                    while not stop.is_set():
                        for note in conn.notifies(timeout=PROBE_SECONDS):
                            try:
                                epoch = int(note.payload)
                            except ValueError:  # anyone may NOTIFY: not ours, ignored
                                log.warning(
                                    "ignored a note on %s that is not an epoch: %r",
                                    crises.EPOCH_CHANNEL,
                                    note.payload[:40],
                                )
                                continue
                            learn(epoch, noted=True)
                        learn(
                            int(conn.execute(read).fetchone()[0]),  # type: ignore[index]
                            noted=False,
                        )
            except psycopg.Error as exc:
                log.warning("listening for crisis toggles: %s; trying again", exc)
                stop.wait(1.0)
            finally:
                if watch is not None:
                    watch.lost()

    # -- daemon heartbeats -------------------------------------------------------------
    def daemon_started(
        self,
        *,
        worker: str,
        host: str,
        pid: int,
        now: datetime,
        forget_before: datetime | None = None,
    ) -> None:
        """Record a daemon's start; drop rows of daemons last heard from before
        `forget_before` (long stopped, or cron runs of days ago)."""
        with self.write() as conn:
            if forget_before is not None:
                daemon_rows.forget_stopped(conn, forget_before)
            daemon_rows.started(
                conn,
                worker=worker,
                host=host,
                pid=pid,
                now=now,
                epoch=crises.lock_epoch_shared(conn),
            )

    def daemon_beat(
        self,
        *,
        worker: str,
        host: str,
        pid: int,
        now: datetime,
        passes: int = 0,
        published: int = 0,
        epoch: int | None = None,
        stopped: bool = False,
    ) -> None:
        with self.write() as conn:
            daemon_rows.beat(
                conn,
                worker=worker,
                host=host,
                pid=pid,
                now=now,
                passes=passes,
                published=published,
                epoch=epoch,
                stopped=stopped,
            )

    def daemons(self) -> list[DaemonRecord]:
        """Every daemon that ran lately, with the posts each holds now."""
        with self.read() as conn:
            return daemon_rows.all_daemons(conn)

    # -- notifications ---------------------------------------------------------------
    def notify_start(self, targets: Mapping[str, datetime | None], now: datetime) -> list[str]:
        """Start the targets that have no cursor yet at the end of the audit log (each
        first due at its value: a digest's first time); the names of those started."""
        with self.read() as conn:
            known = set(notify.all_cursors(conn))
        if known >= set(targets):
            return []  # the common case, without a write
        with self.write() as conn:
            return notify.start(conn, targets, now)

    def notify_claim(
        self, target: str, *, worker: str, now: datetime, lease: timedelta
    ) -> notify.Cursor | None:
        with self.write() as conn:
            return notify.claim(conn, target, worker=worker, now=now, lease=lease)

    def notify_window(self, first: int) -> tuple[int, list[notify.Line], dict[int, CrisisRecord]]:
        """The end of what has surely committed, the crisis lines from `first` to there,
        and the crises they name."""
        found: list[notify.Line] = []
        with self.read() as conn:
            end = notify.audit_end(conn)
            notify.read_lines(conn, first, end, found.append, toggles_only=True)
            named = {line.detail.get("crisis") for line in found}
            return end, found, notify.crises_by_id(conn, {c for c in named if isinstance(c, int)})

    def notify_lines(self, first: int, stop: int, each: Callable[[notify.Line], None]) -> None:
        """Every line worth telling from `first` up to `stop`, in order, one at a time."""
        with self.read() as conn:
            notify.read_lines(conn, first, stop, each)

    def notify_finish(self, target: str, **outcome: Any) -> bool:
        with self.write() as conn:
            return notify.finish(conn, target, **outcome)

    def notify_cursors(self) -> dict[str, notify.Cursor]:
        with self.read() as conn:
            return notify.all_cursors(conn)

    def notify_backlog(self, first: int) -> tuple[int, datetime | None]:
        with self.read() as conn:
            return notify.backlog(conn, first)
