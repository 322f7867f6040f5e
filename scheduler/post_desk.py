"""Posts, as a marketer works with them: queue one, import a file, list, edit, cancel,
retry. Every time and option arrives as typed (WHEN strings such as '+2h', or exact
datetimes) and is checked here, so the CLI and a script get the same rules and the same
one-line errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scheduler.errors import BadInput
from scheduler.models import UPCOMING, NewPost, Post, Status
from scheduler.when import Fold, parse_when, zone

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from scheduler.drafting import Draft, Drafting
    from scheduler.tactful import Tactful

When = str | datetime
Advance = Callable[[int], None]
#: how an option is named in an error message: "--at" on the command line, "at" here
Label = Callable[[str], str]


@dataclass(frozen=True)
class Page:
    """Some of the items a query found, and how many it found in all."""

    items: list[Any]
    total: int

    @property
    def truncated(self) -> bool:
        return len(self.items) < self.total


@dataclass(frozen=True)
class Imported:
    """What an import did (or, with `dry_run`, would do)."""

    file: Path
    dry_run: bool
    #: (line, post) for each row queued, or that would be
    rows: list[tuple[int, NewPost]] = field(default_factory=list)
    #: ids of the posts queued (none on a dry run)
    queued: list[int] = field(default_factory=list)
    #: (line, post id) for each row queued before
    already_queued: list[tuple[int, int]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": str(self.file),
            "dry_run": self.dry_run,
            "queued": self.queued,
            "would_queue": len(self.rows) if self.dry_run else None,
            "rows": [
                {"line": line, "channel": p.channel, "due_at": p.due_at.isoformat(), "text": p.text}
                for line, p in self.rows
            ]
            if self.dry_run
            else None,
            "already_queued": [{"line": line, "post": pid} for line, pid in self.already_queued],
        }


def _plain(name: str) -> str:
    return name


class PostDesk:
    """Queue, import, list, edit, cancel and retry posts for one Tactful."""

    def __init__(self, tactful: Tactful) -> None:
        self.t = tactful

    # -- reading ---------------------------------------------------------------------------
    def get(self, post_id: int) -> Post:
        """One post; PostNotFound if there is none with this id."""
        return self.t.store.get_post(post_id)

    def list(
        self,
        *,
        statuses: Sequence[Status | str] = (),
        brands: Sequence[str] = (),
        channels: Sequence[str] = (),
        since: When | None = None,
        until: When | None = None,
        history: bool = False,
        limit: int | None = 100,
    ) -> Page:
        """Posts next due first: what is upcoming, unless `statuses`, `since` or
        `history` asks for more; at most `limit` (None: all)."""
        config = self.t.config
        for channel_id in channels:
            if channel_id not in config.channels:
                raise BadInput(f"--channel: unknown channel {channel_id!r}")
        for brand_id in brands:
            config.brand(brand_id)
        wanted = [Status(s) for s in statuses] or (
            [] if history or since is not None else list(UPCOMING)
        )
        filters = {
            "statuses": wanted,
            "brands": tuple(brands),
            "channels": tuple(channels),
            "due_after": self._instant(since, "--since"),
            "due_before": self._instant(until, "--until"),
        }
        posts = self.t.store.list_posts(**filters, limit=limit)
        total = self.t.store.count_posts(**filters) if posts and limit is not None else len(posts)
        return Page(posts, total)

    def zone_of(self, post: Post | NewPost) -> ZoneInfo:
        """The time zone a post's times read in: its brand's."""
        return self.t.config.zone_for(post.channel)

    # -- writing ---------------------------------------------------------------------------
    def add(
        self,
        text: str,
        channel: str,
        *,
        at: When | None = None,
        next_slot: bool = False,
        tags: Sequence[str] = (),
        lang: str | None = None,
        expires: str | None = None,
        crisis_text: str | None = None,
        automated: bool | None = None,
        every: str | None = None,
        until: str | None = None,
        media: Sequence[str] = (),
        alts: Sequence[str] = (),
        fold: Fold | None = None,
        label: Label = _plain,
    ) -> Post:
        """Queue one post at `at` (a WHEN or a datetime) or in the channel's next free
        slot. During a crisis it is judged at once: the post returned may be held or
        paused, with the reason in `status_reason`."""
        from scheduler.drafting import NEXT_SLOT, Draft

        if (at is None) == (not next_slot):
            raise BadInput("give exactly one of --at WHEN or --next-slot")
        when = at.isoformat() if isinstance(at, datetime) else at
        draft = Draft(
            text=text,
            channel=channel,
            at=NEXT_SLOT if next_slot else when,
            tags=tags,
            lang=lang,
            expires=expires,
            crisis_text=crisis_text,
            automated=automated,
            every=every,
            until=until,
            fold=fold,
            media=media,
            alts=alts,
        )
        new = self._drafting(label).build(draft)
        [post_id] = self.t.store.add_posts(
            [new], self.t.change("queued", action="create"), judge=self.t.judging.verdicts
        )
        return self.t.store.get_post(post_id)

    def add_all(self, drafts: Sequence[Draft], note: str = "queued") -> list[int]:
        """Queue several posts, all or none (a week's plan); their ids, in order."""
        new = self._drafting(_plain).build_all(drafts)
        return self.t.store.add_posts(
            new, self.t.change(note, action="create"), judge=self.t.judging.verdicts
        )

    def import_csv(
        self,
        path: str | Path,
        *,
        dry_run: bool = False,
        date_format: str | None = None,
        progress: Callable[[int], AbstractContextManager[Advance | None]] | None = None,
    ) -> Imported:
        """Queue every row of a CSV file, or nothing if any row is wrong (ImportRowError
        names the first, with its line and column). Rows imported before are skipped.
        `progress(total)`, if given, is entered around the writing and yields a function
        told how many posts each step wrote (or None)."""
        from scheduler.csv_import import plan_import

        file = Path(path)
        if date_format is not None and not {"%d", "%m", "%H"} <= _codes(date_format):
            raise BadInput(
                f"--date-format {date_format!r}: give the day, month and hour "
                "codes, for example '%d.%m.%Y %H:%M'"
            )
        store = self.t.store if self.t.has_database() else None
        plan = plan_import(
            file,
            self._drafting(lambda name: f"column {name!r}"),
            lambda keys: self.t.store.live_duplicates(keys),
            lambda keys: store.imported_rows(keys) if store else {},
            date_format=date_format,
        )
        ids: list[int] = []
        if plan.posts and not dry_run:
            with (progress or _quietly)(len(plan.posts)) as advance:
                ids = self.t.store.add_posts(
                    plan.posts,
                    self.t.change(f"imported from {file.name}", action="create"),
                    advance,
                    judge=self.t.judging.verdicts,
                )
        return Imported(
            file=file,
            dry_run=dry_run,
            rows=list(zip(plan.lines, plan.posts, strict=True)),
            queued=ids,
            already_queued=plan.already_queued,
        )

    def edit(
        self,
        post_id: int,
        *,
        text: str | None = None,
        at: When | None = None,
        tags: Sequence[str] = (),
        expires: str | None = None,
        crisis_text: str | None = None,
        fold: Fold | None = None,
        label: Label = _plain,
    ) -> Post:
        """Change a post that has not gone out yet. `at` may shift it from its own time
        ('+2h' later, '-30m' earlier); what is not given stays as it was."""
        from scheduler.drafting import Draft

        current = self.t.store.get_post(post_id)
        when = at.isoformat() if isinstance(at, datetime) else at
        draft = Draft(
            text=text if text is not None else current.text,
            channel=current.channel,
            at=when,
            due_at=None if when else current.due_at,
            tags=tags or current.tags,
            lang=current.lang,
            expires=expires,
            crisis_text=crisis_text,
            fold=fold,
            expires_at=current.expires_at,
            until_at=current.until,
            every_span=current.every,
            media_items=current.media,
            moved_from=current.due_at,
        )
        checked = self._drafting(label).build(draft)
        return self.t.store.edit_post(
            post_id,
            self.t.change(),
            text=checked.text if text is not None else None,
            due_at=checked.due_at if when else None,
            tags=checked.tags if tags else None,
            expires_at=checked.expires_at if expires else None,
            crisis_text=checked.crisis_text if crisis_text else None,
        )

    def cancel(self, post_id: int, note: str = "cancelled by a human") -> Post:
        """Cancel a post for good."""
        return self.t.store.cancel_post(post_id, self.t.change(note, action="cancel"))

    def retry(
        self, post_id: int, *, at: When = "now", note: str | None = None, fold: Fold | None = None
    ) -> Post:
        """Send a held, failed, dead, paused or unknown post back to the queue."""
        current = self.t.store.get_post(post_id)
        when = (
            at
            if isinstance(at, datetime)
            else parse_when(at, now=self.t.now(), tz=self.zone_of(current), fold=fold, what="--at")
        )
        return self.t.store.retry_post(
            post_id,
            self.t.change(note or "sent back to the queue by a human", action="retry"),
            run_at=when,
        )

    def mark_published(self, post_id: int, remote_id: str | None = None) -> Post:
        """Record that an `unknown` post did go out (someone checked the network)."""
        return self.t.store.mark_published(
            post_id,
            self.t.change("a human confirmed it went out", action="confirm"),
            remote_id=remote_id,
        )

    def retract(self, post_id: int, note: str | None = None) -> Post:
        """Delete a published post from its network (Mastodon, Bluesky)."""
        from scheduler.retraction import retract

        return retract(
            self.t.store,
            self.t.config,
            post_id,
            self.t.change(note or "retracted by a human", action="retract"),
        )

    def audit(self, post_id: int | None = None, limit: int | None = 200) -> Page:
        """The latest `limit` audit lines (of one post, or all), oldest first."""
        if post_id is not None:
            self.t.store.get_post(post_id)  # a clear error for an unknown id
        events = self.t.store.audit_events(post_id=post_id, limit=limit)
        total = self.t.store.count_audit(post_id=post_id) if limit else len(events)
        return Page(events, total)

    # -- helpers ---------------------------------------------------------------------------
    def _drafting(self, label: Label) -> Drafting:
        from scheduler.drafting import Drafting

        # the store is opened only if a --next-slot needs it: a refused command creates
        # nothing
        return Drafting(
            self.t.config,
            now=self.t.now(),
            label=label,
            taken=lambda channel, since: self.t.store.taken_times(channel, since),
        )

    def _instant(self, when: When | None, what: str) -> datetime | None:
        if when is None or isinstance(when, datetime):
            return when
        return parse_when(when, now=self.t.now(), tz=zone(self.t.config.timezone), what=what)


@contextmanager
def _quietly(total: int) -> Iterator[None]:
    yield None


def _codes(date_format: str) -> set[str]:
    """The strftime codes in a format: '%d.%m.%Y %H:%M' -> {%d, %m, %Y, %H, %M}."""
    return {"%" + part[0] for part in date_format.split("%")[1:] if part}
