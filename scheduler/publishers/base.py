"""The one interface every network sits behind."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import timedelta
from typing import Any

from scheduler.media import read_for_upload
from scheduler.models import Media, Post, Receipt

__all__ = ["PublishError", "Publisher", "Receipt", "idempotency_key", "payload"]


#: how long a network remembers the key of a post it took, so that a re-send with the
#: same key is dropped (Mastodon keeps an Idempotency-Key for about an hour); None: for good
KEY_MEMORY: dict[str, timedelta | None] = {
    "outbox": None,
    "bluesky": None,
    "mastodon": timedelta(hours=1),
}


class PublishError(Exception):
    """A send did not succeed.

    `permanent`: retrying will not help (a 4xx, a missing credential).
    `maybe_sent`: the request may have reached the network (a timeout after sending), so a
    blind re-send could duplicate the post unless the network honours idempotency keys.
    `rate_limited`: the network asks us to slow down: the post is not at fault, so it
    waits (`retry_after` seconds) without using up a try, and so does its channel.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        maybe_sent: bool = False,
        retry_after: float | None = None,
        rate_limited: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.maybe_sent = maybe_sent
        self.retry_after = retry_after
        self.rate_limited = rate_limited


class Publisher(ABC):
    """Sends posts to one channel."""

    #: True when re-sending a post with the same idempotency key cannot duplicate it
    idempotent: bool = False
    #: how long the network remembers an idempotency key (Mastodon: about an hour);
    #: None when it never forgets (or when `idempotent` is False)
    remembers_for: timedelta | None = None
    #: True when the network needs a key chosen before the first try (`new_key`)
    keyed: bool = False

    @abstractmethod
    def publish(self, post: Post) -> Receipt:
        """Send `post`; say what the network made of it. Raise PublishError on failure."""

    def new_key(self) -> str | None:
        """A key for the post chosen before its first try and kept for every later one
        (a Bluesky record key), or None when the network needs none."""
        return None

    def flush(self) -> None:  # noqa: B027 - most networks keep nothing to flush
        """Make the posts sent so far durable before they are recorded as published."""

    def rests_until(self) -> float | None:
        """The Unix time before which the network asked not to be sent more (its rate
        limit is spent), or None: the dispatcher paces the channel by it."""
        return None

    #: True when a published post can be deleted from the network (`retract`)
    can_retract: bool = False

    def retract(self, remote_id: str) -> None:
        """Delete a published post from the network (already gone is fine)."""
        raise PublishError("this network cannot delete a post", permanent=True)

    def check(self) -> str:
        """Check credentials and reachability without posting: one line saying what was
        reached. Raise PublishError when something is wrong."""
        return "nothing to check"

    def close(self) -> None:  # noqa: B027 - most publishers hold nothing to release
        """Release connections and files."""


def media_bytes(post: Post) -> list[tuple[Media, bytes]]:
    """The post's images as they were queued; a permanent PublishError naming the file
    when one is gone or changed since (a person must look at the post again)."""
    out = []
    for item in post.media:
        try:
            out.append((item, read_for_upload(item)))
        except OSError as exc:
            raise PublishError(
                f"cannot read the image {item.path}: {exc.strerror or exc}", permanent=True
            ) from None
        except ValueError as exc:
            raise PublishError(str(exc), permanent=True) from None
    return out


def idempotency_key(post: Post) -> str:
    """Stable across re-sends of the same post, different for every post."""
    return f"tactful-post-{post.id}"


def payload(post: Post) -> dict[str, Any]:
    """The generic JSON body of a post, shared by the outbox and the JSON webhook."""
    return {
        "id": post.id,
        "idempotency_key": idempotency_key(post),
        "brand": post.brand,
        "channel": post.channel,
        "text": post.text,
        "tags": list(post.tags),
        "lang": post.lang,
        "due_at": post.due_at.isoformat(),
        "media": [{"path": m.path, "alt": m.alt, "mime": m.mime} for m in post.media],
    }
