"""HTTP POST of each post as JSON (Slack, Discord or generic), signed with HMAC-SHA256.

Signature: `X-Tactful-Signature: sha256=<hex>` over `<timestamp>.<body>`, with the
timestamp in `X-Tactful-Timestamp`, so a receiver can reject replays. Every request
carries `Idempotency-Key`. Connection failures and 5xx answers are retried here a few
times; a timeout after the request went out is not, because the receiver may have it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from typing import Any

import httpx

from scheduler.config import WebhookChannel
from scheduler.models import Post
from scheduler.publishers.base import (
    Publisher,
    PublishError,
    Receipt,
    idempotency_key,
    payload,
)
from scheduler.secrets import Secret

USER_AGENT = "tactful/0.1 (+webhook)"
_RETRY_PAUSE = 0.2


class WebhookPublisher(Publisher):
    def __init__(self, channel: WebhookChannel, secret: Secret | None = None) -> None:
        self.channel = channel
        self.idempotent = channel.idempotent
        self._secret = secret
        self._client = httpx.Client(
            timeout=channel.timeout_seconds,
            transport=httpx.HTTPTransport(retries=channel.retries),
            headers={"User-Agent": USER_AGENT},
        )

    def publish(self, post: Post) -> Receipt:
        body = json.dumps(self._body(post), ensure_ascii=False).encode()
        headers = self._headers(post, body)
        for attempt in range(self.channel.retries + 1):
            response = self._send(body, headers)
            if response.status_code < 500 or attempt == self.channel.retries:
                break
            time.sleep(_RETRY_PAUSE * 2**attempt)
        return self._result(response)

    def check(self) -> str:
        # a request could be taken for a post: only see that the receiver listens
        url = httpx.URL(self.channel.url)
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            socket.create_connection((url.host, port), self.channel.timeout_seconds).close()
        except OSError as exc:
            raise PublishError(
                f"cannot connect to {self._where()}: {exc.strerror or exc}"
            ) from None
        return f"{self._where()} accepts connections (nothing was posted)"

    def close(self) -> None:
        self._client.close()

    def _body(self, post: Post) -> dict[str, Any]:
        if self.channel.format == "slack":
            return {"text": post.text}
        if self.channel.format == "discord":
            return {"content": post.text}
        return payload(post)

    def _headers(self, post: Post, body: bytes) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Idempotency-Key": idempotency_key(post)}
        if self._secret is not None:
            stamp = str(int(time.time()))
            headers["X-Tactful-Timestamp"] = stamp
            headers["X-Tactful-Signature"] = "sha256=" + sign(self._secret.reveal(), stamp, body)
        return headers

    def _send(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        try:
            return self._client.post(self.channel.url, content=body, headers=headers)
        except httpx.ConnectError as exc:
            raise PublishError(f"cannot connect to {self._where()}: {exc}") from None
        except httpx.TimeoutException:
            raise PublishError(
                f"{self._where()} did not answer within {self.channel.timeout_seconds:g}s",
                maybe_sent=True,
            ) from None
        except httpx.HTTPError as exc:
            raise PublishError(f"{self._where()}: {exc}", maybe_sent=True) from None

    def _result(self, response: httpx.Response) -> Receipt:
        code = response.status_code
        if code < 300:
            return Receipt(_remote_id(response))
        snippet = response.text[:200].strip().replace("\n", " ")
        message = f"{self._where()} answered HTTP {code}" + (f": {snippet}" if snippet else "")
        if code in (408, 425, 429):  # "not now": worth a later try
            after = response.headers.get("Retry-After", "")
            raise PublishError(
                message,
                retry_after=float(after) if after.isdigit() else None,
                rate_limited=code == 429,
            )
        raise PublishError(message, permanent=code < 500)

    def _where(self) -> str:
        url = httpx.URL(self.channel.url)
        return f"webhook {url.scheme}://{url.host}{':' + str(url.port) if url.port else ''}"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 hex digest of `<timestamp>.<body>`; receivers compute the same."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _remote_id(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("id") is not None:
        return str(data["id"])
    return response.headers.get("X-Request-Id") or f"http-{response.status_code}"
