"""When to try a failed send again: a pure function of the attempt count and the error."""

from __future__ import annotations

from datetime import datetime, timedelta


def retry_time(
    attempts: int,
    now: datetime,
    *,
    base: timedelta,
    cap: timedelta,
    max_attempts: int,
    retry_after: float | None = None,
    spread: float = 0.0,
) -> datetime | None:
    """Exponential backoff (base, 2*base, 4*base ... capped); None once attempts run out.

    `spread` (0 to 1, drawn at random by the caller) lengthens the delay by up to half:
    posts that failed together (a full disk, a network down) come back spread out, not
    all at once. A network's own Retry-After wins when it asks for longer.
    """
    if attempts >= max_attempts:
        return None
    delay = min(cap, base * 2 ** max(attempts - 1, 0)) * (1 + min(max(spread, 0.0), 1.0) / 2)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return now + delay
