"""Tactful as a library: one object that opens a config and its database and offers the
whole product — posts, crises, the review queue, a draft check, the daemon.

    from scheduler import Tactful

    with Tactful.open("config.yaml", actor="cms-sync") as t:
        post = t.posts.add("Fresh rye from 7am", channel="kvasek-outbox", at="+1d")
        impact = t.crises.flag(CrisisSpec(name="Floods", category="flood", regions=("cz",)))
        for held in t.review.pending().items:
            print(held.id, held.status_reason)

The command line is one client of this object: each command parses its options, makes
one call here, and prints. Nothing is opened until it is needed: a Tactful that only
checks drafts never creates a database.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scheduler.channel_desk import ChannelDesk
    from scheduler.checking import Check
    from scheduler.config import Config
    from scheduler.crisis_desk import CrisisDesk
    from scheduler.feeds.desk import FeedDesk
    from scheduler.feeds.suggestion_desk import SuggestionDesk
    from scheduler.judging import Judging
    from scheduler.post_desk import PostDesk
    from scheduler.review_desk import ReviewDesk
    from scheduler.runner import Runner
    from scheduler.store import Change, Store

#: who the audit log names when no actor is given
ACTOR_ENV = "TACTFUL_ACTOR"
Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    return datetime.now(UTC)


class Tactful:
    """The front door: a config, its database, and the desks that work on them.

    Open one with `Tactful.open(path)` (or `Tactful(config)` with a loaded `Config`), use
    `posts`, `crises`, `review`, `check` and `daemon`, and `close()` it (or use it as a
    context manager). `actor` is who the audit log names for every change (default:
    $TACTFUL_ACTOR, else the login name); `clock` gives "now" (default: the wall clock,
    in UTC); `wait` is how many seconds to wait for another writer on SQLite.
    """

    def __init__(
        self,
        config: Config | str | Path | None = None,
        *,
        actor: str | None = None,
        clock: Clock = wall_clock,
        wait: float | None = None,
    ) -> None:
        self._config_source = config
        self._actor = actor
        self._clock = clock
        self._wait = wait
        self._store: Store | None = None

    @classmethod
    def open(cls, config: str | Path | None = None, **options: Any) -> Tactful:
        """A Tactful for this config.yaml (default: $TACTFUL_CONFIG, else ./config.yaml);
        the file is read, and checked, on first use."""
        return cls(config, **options)

    # -- what it is made of ----------------------------------------------------------------
    @cached_property
    def config(self) -> Config:
        from scheduler.config import Config, load_config

        source = self._config_source
        return (
            source
            if isinstance(source, Config)
            else load_config(None if source is None else str(source))
        )

    @property
    def config_path(self) -> str | None:
        """The config file as given (None: the default place)."""
        source = self._config_source
        return None if source is None or not isinstance(source, str | Path) else str(source)

    @property
    def store(self) -> Store:
        """The database, opened (and migrated) on first use."""
        if self._store is None:
            from scheduler.store import Store
            from scheduler.store.engine import write_wait

            if self._wait is not None:
                write_wait.seconds = self._wait
            self._before_open()
            self._store = Store.open(self.config.database_url)
            if self.config.notify:
                # a target added to config.yaml hears of what happens from its first
                # command on: `crisis on` right after adding it is told of
                from scheduler.notify import start_targets

                start_targets(self._store, self.config, self.now())
        return self._store

    def _before_open(self) -> None:
        """A hook for a client that wants a say before the database opens."""

    def has_database(self) -> bool:
        """Whether the database is there already (without making it): a SQLite file that
        does not exist yet holds no posts, and a refused command must not create it."""
        if self._store is not None:
            return True
        from scheduler.store import sqlite_file

        file = sqlite_file(self.config.database_url)
        return file is None or file.exists()

    @cached_property
    def judging(self) -> Judging:
        from scheduler.judging import Judging

        return Judging(self.config)

    # -- the desks -------------------------------------------------------------------------
    @cached_property
    def posts(self) -> PostDesk:
        """Queue, import, list, edit, cancel and retry posts."""
        from scheduler.post_desk import PostDesk

        return PostDesk(self)

    @property
    def crises(self) -> CrisisDesk:
        """Preview, flag, update and end crises."""
        from scheduler.crisis_desk import CrisisDesk

        return CrisisDesk(self.store, self.config, self.judging, clock=self)

    @property
    def channels(self) -> ChannelDesk:
        """Pause a channel (a leaked token) and resume it."""
        from scheduler.channel_desk import ChannelDesk

        return ChannelDesk(self.store, self.config, self.judging, clock=self)

    @property
    def review(self) -> ReviewDesk:
        """The posts the crisis policy held: approve, edit or reject them."""
        from scheduler.review_desk import ReviewDesk

        return ReviewDesk(self.store, self.config, self.judging, clock=self)

    @property
    def feeds(self) -> FeedDesk:
        """Poll the crisis feeds of config.yaml and raise suggestions."""
        from scheduler.feeds.desk import FeedDesk

        return FeedDesk(self.store, self.config, self.crises)

    @property
    def suggestions(self) -> SuggestionDesk:
        """The crises feeds suggest: accept or dismiss them."""
        from scheduler.feeds.suggestion_desk import SuggestionDesk

        return SuggestionDesk(self.store, self.crises, clock=self)

    def check(self, text: str, **draft: Any) -> Check:
        """Judge a draft against the active crises (or `crisis=` a hypothetical one);
        queue nothing. See `scheduler.checking.check` for the options."""
        from scheduler.checking import check

        return check(self, text, **draft)

    def daemon(
        self, *, grace: float = 30.0, clock: Clock | None = None, worker: str | None = None
    ) -> Runner:
        """The publishing side: `.run_once()` is one pass (what `tactful daemon --once`
        does), `.run()` publishes until SIGTERM; close it when done. `grace` is how long
        a stop waits for a send in progress; `worker` names it in `daemon status`."""
        from scheduler.runner import Runner

        return Runner(self, grace=grace, clock=clock or self._clock, worker=worker)

    # -- who and when ----------------------------------------------------------------------
    @property
    def actor(self) -> str:
        return self._actor or os.environ.get(ACTOR_ENV) or _os_user()

    def now(self) -> datetime:
        return self._clock()

    def change(self, reason: str | None = None, action: str = "status", **detail: Any) -> Change:
        """One change by this actor, now, for the audit log."""
        from scheduler.store import Change

        return Change(actor=self.actor, now=self.now(), reason=reason, action=action, detail=detail)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Tactful:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"
