"""Small real images for the tests, made here (no binary files in the repository)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png(path: Path, *, padding: int = 0, color: tuple[int, int, int] = (200, 30, 30)) -> Path:
    """A valid 2x2 PNG; `padding` bytes of comment make it as large as a test needs."""
    raw = b"".join(b"\x00" + bytes(color) * 2 for _ in range(2))
    data = (b"\x89PNG\r\n\x1a\n" +
            _chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)) +
            (_chunk(b"tEXt", b"Comment\x00" + b"x" * padding) if padding else b"") +
            _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b""))
    path.write_bytes(data)
    return path
