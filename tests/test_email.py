"""Email: a real SMTP server (aiosmtpd) on loopback, with STARTTLS or TLS under a test
certificate authority (trustme), logins, refusals and a connection cut mid-message."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from scheduler.config import Config, load_config
from scheduler.dispatch import Dispatcher
from scheduler.models import NewPost, Status
from scheduler.publishers import PublisherPool
from scheduler.store import Change, Store
from tests.conftest import base_config, write_config
from tests.images import png, queue_with_image

pytestmark = pytest.mark.acceptance

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
USER, PASSWORD = "stride-news", "correct horse battery staple"


class Inbox:
    """Keeps what the server took; can answer DATA with a refusal, or take the message
    and cut the connection before saying so."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.answer = "250 OK"
        self.cut_after_taking = False
        self.delay = 0.0
        self.rcpt_answer: str | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.answer.startswith("250"):
            self.messages.append(
                message_from_bytes(envelope.original_content, policy=policy.default)
            )
        await asyncio.sleep(self.delay)  # taken, but slow to say so
        if self.cut_after_taking:
            server.transport.abort()
        return self.answer


def check_login(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_context(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def smtp(authority: trustme.CA) -> Iterator[tuple[Inbox, int]]:
    """A server that wants STARTTLS and a login."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context(authority),
        require_starttls=True,
        authenticator=check_login,
        auth_required=True,
    )
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_USER", USER)
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)


def mail_config(tmp_path: Path, authority: trustme.CA, port: int, **channel: Any) -> Config:
    ca_file = tmp_path / "test-ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    entry = {
        "id": "stride-mail",
        "kind": "email",
        "host": "127.0.0.1",
        "port": port,
        "tls": "starttls",
        "username_env": "SMTP_USER",
        "password_env": "SMTP_PASSWORD",
        "from": "news@stride.example",
        "to": ["list@stride.example", "ops@stride.example"],
        "ca_file": "test-ca.pem",
        "timeout_seconds": 5,
        **channel,
    }
    data = base_config(max_attempts=3, backoff_base="1m", backoff_cap="10m")
    data["brands"][0]["channels"].append(entry)
    return load_config(write_config(tmp_path, data))


def queue(store: Store, text: str, lang: str | None = "en") -> int:
    [pid] = store.add_posts(
        [NewPost(brand="stride", channel="stride-mail", text=text, due_at=T0, lang=lang)],
        Change(actor="tester", now=T0, action="create"),
    )
    return pid


def run(store: Store, config: Config, now: datetime = T0):
    return Dispatcher(
        store, config.daemon, PublisherPool(config), clock=lambda: now, worker="w1"
    ).run_pass()


def test_a_post_is_mailed_once_over_starttls_with_a_login(
    store: Store, smtp: tuple[Inbox, int], authority: trustme.CA, credentials: None, tmp_path: Path
):
    inbox, port = smtp
    config = mail_config(tmp_path, authority, port)
    pid = queue(store, "Zítra otevíráme později\n\nOd 10:00, kvůli inventuře.", lang="cs")
    assert run(store, config).published == [pid]
    [message] = inbox.messages
    assert message["Subject"] == "Zítra otevíráme později"
    assert message["To"] == "list@stride.example, ops@stride.example"
    assert message["Content-Language"] == "cs"
    assert "kvůli inventuře" in message.get_content()
    post = store.get_post(pid)
    assert post.status is Status.PUBLISHED and post.remote_id == message["Message-ID"]
    assert message["Message-ID"].startswith(f"<tactful-post-{pid}.")


def test_implicit_tls_and_a_fixed_subject(store: Store, authority: trustme.CA, tmp_path: Path):
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, ssl_context=server_context(authority)
    )
    controller.start()
    try:
        config = mail_config(
            tmp_path,
            authority,
            port,
            tls="tls",
            username_env=None,
            password_env=None,
            subject="Stride weekly",
        )
        pid = queue(store, "A long first line " * 10)
        assert run(store, config).published == [pid]
    finally:
        controller.stop()
    assert [m["Subject"] for m in inbox.messages] == ["Stride weekly"]


def test_a_refused_login_holds_the_post_naming_the_variable_not_the_password(
    store: Store,
    smtp: tuple[Inbox, int],
    authority: trustme.CA,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("SMTP_USER", USER)
    monkeypatch.setenv("SMTP_PASSWORD", "wrong password")
    inbox, port = smtp
    config = mail_config(tmp_path, authority, port)
    pid = queue(store, "Locked out")
    assert run(store, config).held == [pid]
    post = store.get_post(pid)
    assert "refused the login in SMTP_USER: 535" in post.last_error
    assert "wrong password" not in post.last_error and inbox.messages == []


def test_a_certificate_nobody_vouches_for_holds_the_post(
    store: Store, smtp: tuple[Inbox, int], authority: trustme.CA, credentials: None, tmp_path: Path
):
    inbox, port = smtp
    config = mail_config(tmp_path, authority, port, ca_file=None)
    pid = queue(store, "Who are you?")
    assert run(store, config).held == [pid]
    assert "certificate is not trusted" in store.get_post(pid).last_error
    assert inbox.messages == []


def test_no_server_listening_is_tried_again_later(
    store: Store, authority: trustme.CA, credentials: None, tmp_path: Path
):
    config = mail_config(tmp_path, authority, free_port())
    pid = queue(store, "Anyone there?")
    assert run(store, config).failed == [pid]
    post = store.get_post(pid)
    assert "connection refused" in post.last_error
    assert T0 + timedelta(minutes=1) <= post.run_at <= T0 + timedelta(minutes=1.5)


def test_a_refused_message_is_held_or_retried_by_its_reply_code(
    store: Store, smtp: tuple[Inbox, int], authority: trustme.CA, credentials: None, tmp_path: Path
):
    inbox, port = smtp
    config = mail_config(tmp_path, authority, port)
    inbox.answer = "451 4.3.0 try again later"
    later = queue(store, "Greylisted")
    assert run(store, config).failed == [later]
    inbox.answer = "554 5.7.1 rejected as spam"
    never = queue(store, "Spammy")
    assert run(store, config, T0 + timedelta(seconds=1)).held == [never]
    assert "554 5.7.1 rejected as spam" in store.get_post(never).last_error
    inbox.answer = "250 OK"
    assert run(store, config, T0 + timedelta(minutes=2)).published == [later]
    assert len(inbox.messages) == 1


def test_a_connection_cut_after_the_server_took_the_message_is_not_sent_again(
    store: Store, smtp: tuple[Inbox, int], authority: trustme.CA, credentials: None, tmp_path: Path
):
    inbox, port = smtp
    config = mail_config(tmp_path, authority, port)
    inbox.cut_after_taking = True
    pid = queue(store, "Did it arrive?")
    assert run(store, config).unknown == [pid]
    post = store.get_post(pid)
    assert post.status is Status.UNKNOWN and "may have gone out" in post.status_reason
    inbox.cut_after_taking = False
    assert run(store, config, T0 + timedelta(hours=1)).counts()["published"] == 0
    assert len(inbox.messages) == 1


def test_images_are_attached_with_their_alt_text(
    store: Store, smtp: tuple[Inbox, int], authority: trustme.CA, credentials: None, tmp_path: Path
):
    inbox, port = smtp
    config = mail_config(tmp_path, authority, port)
    pid = queue_with_image(
        store, "stride-mail", "Hours", png(tmp_path / "poster.png"), "The winter opening hours", T0
    )
    assert run(store, config).published == [pid]
    [message] = inbox.messages
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "poster.png"
    assert attachment["Content-Description"] == "The winter opening hours"
    assert attachment.get_content() == (tmp_path / "poster.png").read_bytes()


def test_no_answer_in_time_after_the_message_was_sent_is_unknown_not_resent(
    store: Store, smtp: tuple[Inbox, int], authority: trustme.CA, credentials: None, tmp_path: Path
):
    inbox, port = smtp
    config = mail_config(tmp_path, authority, port, timeout_seconds=1)
    inbox.delay = 2.5
    pid = queue(store, "Slow server")
    assert run(store, config).unknown == [pid]
    assert "no answer in time" in store.get_post(pid).last_error
    assert len(inbox.messages) == 1  # the server had taken it when the client gave up
    inbox.delay = 0
    assert run(store, config, T0 + timedelta(hours=1)).counts()["published"] == 0
    assert len(inbox.messages) == 1


def test_a_greylisting_recipient_refusal_is_retried_not_held(
    store: Store, smtp: tuple[Inbox, int], authority: trustme.CA, credentials: None, tmp_path: Path
):
    inbox, port = smtp
    config = mail_config(tmp_path, authority, port)
    inbox.rcpt_answer = "450 4.7.1 greylisted, try again later"
    pid = queue(store, "Greylisted recipients")
    assert run(store, config).failed == [pid]
    assert "450 4.7.1 greylisted" in store.get_post(pid).last_error
    inbox.rcpt_answer = None
    assert run(store, config, T0 + timedelta(minutes=2)).published == [pid]
    assert len(inbox.messages) == 1


def test_a_missing_ca_file_holds_the_post_in_one_line(
    store: Store, authority: trustme.CA, credentials: None, tmp_path: Path
):
    config = mail_config(tmp_path, authority, free_port(), ca_file="no-such-ca.pem")
    pid = queue(store, "Which authority?")
    assert run(store, config).held == [pid]
    assert "cannot be set up: No such file or directory" in store.get_post(pid).last_error
