"""The one interface every network sits behind."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from scheduler.models import Post


class PublishError(Exception):
    """A send did not succeed.

    `permanent`: retrying will not help (a 4xx, a missing credential).
    `maybe_sent`: the request may have reached the network (a timeout after sending), so a
    blind re-send could duplicate the post unless the network honours idempotency keys.
    """

    def __init__(self, message: str, *, permanent: bool = False, maybe_sent: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.maybe_sent = maybe_sent
        self.retry_after = retry_after


class Publisher(ABC):
    """Sends posts to one channel."""

    #: True when re-sending a post with the same idempotency key cannot duplicate it
    idempotent: bool = False

    @abstractmethod
    def publish(self, post: Post) -> str:
        """Send `post`; return the network's id for it. Raise PublishError on failure."""

    def close(self) -> None:  # noqa: B027 - most publishers hold nothing to release
        """Release connections and files."""


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
    }
