"""Bluesky posts through the atproto SDK, written to the account's repository on its PDS.

Exactly once by construction: before the first try the dispatcher stores a record key
(a TID) chosen here, and every try writes the record under that key with createRecord.
A second write of the same key is refused by the PDS, and then the record already there
is read back and taken as the post, so a retry after a crash never makes a second post.
Links, mentions and hashtags become facets with UTF-8 byte offsets (the SDK's
detection, the same as the Bluesky app's), and mentions are resolved through the PDS,
so no AppView is needed, not even to sign in.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
from atproto import Client, models
from atproto_client.exceptions import (
    AtProtocolError,
    BadRequestError,
    InvokeTimeoutError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)
from atproto_client.request import Request

from scheduler.config import BlueskyChannel
from scheduler.models import Post
from scheduler.publishers.base import Publisher, PublishError, Receipt, media_bytes
from scheduler.secrets import Secret

COLLECTION = "app.bsky.feed.post"
WEB = "https://bsky.app/profile"
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def new_tid(micros: int | None = None, clock_id: int | None = None) -> str:
    """A record key in the TID format: 53 bits of microseconds since the epoch and 10
    bits of clock id, written in base32-sortable (13 characters)."""
    micros = time.time_ns() // 1000 if micros is None else micros
    clock_id = secrets.randbelow(1024) if clock_id is None else clock_id
    value = (micros & ((1 << 53) - 1)) << 10 | clock_id
    return "".join(_TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


class BlueskyPublisher(Publisher):
    idempotent = True
    can_retract = True
    keyed = True

    def __init__(self, channel: BlueskyChannel, password: Secret) -> None:
        self.channel = channel
        self._password = password
        self._client = Client(channel.service, request=Request(timeout=channel.timeout_seconds))
        self._did: str | None = None

    def new_key(self) -> str:
        return new_tid()

    def publish(self, post: Post) -> Receipt:
        if not post.remote_key:
            raise PublishError(
                "no record key was kept for this post before sending", permanent=True
            )
        did = self._login()
        # a try after the first: an earlier one may have written the record already
        uri = self._existing(did, post.remote_key) if post.attempts > 1 else None
        if uri is None:
            images = [
                models.AppBskyEmbedImages.Image(
                    alt=item.alt, image=self._call(self._client.upload_blob, data).blob
                )
                for item, data in media_bytes(post)
            ]
            record = self._call(self._record, post, images)
            try:
                uri = self._call(
                    self._client.com.atproto.repo.create_record,
                    models.ComAtprotoRepoCreateRecord.Data(
                        repo=did, collection=COLLECTION, rkey=post.remote_key, record=record
                    ),
                ).uri
            except PublishError:
                # the PDS refuses a key it already holds (with a 400 or a 500): if the
                # record is there, an earlier try whose answer was lost wrote it
                uri = self._existing(did, post.remote_key)
                if uri is None:
                    raise
        return Receipt(uri, f"{WEB}/{self.channel.handle}/post/{post.remote_key}")

    def retract(self, remote_id: str) -> None:
        did = self._login()
        rkey = remote_id.rsplit("/", 1)[-1]
        self._call(
            self._client.com.atproto.repo.delete_record,
            models.ComAtprotoRepoDeleteRecord.Data(repo=did, collection=COLLECTION, rkey=rkey),
        )

    def check(self) -> str:
        self._did = None
        did = self._login()
        return f"signed in to {self._where()} as {self.channel.handle} ({did}); nothing was posted"

    def close(self) -> None:
        self._client.request.close()

    def _record(
        self, post: Post, images: list[models.AppBskyEmbedImages.Image]
    ) -> models.AppBskyFeedPost.Record:
        facets = self._client.detect_facets(post.text)
        created = post.first_try_at or post.created_at
        return models.AppBskyFeedPost.Record(
            text=post.text,
            created_at=created.isoformat().replace("+00:00", "Z"),
            langs=[post.lang] if post.lang else None,
            facets=facets or None,
            embed=models.AppBskyEmbedImages.Main(images=images) if images else None,
        )

    def _existing(self, did: str, rkey: str) -> str | None:
        try:
            found = self._client.com.atproto.repo.get_record(
                models.ComAtprotoRepoGetRecord.Params(repo=did, collection=COLLECTION, rkey=rkey)
            )
        except AtProtocolError:
            return None
        return found.uri

    def _login(self) -> str:
        if self._did is None:
            self._call(
                self._client.login,
                self.channel.handle,
                self._password.reveal(),
                fetch_bsky_profile=False,
            )
            self._did = self._call(self._client.com.atproto.server.get_session).did
        return self._did

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except UnauthorizedError as exc:
            raise PublishError(
                f"{self._where()} refused the login of "
                f"{self.channel.handle} with the app password in "
                f"{self._password.name}: {_detail(exc)}",
                permanent=True,
            ) from exc
        except RateLimitExceededError as exc:
            raise PublishError(
                f"{self._where()} rate limit reached",
                rate_limited=True,
                retry_after=exc.retry_after,
            ) from exc
        except BadRequestError as exc:
            raise PublishError(
                f"{self._where()} refused it: {_detail(exc)}", permanent=True
            ) from exc
        except InvokeTimeoutError as exc:
            raise PublishError(
                f"{self._where()}: no answer in time (the same record key is written again)",
                maybe_sent=True,
            ) from exc
        except NetworkError as exc:
            raise PublishError(f"{self._where()}: {_detail(exc)}", maybe_sent=True) from exc
        except RequestErrorBase as exc:
            status = exc.response.status_code if exc.response is not None else 0
            raise PublishError(
                f"{self._where()} answered {_detail(exc)}",
                maybe_sent=True,
                permanent=400 <= status < 500,
            ) from exc
        except (AtProtocolError, httpx.HTTPError) as exc:
            raise PublishError(f"{self._where()}: {exc}", maybe_sent=True) from exc

    def _where(self) -> str:
        return f"Bluesky {self.channel.service.rstrip('/')}"


def _detail(exc: RequestErrorBase) -> str:
    if exc.response is None:
        cause = exc.__cause__
        return f"{type(cause).__name__}: {cause}" if cause else type(exc).__name__
    return str(exc)
