"""One dispatch pass: claim due posts, send each, record what happened.

The clock is injected, so the daemon uses the wall clock and the demo and tests use a
clock they control. Any number of dispatchers may run against one database: the claim
gives each post to one of them, under a lease that a helper thread keeps renewing while
a slow send is in progress.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.config import DaemonConfig
from scheduler.epoch_watch import EpochWatch
from scheduler.errors import database_problem
from scheduler.models import Post, Status
from scheduler.publishers import Publisher, PublisherPool, PublishError, Receipt
from scheduler.recurrence import next_occurrence
from scheduler.retry import retry_time
from scheduler.secrets import redact
from scheduler.store import Claim, ClaimJudge, Store
from scheduler.when import zone

log = logging.getLogger("tactful.dispatch")
Clock = Callable[[], datetime]
#: On channels that de-duplicate, record sends in groups (a crash before recording only
#: re-sends what the network will drop); other channels record each send at once, so a
#: crash leaves at most the post in hand `unknown`.
RECORD_EVERY = 500
RECORD_WITHIN_SECONDS = 0.5
#: how long a channel rests when its network says "too many" without saying how long
DEFAULT_REST_SECONDS = 60


def worker_name() -> str:
    return f"daemon@{socket.gethostname()}:{os.getpid()}"


@dataclass
class PassReport:
    """What one pass did, post by post."""

    published: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    dead: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    paused: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)
    lost_lease: list[int] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def absorb(self, claim: Claim) -> None:
        self.requeued += claim.requeued
        self.unknown += claim.unknown
        self.dead += claim.dead
        self.held += claim.late
        self.expired += claim.expired
        for pid, status in claim.stopped:
            getattr(self, "held" if status is Status.HELD else "paused").append(pid)
            self.note(pid, status.value, "stopped by the crisis policy")
        for pid in claim.unknown:
            self.note(pid, "unknown", "its daemon stopped mid-send")
        for pid in claim.late:
            self.note(pid, "held", "missed its time")

    def note(self, post_id: int, outcome: str, detail: str = "", channel: str = "") -> None:
        self.events.append(
            {"post": post_id, "channel": channel, "outcome": outcome, "detail": detail}
        )

    def counts(self) -> dict[str, int]:
        names = (
            "published",
            "failed",
            "dead",
            "unknown",
            "held",
            "paused",
            "expired",
            "requeued",
            "lost_lease",
        )
        return {name: len(getattr(self, name)) for name in names}

    def summary(self) -> str:
        parts = [f"{n} {name.replace('_', ' ')}" for name, n in self.counts().items() if n]
        return ", ".join(parts) if parts else "nothing due"


class Dispatcher:
    """Sends what is due: claims due posts from the store, sends each through its
    channel's publisher, and records what came of it (published; failed, to be retried
    at a later time; held; dead; or unknown, when it may have gone out), with the audit.

    `run_pass()` sends everything that was due when it began, batch by batch, and
    returns a `PassReport` of what became of each post; the daemon calls it on every
    tick, `tactful daemon --once` once. The time comes from `clock`, so the demo and
    tests can drive a simulated one. Any number of dispatchers, in one process or on
    many machines, may share a database: the claim leases each post to one `worker`.
    Set `stop` to finish the post in hand and give the rest back to the queue.

    Pass `judge` (`Judging(config).verdicts`): without it, posts are claimed without
    being judged against the active crises. `before_pass` runs first in every pass (the
    daemon's crisis upkeep); `epoch_watch` lets a daemon that listens for crisis toggles
    answer the check made before each send from memory; `spread` draws how much each
    retry's wait is lengthened.

    Example (one pass by the wall clock, as `tactful daemon --once` does)::

        config = load_config("config.yaml")
        store = Store.open(config.database_url)
        pool = PublisherPool(config)
        dispatcher = Dispatcher(store, config.daemon, pool, clock=lambda: datetime.now(UTC),
                                judge=Judging(config).verdicts)
        try:
            print(dispatcher.run_pass().summary())  # "2 published, 1 failed"
        finally:
            pool.close()
            store.close()
    """

    def __init__(
        self,
        store: Store,
        settings: DaemonConfig,
        pool: PublisherPool,
        *,
        clock: Clock,
        worker: str | None = None,
        stop: threading.Event | None = None,
        judge: ClaimJudge | None = None,
        before_pass: Callable[[datetime], None] | None = None,
        spread: Callable[[], float] = random.random,
        epoch_watch: EpochWatch | None = None,
    ) -> None:
        self.store = store
        #: what the daemon's listener heard of the crisis epoch (None: ask the database)
        self.epoch_watch = epoch_watch
        #: draws how much longer than the bare backoff a failed post waits (0 to 1)
        self.spread = spread
        self.judge = judge
        self.before_pass = before_pass
        self.settings = settings
        self.pool = pool
        self.clock = clock
        self.worker = worker or worker_name()
        self.stop = stop or threading.Event()
        self._idempotent = pool.idempotent_channels()
        self._remembers_for = pool.remembers_for()

    def run_pass(self) -> PassReport:
        """Send everything due now, batch by batch, until nothing is due or we are stopped."""
        report = PassReport()
        started = self.clock()
        if self.before_pass is not None:
            self.before_pass(started)
        while not self.stop.is_set():
            # Only what was due when the pass began: a post that fails in this pass comes
            # back in a later one, after its backoff, however long this pass runs.
            ticket = self.epoch_watch.ticket() if self.epoch_watch is not None else None
            claim = self.store.claim_due(
                now=self.clock(),
                due_by=started,
                worker=self.worker,
                lease=timedelta(seconds=self.settings.lease_seconds),
                limit=self.settings.batch_size,
                max_lateness=self.settings.max_lateness,
                idempotent_channels=self._idempotent,
                max_attempts=self.settings.max_attempts,
                judge=self.judge,
                remembers_for=self._remembers_for,
            )
            report.absorb(claim)
            if not claim.posts:
                if claim.stopped or claim.expired or claim.late:
                    continue  # the head of the line was all set aside: look further
                break
            with LeaseKeeper(self.store, self.worker, self.settings.lease_seconds, self.clock):
                self._send_batch(claim.posts, claim.epoch, ticket, report)
        return report

    def _epoch_moved(self, epoch: int, ticket: int | None) -> bool:
        """Whether the crisis state changed since a claim made under `epoch` (with the
        listener's `ticket` taken before it): from memory when the listener can vouch
        for it, else from the database."""
        if self.epoch_watch is not None:
            moved = self.epoch_watch.moved_since(epoch, ticket)
            if moved is not None:
                return moved
        return self.store.current_epoch() != epoch

    def _send_batch(
        self, batch: list[Post], epoch: int, ticket: int | None, report: PassReport
    ) -> None:
        pending: list[tuple[Post, Receipt, datetime]] = []
        #: channels whose network asked us to slow down, and until when
        resting: dict[str, datetime] = {}
        for index, post in enumerate(batch):
            if self.stop.is_set():
                self._record(pending, report)
                self._give_back(batch[index:], report, "the daemon is stopping")
                return
            if self._epoch_moved(epoch, ticket):
                # a crisis was flagged, updated or ended since the claim: judge again
                self._record(pending, report)
                self._give_back(
                    batch[index:], report, "the crisis state changed while it was in hand"
                )
                return
            if post.channel in resting:
                self._give_back(
                    [post], report, f"{post.channel} is rate limited", run_at=resting[post.channel]
                )
                continue
            # Nothing has been sent yet here: a failure cannot have posted anything. A
            # database error is not caught: it ends the pass, and as no send was noted,
            # the claim gives the post back when its lease runs out.
            try:
                publisher = self.pool.get(post.channel)
                if (spent := publisher.rests_until()) is not None:
                    # its rate limit is spent: wait for the reset rather than earn a 429
                    wait = max(spent - time.time(), 1.0)
                    resting[post.channel] = self._rest(
                        post,
                        PublishError(
                            "no requests left until the reset", rate_limited=True, retry_after=wait
                        ),
                        report,
                    )
                    continue
                started = self._before_send(publisher, post, epoch, report)
            except PublishError as exc:
                self._record(pending, report)
                pending = []
                self._failed(post, exc, report)
                continue
            if started is None:
                continue
            ready, first = started
            try:
                receipt = publisher.publish(ready)
            except PublishError as exc:
                self._record(pending, report)
                pending = []
                if first and not exc.maybe_sent:
                    # this was the first try and it surely did not reach the network: a
                    # later one is a first try again (Mastodon's hour counts from there)
                    self.store.forget_first_try(post.id, worker=self.worker, at=ready.first_try_at)
                if exc.rate_limited:
                    resting[post.channel] = self._rest(post, exc, report)
                else:
                    self._failed(
                        post,
                        exc,
                        report,
                        maybe_sent_before=not first and ready.first_try_at is not None,
                    )
                continue
            except Exception as exc:  # a bug or the machine (disk full): fail this post only
                log.exception(
                    "post %s on %s: unexpected error while sending", post.id, post.channel
                )
                self._record(pending, report)
                pending = []
                self._failed(
                    post, PublishError(f"{type(exc).__name__}: {exc}", maybe_sent=True), report
                )
                continue
            pending.append((ready, receipt, self.clock()))
            if not publisher.idempotent or self._record_now(pending):
                self._record(pending, report)
                pending = []
        self._record(pending, report)

    def _before_send(
        self, publisher: Publisher, post: Post, epoch: int, report: PassReport
    ) -> tuple[Post, bool] | None:
        """Note the send in the store where a crash could otherwise lose track of it: a
        network that cannot de-duplicate, one that forgets keys (then refuse a try later
        than it remembers), one that needs a key chosen once. The post as it is sent and
        whether this is its first try, or None when it must not be sent now."""
        if publisher.idempotent and publisher.remembers_for is None and not publisher.keyed:
            return post, False
        now = self.clock()
        started = self.store.mark_sending(
            post.id,
            worker=self.worker,
            now=now,
            epoch=epoch,
            key=publisher.new_key() if publisher.keyed else None,
        )
        if started is None:
            # the store refused it: ask the store why (memory may not have heard yet)
            if self.store.current_epoch() != epoch:
                # a crisis or a channel pause arrived since the claim: judge it again
                self._give_back([post], report, "the crisis state changed while it was in hand")
                return None
            report.lost_lease.append(post.id)
            log.warning("post %s: lease lost before sending; not sent", post.id)
            return None
        window = publisher.remembers_for
        if window is not None and now - started.first_try_at > window:
            error = (
                f"first tried at {started.first_try_at:%Y-%m-%d %H:%M} UTC, and the "
                f"network forgets a post's idempotency key after {_span(window)}: a "
                "re-send now could post it twice; check the account, then `tactful "
                f"post mark-published {post.id}` or `tactful post retry {post.id}`"
            )
            self.store.record_failure(
                post, error, to=Status.UNKNOWN, retry_at=None, worker=self.worker, now=now
            )
            report.unknown.append(post.id)
            report.note(post.id, "unknown", error, post.channel)
            return None
        return (
            replace(post, first_try_at=started.first_try_at, remote_key=started.remote_key),
            started.first_try_at == now,
        )

    def _rest(self, post: Post, exc: PublishError, report: PassReport) -> datetime:
        """The network asked us to slow down: the post waits without using up a try, and
        so does the rest of its channel's batch."""
        until = self.clock() + timedelta(seconds=exc.retry_after or DEFAULT_REST_SECONDS)
        reason = f"rate limited: {exc}; next try after {until:%H:%M:%S} UTC"
        self._give_back([post], report, reason, run_at=until)
        report.note(post.id, "requeued", reason, post.channel)
        log.info("post %s on %s: %s", post.id, post.channel, reason)
        return until

    def _record_now(self, pending: list[tuple[Post, Receipt, datetime]]) -> bool:
        waited = (pending[-1][2] - pending[0][2]).total_seconds()
        return len(pending) >= RECORD_EVERY or waited >= RECORD_WITHIN_SECONDS

    def _record(self, sent: list[tuple[Post, Receipt, datetime]], report: PassReport) -> None:
        if not sent:
            return
        for channel in {p.channel for p, _, _ in sent}:
            try:
                self.pool.get(channel).flush()
            except PublishError as exc:
                # not durable: not recorded either; a re-send finds what did reach the disk
                for post, _, _ in sent:
                    self._failed(post, exc, report)
                return
        now = self.clock()
        upcoming = {
            p.id: n
            for p, _, _ in sent
            if p.every and (n := next_occurrence(p, now, self._zone(p.channel))) is not None
        }
        lost = set(
            self.store.record_published(sent, worker=self.worker, now=now, next_posts=upcoming)
        )
        for post, receipt, _ in sent:
            if post.id in lost:
                report.lost_lease.append(post.id)
                log.warning("post %s: lease lost before it was recorded", post.id)
                continue
            report.published.append(post.id)
            report.note(post.id, "published", receipt.url or receipt.remote_id, post.channel)
            log.debug("post %s published on %s as %s", post.id, post.channel, receipt.remote_id)

    def _zone(self, channel_id: str) -> ZoneInfo:
        entry = self.pool.config.channels.get(channel_id)
        config = self.pool.config
        return config.brand_zone(entry[0]) if entry else zone(config.timezone)

    def _failed(
        self, post: Post, exc: PublishError, report: PassReport, *, maybe_sent_before: bool = False
    ) -> None:
        now = self.clock()
        to, retry_at = self._after_failure(post, exc, now)
        if to is Status.DEAD and (exc.maybe_sent or maybe_sent_before):
            # out of tries, but one of them may have reached the network: a person checks
            to = Status.UNKNOWN
        # an error may quote what a library sent (a header with a token): never keep that
        error = redact(str(exc))
        self.store.record_failure(
            post, error, to=to, retry_at=retry_at, worker=self.worker, now=now
        )
        getattr(report, to.value).append(post.id)
        report.note(post.id, to.value, error, post.channel)
        log.warning("post %s on %s: %s -> %s", post.id, post.channel, error, to.value)

    def _after_failure(
        self, post: Post, exc: PublishError, now: datetime
    ) -> tuple[Status, datetime | None]:
        if exc.permanent:
            return Status.HELD, None
        if exc.maybe_sent and post.channel not in self._idempotent:
            return Status.UNKNOWN, None
        s = self.settings
        retry_at = retry_time(
            post.attempts,
            now,
            base=s.backoff_base,
            cap=s.backoff_cap,
            max_attempts=s.max_attempts,
            retry_after=exc.retry_after,
            spread=self.spread(),
        )
        return (Status.FAILED, retry_at) if retry_at else (Status.DEAD, None)

    def _give_back(
        self, unsent: list[Post], report: PassReport, reason: str, run_at: datetime | None = None
    ) -> None:
        ids = self.store.requeue(
            [p.id for p in unsent],
            worker=self.worker,
            now=self.clock(),
            reason=reason,
            run_at=run_at,
        )
        report.requeued += ids


def _span(span: timedelta) -> str:
    minutes = span.total_seconds() / 60
    return (
        f"{minutes / 60:g} hour{'s' if minutes != 60 else ''}"
        if minutes >= 60
        else f"{minutes:g} minutes"
    )


class LeaseKeeper:
    """Renews this worker's leases every third of the lease while a batch is in hand."""

    def __init__(self, store: Store, worker: str, lease_seconds: float, clock: Clock) -> None:
        self._store = store
        self._worker = worker
        self._lease = timedelta(seconds=lease_seconds)
        self._clock = clock
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(self._lease.total_seconds() / 3):
            try:
                self._store.renew_leases(worker=self._worker, until=self._clock() + self._lease)
            except Exception as exc:  # keep renewing; the next try may get through
                problem = database_problem(exc)
                if problem is None:
                    log.exception("could not renew leases")
                else:
                    log.warning("could not renew leases: %s", problem)
