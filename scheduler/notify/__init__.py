"""Notifications: tell people when a crisis is flagged, updated or ended, when the policy
holds or blocks posts, and when posts end `dead` or `unknown` (config `notify:`).

Design, and why:
- Derived from the audit log, never sent inline. Every change is already written there,
  in the transaction that makes it, by whichever command or daemon made it; reading it
  afterwards means no code path can forget to notify, a crisis toggle or a claim never
  waits on a chat server, and a receiver that is down loses nothing.
- Each target keeps a cursor (its place in the log, table notify_cursors), moved on only
  after a send succeeds, so each event is sent once. On PostgreSQL the place is a
  transaction horizon, not an audit id: ids are handed out before commit, and a long
  toggle commits ids below ones already read (see scheduler.store.notify).
- A daemon claims a target with a lease (SKIP LOCKED on PostgreSQL, BEGIN IMMEDIATE on
  SQLite), sends with no transaction open, and moves the cursor only if it still holds
  the lease: several daemons send each message once, and a slow receiver never holds a
  database lock that dispatch needs. A daemon that dies mid-send is replaced when its
  lease runs out; what it sent but did not record is sent again (at least once, never
  lost).
- A new target starts at the end of the log when Tactful first meets it in config.yaml
  (any command; `tactful crisis on` right after adding it is told of), never with the
  history.
- One message per event, not per line: a crisis toggle's message waits (up to
  SETTLE_WAIT) for its judging to finish, so it carries its counts; see messages.py.
- Never in dispatch's way: the daemon runs passes as their own APScheduler job on their
  own thread, `daemon --once` after its dispatch pass; sends time out in seconds, a
  failure is logged (credentials masked), recorded for `tactful notify status`, and
  tried again at a later pass with backoff; every exception stays inside the pass.
- Digest targets send one message at their local time with everything since the last.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from scheduler.config import Config, NotifyTarget
from scheduler.errors import NotifyError, database_problem
from scheduler.notify.messages import Composer, Message, digest, next_digest, settled
from scheduler.secrets import SecretStore, redact

if TYPE_CHECKING:
    from scheduler.notify.senders import Sender
from scheduler.store import Store
from scheduler.store.notify import Cursor
from scheduler.when import zone

log = logging.getLogger("tactful.notify")
#: how long a daemon holds a target while it sends (more than MAX_MESSAGES sends take)
LEASE = timedelta(minutes=3)
#: messages sent to one target in one pass; what remains goes at the next pass
MAX_MESSAGES = 10
#: how long a crisis toggle's message waits for the toggle's judging to finish
SETTLE_WAIT = timedelta(minutes=2)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)

__all__ = [
    "Notifier",
    "NotifyError",
    "Outcome",
    "credential_problems",
    "send_test",
    "start_targets",
]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one pass did for one target."""

    target: str
    sent: int = 0
    error: str | None = None
    #: another daemon holds it, or it is not due (a retry's wait, a digest's time)
    skipped: bool = False


class Notifier:
    """Runs notification passes over the targets of one config."""

    def __init__(
        self,
        store: Store,
        config: Config,
        *,
        worker: str,
        secrets: SecretStore | None = None,
        stop: threading.Event | None = None,
        lease: timedelta = LEASE,
    ) -> None:
        from scheduler.publishers import secret_store

        self.store = store
        self.config = config
        self.worker = worker
        self.lease = lease
        self.stop = stop or threading.Event()
        self._secrets = secrets or secret_store(config)
        self._senders: dict[str, Sender] = {}
        self._tz = zone(config.timezone)

    def start(self, now: datetime) -> list[str]:
        return start_targets(self.store, self.config, now)

    def run_pass(self, now: datetime) -> list[Outcome]:
        """One pass over every target; never raises for a target's failure."""
        if not self.config.notify:
            return []
        self.start(now)
        return [
            self._contained(target, now) for target in self.config.notify if not self.stop.is_set()
        ]

    def close(self) -> None:
        for sender in self._senders.values():
            sender.close()
        self._senders.clear()

    # -- one target ----------------------------------------------------------------------
    def _contained(self, target: NotifyTarget, now: datetime) -> Outcome:
        try:
            return self._one(target, now)
        except Exception as exc:  # the database went away between claim and finish
            return Outcome(target.name, error=_problem(target, exc))

    def _one(self, target: NotifyTarget, now: datetime) -> Outcome:
        cursor = self.store.notify_claim(target.name, worker=self.worker, now=now, lease=self.lease)
        if cursor is None:
            return Outcome(target.name, skipped=True)
        result: dict = {"position": cursor.position, "sent": 0, "error": None, "last_id": None}
        try:
            messages, stop, last_id = self._compose(target, cursor, now)
            result.update(self._send(target, messages, cursor, stop), last_id=last_id)
        except Exception as exc:
            result["error"] = _problem(target, exc)
        self._finish(target, cursor, now, result)
        return Outcome(target.name, sent=result["sent"], error=result["error"])

    def _finish(self, target: NotifyTarget, cursor: Cursor, now: datetime, result: dict) -> None:
        error = result["error"]
        if error:
            wait = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(cursor.failures, 16))
            next_at: datetime | None = now + wait
            log.warning("notify %s: %s; trying again in %s", target.name, error, _span(wait))
        else:
            next_at = next_digest(now, target.digest, self._tz) if target.digest else None
        if result["sent"]:
            log.info("notify %s: sent %d message(s)", target.name, result["sent"])
        kept = self.store.notify_finish(
            target.name,
            worker=self.worker,
            position=result["position"],
            last_id=result["last_id"],
            sent=result["sent"],
            now=now,
            next_at=next_at,
            error=error and redact(error)[:500],
        )
        if not kept:
            log.warning(
                "notify %s: another daemon took this target over while this one "
                "was sending (the lease ran out)",
                target.name,
            )

    def _compose(
        self, target: NotifyTarget, cursor: Cursor, now: datetime
    ) -> tuple[list[Message], int, int | None]:
        end, toggles, crises = self.store.notify_window(cursor.position)
        stop = settled(toggles, end, now, SETTLE_WAIT)
        composer = Composer(
            events=target.events,
            brands=target.brands,
            crises=crises,
            channel_brands={c: b.id for c, (b, _) in self.config.channels.items()},
            tz=self._tz,
        )
        if stop > cursor.position:
            self.store.notify_lines(cursor.position, stop, composer.add)
        messages = composer.messages()
        if target.digest:
            combined = digest(messages, now, self._tz)
            messages = [combined] if combined else []
        return messages, stop, composer.last_id

    def _send(
        self, target: NotifyTarget, messages: list[Message], cursor: Cursor, stop: int
    ) -> dict:
        """Send in order; the cursor may move past what was sent, up to the first message
        not sent (all of them sent: up to `stop`)."""
        if not messages:
            return {"position": stop, "sent": 0, "error": None}
        try:
            sender = self._sender(target)
        except NotifyError as exc:
            return {"position": cursor.position, "sent": 0, "error": str(exc)}
        for sent, message in enumerate(messages):
            if sent == MAX_MESSAGES or self.stop.is_set():
                return {"position": message.first, "sent": sent, "error": None}
            try:
                sender.send(message)
            except NotifyError as exc:
                return {
                    "position": max(message.first, cursor.position),
                    "sent": sent,
                    "error": str(exc),
                }
        return {"position": stop, "sent": len(messages), "error": None}

    def _sender(self, target: NotifyTarget) -> Sender:
        from scheduler.notify.senders import build_sender

        if target.name not in self._senders:
            self._senders[target.name] = build_sender(self.config, target, self._secrets)
        return self._senders[target.name]


def send_test(config: Config, target: NotifyTarget, secrets: SecretStore | None = None) -> None:
    """Send a test message to one target now (no cursor moves); NotifyError if it did not
    take it."""
    from scheduler.notify.senders import build_sender, test_message
    from scheduler.publishers import secret_store

    sender = build_sender(config, target, secrets or secret_store(config))
    try:
        sender.send(test_message(target))
    finally:
        sender.close()


def credential_problems(config: Config) -> list[tuple[list[str | int], str]]:
    """(key path in config.yaml, problem) for each credential of a notification target
    or a feed (`url_env`) that is not set."""
    from scheduler.publishers import secret_store

    secrets = secret_store(config)
    problems: list[tuple[list[str | int], str]] = []
    owners = [("notify", config.notify), ("feeds", config.feeds)]
    for section, items in owners:
        for index, item in enumerate(items):
            for keys, name in item.credential_keys():
                if not secrets.has(name):
                    where = f" or in {config.secrets_file}" if config.secrets_file else ""
                    problems.append(
                        ([section, index, *keys], f"{name} is not set: export {name}=...{where}")
                    )
    return problems


def start_targets(store: Store, config: Config, now: datetime) -> list[str]:
    """Give the targets new to this database their place at the end of the audit log (a
    digest's first due at its first time); the names of those started. Cheap when there
    are none: one read."""
    tz = zone(config.timezone)
    return store.notify_start(
        {t.name: next_digest(now, t.digest, tz) if t.digest else None for t in config.notify}, now
    )


def _problem(target: NotifyTarget, exc: Exception) -> str:
    """One line for what went wrong; a bug's traceback goes to the log as well."""
    problem = database_problem(exc)
    if problem is None:
        log.exception("notify %s: the pass failed", target.name)
        return f"{type(exc).__name__}: {redact(str(exc))}"
    return problem


def _span(wait: timedelta) -> str:
    seconds = int(wait.total_seconds())
    return f"{seconds // 60} min" if seconds >= 120 else f"{seconds} s"
