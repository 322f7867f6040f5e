"""Mastodon statuses through Mastodon.py.

Every try of a post carries the same Idempotency-Key, so a server that took the first try
answers a re-send with the status it already made. Servers keep that key for about an
hour (`KEY_MEMORY`): the dispatcher refuses a re-send later than that. Rate limits
(`X-RateLimit-*`, 300 statuses per three hours per account) make the channel wait, never
fail the post: Mastodon.py is told to raise on them rather than sleep in the daemon.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from scheduler.config import MastodonChannel
from scheduler.models import Post
from scheduler.publishers.base import (
    KEY_MEMORY,
    Publisher,
    PublishError,
    Receipt,
    media_bytes,
)
from scheduler.secrets import Secret

USER_AGENT = "tactful/0.1 (+mastodon)"


def network_key(post: Post) -> str:
    """The post's Idempotency-Key: the same on every try of this post, different for
    every post of every Tactful database (keys are kept per account, not per client)."""
    return f"tactful-{post.id}-{int(post.created_at.timestamp() * 1_000_000)}"


class MastodonPublisher(Publisher):
    idempotent = True
    can_retract = True
    remembers_for = KEY_MEMORY["mastodon"]

    def __init__(self, channel: MastodonChannel, token: Secret) -> None:
        self.channel = channel
        self._token_name = token.name
        self._api = Mastodon(
            access_token=token.reveal(),
            api_base_url=channel.instance,
            ratelimit_method="throw",
            request_timeout=channel.timeout_seconds,
            version_check_mode="none",
            user_agent=USER_AGENT,
        )

    def publish(self, post: Post) -> Receipt:
        # uploads are not idempotent, but an image no status uses is never seen
        media_ids = [
            self._call(
                self._api.media_post,
                io.BytesIO(data),
                mime_type=item.mime,
                description=item.alt,
                file_name=Path(item.path).name,
            )["id"]
            for item, data in media_bytes(post)
        ]
        status = self._call(
            self._api.status_post,
            post.text,
            media_ids=media_ids or None,
            language=(post.lang or "").split("-")[0] or None,
            visibility=self.channel.visibility,
            spoiler_text=self.channel.spoiler_text,
            idempotency_key=network_key(post),
        )
        return Receipt(str(status["id"]), status.get("url"))

    def rests_until(self) -> float | None:
        # Mastodon.py keeps the X-RateLimit-* headers of the last answer: none left means
        # the next status would only earn a 429
        api = self._api
        if (
            api.ratelimit_remaining is not None
            and api.ratelimit_remaining <= 0
            and api.ratelimit_reset
            and api.ratelimit_reset > time.time()
        ):
            return float(api.ratelimit_reset)
        return None

    def retract(self, remote_id: str) -> None:
        try:
            self._call(self._api.status_delete, remote_id)
        except PublishError as exc:
            if not isinstance(exc.__cause__, MastodonNotFoundError):
                raise
            # already gone: what a retraction wants

    def check(self) -> str:
        account = self._call(self._api.account_verify_credentials)
        limit = self.instance_limit()
        note = ""
        if limit is not None and limit < self.channel.max_characters:
            note = (
                f"; the instance allows {limit} characters, fewer than max_characters: "
                f"{self.channel.max_characters} in config.yaml"
            )
        return f"signed in to {self._where()} as @{account['acct']}{note} (nothing was posted)"

    def instance_limit(self) -> int | None:
        """The instance's own limit on a status, when it says."""
        try:
            info: Any = self._call(self._api.instance)
            return int(info["configuration"]["statuses"]["max_characters"])
        except (PublishError, KeyError, TypeError, ValueError):
            return None

    def close(self) -> None:
        self._api.session.close()

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except MastodonRatelimitError:
            reset = self._api.ratelimit_reset
            wait = max(reset - time.time(), 1.0) if reset else None
            raise PublishError(
                f"{self._where()} rate limit reached", rate_limited=True, retry_after=wait
            ) from None
        except MastodonUnauthorizedError:
            raise PublishError(
                f"{self._where()} refused the access token in "
                f"{self._token_name} (HTTP 401): check it, and that it may "
                "write statuses",
                permanent=True,
            ) from None
        except MastodonServerError as exc:
            raise PublishError(f"{self._where()} answered {_status(exc)}", maybe_sent=True) from exc
        except MastodonAPIError as exc:
            # 4xx: the post or the account is the problem; trying again will not help
            raise PublishError(
                f"{self._where()} refused it: {_status(exc)}", permanent=True
            ) from exc
        except MastodonNetworkError as exc:
            raise PublishError(
                f"{self._where()}: {_network_problem(exc)}", maybe_sent=True
            ) from exc
        except MastodonError as exc:
            raise PublishError(f"{self._where()}: {exc}", maybe_sent=True) from exc

    def _where(self) -> str:
        return f"Mastodon {self.channel.instance.rstrip('/')}"


def _status(exc: MastodonAPIError) -> str:
    """'HTTP 422 Unprocessable Entity: Text character limit of 500 exceeded'."""
    args = [a for a in exc.args if a is not None]
    if len(args) >= 4:
        return f"HTTP {args[1]} {args[2]}: {args[3]}"
    return " ".join(str(a) for a in args) or type(exc).__name__


def _network_problem(exc: MastodonNetworkError) -> str:
    cause = exc.__context__
    text = str(cause or exc)
    if "timed out" in text.lower() or "timeout" in type(cause).__name__.lower():
        return "no answer in time (it may have been taken; the same key is sent again)"
    if "refused" in text.lower():
        return "connection refused"
    return text.split(": ", 1)[-1][:200]
