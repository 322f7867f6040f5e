"""Images attached to posts: read and checked when the post is queued, so a file that is
missing, of a type the network refuses, too large or without alt text is refused then,
not when it fails at 3 a.m.; and checked again, unchanged, right before the upload.

Types are told by the file's first bytes, not its name. Limits per network:
- Mastodon: up to 4 images, JPEG, PNG, GIF or WebP, 16 MB each, alt text up to 1,500
  characters;
- Bluesky: up to 4 images, JPEG, PNG, GIF or WebP, 1,000,000 bytes each (the blob limit
  of an image embed), alt text up to 2,000 characters;
- email: attachments up to 20 MB in all;
- outbox and webhook: the images are listed in the JSON (path, alt text, type).
Alt text is always required: an image nobody can describe is not posted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scheduler.config import AnyChannel, BlueskyChannel, EmailChannel, MastodonChannel
from scheduler.errors import BadInput
from scheduler.models import Media
from scheduler.network_limits import graphemes

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True)
class Limits:
    count: int
    each: int
    alt: int
    total: int | None = None
    #: how the network counts alt text: code points (Mastodon) or graphemes
    alt_in_graphemes: bool = True


MB = 1024 * 1024
LIMITS: dict[type, Limits] = {
    MastodonChannel: Limits(count=4, each=16 * MB, alt=1500, alt_in_graphemes=False),
    BlueskyChannel: Limits(count=4, each=1_000_000, alt=2000),
    EmailChannel: Limits(count=10, each=20 * MB, alt=2000, total=20 * MB),
}
DEFAULT_LIMITS = Limits(count=10, each=100 * MB, alt=2000)


def intact(data: bytes, mime: str) -> bool:
    """Whether an image of this type ends as a whole file does (a copy cut short does not)."""
    if mime == "image/png":
        return data.endswith(b"IEND\xaeB`\x82")
    if mime == "image/jpeg":
        return data.rstrip(b"\x00").endswith(b"\xff\xd9")
    if mime == "image/gif":
        return data.endswith(b"\x3b")
    if mime == "image/webp":
        return int.from_bytes(data[4:8], "little") + 8 == len(data)
    return True


def sniff(head: bytes) -> str | None:
    """The image type a file's first bytes show, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for magic, mime in _SIGNATURES if head.startswith(magic)), None)


def read_media(
    paths: Sequence[str], alts: Sequence[str], *, media_label: str, alt_label: str
) -> tuple[Media, ...]:
    """The images named on the command line or in a CSV row, each with its alt text."""
    if len(paths) != len(alts):
        raise BadInput(
            f"{media_label}: {len(paths)} image(s) but {len(alts)} alt text(s); "
            f"give one {alt_label} for each image, describing it"
        )
    found = []
    for number, (raw, alt) in enumerate(zip(paths, alts, strict=True), 1):
        where = f"{media_label} {raw!r}" if len(paths) == 1 else f"{media_label} {number} ({raw!r})"
        if not alt.strip():
            raise BadInput(
                f"{alt_label} for {raw!r} is empty: describe the image for people who cannot see it"
            )
        path = Path(raw).expanduser()
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise BadInput(f"{where}: no such file") from None
        except IsADirectoryError:
            raise BadInput(f"{where}: is a folder, not an image") from None
        except OSError as exc:
            raise BadInput(f"{where}: cannot be read ({exc.strerror})") from None
        mime = sniff(data[:16])
        if mime is None:
            raise BadInput(f"{where}: not a JPEG, PNG, GIF or WebP image")
        if not intact(data, mime):
            raise BadInput(
                f"{where}: the {mime.split('/')[1].upper()} file is cut short "
                "(an unfinished download or copy?)"
            )
        found.append(
            Media(
                path=str(path.resolve()),
                alt=alt.strip(),
                mime=mime,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
        )
    return tuple(found)


def check_for_channel(channel: AnyChannel, media: Sequence[Media], label: str) -> None:
    """BadInput when these images cannot go out on this channel's network."""
    if not media:
        return
    limits = LIMITS.get(type(channel), DEFAULT_LIMITS)
    network = f"{channel.kind} channel {channel.id!r}"
    if len(media) > limits.count:
        raise BadInput(
            f"{label}: {len(media)} images, more than the {limits.count} a post "
            f"on {network} may have"
        )
    for item in media:
        name = Path(item.path).name
        if item.size > limits.each:
            raise BadInput(
                f"{label} {name!r}: {_size(item.size)}, more than the "
                f"{_size(limits.each)} an image on {network} may have"
            )
        length = graphemes(item.alt) if limits.alt_in_graphemes else len(item.alt)
        if length > limits.alt:
            raise BadInput(
                f"{label} {name!r}: alt text of {length} characters, more than "
                f"the {limits.alt} {network} takes"
            )
    total = sum(m.size for m in media)
    if limits.total is not None and total > limits.total:
        raise BadInput(
            f"{label}: {_size(total)} of images in all, more than the "
            f"{_size(limits.total)} {network} sends"
        )


def read_for_upload(item: Media) -> bytes:
    """The image's bytes, as they were when the post was queued; OSError or ValueError
    naming the file when it is gone or changed since (a person must look again)."""
    data = Path(item.path).read_bytes()
    if hashlib.sha256(data).hexdigest() != item.sha256:
        raise ValueError(f"the image {item.path} changed since the post was queued")
    return data


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB else f"{n:,} bytes"
