"""Turn what a user types for a time (WHEN) or a span (DURATION) into exact values.

Local wall-clock times are read in the brand's time zone. A wall-clock time that the
zone skips (spring forward) or repeats (fall back) names no single instant, so it is
refused unless the user says which of the two candidate instants they mean.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduler.errors import BadInput, WhenError

Fold = Literal["earlier", "later"]
MAX_SPAN = timedelta(days=3650)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_DURATION_WHOLE = re.compile(r"^(?:\d+\s*[smhdw]\s*)+$")


def parse_duration(text: str, *, what: str = "duration") -> timedelta:
    """'90s', '15m', '6h', '14d', '2w' or combinations such as '1h30m'."""
    cleaned = text.strip().lower()
    if cleaned.isdigit():
        return timedelta(seconds=int(cleaned))
    if not _DURATION_WHOLE.match(cleaned):
        raise BadInput(
            f"{what} {text!r}: not a duration; use a number with a unit s, m, h, d or w, "
            "for example 30m, 6h or 14d"
        )
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _DURATION.findall(cleaned))
    if seconds <= 0:
        raise BadInput(f"{what} {text!r}: must be longer than zero")
    if seconds > MAX_SPAN.total_seconds():
        raise BadInput(f"{what} {text!r}: longer than ten years")
    return timedelta(seconds=seconds)


def format_duration(span: timedelta) -> str:
    """The inverse of parse_duration, for display: 1209600 s -> '14d'."""
    seconds = int(span.total_seconds())
    parts = []
    for unit in ("w", "d", "h", "m", "s"):
        count, seconds = divmod(seconds, _UNITS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def zone(name: str) -> ZoneInfo:
    """A ZoneInfo, or a BadInput that names the unknown zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadInput(
            f"unknown time zone {name!r} (use an IANA name such as "
            "Europe/Prague or America/New_York)"
        ) from exc


def parse_when(
    text: str, *, now: datetime, tz: ZoneInfo, fold: Fold | None = None, what: str = "--at"
) -> datetime:
    """Read WHEN: 'now', '+2h' (from now), '-7d' (ago), or ISO 8601 with or without an
    offset.

    Returns an aware datetime in UTC. Without an offset the time is local to `tz`.
    """
    raw = text.strip()
    if raw.lower() == "now":
        return now.astimezone(UTC)
    if raw.startswith("+"):
        return (now + parse_duration(raw[1:], what=what)).astimezone(UTC)
    if raw.startswith("-"):
        return (now - parse_duration(raw[1:], what=what)).astimezone(UTC)
    parsed = _parse_iso(raw, what)
    if parsed.replace(tzinfo=None) > _LATEST.replace(tzinfo=None):
        raise WhenError(f"{what} {raw!r}: too far in the future")
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    return resolve_local(parsed, tz, fold=fold, what=f"{what} {text!r}")


#: 24.11.2026, 11/24/26, 24-11-2026: which number is the day, only the writer knows
_NUMERIC_DATE = re.compile(r"^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b")


def _parse_iso(raw: str, what: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise WhenError(f"{what} {raw!r}: {_iso_problem(raw, exc)}") from exc
    if len(raw) <= 10 and "T" not in raw.upper() and " " not in raw:
        raise WhenError(f"{what} {raw!r}: give a time of day too, for example {raw}T09:00")
    return parsed


def _iso_problem(raw: str, exc: ValueError) -> str:
    message = str(exc)
    if _NUMERIC_DATE.match(raw):
        return (
            "a day-first or month-first date is ambiguous; write it as ISO 8601 "
            "(2026-11-24T09:00), or give post import --date-format '%d.%m.%Y %H:%M'"
        )
    if "Invalid isoformat" in message:
        return (
            "not a date and time; use ISO 8601 such as 2026-11-24T09:00, "
            "2026-11-24T09:00+01:00, 'now' or '+2h'"
        )
    return f"no such date or time ({message})"


def resolve_local(
    local: datetime, tz: ZoneInfo, *, fold: Fold | None = None, what: str = "time"
) -> datetime:
    """Map a naive wall-clock time in `tz` to one UTC instant, refusing DST gaps and overlaps."""
    first = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first == second:
        return first
    if fold is not None:
        return min(first, second) if fold == "earlier" else max(first, second)
    stamp = local.strftime("%Y-%m-%d %H:%M")
    if first.astimezone(tz).replace(tzinfo=None) != local:
        raise WhenError(
            f"{what}: {stamp} does not exist in {tz.key} (the clocks skip it at the "
            "daylight-saving change); pick another time or pass --fold earlier|later"
        )
    raise WhenError(
        f"{what}: {stamp} happens twice in {tz.key} (the clocks go back at the "
        "daylight-saving change); pass --fold earlier for the first or --fold later for "
        "the second"
    )
