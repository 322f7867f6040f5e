"""The publishing side of one Tactful, assembled once: its dispatcher, the publishers of
every channel, and the notifier. `run_once()` is one pass (cron); `run()` is the
long-running daemon, until SIGTERM or Ctrl-C."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scheduler.daemon import Daemon, run_feeds_pass, run_notify_pass
from scheduler.dispatch import Dispatcher, PassReport
from scheduler.publishers import PublisherPool

if TYPE_CHECKING:
    from scheduler.feeds.desk import FeedDesk
    from scheduler.notify import Notifier
    from scheduler.tactful import Clock, Tactful


class Runner:
    """Publishes what falls due for one Tactful; close it (or use `with`) when done."""

    def __init__(
        self, t: Tactful, *, grace: float, clock: Clock, worker: str | None = None
    ) -> None:
        self.grace = grace
        self.pool = PublisherPool(t.config)
        self.dispatcher = Dispatcher(
            t.store,
            t.config.daemon,
            self.pool,
            clock=clock,
            worker=worker,
            judge=t.judging.verdicts,
            before_pass=t.crises.upkeep,
        )
        self.notifier: Notifier | None = None
        if t.config.notify:
            from scheduler.notify import Notifier

            self.notifier = Notifier(
                t.store, t.config, worker=self.dispatcher.worker, stop=self.dispatcher.stop
            )
        #: the crisis feeds of config.yaml, polled on a thread of their own
        self.feeds: FeedDesk | None = t.feeds if t.config.feeds else None
        #: a send was still going when the grace period ran out (see Daemon)
        self.abandoned = False

    @property
    def worker(self) -> str:
        return self.dispatcher.worker

    def run_once(self) -> PassReport:
        """One pass: publish what is due, then poll the feeds that are due, then notify
        (a slow feed or receiver holds no post up; what fails there is logged, never
        raised)."""
        report = self.dispatcher.run_pass()
        if self.feeds is not None:
            run_feeds_pass(self.feeds)
        if self.notifier is not None:
            run_notify_pass(self.notifier)
        return report

    def run(self) -> None:
        """Publish as posts fall due until SIGTERM or SIGINT."""
        running = Daemon(
            self.dispatcher, grace=self.grace, notifier=self.notifier, feeds=self.feeds
        )
        running.run()
        self.abandoned = running.abandoned

    def close(self) -> None:
        self.pool.close()
        if self.notifier is not None:
            self.notifier.close()

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
