"""Writes a crisis toggle's verdicts on a second thread while the first judges on.

On a million queued posts the writes are a third of a toggle. SQLite and psycopg let go
of the interpreter while the database works, so writing one batch while the next pages
are read and judged overlaps the two instead of adding them up. One batch is in flight
at a time: batches land in the order they were judged, memory stays bounded, and a
toggle that a newer one superseded stops at its next batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

from scheduler.models import Status, Verdict

#: writes one batch in its own transaction; False when a newer toggle has taken over
WriteBatch = Callable[[Mapping[int, Status | str], Mapping[int, Verdict]], bool]


class VerdictWriter:
    def __init__(self, write: WriteBatch) -> None:
        self._write = write
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tactful-verdicts")
        self._in_flight: Future[bool] | None = None
        self.superseded = False

    def submit(self, seen: Mapping[int, Status | str], verdicts: Mapping[int, Verdict]) -> bool:
        """Hand over a batch once the previous one has landed; False if superseded."""
        if not self.wait():
            return False
        self._in_flight = self._pool.submit(self._write, seen, verdicts)
        return True

    def wait(self) -> bool:
        """Wait for the batch in flight; False if it, or one before, was superseded.
        A batch that failed raises its error here."""
        if self._in_flight is not None:
            future, self._in_flight = self._in_flight, None
            if not future.result():
                self.superseded = True
        return not self.superseded

    def __enter__(self) -> VerdictWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        # a batch already handed over is one whole transaction: let it land (or fail)
        # rather than leave a thread writing behind the caller's back
        self._pool.shutdown(wait=True)
