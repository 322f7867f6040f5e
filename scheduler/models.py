"""Domain types of the queue: posts, their statuses and the audit trail."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple


class Status(StrEnum):
    QUEUED = "queued"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    DEAD = "dead"
    PAUSED = "paused"
    HELD = "held"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    #: published, then deleted from the network by a human (`post retract`)
    RETRACTED = "retracted"
    #: written by a big import that has not finished: no one sees or sends it yet; the
    #: import's last step queues all of its posts at once (or removes them all)
    STAGED = "staged"


#: what may still go out, or needs a human before it can: what lists show by default
UPCOMING = (
    Status.QUEUED,
    Status.PUBLISHING,
    Status.FAILED,
    Status.PAUSED,
    Status.HELD,
    Status.UNKNOWN,
)
#: statuses a marketer may still edit or cancel
EDITABLE = frozenset({Status.QUEUED, Status.PAUSED, Status.HELD, Status.FAILED})
#: statuses a human may send back to the queue (after checking why it stopped)
RETRYABLE = frozenset({Status.HELD, Status.FAILED, Status.DEAD, Status.UNKNOWN, Status.PAUSED})
#: statuses the dispatcher picks up when their run time comes
DISPATCHABLE = frozenset({Status.QUEUED, Status.FAILED})
#: a post in one of these is gone for good, so an identical new one is not a duplicate
RETIRED = frozenset({Status.CANCELLED, Status.EXPIRED, Status.DEAD})


def content_key(channel: str, due_at: datetime, text: str) -> str:
    """Identity of a post for duplicate detection: same channel, instant and text."""
    raw = f"{channel}\x00{due_at.timestamp():.6f}\x00{text}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Media:
    """An image to go with a post: the file as it was when queued (checked again before
    it is uploaded) and the alt text that describes it."""

    path: str
    alt: str
    mime: str
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "alt": self.alt,
            "mime": self.mime,
            "size": self.size,
            "sha256": self.sha256,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Media:
        return cls(
            path=data["path"],
            alt=data["alt"],
            mime=data["mime"],
            size=int(data["size"]),
            sha256=data["sha256"],
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class NewPost:
    """A post as the marketer describes it, before it has an id."""

    brand: str
    channel: str
    text: str
    due_at: datetime
    tags: tuple[str, ...] = ()
    lang: str | None = None
    automated: bool = False
    expires_at: datetime | None = None
    crisis_text: str | None = None
    every: timedelta | None = None
    until: datetime | None = None
    series_id: int | None = None
    media: tuple[Media, ...] = ()
    #: the CSV row it comes from, when imported (see csv_import.row_keys)
    import_key: str | None = None

    @property
    def key(self) -> str:
        return content_key(self.channel, self.due_at, self.text)


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a network says of a post it took: its id there and where people see it."""

    remote_id: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class SendStart:
    """What is kept of a post's sends before one starts: when the first began and the
    key chosen for it then (the same on every try)."""

    first_try_at: datetime
    remote_key: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Post:
    """A stored post with its lifecycle state."""

    id: int
    brand: str
    channel: str
    text: str
    due_at: datetime
    status: Status
    run_at: datetime
    created_at: datetime
    created_by: str
    tags: tuple[str, ...] = ()
    lang: str | None = None
    automated: bool = False
    expires_at: datetime | None = None
    crisis_text: str | None = None
    every: timedelta | None = None
    until: datetime | None = None
    series_id: int | None = None
    attempts: int = 0
    remote_id: str | None = None
    remote_url: str | None = None
    #: chosen before the first try and kept (a Bluesky record key)
    remote_key: str | None = None
    first_try_at: datetime | None = None
    media: tuple[Media, ...] = ()
    last_error: str | None = None
    status_reason: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    #: the latest crisis-policy decision ({action, reasons, proposed_text}), if any
    decision: dict[str, Any] | None = None
    judged_epoch: int | None = None
    approved_epoch: int | None = None
    text_norm: str | None = None
    norm_version: int | None = None

    @property
    def action(self) -> str:
        return (self.decision or {}).get("action", "publish")

    def to_json(self) -> dict[str, Any]:
        """A plain dict for `--json` output; times in ISO 8601 UTC."""
        return {
            "id": self.id,
            "brand": self.brand,
            "channel": self.channel,
            "text": self.text,
            "tags": list(self.tags),
            "lang": self.lang,
            "automated": self.automated,
            "status": self.status.value,
            "status_reason": self.status_reason,
            "due_at": _iso(self.due_at),
            "run_at": _iso(self.run_at),
            "expires_at": _iso(self.expires_at),
            "crisis_text": self.crisis_text,
            "every_seconds": int(self.every.total_seconds()) if self.every else None,
            "until": _iso(self.until),
            "series_id": self.series_id,
            "attempts": self.attempts,
            "remote_id": self.remote_id,
            "remote_url": self.remote_url,
            "media": [m.to_json() for m in self.media],
            "last_error": self.last_error,
            "published_at": _iso(self.published_at),
            "created_at": _iso(self.created_at),
            "created_by": self.created_by,
            "decision": self.decision or {"action": "publish", "reasons": []},
            "proposed_text": (self.decision or {}).get("proposed_text"),
            "judged_epoch": self.judged_epoch,
            "approved_epoch": self.approved_epoch,
        }


class Candidate(NamedTuple):
    """What the crisis policy needs of a queued post: read by the million at a toggle,
    so a plain tuple rather than a whole Post."""

    id: int
    brand: str
    channel: str
    text: str
    text_norm: str | None
    norm_version: int | None
    tags: list[str]
    lang: str | None
    automated: bool
    crisis_text: str | None
    status: str
    approved_epoch: int | None


class Paused(NamedTuple):
    """A paused post as the end of a crisis (or of a channel's pause) reads it: what the
    policy needs to judge it again, as in a Candidate, and the times its paced release
    keeps. Read by the hundred thousand, so a plain tuple rather than a whole Post."""

    id: int
    brand: str
    channel: str
    text: str
    text_norm: str | None
    norm_version: int | None
    tags: list[str]
    lang: str | None
    automated: bool
    crisis_text: str | None
    status: str
    approved_epoch: int | None
    due_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Verdict:
    """What the crisis policy does to a post, in the queue's terms."""

    status: Status
    decision: dict[str, Any]
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class CrisisSpec:
    """A crisis as flagged: the kind of event, how severe, its words and its scope."""

    name: str
    category: str
    severity: str = "serious"
    ops: str = "normal"
    keywords: tuple[str, ...] = ()
    contexts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    until: datetime | None = None
    note: str | None = None

    def values(self) -> dict[str, Any]:
        """The stored columns (lists where the table keeps JSON)."""
        out = _spec_fields(self)
        out["until_at"] = out.pop("until")
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


@dataclass(frozen=True, kw_only=True, slots=True)
class CrisisRecord(CrisisSpec):
    """A crisis as stored: what was flagged, and who started and ended it, when."""

    id: int
    active: bool = True
    started_at: datetime
    started_by: str
    ended_at: datetime | None = None
    ended_by: str | None = None

    @property
    def spec(self) -> CrisisSpec:
        return CrisisSpec(**_spec_fields(self))

    @classmethod
    def drill(cls, spec: CrisisSpec, now: datetime, actor: str) -> CrisisRecord:
        """A crisis judged against but never stored (a preview, a hypothetical check)."""
        return cls(**_spec_fields(spec), id=0, started_at=now, started_by=actor)

    def to_json(self) -> dict[str, Any]:
        values = self.spec.values()
        values["until"] = _iso(values.pop("until_at"))
        return {
            "id": self.id,
            **values,
            "active": self.active,
            "started_at": _iso(self.started_at),
            "started_by": self.started_by,
            "ended_at": _iso(self.ended_at),
            "ended_by": self.ended_by,
        }


def _spec_fields(crisis: CrisisSpec) -> dict[str, Any]:
    """What was flagged, field by field (a record's own fields left out)."""
    return {f.name: getattr(crisis, f.name) for f in fields(CrisisSpec)}


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditEvent:
    """One line of the append-only log: who did what to which post, and why."""

    id: int
    at: datetime
    actor: str
    action: str
    post_id: int | None = None
    from_status: Status | None = None
    to_status: Status | None = None
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": _iso(self.at),
            "actor": self.actor,
            "action": self.action,
            "post_id": self.post_id,
            "from_status": self.from_status.value if self.from_status else None,
            "to_status": self.to_status.value if self.to_status else None,
            "reason": self.reason,
            "detail": self.detail,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
