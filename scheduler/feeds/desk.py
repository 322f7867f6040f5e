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
from scheduler.feeds.alerts import Alert
from scheduler.feeds.fetch import FetchError, fetch
from scheduler.feeds.raising import AlertOutcome, Judged, Raiser, jsonable
from scheduler.feeds.reading import read_alert
from scheduler.store import Store
from scheduler.store import feeds as feed_store

if TYPE_CHECKING:
    from scheduler.crisis_desk import CrisisDesk

log = logging.getLogger("tactful.feeds")
#: the longest wait between polls of a feed that keeps failing
BACKOFF_CAP = timedelta(hours=1)
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

    def read(self, feed: Feed, body: bytes, content_type: str | None) -> list[Judged]:
        """Every alert of a feed's body, judged; raises FeedError for a bad feed."""
        from scheduler.feeds.parsing import parse_feed

        return [self.judge(feed, alert) for alert in parse_feed(body, feed.format, content_type)]

    def judge(self, feed: Feed, alert: Alert) -> Judged:
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
        text = json.dumps(body["alert"], sort_keys=True, ensure_ascii=False)
        digest = hashlib.sha256(text.encode()).hexdigest()
        return Judged(alert, placed, reading, brands, body, digest)

    def check(self, feed: Feed) -> tuple[list[Judged] | None, str | None]:
        """Fetch and read a feed whole, storing nothing: its alerts, or the problem."""
        from scheduler.feeds.parsing import FeedError

        try:
            got = fetch(feed.url, timeout=feed.timeout_seconds, max_bytes=feed.max_bytes)
            return self.read(feed, got.body, got.content_type), None
        except (FetchError, FeedError) as exc:
            return None, str(exc)

    # -- polling -------------------------------------------------------------------------
    def poll(self, feed: Feed, now: datetime, *, force: bool = True) -> PollReport:
        """Poll one feed if it is due (always with `force`), with a conditional GET."""
        from scheduler.feeds.parsing import FeedError

        with self.store.write() as conn:
            if not feed_store.take_poll(conn, feed.id, now, POLL_HOLD, force):
                return PollReport(feed.id, "not-due")
            state = feed_store.states(conn, [feed.id])[feed.id]
        try:
            got = fetch(
                feed.url,
                timeout=feed.timeout_seconds,
                max_bytes=feed.max_bytes,
                etag=state.etag,
                last_modified=state.last_modified,
            )
            judged = self.read(feed, got.body, got.content_type) if got.modified else []
        except (FetchError, FeedError) as exc:
            wait = min(BACKOFF_CAP, feed.every * 2 ** min(state.failures + 1, 16))
            wait = max(wait, feed.every)
            with self.store.write() as conn:
                feed_store.finish_poll(
                    conn, feed.id, now=now, next_at=now + _jitter(wait), error=str(exc)[:500]
                )
            log.warning("feed %s: %s; trying again in %s", feed.id, exc, _span(wait))
            return PollReport(feed.id, "failed", error=str(exc))
        report = PollReport(feed.id, "polled" if got.modified else "not-modified")
        for item in judged:
            report.alerts.append(self.raiser.take(feed, item, now))
        with self.store.write() as conn:
            feed_store.finish_poll(
                conn,
                feed.id,
                now=now,
                next_at=now + _jitter(feed.every),
                error=None,
                etag=got.etag,
                last_modified=got.last_modified,
                alerts=sum(1 for a in report.alerts if a.outcome != "seen"),
                modified=got.modified,
            )
        return report

    def poll_due(self, now: datetime) -> list[PollReport]:
        """Poll every feed that is due (the daemon's job)."""
        reports = [self.poll(feed, now, force=False) for feed in self.config.feeds]
        return [r for r in reports if r.status != "not-due"]

    # -- one alert ---------------------------------------------------------------------


def _jitter(wait: timedelta) -> timedelta:
    """`wait`, moved by up to a tenth either way: feeds and daemons spread out."""
    return wait * random.uniform(0.9, 1.1)


def _span(wait: timedelta) -> str:
    seconds = int(wait.total_seconds())
    return f"{seconds // 60}m" if seconds >= 120 else f"{seconds}s"
