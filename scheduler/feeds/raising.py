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
from dataclasses import asdict, dataclass, replace
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


def _taken(known: feed_store.StoredAlert | None, digest: str) -> bool:
    """Whether the alert stored as `known` is this very one (or was replaced before it
    came)."""
    return known is not None and (known.digest == digest or known.outcome == feed_store.SUPERSEDED)


class _Lost(Exception):
    """Another poller stored this alert first."""


class Raiser:
    """Takes each judged alert of a poll into the database, and the queue's preview."""

    def __init__(self, store: Store, config: Config, crises: CrisisDesk) -> None:
        self.store = store
        self.config = config
        self.crises = crises

    def seen(self, feed: str, identifier: str, digest: str) -> bool:
        """Whether this very alert was taken in before (or replaced before it came)."""
        with self.store.read() as conn:
            return _taken(feed_store.find_alert(conn, feed, identifier), digest)

    def take(self, feed: Feed, item: Judged, now: datetime) -> AlertOutcome:
        """Store the alert once and do what it calls for: raise, revise or withdraw its
        story's suggestion, or (`auto:`) flag the crisis."""
        alert = item.alert
        with self.store.read() as conn:
            known = feed_store.find_alert(conn, feed.id, alert.identifier)
            root = self._root(conn, feed.id, alert, known)
        if _taken(known, item.digest):  # by another poller since `seen`
            return self._outcome(item, "seen")
        spec, why_not = self._wanted(feed, item, now)
        reach = self._reach(spec, item.brands, now) if spec is not None else None
        try:
            if spec is not None and root is None and known is None and feed.auto != "off":
                flagged = self._auto(feed, item, now, spec)
                if flagged is not None:
                    return flagged
            with self.store.write() as conn:
                stored = self._store(conn, feed, item, now, known, root, why_not)
                story = root.id if root is not None else stored
                current = feed_store.suggestion_for(conn, story, lock=True)
                said, sid = self._follow(
                    conn, feed, item, now, story, current, spec, reach, why_not
                )
        except (_Lost, IntegrityError):  # another poller took it at the same moment
            return self._outcome(item, "seen")
        return self._outcome(item, said, suggestion=sid)

    # -- what the alert calls for ----------------------------------------------------
    def _root(
        self, conn: Any, feed: str, alert: Alert, known: feed_store.StoredAlert | None
    ) -> feed_store.StoredAlert | None:
        """The first alert of the story this one continues (its own identifier read
        before, or an alert its Update or Cancel references), if it was stored."""
        for found in [known, *(feed_store.find_alert(conn, feed, r) for r in alert.references)]:
            if found is not None:
                return found if found.thread_id is None else feed_store.alert(conn, found.thread)
        return None

    def _wanted(
        self, feed: Feed, item: Judged, now: datetime
    ) -> tuple[CrisisSpec | None, str | None]:
        """The crisis the alert calls for, or why none."""
        alert = item.alert
        if alert.kind == "cancel":
            return None, "cancelled"
        if alert.expires is not None and alert.expires <= now:
            return None, "expired"
        if item.outcome is not None:
            return None, item.outcome
        reading = item.reading
        assert reading.category is not None and reading.severity is not None
        spec = CrisisSpec(
            name=reading.name,
            category=reading.category,
            severity=reading.severity,
            keywords=reading.keywords,
            regions=item.placed.regions,
        )
        try:
            return check_spec(self.config, spec), None
        except BadInput as exc:
            log.warning("feed %s: alert %s: %s", feed.id, alert.identifier, exc)
            return None, "invalid"

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

    # -- storing -----------------------------------------------------------------------
    def _store(
        self,
        conn: Any,
        feed: Feed,
        item: Judged,
        now: datetime,
        known: feed_store.StoredAlert | None,
        root: feed_store.StoredAlert | None,
        why_not: str | None,
    ) -> int:
        """The alert's row (new, or rewritten over the version read), the identifiers
        it replaces kept, and its story marked cancelled by a Cancel. Raises _Lost when
        another poller stored or changed it first."""
        alert = item.alert
        values = {
            "status": "active",
            "outcome": why_not or "suggested",
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
            if known.thread_id is None and known.status != "active":
                values["status"] = known.status  # a cancelled story stays cancelled
            values["versions"] = known.versions + 1
            if not feed_store.update_alert(conn, known.id, known.digest, **values):
                raise _Lost
            stored = known.id
        else:
            thread = root.id if root is not None else None
            stored = feed_store.insert_alert(
                conn,
                {
                    **values,
                    "feed": feed.id,
                    "identifier": alert.identifier,
                    "thread_id": thread,
                    "first_seen_at": now,
                },
            )
            if stored is None:
                raise _Lost
        story = root.id if root is not None else stored
        feed_store.reserve(conn, feed.id, alert.references, story, now)
        return stored

    def _follow(
        self,
        conn: Any,
        feed: Feed,
        item: Judged,
        now: datetime,
        story: int,
        current: feed_store.Suggestion | None,
        spec: CrisisSpec | None,
        reach: dict[str, Any] | None,
        why_not: str | None,
    ) -> tuple[str, int | None]:
        """Bring the story's suggestion in line with its latest alert; what was done."""
        sid = current.id if current is not None else None
        note = _Note(conn, Change(actor=f"feed:{feed.id}", now=now, action=SUGGESTED), item)
        if spec is None:
            first_cancel = why_not == "cancelled" and feed_store.cancel_story(conn, story, now)
            if current is None or current.status in (feed_store.DISMISSED, feed_store.WITHDRAWN):
                return why_not or "seen", sid
            why = _WHY.get(why_not or "", f"its alert now reads {why_not}")
            if current.status == feed_store.OPEN:
                feed_store.update_suggestion(
                    conn, current.id, status=feed_store.WITHDRAWN, updated_at=now, note=why
                )
            elif not first_cancel:
                return why_not or "seen", sid  # decided: its crisis is a person's to end
            note.write(current.id, spec_of(current), current.reach, "withdrawn", current, why)
            return "withdrawn", sid
        assert reach is not None
        if current is None:
            sid = feed_store.insert_suggestion(
                conn,
                {
                    "alert_id": story,
                    "feed": feed.id,
                    "status": feed_store.OPEN,
                    "spec": jsonable(spec.values()),
                    "reach": reach,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            note.write(sid, spec, reach, "raised")
            return "suggested", sid
        same = current.spec == jsonable(spec.values()) and current.reach.get("brands") == list(
            item.brands
        )
        if current.status in (feed_store.OPEN, feed_store.WITHDRAWN):
            feed_store.update_suggestion(
                conn,
                current.id,
                spec=jsonable(spec.values()),
                reach=reach,
                status=feed_store.OPEN,
                updated_at=now,
            )
            if same and current.status == feed_store.OPEN:
                return "unchanged", sid
            note.write(current.id, spec, reach, "updated")
            return "updated", sid
        if same:
            return "unchanged", sid
        # decided: what was decided stands, and people are told what changed
        note.write(current.id, spec, reach, "updated", current)
        return "updated", sid

    def _auto(
        self, feed: Feed, item: Judged, now: datetime, spec: CrisisSpec
    ) -> AlertOutcome | None:
        """Flag a new story's crisis for the feed, at most at its `auto:` severity, until
        the alert expires; the alert and its suggestion (flagged) are stored in the same
        transaction as the crisis. None if it cannot be flagged: a person decides."""
        expires = item.alert.expires
        flagged = replace(
            spec,
            severity=at_most(spec.severity, feed.auto),
            until=expires,
            note=f"flagged by feed {feed.id} (auto: {feed.auto}), alert {item.alert.identifier}",
        )
        actor = f"feed:{feed.id}"
        toggle = Change(
            actor=actor,
            now=now,
            action="crisis-on",
            reason=flagged.note,
            detail={"feed": feed.id, "alert": item.alert.identifier},
        )
        made: dict[str, int] = {}

        def with_crisis(conn: Any, crisis_id: int) -> None:
            story = self._store(conn, feed, item, now, None, None, None)
            made["suggestion"] = feed_store.insert_suggestion(
                conn,
                {
                    "alert_id": story,
                    "feed": feed.id,
                    "status": feed_store.FLAGGED,
                    "spec": jsonable(flagged.values()),
                    "reach": {"brands": list(item.brands)},
                    "created_at": now,
                    "updated_at": now,
                    "decided_at": now,
                    "decided_by": actor,
                    "crisis_id": crisis_id,
                },
            )

        try:
            impact = self.crises.flag(flagged, toggle, with_crisis=with_crisis)
        except BadInput as exc:
            log.warning("feed %s: could not flag alert %s: %s", feed.id, item.alert.identifier, exc)
            return None
        crisis_id = impact.crisis.id if impact.crisis else None
        return self._outcome(item, "flagged", suggestion=made["suggestion"], crisis=crisis_id)

    def lapse(self, feed: Feed, now: datetime) -> list[int]:
        """Withdraw the feed's open suggestions whose alert has expired; their ids."""
        with self.store.write() as conn:
            expired = feed_store.expired_open(conn, feed.id, now)
            for current in expired:
                feed_store.update_suggestion(
                    conn,
                    current.id,
                    status=feed_store.WITHDRAWN,
                    updated_at=now,
                    note=_WHY["expired"],
                )
                detail = {
                    "suggestion": current.id,
                    "event": "withdrawn",
                    "feed": feed.id,
                    **_spec_detail(spec_of(current), current.reach),
                    "why": _WHY["expired"],
                }
                write_note(
                    conn,
                    Change(actor=f"feed:{feed.id}", now=now, reason=_WHY["expired"]),
                    SUGGESTED,
                    detail,
                )
        return [s.id for s in expired]

    def _outcome(
        self,
        item: Judged,
        outcome: str,
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
            suggestion=suggestion,
            crisis=crisis,
            severity=item.reading.severity,
            category=item.reading.category,
        )


#: why a suggestion is withdrawn, by what its latest alert reads as
_WHY = {
    "cancelled": "its alert was cancelled by its sender",
    "expired": "its alert expired",
    "below-severity": "its alert is now too mild",
    "no-brand": "its alert no longer reaches a brand",
    "no-region": "its alert no longer says where",
    "not-actual": "its alert is now marked as not actual",
}


class _Note:
    """The `crisis-suggested` audit lines one alert writes (what notifications tell)."""

    def __init__(self, conn: Any, change: Change, item: Judged) -> None:
        self.conn = conn
        self.change = change
        self.item = item

    def write(
        self,
        sid: int,
        spec: CrisisSpec,
        reach: dict[str, Any],
        event: str,
        current: feed_store.Suggestion | None = None,
        why: str | None = None,
    ) -> None:
        alert = self.item.alert
        detail = {
            "suggestion": sid,
            "event": event,
            "feed": self.change.actor.removeprefix("feed:"),
            "alert": alert.identifier,
            "headline": alert.headline or self.item.reading.name,
            **_spec_detail(spec, reach),
            "severity_from": self.item.reading.why,
            "expires": alert.expires.isoformat() if alert.expires else None,
            "link": alert.link,
        }
        if current is not None and current.status != feed_store.OPEN:
            detail.update(status=current.status, crisis=current.crisis_id)
            detail["decided_by"] = current.decided_by
            if current.crisis_id and event == "updated":
                detail["update"] = update_command(current.crisis_id, spec_of(current), spec)
        if why:
            detail["why"] = why
        change = Change(actor=self.change.actor, now=self.change.now, reason=why)
        write_note(self.conn, change, SUGGESTED, detail)


def _spec_detail(spec: CrisisSpec, reach: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": spec.name,
        "category": spec.category,
        "severity": spec.severity,
        "regions": list(spec.regions),
        "keywords": list(spec.keywords),
        "brands": reach.get("brands", []),
        "posts": reach.get("posts", {}),
        "command": on_command(spec),
    }


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


def update_command(crisis_id: int, before: CrisisSpec, after: CrisisSpec) -> str | None:
    """The `tactful crisis update` command that brings a crisis flagged as `before` in
    line with `after` (keywords are added; regions replace), or None if none is needed."""
    words = ["tactful", "crisis", "update", str(crisis_id)]
    for option, field in (("--category", "category"), ("--severity", "severity")):
        if getattr(before, field) != getattr(after, field):
            words += [option, getattr(after, field)]
    for keyword in after.keywords:
        if keyword not in before.keywords:
            words += ["--keyword", keyword]
    if set(after.regions) != set(before.regions):
        for region in after.regions:
            words += ["--region", region]
    return " ".join(shell_quote(w) for w in words) if len(words) > 4 else None


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
