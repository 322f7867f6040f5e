"""Crisis suggestions raised by feeds: list them, accept one (flag its crisis, exactly as
its `tactful crisis on` command would) or dismiss it with a note.

Deciding is a conditional update of an open suggestion, made in the transaction that
flags its crisis: two people accepting at once flag one crisis (the second is told who
decided first), and a flag that fails leaves the suggestion open, with no crisis.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from scheduler.errors import BadInput, NotFound
from scheduler.feeds.raising import on_command, spec_of
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
        if alert.expires_at is not None and alert.expires_at <= change.now:
            raise BadInput(
                f"suggestion {found.id}: its alert expired at {alert.expires_at:%Y-%m-%d %H:%M} "
                f"UTC; if it still matters, flag it yourself: {on_command(spec_of(found))}"
            )

        def decided_with(conn: Connection, crisis_id: int) -> None:
            # in the crisis's own transaction: accepted with it, or no crisis at all
            _decide(conn, found.id, feed_store.ACCEPTED, change, crisis_id=crisis_id)

        try:
            return self.crises.flag(spec_of(found), toggle, with_crisis=decided_with)
        except _AlreadyDecided:
            raise BadInput(_decided(self.get(found.id))) from None

    def dismiss(self, suggestion_id: int, note: str, change: Change | None = None) -> None:
        """Decide against it; the note says why, in the audit log."""
        if not note.strip():
            raise BadInput("--note: say why the suggestion is dismissed, for the audit log")
        found = self.get(suggestion_id)
        change = change_for(self.clock, change, note.strip(), "crisis-dismissed")
        try:
            with self.store.write() as conn:
                _decide(conn, found.id, feed_store.DISMISSED, change)
                write_note(
                    conn,
                    Change(actor=change.actor, now=change.now, reason=note.strip()),
                    "crisis-dismissed",
                    {
                        "suggestion": found.id,
                        "feed": found.feed,
                        "name": found.spec.get("name"),
                        "brands": found.reach.get("brands", []),
                    },
                )
        except _AlreadyDecided:
            raise BadInput(_decided(self.get(found.id))) from None


class _AlreadyDecided(Exception):
    """Someone decided the suggestion between reading and deciding it."""


def _decide(
    conn: Connection, suggestion_id: int, status: str, change: Change, **more: object
) -> None:
    """Decide an open suggestion, by whom, when and why (the change's reason)."""
    if not feed_store.decide(
        conn,
        suggestion_id,
        status,
        decided_at=change.now,
        decided_by=change.actor,
        note=change.reason,
        updated_at=change.now,
        **more,
    ):
        raise _AlreadyDecided


def _decided(suggestion: feed_store.Suggestion) -> str:
    if suggestion.status == feed_store.WITHDRAWN:
        return f"suggestion {suggestion.id} was withdrawn: {suggestion.note or 'its alert ended'}"
    by = f" by {suggestion.decided_by}" if suggestion.decided_by else ""
    at = f" at {suggestion.decided_at:%Y-%m-%d %H:%M} UTC" if suggestion.decided_at else ""
    crisis = f" (crisis {suggestion.crisis_id})" if suggestion.crisis_id else ""
    return f"suggestion {suggestion.id} is already {suggestion.status}{by}{at}{crisis}"
