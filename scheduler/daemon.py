"""The long-running daemon: APScheduler 3.x as the clock, the dispatcher as the work.

Four jobs: a dispatch pass every `tick_seconds` (the safety net), a cheap poll every
`poll_seconds` that looks up the earliest due post, a one-off wake-up planned at that
moment, so posts go out on time rather than on the next tick, and a heartbeat every
`HEARTBEAT_SECONDS` (`tactful daemon status` shows it). With `notify:` in config.yaml, a
fifth: a notification pass every `notify_seconds`, on a thread of its own, so a receiver
that is slow or down never delays a post (scheduler.notify). With `feeds:`, a sixth, on
its own thread too: every FEEDS_SECONDS it polls the feeds that are due (each at its own
jittered interval, kept in the database so several daemons poll a feed once), and a
poll that raised a suggestion brings the next notification pass forward to now.

Dispatch jobs share one thread, so passes never overlap inside a daemon; the database
claim keeps several daemons apart. SIGTERM or SIGINT lets the post in hand finish, gives
the rest of the batch back to the queue, and exits; a send still going after `grace`
seconds is left to the lease recovery of the next daemon, and the process exits anyway.

No lock of ours is held while calling into APScheduler: its shutdown holds its own locks
while it waits for running jobs, and a job waiting for both froze a daemon for good.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from scheduler.dispatch import Dispatcher, PassReport
from scheduler.epoch_watch import EpochWatch
from scheduler.errors import database_problem

if TYPE_CHECKING:
    from scheduler.feeds.desk import FeedDesk
    from scheduler.notify import Notifier

log = logging.getLogger("tactful.daemon")
_WAKE = "wake-up"


class _BusyNotNews(logging.Filter):
    """APScheduler warns each time a tick or a wake-up finds the previous pass still
    running; with one pass at a time by design, that is how a long pass looks, not a
    problem, and it filled the log with a line per second."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


logging.getLogger("apscheduler.scheduler").addFilter(_BusyNotNews())
#: how often a daemon says it is alive; `daemon status` calls one silent after three
HEARTBEAT_SECONDS = 5.0
#: rows of daemons not heard from for this long are dropped when another one starts
FORGET_AFTER = timedelta(days=7)
#: how often the daemon looks for feeds due a poll (each feed has its own interval)
FEEDS_SECONDS = 2.0


class Daemon:
    def __init__(
        self,
        dispatcher: Dispatcher,
        grace: float = 30.0,
        notifier: Notifier | None = None,
        feeds: FeedDesk | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.notifier = notifier
        self.feeds = feeds
        # the listener below tells the dispatcher of toggles, so that a send need not ask
        # the database whether one happened (see scheduler.epoch_watch)
        if dispatcher.epoch_watch is None:
            dispatcher.epoch_watch = EpochWatch()
        self.settings = dispatcher.settings
        self.grace = grace
        self._planned: datetime | None = None
        self._lock = threading.Lock()
        #: set while no dispatch pass runs
        self._idle = threading.Event()
        self._idle.set()
        #: whether the last shutdown gave up waiting for a send (see `run`)
        self.abandoned = False
        #: passes run and posts published since the last heartbeat
        self._since_beat = [0, 0]
        self._counts_lock = threading.Lock()
        self.scheduler = BackgroundScheduler(
            # the heartbeat has a thread of its own: a write that waits for the database
            # (a big import on SQLite) never delays the poll for due posts
            executors={
                "dispatch": ThreadPoolExecutor(1),
                "default": ThreadPoolExecutor(1),
                "heartbeat": ThreadPoolExecutor(1),
                "notify": ThreadPoolExecutor(1),
                "feeds": ThreadPoolExecutor(1),
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )

    def run(self) -> None:
        """Run until SIGTERM/SIGINT (or `stop()`), then shut down cleanly."""
        stop = self.dispatcher.stop
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            self.start()
            while not stop.wait(0.5):
                pass
        finally:
            self.shutdown()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def start(self) -> None:
        tick = self.settings.tick_seconds
        self._every(tick, self._dispatch, "tick", "dispatch", at_once=True)
        self._every(self.settings.poll_seconds, self._plan_wake_up, "poll", "default")
        self._announce()
        self._every(HEARTBEAT_SECONDS, self._beat, "heartbeat", "heartbeat")
        if self.notifier is not None:
            notify_seconds = self.settings.notify_seconds
            self._every(
                notify_seconds, run_notify_pass, "notify", "notify", self.notifier, at_once=True
            )
        if self.feeds is not None:
            self._every(FEEDS_SECONDS, self._poll_feeds, "feeds", "feeds", at_once=True)
        # PostgreSQL: hear of a crisis toggle the moment it commits, and say so
        self._listener = threading.Thread(
            target=self.dispatcher.store.listen_for_epochs,
            args=(self.dispatcher.stop, self._heard_epoch, self.dispatcher.epoch_watch),
            name="epoch-listener",
            daemon=True,
        )
        self._listener.start()
        self.scheduler.start()
        log.info(
            "daemon %s started: tick %gs, poll %gs, lease %gs",
            self.dispatcher.worker,
            tick,
            self.settings.poll_seconds,
            self.settings.lease_seconds,
        )

    def _every(
        self,
        seconds: float,
        job: Any,
        job_id: str,
        executor: str,
        *args: Any,
        at_once: bool = False,
    ) -> None:
        """Run `job` every `seconds` on its executor's thread (and now, `at_once`)."""
        # APScheduler reads next_run_time=None as "paused": leave it out unless at once
        first = {"next_run_time": datetime.now(UTC)} if at_once else {}
        self.scheduler.add_job(
            job, "interval", args=args, seconds=seconds, id=job_id, executor=executor, **first
        )

    def stop(self) -> None:
        self.dispatcher.stop.set()

    def shutdown(self) -> None:
        self.dispatcher.stop.set()
        if self.scheduler.running:
            # no waiting inside APScheduler (it would hold its locks while it waits):
            # wait here, for the pass in progress, at most `grace` seconds
            self.scheduler.shutdown(wait=False)
        if not self._idle.wait(self.grace):
            self.abandoned = True
            log.warning(
                "daemon %s: a send was still in progress after %gs; exiting, and "
                "its lease will be recovered by the next daemon",
                self.dispatcher.worker,
                self.grace,
            )
            return
        try:
            self._beat(stopped=True)
        except Exception:  # stopping matters more than saying so
            log.exception("could not record this daemon's stop")
        log.info("daemon %s stopped", self.dispatcher.worker)

    def _announce(self) -> None:
        now = datetime.now(UTC)
        try:
            self.dispatcher.store.daemon_started(
                **self._identity(), now=now, forget_before=now - FORGET_AFTER
            )
        except Exception as exc:
            if database_problem(exc) is None:
                raise
            log.warning("could not record this daemon's start: %s", database_problem(exc))

    def _identity(self) -> dict[str, Any]:
        return {"worker": self.dispatcher.worker, "host": socket.gethostname(), "pid": os.getpid()}

    def _heard_epoch(self, epoch: int) -> None:
        """A toggle committed: acknowledge it in the heartbeat row now, and plan a pass
        (a paused channel or an ended crisis may have released posts)."""
        log.info("crisis state changed (epoch %d)", epoch)
        try:
            self.dispatcher.store.daemon_beat(
                **self._identity(), now=datetime.now(UTC), epoch=epoch
            )
            self._plan_wake_up()
        except Exception as exc:  # the listener thread must outlive any one message
            problem = database_problem(exc)
            if problem is None:
                log.exception("after a crisis toggle")
            else:
                log.warning("could not acknowledge a crisis toggle: %s", problem)

    def _beat(self, stopped: bool = False) -> None:
        """Say this daemon is alive, what it did since the last beat, and which crisis
        epoch it sees. A beat the database refuses is skipped, not retried."""
        with self._counts_lock:
            passes, published = self._since_beat
            self._since_beat = [0, 0]
        store = self.dispatcher.store
        try:
            store.daemon_beat(
                **self._identity(),
                now=datetime.now(UTC),
                passes=passes,
                published=published,
                epoch=store.current_epoch(),
                stopped=stopped,
            )
        except Exception as exc:
            problem = database_problem(exc)
            if problem is None:
                raise
            with self._counts_lock:  # counted at the next beat instead
                self._since_beat[0] += passes
                self._since_beat[1] += published
            log.debug("heartbeat skipped: %s", problem)

    def _on_signal(self, signum: int, _frame: Any) -> None:
        log.info("received %s: finishing the post in hand", signal.Signals(signum).name)
        self.dispatcher.stop.set()

    def _dispatch(self) -> None:
        if self.dispatcher.stop.is_set():
            return
        self._idle.clear()
        try:
            report = self.dispatcher.run_pass()
            with self._counts_lock:
                self._since_beat[0] += 1
                self._since_beat[1] += len(report.published)
            _log_report(report)
        except Exception as exc:
            problem = database_problem(exc)
            if problem is None:
                raise  # a bug: APScheduler logs it with its traceback
            # a connection cut or a busy database: the next pass tries again
            log.warning("pass stopped: %s; trying again at the next pass", problem)
        finally:
            self._idle.set()
            # even after a failed pass, plan the next wake-up, or on-time sends stop
            with self._lock:
                self._planned = None
            self._plan_wake_up()

    def _poll_feeds(self) -> None:
        assert self.feeds is not None
        if self.dispatcher.stop.is_set():
            return
        raised = run_feeds_pass(self.feeds)
        if raised and self.notifier is not None and not self.dispatcher.stop.is_set():
            # tell people now, not at the next notification tick
            try:
                self.scheduler.modify_job("notify", next_run_time=datetime.now(UTC))
            except Exception:  # the scheduler is shutting down
                log.debug("could not bring the notification pass forward", exc_info=True)

    def _plan_wake_up(self) -> None:
        """Schedule a pass at the earliest due time, if that is before the next tick."""
        if self.dispatcher.stop.is_set() or not self._idle.is_set():
            return  # a pass runs: it plans the next wake-up when it ends
        try:
            due = self.dispatcher.store.next_wake()
        except Exception as exc:
            problem = database_problem(exc)
            if problem is None:
                log.exception("could not look up the next due post")
            else:
                log.warning("could not look up the next due post: %s", problem)
            return
        if due is None:
            return
        run_at = max(due, datetime.now(UTC))
        tick = self.scheduler.get_job("tick")  # never under our lock (see the docstring)
        if tick and tick.next_run_time and tick.next_run_time - run_at < timedelta(0):
            return
        with self._lock:
            if self._planned is not None and self._planned <= due:
                return
            self._planned = run_at
        if self.dispatcher.stop.is_set():
            return
        self.scheduler.add_job(
            self._dispatch,
            "date",
            run_date=run_at,
            id=_WAKE,
            executor="dispatch",
            replace_existing=True,
        )


def run_notify_pass(notifier: Notifier) -> None:
    """One notification pass; nothing it meets goes further than the log."""
    try:
        notifier.run_pass(datetime.now(UTC))
    except Exception as exc:
        _log_pass_failure(exc, "notification pass")


def run_feeds_pass(feeds: FeedDesk) -> bool:
    """Poll the feeds that are due; whether any raised, changed or withdrew a
    suggestion (or flagged a crisis). Nothing it meets goes further than the log."""
    try:
        reports = feeds.poll_due(datetime.now(UTC))
    except Exception as exc:
        _log_pass_failure(exc, "feed poll")
        return False
    for report in reports:
        if report.status == "polled" and any(a.outcome != "seen" for a in report.alerts):
            log.info("%s", report.summary())
    return any(report.raised for report in reports)


def _log_pass_failure(exc: Exception, what: str) -> None:
    """A pass that the database stopped is a warning (the next one tries again); any
    other failure is a bug, logged with its traceback."""
    problem = database_problem(exc)
    if problem is None:
        log.exception("%s failed", what)
    else:
        log.warning("%s stopped: %s; trying again at the next one", what, problem)


def _log_report(report: PassReport) -> None:
    if report.events or report.requeued:
        log.info("pass: %s", report.summary())
