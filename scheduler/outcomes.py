"""What ending a crisis, pausing or resuming a channel did: typed results a script can
read by attribute, with the JSON the CLI prints (`to_json`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scheduler.models import CrisisRecord


@dataclass(frozen=True)
class Released:
    """What became of the posts a crisis or a paused channel let go."""

    #: (post id, when it goes out), at a paced rate per channel
    released: list[tuple[int, datetime]] = field(default_factory=list)
    #: offers that expired while they waited: dropped
    expired: list[int] = field(default_factory=list)
    #: sent to (or kept in) review first (`--resume review`)
    to_review: list[int] = field(default_factory=list)
    #: left as they were (`--resume hold`)
    kept_paused: list[int] = field(default_factory=list)

    def to_json(self, prefix: str = "") -> dict[str, Any]:
        return {
            f"{prefix}released": [(pid, at.isoformat()) for pid, at in self.released],
            f"{prefix}expired": self.expired,
            f"{prefix}to_review": self.to_review,
            f"{prefix}kept_paused": self.kept_paused,
        }

    def counts(self) -> dict[str, int]:
        return {
            "released": len(self.released),
            "expired": len(self.expired),
            "to_review": len(self.to_review),
            "kept_paused": len(self.kept_paused),
        }


@dataclass(frozen=True)
class Ending:
    """A crisis ended: its paused posts, and the posts it held, judged again."""

    crisis: int
    epoch: int
    resume: str
    #: paused posts another crisis or a paused channel still stops
    still_paused: int
    #: held posts a crisis still active stops
    still_held: int
    posts: Released
    holds: Released

    def to_json(self) -> dict[str, Any]:
        return {
            "crisis": self.crisis,
            "epoch": self.epoch,
            "resume": self.resume,
            "still_paused": self.still_paused,
            "still_held": self.still_held,
            **self.posts.to_json(),
            **self.holds.to_json("holds_"),
        }


@dataclass(frozen=True)
class ChannelPaused:
    channel: str
    #: posts paused by it
    paused: list[int]
    #: ids of the posts a daemon held when it was paused: they may still go out
    in_flight: list[int]

    def to_json(self) -> dict[str, Any]:
        return {"channel": self.channel, "paused": self.paused, "in_flight": self.in_flight}


@dataclass(frozen=True)
class ChannelResumed:
    channel: str
    resume: str
    still_paused: int
    posts: Released

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "resume": self.resume,
            "still_paused": self.still_paused,
            **self.posts.to_json(),
        }


@dataclass(frozen=True)
class CrisisStatus:
    """The crises in force now, the epoch, and what waits because of them."""

    epoch: int
    active: list[CrisisRecord]
    paused: int
    held: int

    def to_json(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "active": [c.to_json() for c in self.active],
            "paused": self.paused,
            "held": self.held,
        }
