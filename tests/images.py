"""Small real images for the tests, made here (no binary files in the repository)."""

from __future__ import annotations

import struct
import zlib
from datetime import datetime
from pathlib import Path

from scheduler.media import read_media
from scheduler.models import NewPost
from scheduler.store import Change, Store


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png(path: Path, *, padding: int = 0, color: tuple[int, int, int] = (200, 30, 30)) -> Path:
    """A valid 2x2 PNG; `padding` bytes of comment make it as large as a test needs."""
    raw = b"".join(b"\x00" + bytes(color) * 2 for _ in range(2))
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + (_chunk(b"tEXt", b"Comment\x00" + b"x" * padding) if padding else b"")
        + _chunk(b"IDAT", zlib.compress(raw))
        + _chunk(b"IEND", b"")
    )
    path.write_bytes(data)
    return path


def queue_with_image(
    store: Store, channel: str, text: str, image: Path, alt: str, at: datetime
) -> int:
    """Queue a post of brand stride with one image, checked as `post add --media` would."""
    media = read_media([str(image)], [alt], media_label="--media", alt_label="--alt")
    [pid] = store.add_posts(
        [NewPost(brand="stride", channel=channel, text=text, due_at=at, media=media)],
        Change(actor="tester", now=at, action="create"),
    )
    return pid
