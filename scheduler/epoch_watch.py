"""What a daemon has heard of the crisis epoch, so that a send need not ask the database.

Before each send the dispatcher makes sure the crisis state has not changed since the
claim (DESIGN.md, the race-free toggle). Asking PostgreSQL costs a round trip per post,
which was a fifth to a third of dispatch time. A daemon on PostgreSQL also LISTENs for
the toggles' NOTIFY, so it can answer from memory, but only when memory is known to be
complete:

- the listening session began before the claim read its epoch (a `ticket` taken before
  the claim names the session), and is the same session now: notes sent while no session
  listened are lost, so after a reconnect the batch asks the database again;
- the session answered a probe lately (`FRESH_SECONDS`): a connection that silently died
  would otherwise look like a quiet one.

Whatever memory says, the promise rests where it always did: a toggle and a claim
serialise on the crisis-state row, and `crisis on` lists every post a daemon holds when
it commits. The check only decides how many of those in-flight posts are given back
rather than sent; a note arrives within milliseconds of the commit.
"""

from __future__ import annotations

import threading
import time

#: how old the listener's last answer may be for memory to stand in for the database
FRESH_SECONDS = 2.0
#: how often the listener reads the epoch itself (a safety net, and proof of life)
PROBE_SECONDS = 0.5


class EpochWatch:
    """Thread-safe: the listener thread writes, the dispatch thread reads."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._session = 0
        self._listening = False
        self._latest = -1
        self._alive_at = float("-inf")

    # -- the listener's side ----------------------------------------------------------
    def listening(self, epoch: int) -> None:
        """A new session LISTENs, and read `epoch` after its LISTEN took effect."""
        with self._lock:
            self._session += 1
            self._listening = True
            self._latest = max(self._latest, epoch)
            self._alive_at = self._clock()

    def heard(self, epoch: int) -> None:
        """A note or a probe gave `epoch`."""
        with self._lock:
            self._latest = max(self._latest, epoch)
            self._alive_at = self._clock()

    def lost(self) -> None:
        """The session ended: whatever happens until the next one goes unheard."""
        with self._lock:
            self._listening = False

    # -- the dispatcher's side --------------------------------------------------------
    def ticket(self) -> int | None:
        """Taken before a claim: the session that must still be listening for memory to
        answer for that claim's posts (None: none listens, ask the database)."""
        with self._lock:
            return self._session if self._usable() else None

    def moved_since(self, epoch: int, ticket: int | None) -> bool | None:
        """Whether the epoch moved past `epoch` (a claim's), or None when memory cannot
        tell and the database must be asked."""
        if ticket is None:
            return None
        with self._lock:
            if self._latest > epoch:
                return True
            if self._session != ticket or not self._usable():
                return None
            return False

    def _usable(self) -> bool:
        return self._listening and self._clock() - self._alive_at <= FRESH_SECONDS
