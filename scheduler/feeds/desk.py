"""Polling crisis feeds: fetch each (a conditional GET, at its own jittered interval,
backing off while it fails), read its alerts, and judge each one.

For each alert read: where it is (`regions.place`), what crisis it reads as
(`reading.read_alert`), and which brands it reaches: those whose regions overlap its
regions (a brand that lists no regions hears of no feed, or every alert in the world
would reach it). What becomes of it, a suggestion or nothing, is `raising.Raiser`'s.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from policies.engine import regions_overlap
from scheduler.config import Config, Feed
from scheduler.errors import SecretError, database_problem
from scheduler.feeds.alerts import Alert
from scheduler.feeds.fetch import FetchError, fetch
from scheduler.feeds.raising import AlertOutcome, Judged, Raiser, jsonable
from scheduler.feeds.reading import read_alert
from scheduler.secrets import redact
from scheduler.store import Store
from scheduler.store import feeds as feed_store

if TYPE_CHECKING:
    from scheduler.crisis_desk import CrisisDesk

log = logging.getLogger("tactful.feeds")
#: the longest wait between polls of a feed that keeps failing
BACKOFF_CAP = timedelta(hours=1)
#: skipped items listed by name; the rest are counted
MAX_SKIPPED = 20
#: how long a poll holds its feed against other pollers
POLL_HOLD = timedelta(minutes=5)


@dataclass
class PollReport:
    """What one poll of one feed did."""

    feed: str
    #: polled, not-modified, failed, not-due
    status: str
    error: str | None = None
    alerts: list[AlertOutcome] = field(default_factory=list)
    #: items of the feed that could not be read or taken in, one line each
    skipped: list[str] = field(default_factory=list)

    @property
    def raised(self) -> list[AlertOutcome]:
        """Alerts that raised, changed or withdrew a suggestion, or flagged a crisis."""
        told = ("suggested", "flagged", "updated", "withdrawn")
        return [a for a in self.alerts if a.outcome in told]

    def summary(self) -> str:
        if self.status != "polled":
            return f"feed {self.feed}: {self.status}" + (f": {self.error}" if self.error else "")
        new = [a for a in self.alerts if a.outcome != "seen"]
        said = f"feed {self.feed}: {len(self.alerts)} alert(s), {len(new)} new or changed"
        for a in self.raised:
            if a.crisis and a.outcome == "flagged":
                said += f"; crisis {a.crisis} flagged by the feed ({a.headline})"
            else:
                verb = "raised" if a.outcome == "suggested" else a.outcome
                said += f"; suggestion {a.suggestion} {verb} ({a.headline})"
        return said

    def to_json(self) -> dict[str, Any]:
        return {
            "feed": self.feed,
            "status": self.status,
            "error": self.error,
            "alerts": [a.to_json() for a in self.alerts],
            "skipped": self.skipped,
        }


class FeedDesk:
    """Reads the feeds of config.yaml and raises crisis suggestions."""

    def __init__(self, store: Store, config: Config, crises: CrisisDesk) -> None:
        self.store = store
        self.config = config
        self.crises = crises
        self.raiser = Raiser(store, config, crises)

    # -- reading -------------------------------------------------------------------------
    def states(self) -> dict[str, feed_store.FeedState]:
        with self.store.read() as conn:
            return feed_store.states(conn, [f.id for f in self.config.feeds])

    def read(
        self, feed: Feed, body: bytes, content_type: str | None, skipped: list[str]
    ) -> list[Alert]:
        """A feed body's alerts, oldest first (an Update after what it updates); bad
        items are skipped with a line in `skipped`; raises FeedError for a bad feed."""
        from scheduler.feeds.parsing import parse_feed

        alerts = parse_feed(body, feed.format, content_type, problems=skipped)
        if len(skipped) > MAX_SKIPPED:  # a hostile feed could make millions
            skipped[MAX_SKIPPED:] = [f"and {len(skipped) - MAX_SKIPPED} more item(s)"]
        return sorted(alerts, key=lambda a: a.sent.timestamp() if a.sent else float("-inf"))

    def judge(self, feed: Feed, alert: Alert, digest: str | None = None) -> Judged:
        """Where the alert is, what it reads as, and which brands it reaches."""
        from scheduler.feeds.regions import place

        placed = place(alert)
        reading = read_alert(alert, placed.regions, feed)
        brands = tuple(
            b.id
            for b in self.config.brands
            if b.regions and placed.regions and regions_overlap(b.regions, placed.regions)
        )
        body = {
            "alert": jsonable(asdict(alert)),
            "regions": list(placed.regions),
            "placed_by": list(placed.how),
            "reading": jsonable(asdict(reading)),
        }
        return Judged(alert, placed, reading, brands, body, digest or self.digest(feed, alert))

    def digest(self, feed: Feed, alert: Alert) -> str:
        """The alert as read, and what it is judged by (the feed's rules and the brands'
        regions): the same alert read again changes nothing, but after config.yaml
        changes how it reads, it is judged again."""
        judged_by = {
            "feed": feed.model_dump(
                mode="json", include={"format", "rules", "min_severity", "auto"}
            ),
            "brands": {b.id: b.regions for b in self.config.brands},
        }
        text = json.dumps([jsonable(asdict(alert)), judged_by], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def check(self, feed: Feed) -> Checked:
        """Fetch and read a feed whole, storing nothing."""
        from scheduler.feeds.parsing import FeedError

        skipped: list[str] = []
        try:
            got = fetch(self._url(feed), timeout=feed.timeout_seconds, max_bytes=feed.max_bytes)
            alerts = self.read(feed, got.body, got.content_type, skipped)
        except (FetchError, FeedError) as exc:
            return Checked([], redact(str(exc)), skipped)
        return Checked([self.judge(feed, alert) for alert in alerts], None, skipped)

    # -- polling -------------------------------------------------------------------------
    def poll(self, feed: Feed, now: datetime, *, force: bool = True) -> PollReport:
        """Poll one feed if it is due (always with `force`), with a conditional GET."""
        from scheduler.feeds.parsing import FeedError

        with self.store.write() as conn:
            if not feed_store.take_poll(conn, feed.id, now, POLL_HOLD, force):
                return PollReport(feed.id, "not-due")
            state = feed_store.states(conn, [feed.id])[feed.id]
        skipped: list[str] = []
        try:
            got = fetch(
                self._url(feed),
                timeout=feed.timeout_seconds,
                max_bytes=feed.max_bytes,
                etag=state.etag,
                last_modified=state.last_modified,
            )
            alerts = self.read(feed, got.body, got.content_type, skipped) if got.modified else []
        except (FetchError, FeedError) as exc:
            problem = redact(str(exc))
            wait = min(BACKOFF_CAP, feed.every * 2 ** min(state.failures + 1, 16))
            wait = max(wait, feed.every)
            with self.store.write() as conn:
                feed_store.finish_poll(
                    conn, feed.id, now=now, next_at=now + _jitter(wait), error=problem[:500]
                )
            log.warning("feed %s: %s; trying again in %s", feed.id, problem, _span(wait))
            return PollReport(feed.id, "failed", error=problem)
        report = PollReport(feed.id, "polled" if got.modified else "not-modified", skipped=skipped)
        for alert in alerts:
            taken = self._take(feed, alert, now, skipped)
            if taken is not None:
                report.alerts.append(taken)
        self.raiser.lapse(feed, now)
        for line in skipped:
            log.warning("feed %s: skipped %s", feed.id, line)
        with self.store.write() as conn:
            feed_store.finish_poll(
                conn,
                feed.id,
                now=now,
                next_at=now + _jitter(feed.every),
                error=None,
                warning=f"skipped {skipped[0]}"[:500] if skipped else None,
                etag=got.etag,
                last_modified=got.last_modified,
                alerts=sum(1 for a in report.alerts if a.outcome != "seen"),
                modified=got.modified,
            )
        return report

    def _take(
        self, feed: Feed, alert: Alert, now: datetime, skipped: list[str]
    ) -> AlertOutcome | None:
        """One alert: nothing more if it was read before (placing a big polygon costs
        time); else judged and taken in. An alert that fails is skipped with its line,
        and the others go on."""
        try:
            digest = self.digest(feed, alert)
            if self.raiser.seen(feed.id, alert.identifier, digest):
                return AlertOutcome(alert.identifier, alert.headline, alert.kind, (), "seen")
            return self.raiser.take(feed, self.judge(feed, alert, digest), now)
        except Exception as exc:
            problem = database_problem(exc)
            if problem is None:
                log.exception("feed %s: alert %s", feed.id, alert.identifier)
            skipped.append(f"alert {alert.identifier}: {problem or type(exc).__name__}")
            return None

    def _url(self, feed: Feed) -> str:
        """The feed's URL; one kept in a variable (`url_env`) is read now, checked,
        and masked in every log line from then on."""
        if feed.url is not None:
            return feed.url
        from scheduler.config import check_feed_url
        from scheduler.publishers import secret_store

        assert feed.url_env is not None
        try:
            url = secret_store(self.config).get(feed.url_env).reveal()
            return check_feed_url(url)
        except SecretError as exc:
            raise FetchError(str(exc)) from None
        except ValueError as exc:
            raise FetchError(f"{feed.url_env}: {exc}") from None

    def poll_due(self, now: datetime) -> list[PollReport]:
        """Poll every feed that is due (the daemon's job)."""
        reports = [self.poll(feed, now, force=False) for feed in self.config.feeds]
        return [r for r in reports if r.status != "not-due"]


@dataclass(frozen=True, slots=True)
class Checked:
    """A feed fetched and read, nothing stored: its alerts judged, or why it failed,
    and the items skipped."""

    judged: list[Judged]
    error: str | None
    skipped: list[str]


def _jitter(wait: timedelta) -> timedelta:
    """`wait`, moved by up to a tenth either way: feeds and daemons spread out."""
    return wait * random.uniform(0.9, 1.1)


def _span(wait: timedelta) -> str:
    seconds = int(wait.total_seconds())
    return f"{seconds // 60}m" if seconds >= 120 else f"{seconds}s"
