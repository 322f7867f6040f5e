"""A small real webhook receiver and a feed server on 127.0.0.1, for the demo, the tests
and the benchmarks.

It verifies Tactful's HMAC signature, can de-duplicate on Idempotency-Key like a careful
receiver, and can be told to answer with errors or to stall, so failure paths are
exercised over real HTTP rather than with mocks.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from scheduler.publishers.webhook import sign


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool | None
    answered: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    secret: str | None = None
    #: status codes to answer with first, one per request, before answering 200
    failures: list[int] = field(default_factory=list)
    #: seconds to wait before answering each request
    delay: float = 0.0
    #: the Retry-After header sent with a failure answer, if any
    retry_after: str | None = None
    #: answer a repeated Idempotency-Key with the first answer instead of a new id
    dedupe: bool = False
    received: list[Received] = field(default_factory=list)
    #: while set, requests wait here (a stalled receiver)
    stall: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: dict[str, str] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stall.clear()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def delivered(self) -> list[Received]:
        """Requests that were answered with success."""
        with self._lock:
            return [r for r in self.received if r.answered < 300]

    def _answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        self.arrived.set()
        while self.stall.is_set():
            time.sleep(0.01)
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            code = self.failures.pop(0) if self.failures else 200
            key = headers.get("idempotency-key", "")
            if code != 200:
                reply = {"error": f"simulated HTTP {code}"}
            elif self.dedupe and key in self._ids:
                reply = {"id": self._ids[key], "duplicate": True}
            else:
                reply = {"id": f"hook-{len(self.received) + 1}"}
                if key:
                    self._ids.setdefault(key, reply["id"])
            self.received.append(Received(path, headers, body, self._check(headers, body), code))
        return code, reply

    def _check(self, headers: dict[str, str], body: bytes) -> bool | None:
        if self.secret is None:
            return None
        stamp = headers.get("x-tactful-timestamp", "")
        expected = "sha256=" + sign(self.secret, stamp, body)
        return hmac.compare_digest(expected, headers.get("x-tactful-signature", ""))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                code, reply = receiver._answer(self.path, headers, body)
                data = json.dumps(reply).encode()
                self.send_response(code)
                if code >= 400 and receiver.retry_after is not None:
                    self.send_header("Retry-After", receiver.retry_after)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                # the sender may have died or given up waiting: tests simulate exactly that
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                pass

        return Handler


@dataclass
class Served:
    body: bytes
    content_type: str
    etag: str
    last_modified: str


class FeedServer:
    """A small real feed server on 127.0.0.1: serves what `publish` puts at a path, with
    an ETag and Last-Modified, answers a matching conditional GET with 304, and can be
    told to stall (`slow`) or to send an endless body (`endless`), for the bad-feed paths."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._feeds: dict[str, Served] = {}
        #: (path, status) of every request answered, in order, and when (monotonic)
        self.requests: list[tuple[str, int]] = []
        self.times: list[float] = []
        #: seconds to wait before answering, by path
        self.slow: dict[str, float] = {}
        #: paths that stream bytes until the client hangs up
        self.endless: set[str] = set()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/{path.lstrip('/')}"

    def publish(self, path: str, body: bytes | str, content_type: str) -> None:
        """Serve `body` at `path` from now on (a new ETag when it changed)."""
        import hashlib
        from email.utils import formatdate

        data = body.encode() if isinstance(body, str) else body
        served = Served(
            data,
            content_type,
            '"' + hashlib.sha256(data).hexdigest()[:16] + '"',
            formatdate(time.time(), usegmt=True),
        )
        with self._lock:
            self._feeds["/" + path.lstrip("/")] = served

    def answered(self, path: str) -> list[int]:
        """The statuses of the requests for `path`, in order."""
        with self._lock:
            return [s for p, s in self.requests if p == "/" + path.lstrip("/")]

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                time.sleep(server.slow.get(path, 0.0))
                with server._lock:
                    served = server._feeds.get(path)
                if path in server.endless:
                    return self._endless(path)
                if served is None:
                    return self._send(path, 404, b"not found", "text/plain")
                if self.headers.get("If-None-Match") == served.etag:
                    return self._send(path, 304, b"", None, served)
                self._send(path, 200, served.body, served.content_type, served)

            def _endless(self, path: str) -> None:
                with server._lock:
                    server.requests.append((path, 200))
                    server.times.append(time.monotonic())
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.end_headers()
                chunk = b"<item>" + b"x" * 65536 + b"</item>"
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    while True:
                        self.wfile.write(chunk)

            def _send(
                self,
                path: str,
                code: int,
                body: bytes,
                content_type: str | None,
                served: Served | None = None,
            ) -> None:
                with server._lock:
                    server.requests.append((path, code))
                    server.times.append(time.monotonic())
                self.send_response(code)
                if served is not None:
                    self.send_header("ETag", served.etag)
                    self.send_header("Last-Modified", served.last_modified)
                if content_type:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        return Handler
