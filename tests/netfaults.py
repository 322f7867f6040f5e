"""A loopback TCP proxy that loses answers: the request reaches the real server (which
acts on it), and the connection is then cut before its answer reaches the client."""

from __future__ import annotations

import socket
import threading
import time


class AnswerDroppingProxy:
    """Forwards HTTP/1.1 requests to `upstream` one per connection; the first `drop`
    answers are thrown away and the client's connection is closed instead, after `hold`
    seconds (longer than the client waits: it sees no answer in time)."""

    def __init__(
        self,
        upstream: str,
        drop: int = 1,
        hold: float = 0.0,
        only: str | None = None,
        answer: bytes | None = None,
    ) -> None:
        self.hold = hold
        #: instead of forwarding them, answer the first `drop` matching requests with
        #: this raw HTTP response (a 500, a 429 with its headers): the server never sees them
        self.answer = answer
        #: lose only the answers to requests for this path (the others pass)
        self.only = only
        host, port = upstream.removeprefix("http://").rstrip("/").split(":")
        self._upstream = (host, int(port))
        self.drop = drop
        self.forwarded = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> AnswerDroppingProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._listener.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        with client:
            request = _read_request(client)
            if request is None:
                return
            path = request.split(b" ", 2)[1].decode(errors="replace")
            matches = self.only is None or path.startswith(self.only)
            if self.answer is not None and self.drop > 0 and matches:
                self.drop -= 1
                client.sendall(self.answer)
                return
            with socket.create_connection(self._upstream, timeout=10) as upstream:
                upstream.sendall(request)
                answer = b""
                while chunk := upstream.recv(65536):
                    answer += chunk
            self.forwarded += 1
            if self.drop > 0 and matches:
                self.drop -= 1
                time.sleep(self.hold)
                return  # the server acted; the client hears nothing but a closed line
            client.sendall(answer)


def _read_request(client: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = 0
    kept = []
    for line in lines:
        name = line.split(b":", 1)[0].strip().lower()
        if name == b"content-length":
            length = int(line.split(b":", 1)[1])
        if name == b"connection":
            continue
        kept.append(line)
    while len(body) < length:
        body += client.recv(65536)
    # one request per connection: the server closes after answering, so the answer ends
    return b"\r\n".join([*kept, b"Connection: close"]) + b"\r\n\r\n" + body


def http_answer(status: int, reason: str, body: str, **headers: str) -> bytes:
    """A whole HTTP/1.1 response, for `AnswerDroppingProxy(answer=...)`."""
    data = body.encode()
    lines = [
        f"HTTP/1.1 {status} {reason}",
        "Content-Type: application/json",
        f"Content-Length: {len(data)}",
        "Connection: close",
        *(f"{k.replace('_', '-')}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data
