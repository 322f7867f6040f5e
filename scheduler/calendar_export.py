"""The queue as an iCalendar file (RFC 5545), for the calendar a team already reads.

One event per post, its UID taken from the post's id and its DTSTAMP from the post's
last change, so exporting an unchanged queue again gives the same bytes: a calendar
that subscribes to the file, or a diff of two exports, sees only what really moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from icalendar import Calendar, Event

from scheduler.errors import BadInput
from scheduler.models import UPCOMING, Post, Status
from scheduler.when import parse_when, zone

if TYPE_CHECKING:
    from scheduler.config import Config
    from scheduler.store import Store

#: a post is a moment, but a calendar shows a zero-length event badly or not at all
DURATION = timedelta(minutes=15)
SUMMARY_WIDTH = 60
PRODID = "-//Tactful//tactful calendar export//EN"
#: iCalendar has three event statuses; a post that cannot go out any more is CANCELLED
#: (dead, expired, retracted too), one waiting on a crisis or a human is TENTATIVE
_EVENT_STATUS = {
    Status.QUEUED: "CONFIRMED",
    Status.PUBLISHING: "CONFIRMED",
    Status.PUBLISHED: "CONFIRMED",
    Status.FAILED: "TENTATIVE",
    Status.PAUSED: "TENTATIVE",
    Status.HELD: "TENTATIVE",
    Status.UNKNOWN: "TENTATIVE",
    Status.CANCELLED: "CANCELLED",
    Status.DEAD: "CANCELLED",
    Status.EXPIRED: "CANCELLED",
    Status.RETRACTED: "CANCELLED",
}


@dataclass(frozen=True, kw_only=True)
class Selection:
    """Which posts to export: checked against config.yaml, times in UTC."""

    brands: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    history: bool = False


@dataclass(frozen=True)
class CalendarFile:
    """The exported calendar and how many posts it holds."""

    data: bytes
    events: int


def select(
    config: Config,
    *,
    brands: Sequence[str] = (),
    channels: Sequence[str] = (),
    since: str | None = None,
    until: str | None = None,
    history: bool = False,
    now: datetime,
) -> Selection:
    """Check what the user typed; BadInput naming the option for anything unknown.
    WHEN without an offset is read in config.yaml's time zone, as `post list` does."""
    for brand_id in brands:
        try:
            config.brand(brand_id)
        except BadInput as exc:
            raise BadInput(f"--brand: {exc}") from None
    for channel_id in channels:
        if channel_id not in config.channels:
            known = ", ".join(config.channels) or "none in config.yaml"
            raise BadInput(f"--channel: unknown channel {channel_id!r} (known: {known})")
    tz = zone(config.timezone)
    start = parse_when(since, now=now, tz=tz, what="--since") if since else None
    end = parse_when(until, now=now, tz=tz, what="--until") if until else None
    if start is not None and end is not None and start >= end:
        raise BadInput(f"--until {until!r}: is not after --since {since!r}")
    return Selection(
        brands=tuple(brands), channels=tuple(channels), since=start, until=end, history=history
    )


def export(store: Store, config: Config, selection: Selection) -> CalendarFile:
    """The selected posts, in time order, as an iCalendar file."""
    posts = store.list_posts(
        statuses=() if selection.history else UPCOMING,
        brands=selection.brands,
        channels=selection.channels,
        due_after=selection.since,
        due_before=selection.until,
    )
    calendar = build_calendar(posts, config, calendar_name(config, selection))
    return CalendarFile(calendar.to_ical(), len(posts))


def calendar_name(config: Config, selection: Selection) -> str:
    """'Tactful: Stride, Kvasek' for the brands chosen, by --brand or through the
    --channel given, else every brand in config.yaml."""
    ids = list(selection.brands) or list(
        dict.fromkeys(config.channels[c][0].id for c in selection.channels)
    )
    chosen = [b for b in config.brands if b.id in ids] if ids else config.brands
    return "Tactful: " + (", ".join(b.name or b.id for b in chosen) or "no brands")


def build_calendar(posts: Sequence[Post], config: Config, name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    brand_names = {b.id: b.name or b.id for b in config.brands}
    for post in posts:
        calendar.add_component(post_event(post, brand_names.get(post.brand, post.brand)))
    return calendar


def post_event(post: Post, brand_name: str) -> Event:
    """One post as an event: at its due time (UTC), named by channel and first words."""
    changed = post.updated_at or post.created_at
    event = Event()
    event.add("uid", f"post-{post.id}@tactful")
    event.add("dtstamp", changed)
    event.add("last-modified", changed)
    event.add("created", post.created_at)
    event.add("dtstart", post.due_at)
    event.add("dtend", post.due_at + DURATION)
    event.add("summary", f"[{post.channel}] {first_words(post.text, SUMMARY_WIDTH)}")
    event.add("description", describe(post, brand_name))
    event.add("status", _EVENT_STATUS.get(post.status, "TENTATIVE"))
    # a calendar that sees a timed event as busy would mark the team unavailable
    event.add("transp", "TRANSPARENT")
    if post.tags:
        event.add("categories", list(post.tags))
    if post.remote_url:
        event.add("url", post.remote_url)
    return event


def describe(post: Post, brand_name: str) -> str:
    status = post.status.value + (f" ({post.status_reason})" if post.status_reason else "")
    lines = [
        post.text,
        "",
        f"Brand: {brand_name} ({post.brand})",
        f"Channel: {post.channel}",
        f"Status: {status}",
    ]
    if post.status in (Status.FAILED, Status.QUEUED) and post.run_at != post.due_at:
        lines.append(f"Next try: {post.run_at:%Y-%m-%d %H:%M} UTC")
    if post.tags:
        lines.append(f"Tags: {', '.join(post.tags)}")
    lines.append(f"Post {post.id}: tactful post show {post.id}")
    return "\n".join(lines)


def first_words(text: str, width: int) -> str:
    """The text on one line, cut at a word boundary to at most `width` characters."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    cut = flat[: width - 1].rsplit(" ", 1)[0] if " " in flat[: width - 1] else flat[: width - 1]
    return cut + "…"
