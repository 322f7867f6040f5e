"""The default channel: one JSON line per post appended to a local file.

Several daemons may append to one outbox. Under an exclusive file lock each publisher
first reads what others appended since it last looked, so a post whose key is already
in the file is never written twice: the outbox honours idempotency keys.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import time
from pathlib import Path

from scheduler.models import Post
from scheduler.publishers.base import (
    Publisher,
    PublishError,
    Receipt,
    idempotency_key,
    payload,
)


class OutboxPublisher(Publisher):
    idempotent = True

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._seen: dict[str, int] = {}
        self._scanned = 0
        self._unsynced = False

    def publish(self, post: Post) -> Receipt:
        fd = self._open()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            self._catch_up(fd)
            key = idempotency_key(post)
            if key in self._seen:
                return Receipt(self._remote_id(self._seen[key]))
            record = {**payload(post), "written_at": _utc_now_iso()}
            line = (json.dumps(record, ensure_ascii=False) + "\n").encode()
            offset = os.lseek(fd, 0, os.SEEK_END)
            self._write_whole(fd, line, offset)
            self._seen[key] = offset
            self._scanned = offset + len(line)
            self._unsynced = True
            return Receipt(self._remote_id(offset))
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def flush(self) -> None:
        """Make what was written durable before the queue records it as published: one
        fsync per batch of posts, not one per post."""
        if self._fd is not None and self._unsynced:
            try:
                os.fsync(self._fd)
            except OSError as exc:
                raise PublishError(
                    f"cannot flush outbox {self.path}: {exc.strerror}", maybe_sent=True
                ) from None
            self._unsynced = False

    def _write_whole(self, fd: int, line: bytes, offset: int) -> None:
        """The whole line or nothing: a short write (a full disk) is cut back off, and the
        post is not sent, so it is tried again later."""
        written = 0
        try:
            while written < len(line):
                n = os.write(fd, line[written:])
                if n == 0:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                written += n
        except OSError as exc:
            with contextlib.suppress(OSError):  # else the next writer cuts it (_catch_up)
                os.ftruncate(fd, offset)
            raise PublishError(
                f"cannot write to outbox {self.path}: {exc.strerror or exc}"
            ) from None

    def check(self) -> str:
        self._open()
        return f"can append to {self.path}"

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _open(self) -> int:
        if self._fd is not None and self._rotated():
            # someone moved the file away (log rotation): write to a new one at the path
            self.close()
            self._seen.clear()
            self._scanned = 0
        if self._fd is None:
            try:
                # unreleased campaigns are nobody else's business: owner only
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            except OSError as exc:
                raise PublishError(f"cannot open outbox {self.path}: {exc.strerror}") from None
        return self._fd

    def _rotated(self) -> bool:
        assert self._fd is not None
        try:
            at_path = os.stat(self.path)
        except FileNotFoundError:
            return True
        held = os.fstat(self._fd)
        return (at_path.st_dev, at_path.st_ino) != (held.st_dev, held.st_ino)

    def _catch_up(self, fd: int) -> None:
        """Index the idempotency keys of lines appended since we last looked."""
        end = os.fstat(fd).st_size
        if end <= self._scanned:
            return
        data = os.pread(fd, end - self._scanned, self._scanned)
        complete = data.rfind(b"\n") + 1
        offset = self._scanned
        for line in data[:complete].splitlines(keepends=True):
            key = _key_of(line)
            if key:
                self._seen.setdefault(key, offset)
            offset += len(line)
        if complete < len(data):
            # a writer died mid-line (or its disk filled): that post was never recorded
            # as sent, so its half line is cut off and it will be written whole again
            end = self._scanned + complete
            os.ftruncate(fd, end)
        self._scanned = end

    def _remote_id(self, offset: int) -> str:
        return f"{self.path.name}@{offset}"


def _key_of(line: bytes) -> str | None:
    try:
        return json.loads(line).get("idempotency_key")
    except (ValueError, AttributeError):
        return None


def _utc_now_iso() -> str:
    seconds = time.time()
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        + f".{int(seconds % 1 * 1_000_000):06d}+00:00"
    )
