"""Publishers against a real file and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.config import WebhookChannel
from scheduler.loopback import WebhookReceiver
from scheduler.models import Post, Status
from scheduler.publishers import PublishError
from scheduler.publishers.outbox import OutboxPublisher
from scheduler.publishers.webhook import WebhookPublisher
from scheduler.secrets import Secret

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def a_post(pid=1, text="Hello") -> Post:
    return Post(
        id=pid,
        brand="b",
        channel="c",
        text=text,
        due_at=T0,
        status=Status.PUBLISHING,
        run_at=T0,
        created_at=T0,
        created_by="t",
        tags=("promo",),
        lang="en",
    )


def hook(url: str, **kw) -> WebhookChannel:
    return WebhookChannel(id="h", kind="webhook", url=url, **kw)


@pytest.mark.unit
def test_two_outbox_writers_never_write_the_same_post_twice(tmp_path):
    path = tmp_path / "out.jsonl"
    first, second = OutboxPublisher(path), OutboxPublisher(path)
    assert first.publish(a_post(1)) == second.publish(a_post(1))
    second.publish(a_post(2))
    first.publish(a_post(2))
    keys = [json.loads(line)["idempotency_key"] for line in path.read_text().splitlines()]
    assert keys == ["tactful-post-1", "tactful-post-2"]
    first.close(), second.close()


@pytest.mark.unit
def test_outbox_recovers_from_a_half_written_line(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text('{"idempotency_key": "tactful-post-1"}\n{"idempotency_key": "tac')
    publisher = OutboxPublisher(path)
    publisher.publish(a_post(1))  # already there: not written again
    publisher.publish(a_post(2))  # the half line (a writer that died) is cut off first
    lines = path.read_text().splitlines()
    assert [json.loads(line).get("id") for line in lines] == [None, 2]
    publisher.close()


@pytest.mark.acceptance
def test_a_full_disk_leaves_no_half_line_and_the_post_unsent(tmp_path):
    """The file may grow only 300 bytes more (RLIMIT_FSIZE, in a child process): the line
    does not fit, the write comes up short, and it is cut back off."""
    path = tmp_path / "out.jsonl"
    path.write_text('{"idempotency_key": "tactful-post-1"}\n')
    limit = path.stat().st_size + 300
    script = f"""
import resource, signal, sys
sys.path.insert(0, {str(Path(__file__).parent.parent)!r})
from tests.test_publishers import a_post
from scheduler.publishers.outbox import OutboxPublisher
from scheduler.publishers.base import PublishError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
publisher = OutboxPublisher(__import__("pathlib").Path({str(path)!r}))
try:
    publisher.publish(a_post(2, "x" * 1000))
except PublishError as exc:
    print("refused:", exc)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert "refused: cannot write to outbox" in done.stdout, done.stderr
    assert path.read_text() == '{"idempotency_key": "tactful-post-1"}\n'


@pytest.mark.unit
def test_outbox_line_carries_the_post_and_the_write_time(tmp_path):
    publisher = OutboxPublisher(tmp_path / "sub" / "out.jsonl")
    publisher.publish(a_post(7, "Ahoj světe"))
    record = json.loads((tmp_path / "sub" / "out.jsonl").read_text(encoding="utf-8"))
    assert record["text"] == "Ahoj světe" and record["tags"] == ["promo"]
    assert datetime.fromisoformat(record["written_at"]).tzinfo is not None
    publisher.close()


@pytest.mark.acceptance
@pytest.mark.parametrize("fmt, key", [("slack", "text"), ("discord", "content")])
def test_chat_formats(fmt, key):
    with WebhookReceiver() as receiver:
        publisher = WebhookPublisher(hook(receiver.url, format=fmt))
        publisher.publish(a_post(text="Hi team"))
        publisher.close()
    assert receiver.received[0].json == {key: "Hi team"}


@pytest.mark.acceptance
def test_signature_verifies_and_a_wrong_secret_does_not():
    with WebhookReceiver(secret="right") as receiver:
        for secret in ("right", "wrong"):
            publisher = WebhookPublisher(hook(receiver.url), Secret("S", secret))
            publisher.publish(a_post())
            publisher.close()
    assert [r.signature_ok for r in receiver.received] == [True, False]


@pytest.mark.acceptance
def test_5xx_is_retried_inside_the_publisher_4xx_is_not():
    with WebhookReceiver(failures=[502, 503]) as receiver:
        publisher = WebhookPublisher(hook(receiver.url, retries=2))
        assert publisher.publish(a_post()).remote_id == "hook-3"
        publisher.close()
    with WebhookReceiver(failures=[422]) as receiver:
        publisher = WebhookPublisher(hook(receiver.url, retries=2))
        with pytest.raises(PublishError) as caught:
            publisher.publish(a_post())
        publisher.close()
    assert caught.value.permanent and len(receiver.received) == 1


@pytest.mark.acceptance
def test_429_asks_for_later_and_keeps_retry_after():
    with WebhookReceiver(failures=[429], retry_after="120") as receiver:
        publisher = WebhookPublisher(hook(receiver.url, retries=0))
        with pytest.raises(PublishError) as caught:
            publisher.publish(a_post())
        publisher.close()
    assert not caught.value.permanent and not caught.value.maybe_sent
    assert caught.value.retry_after == 120


@pytest.mark.acceptance
def test_connection_refused_is_a_plain_retryable_failure():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    publisher = WebhookPublisher(hook(f"http://127.0.0.1:{port}/x", retries=1))
    with pytest.raises(PublishError, match="cannot connect") as caught:
        publisher.publish(a_post())
    publisher.close()
    assert not caught.value.permanent and not caught.value.maybe_sent


@pytest.mark.acceptance
def test_errors_do_not_leak_the_url_path_or_the_secret():
    with WebhookReceiver(failures=[500]) as receiver:
        url = receiver.url + "/token/abcdef123456"
        publisher = WebhookPublisher(hook(url, retries=0), Secret("S", "topsecret"))
        with pytest.raises(PublishError) as caught:
            publisher.publish(a_post())
        publisher.close()
    assert "abcdef123456" not in str(caught.value) and "topsecret" not in str(caught.value)


@pytest.mark.unit
def test_a_new_outbox_is_readable_by_its_owner_only(tmp_path):
    publisher = OutboxPublisher(tmp_path / "new" / "out.jsonl")
    publisher.publish(a_post(1))
    publisher.close()
    assert (tmp_path / "new" / "out.jsonl").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o700
