"""Crisis suggestions raised by feeds: list them, accept one (flag its crisis, exactly as
its `tactful crisis on` command would) or dismiss it with a note.

Deciding is a conditional update of an open suggestion, so two people accepting at once
flag one crisis: the second is told who decided first. An accepted suggestion whose
flag fails (config.yaml changed under it) is open again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from scheduler.errors import BadInput, NotFound
from scheduler.feeds.raising import spec_of
from scheduler.impact import Impact
from scheduler.store import Change, Store
from scheduler.store import feeds as feed_store
from scheduler.store.transitions import write_note
from scheduler.who import Who, change_for

if TYPE_CHECKING:
    from scheduler.crisis_desk import CrisisDesk

STATUSES = (
    feed_store.OPEN,
    feed_store.ACCEPTED,
    feed_store.DISMISSED,
    feed_store.WITHDRAWN,
    feed_store.FLAGGED,
)


class SuggestionDesk:
    def __init__(self, store: Store, crises: CrisisDesk, clock: Who | None = None) -> None:
        self.store = store
        self.crises = crises
        self.clock = clock

    def list(
        self, statuses: Iterable[str] | None = (feed_store.OPEN,)
    ) -> list[feed_store.Suggestion]:
        with self.store.read() as conn:
            return feed_store.list_suggestions(conn, statuses)

    def get(self, suggestion_id: int) -> feed_store.Suggestion:
        with self.store.read() as conn:
            found = feed_store.suggestion(conn, suggestion_id)
        if found is None:
            raise NotFound(f"no suggestion {suggestion_id}; see tactful crisis suggestions --all")
        return found

    def alert_of(self, suggestion: feed_store.Suggestion) -> feed_store.StoredAlert:
        with self.store.read() as conn:
            found = feed_store.alert(conn, suggestion.alert_id)
        assert found is not None  # a foreign key
        return found

    def accept(
        self, suggestion_id: int, change: Change | None = None, note: str | None = None
    ) -> Impact:
        """Flag the suggested crisis (its feed, alert and suggestion in the audit log)."""
        found = self.get(suggestion_id)
        alert = self.alert_of(found)
        why = f"accepted suggestion {found.id} from feed {found.feed}, alert {alert.identifier}"
        change = change_for(self.clock, change, note, "crisis-on")
        toggle = Change(
            actor=change.actor,
            now=change.now,
            action="crisis-on",
            reason="; ".join(filter(None, [change.reason, why])),
            detail={"feed": found.feed, "alert": alert.identifier, "suggestion": found.id},
        )
        with self.store.write() as conn:
            if not feed_store.decide(
                conn,
                found.id,
                feed_store.ACCEPTED,
                decided_at=change.now,
                decided_by=change.actor,
                note=change.reason,
            ):
                raise BadInput(_decided(self.get(found.id)))
        try:
            impact = self.crises.flag(spec_of(found), toggle)
        except BaseException:
            with self.store.write() as conn:  # not flagged: still someone's to decide
                feed_store.update_suggestion(
                    conn, found.id, status=feed_store.OPEN, decided_at=None, decided_by=None
                )
            raise
        with self.store.write() as conn:
            feed_store.update_suggestion(
                conn, found.id, crisis_id=impact.crisis.id if impact.crisis else None
            )
        return impact

    def dismiss(self, suggestion_id: int, note: str, change: Change | None = None) -> None:
        """Decide against it; the note says why, in the audit log."""
        if not note.strip():
            raise BadInput("--note: say why the suggestion is dismissed, for the audit log")
        found = self.get(suggestion_id)
        change = change_for(self.clock, change, note, "crisis-dismissed")
        with self.store.write() as conn:
            if not feed_store.decide(
                conn,
                found.id,
                feed_store.DISMISSED,
                decided_at=change.now,
                decided_by=change.actor,
                note=note.strip(),
                updated_at=change.now,
            ):
                raise BadInput(_decided(self.get(found.id)))
            write_note(
                conn,
                Change(actor=change.actor, now=change.now, reason=note.strip()),
                "crisis-dismissed",
                {"suggestion": found.id, "feed": found.feed, "name": found.spec.get("name")},
            )


def _decided(suggestion: feed_store.Suggestion) -> str:
    if suggestion.status == feed_store.WITHDRAWN:
        return f"suggestion {suggestion.id} was withdrawn: {suggestion.note or 'its alert ended'}"
    by = f" by {suggestion.decided_by}" if suggestion.decided_by else ""
    at = f" at {suggestion.decided_at:%Y-%m-%d %H:%M} UTC" if suggestion.decided_at else ""
    crisis = f" (crisis {suggestion.crisis_id})" if suggestion.crisis_id else ""
    return f"suggestion {suggestion.id} is already {suggestion.status}{by}{at}{crisis}"
