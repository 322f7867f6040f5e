"""Who acts, and when: what a desk needs to record a change when its caller gives none
(a Tactful is one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from scheduler.store import Change


class Who(Protocol):
    """Who acts, and when: what a change needs when the caller gives none."""

    actor: str

    def now(self) -> datetime: ...

    def change(
        self, reason: str | None = None, action: str = "status", **detail: Any
    ) -> Change: ...


def change_for(who: Who | None, change: Change | None, note: str | None, action: str) -> Change:
    """`change` as given, else one by `who`, now, with `note` as its reason."""
    if change is not None:
        return change
    if who is None:
        raise TypeError("give a change, or make the desk with a clock (a Tactful)")
    return who.change(note, action=action)
