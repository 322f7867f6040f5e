"""From a judged alert to a suggestion: store the alert once, raise, revise or withdraw
its story's suggestion, or (a feed with `auto:`) flag the crisis itself.

Each alert is stored once by (feed, identifier); reading the same alert again changes
nothing, a CAP Update rewrites its story's suggestion and a Cancel withdraws it (a
decided suggestion stays decided, and people are told what changed). A feed with
`auto:` flags the crisis itself, at most at that severity, until the alert expires; a
person changes or ends it as usual. Every suggestion, update and withdrawal writes an
audit line (`crisis-suggested`), which is what notifications tell of.
"""

from __future__ import annotations

import logging
import shlex
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError

from scheduler.config import Config, Feed
from scheduler.crisis_spec import check_spec
from scheduler.errors import BadInput
from scheduler.feeds.alerts import Alert
from scheduler.feeds.reading import Reading, at_most
from scheduler.models import CrisisSpec
from scheduler.store import Change, Store
from scheduler.store import feeds as feed_store
from scheduler.store.transitions import write_note

if TYPE_CHECKING:
    from scheduler.crisis_desk import CrisisDesk
    from scheduler.feeds.regions import Placed

log = logging.getLogger("tactful.feeds")
SUGGESTED = "crisis-suggested"


@dataclass(frozen=True, slots=True)
class AlertOutcome:
    """What one alert of a poll came to."""

    identifier: str
    headline: str
    kind: str
    regions: tuple[str, ...]
    #: suggested, flagged, updated, withdrawn, seen, no-region, no-brand, no-category,
    #: below-severity, not-actual, ignored, invalid
    outcome: str
    brands: tuple[str, ...] = ()
    suggestion: int | None = None
    crisis: int | None = None
    severity: str | None = None
    category: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Judged:
    """An alert as the desk sees it before storing it."""

    alert: Alert
    placed: Placed
    reading: Reading
    brands: tuple[str, ...]
    body: dict[str, Any]
    digest: str

    @property
    def outcome(self) -> str | None:
        """None: it would raise a suggestion; else why not."""
        if self.reading.outcome:
            return self.reading.outcome
        if not self.placed.regions:
            return "no-region"
        return None if self.brands else "no-brand"


class Raiser:
    """Takes each judged alert of a poll into the database, and the queue's preview."""

    def __init__(self, store: Store, config: Config, crises: CrisisDesk) -> None:
        self.store = store
        self.config = config
        self.crises = crises

    def take(self, feed: Feed, item: Judged, now: datetime) -> AlertOutcome:
        alert = item.alert
        with self.store.read() as conn:
            known = feed_store.find_alert(conn, feed.id, alert.identifier)
            thread = self._thread(conn, feed.id, alert)
            current = feed_store.suggestion_for(conn, thread.thread) if thread else None
        if known is not None and known.digest == item.digest:
            return self._outcome(item, "seen")
        if alert.kind == "cancel":
            return self._cancel(feed, item, now, known, thread, current)
        if thread is None and known is not None:  # the same identifier, changed
            thread = known
            current = self._suggestion_of(known)
        return self._raise(feed, item, now, known, thread, current)

    def _thread(self, conn: Any, feed: str, alert: Alert) -> feed_store.StoredAlert | None:
        """The first alert of the story an Update or Cancel continues."""
        for ref in alert.references:
            found = feed_store.find_alert(conn, feed, ref)
            if found is not None:
                return found if found.thread_id is None else feed_store.alert(conn, found.thread)
        return None

    def _suggestion_of(self, stored: feed_store.StoredAlert) -> feed_store.Suggestion | None:
        with self.store.read() as conn:
            return feed_store.suggestion_for(conn, stored.thread)

    def _raise(
        self,
        feed: Feed,
        item: Judged,
        now: datetime,
        known: feed_store.StoredAlert | None,
        thread: feed_store.StoredAlert | None,
        current: feed_store.Suggestion | None,
    ) -> AlertOutcome:
        outcome = item.outcome
        spec = reach = None
        if outcome is None:
            try:
                spec = self._spec(feed, item)
            except BadInput as exc:
                log.warning("feed %s: alert %s: %s", feed.id, item.alert.identifier, exc)
                outcome = "invalid"
        if spec is not None:
            reach = self._reach(spec, item.brands, now)
        change = Change(actor=f"feed:{feed.id}", now=now, action=SUGGESTED)
        try:
            with self.store.write() as conn:
                alert_id = self._store_alert(conn, feed, item, now, known, thread, outcome)
                if alert_id is None:
                    return self._outcome(item, "seen")  # another poller stored it first
                root = thread.thread if thread else alert_id
                if spec is None:
                    said = self._withdraw(conn, change, current, item, outcome or "")
                    return self._outcome(item, said or outcome or "seen", current)
                if current is None:
                    sid = feed_store.insert_suggestion(
                        conn,
                        {
                            "alert_id": root,
                            "feed": feed.id,
                            "status": feed_store.OPEN,
                            "spec": jsonable(spec.values()),
                            "reach": reach,
                            "created_at": now,
                            "updated_at": now,
                        },
                    )
                    if feed.auto == "off":
                        self._note(conn, change, sid, item, spec, reach, "raised")
                    said = "suggested"
                else:
                    sid, said = current.id, "updated"
                    self._revise(conn, change, current, item, spec, reach)
        except IntegrityError:  # another poller raised it at the same moment
            return self._outcome(item, "seen")
        if said == "suggested" and feed.auto != "off":
            return self._auto(feed, item, now, sid, spec, reach, change)
        return self._outcome(item, said, suggestion=sid)

    def _store_alert(
        self,
        conn: Any,
        feed: Feed,
        item: Judged,
        now: datetime,
        known: feed_store.StoredAlert | None,
        thread: feed_store.StoredAlert | None,
        outcome: str | None,
    ) -> int | None:
        alert = item.alert
        values = {
            "status": "active",
            "outcome": outcome or "suggested",
            "headline": item.reading.name,
            "regions": list(item.placed.regions),
            "sent_at": alert.sent,
            "expires_at": alert.expires,
            "updated_at": now,
            "body": item.body,
            "digest": item.digest,
            "kind": alert.kind,
        }
        if known is not None:
            feed_store.update_alert(conn, known.id, versions=known.versions + 1, **values)
            return known.id
        return feed_store.insert_alert(
            conn,
            {
                **values,
                "feed": feed.id,
                "identifier": alert.identifier,
                "thread_id": thread.thread if thread else None,
                "first_seen_at": now,
            },
        )

    def _spec(self, feed: Feed, item: Judged) -> CrisisSpec:
        reading = item.reading
        assert reading.category is not None and reading.severity is not None
        spec = CrisisSpec(
            name=reading.name,
            category=reading.category,
            severity=reading.severity,
            keywords=reading.keywords,
            regions=item.placed.regions,
        )
        return check_spec(self.config, spec)

    def _reach(self, spec: CrisisSpec, brands: tuple[str, ...], now: datetime) -> dict[str, Any]:
        """What flagging it would do now (a preview), by brand and action."""
        impact = self.crises.preview(spec, now=now, actor="feeds")
        counts: dict[str, int] = {}
        for by_label in impact.by_brand.values():
            for label, n in by_label.items():
                counts[label] = counts.get(label, 0) + n
        stopped = sorted({brand for _, brand, *_ in impact.posts})
        return {
            "brands": list(brands),
            "stopped_brands": stopped,
            "judged": impact.judged,
            "posts": counts,
        }

    def _auto(
        self,
        feed: Feed,
        item: Judged,
        now: datetime,
        sid: int,
        spec: CrisisSpec,
        reach: dict[str, Any],
        change: Change,
    ) -> AlertOutcome:
        """Flag it for the feed, at most at its `auto:` severity, until the alert expires."""
        from dataclasses import replace

        expires = item.alert.expires
        flagged = replace(
            spec,
            severity=at_most(spec.severity, feed.auto),
            until=expires if expires and expires > now else None,
            note=f"flagged by feed {feed.id} (auto: {feed.auto}), alert {item.alert.identifier}",
        )
        toggle = Change(
            actor=change.actor,
            now=now,
            action="crisis-on",
            reason=flagged.note,
            detail={"feed": feed.id, "alert": item.alert.identifier, "suggestion": sid},
        )
        try:
            impact = self.crises.flag(flagged, toggle)
        except BadInput as exc:  # left to a person, as a suggestion
            log.warning("feed %s: could not flag suggestion %d: %s", feed.id, sid, exc)
            with self.store.write() as conn:
                self._note(conn, change, sid, item, spec, reach, "raised")
            return self._outcome(item, "suggested", suggestion=sid)
        crisis_id = impact.crisis.id if impact.crisis else None
        with self.store.write() as conn:
            feed_store.decide(
                conn,
                sid,
                feed_store.FLAGGED,
                decided_at=now,
                decided_by=change.actor,
                crisis_id=crisis_id,
                updated_at=now,
            )
        return self._outcome(item, "flagged", suggestion=sid, crisis=crisis_id)

    def _revise(
        self,
        conn: Any,
        change: Change,
        current: feed_store.Suggestion,
        item: Judged,
        spec: CrisisSpec,
        reach: dict[str, Any],
    ) -> None:
        values = jsonable(spec.values())
        if current.status in (feed_store.OPEN, feed_store.WITHDRAWN):
            feed_store.update_suggestion(
                conn,
                current.id,
                spec=values,
                reach=reach,
                status=feed_store.OPEN,
                updated_at=change.now,
            )
        # decided ones keep what was decided; a person is told what changed
        self._note(conn, change, current.id, item, spec, reach, "updated", current)

    def _cancel(
        self,
        feed: Feed,
        item: Judged,
        now: datetime,
        known: feed_store.StoredAlert | None,
        thread: feed_store.StoredAlert | None,
        current: feed_store.Suggestion | None,
    ) -> AlertOutcome:
        change = Change(actor=f"feed:{feed.id}", now=now, action=SUGGESTED)
        with self.store.write() as conn:
            alert_id = self._store_alert(conn, feed, item, now, known, thread, "cancel")
            if alert_id is None:
                return self._outcome(item, "seen")
            if thread is not None:
                feed_store.update_alert(conn, thread.id, status="cancelled", updated_at=now)
            said = self._withdraw(conn, change, current, item, "cancelled by its sender")
        return self._outcome(item, said or "cancel", current)

    def _withdraw(
        self,
        conn: Any,
        change: Change,
        current: feed_store.Suggestion | None,
        item: Judged,
        why: str,
    ) -> str | None:
        """An alert that no longer calls for a crisis: withdraw its open suggestion, or
        tell people of the crisis it flagged (theirs to end)."""
        if current is None or current.status in (feed_store.DISMISSED, feed_store.WITHDRAWN):
            return None
        if current.status == feed_store.OPEN:
            feed_store.update_suggestion(
                conn, current.id, status=feed_store.WITHDRAWN, updated_at=change.now, note=why
            )
        spec = CrisisSpec(**_spec_args(current.spec))
        self._note(conn, change, current.id, item, spec, current.reach, "withdrawn", current, why)
        return "withdrawn"

    def _note(
        self,
        conn: Any,
        change: Change,
        sid: int,
        item: Judged,
        spec: CrisisSpec,
        reach: dict[str, Any],
        event: str,
        current: feed_store.Suggestion | None = None,
        why: str | None = None,
    ) -> None:
        alert = item.alert
        detail = {
            "suggestion": sid,
            "event": event,
            "feed": change.actor.removeprefix("feed:"),
            "alert": alert.identifier,
            "headline": alert.headline or item.reading.name,
            "name": spec.name,
            "category": spec.category,
            "severity": spec.severity,
            "severity_from": item.reading.why,
            "regions": list(spec.regions),
            "keywords": list(spec.keywords),
            "brands": reach.get("brands", []),
            "posts": reach.get("posts", {}),
            "expires": alert.expires.isoformat() if alert.expires else None,
            "link": alert.link,
            "command": on_command(spec),
        }
        if current is not None and current.status != feed_store.OPEN:
            detail.update(status=current.status, crisis=current.crisis_id)
        if why:
            detail["why"] = why
        write_note(conn, Change(actor=change.actor, now=change.now, reason=why), SUGGESTED, detail)

    def _outcome(
        self,
        item: Judged,
        outcome: str,
        current: feed_store.Suggestion | None = None,
        *,
        suggestion: int | None = None,
        crisis: int | None = None,
    ) -> AlertOutcome:
        return AlertOutcome(
            identifier=item.alert.identifier,
            headline=item.reading.name,
            kind=item.alert.kind,
            regions=item.placed.regions,
            outcome=outcome,
            brands=item.brands,
            suggestion=suggestion or (current.id if current else None),
            crisis=crisis,
            severity=item.reading.severity,
            category=item.reading.category,
        )


def on_command(spec: CrisisSpec) -> str:
    """The `tactful crisis on` command that flags exactly this crisis."""
    words = ["tactful", "crisis", "on", spec.name, "--category", spec.category]
    words += ["--severity", spec.severity]
    if spec.ops != "normal":
        words += ["--ops", spec.ops]
    for option, values in (
        ("--keyword", spec.keywords),
        ("--context", spec.contexts),
        ("--region", spec.regions),
        ("--brand", spec.brands),
        ("--channel", spec.channels),
        ("--lang", spec.langs),
    ):
        for value in values:
            words += [option, value]
    if spec.until is not None:
        words += ["--until", spec.until.isoformat()]
    return " ".join(shell_quote(word) for word in words)


def shell_quote(word: str) -> str:
    """`word` as a POSIX shell reads it back: as shlex quotes it, except that a word
    with an apostrophe (O'Hare) and nothing a shell expands inside double quotes is
    double-quoted, which people can read."""
    quoted = shlex.quote(word)
    if "'" in word and not any(c in word for c in '"$`\\!'):
        return f'"{word}"'
    return quoted


def _spec_args(values: dict[str, Any]) -> dict[str, Any]:
    """A stored spec (CrisisSpec.values(), as JSON) as CrisisSpec's arguments."""
    out = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    until = out.pop("until_at", None)
    out["until"] = datetime.fromisoformat(until) if isinstance(until, str) else until
    return out


def spec_of(suggestion: feed_store.Suggestion) -> CrisisSpec:
    return CrisisSpec(**_spec_args(suggestion.spec))


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
