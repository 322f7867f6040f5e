"""Fetching a feed: a conditional GET (ETag, Last-Modified) with a time limit and a size
limit, or a file:// read. Every failure is a `FetchError` with one line naming it; the
body is never read past `max_bytes`, so a huge or endless answer costs that much."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

USER_AGENT = "Tactful crisis feeds (https://github.com/tactful)"


class FetchError(Exception):
    """A feed that could not be fetched; the message is one line."""


@dataclass(frozen=True, slots=True)
class Fetched:
    #: False: the server said 304, nothing changed since the validators sent
    modified: bool
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None


def fetch(
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
    client: httpx.Client | None = None,
) -> Fetched:
    if url.lower().startswith("file://"):
        return _read_file(url, max_bytes)
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    own = client is None
    client = client or httpx.Client(follow_redirects=True, max_redirects=5)
    try:
        with client.stream("GET", url, headers=headers, timeout=timeout) as response:
            if response.status_code == 304:
                return Fetched(modified=False, etag=etag, last_modified=last_modified)
            if response.status_code != 200:
                raise FetchError(f"the server answered HTTP {response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(
                    f"the feed is {int(declared):,} bytes, over the {max_bytes:,} limit"
                )
            body = _read_capped(response, max_bytes)
            return Fetched(
                modified=True,
                body=body,
                content_type=response.headers.get("Content-Type"),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )
    except httpx.TimeoutException:
        raise FetchError(f"no answer within {timeout:g}s (timed out)") from None
    except httpx.InvalidURL as exc:
        raise FetchError(f"not a usable URL: {exc}") from None
    except httpx.TooManyRedirects:
        raise FetchError("too many redirects") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"could not fetch: {type(exc).__name__}: {exc}") from None
    finally:
        if own:
            client.close()


def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The (decompressed) body, refused as soon as it passes `max_bytes`: a gzip bomb or
    an endless stream stops there."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"the feed is over the {max_bytes:,}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _read_file(url: str, max_bytes: int) -> Fetched:
    path = Path(unquote(urlsplit(url).path))
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise FetchError(f"{path} is {size:,} bytes, over the {max_bytes:,} limit")
        return Fetched(modified=True, body=path.read_bytes())
    except OSError as exc:
        raise FetchError(f"cannot read {path}: {exc.strerror or exc}") from None
