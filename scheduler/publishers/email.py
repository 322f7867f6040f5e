"""Email through the standard library's smtplib: one message per post (and, through
`deliver`, the notifications of scheduler.notify).

SMTP cannot de-duplicate a re-send, so the dispatcher notes each send before it starts:
a send that broke after the message may have been taken becomes `unknown`, never a
second email. What breaks before the message is handed over (connecting, TLS, logging
in) is certain not to have sent it, and is simply tried again later. The Message-ID is
derived from the post, so a mail client can still tell a copy from a new message.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from scheduler.config import SmtpServer
from scheduler.models import Post
from scheduler.publishers.base import Publisher, PublishError, Receipt, media_bytes
from scheduler.secrets import Secret

#: a subject made from the post's first line is cut at this many characters
SUBJECT_LENGTH = 78


def message_id(post: Post, sender: str) -> str:
    created = int(post.created_at.timestamp() * 1_000_000)
    return f"<tactful-post-{post.id}.{created}@{sender.rsplit('@', 1)[-1]}>"


def subject_of(post: Post, fixed: str | None) -> str:
    if fixed:
        return fixed
    first = next((line.strip() for line in post.text.splitlines() if line.strip()), "")
    return first if len(first) <= SUBJECT_LENGTH else first[: SUBJECT_LENGTH - 1].rstrip() + "…"


class EmailPublisher(Publisher):
    idempotent = False

    def __init__(
        self, channel: SmtpServer, login: tuple[Secret, Secret] | None, ca_file: Path | None = None
    ) -> None:
        self.channel = channel
        self._login = login
        self._tls = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)

    def publish(self, post: Post) -> Receipt:
        message = self._message(post)
        refused = self.deliver(message)
        if refused:
            # some addresses took it: it went out, and a re-send would reach them twice
            return Receipt(message["Message-ID"], f"refused by {', '.join(refused)}")
        return Receipt(message["Message-ID"])

    def deliver(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        """Send one message over a session of its own; the addresses that refused it
        while others took it. PublishError says whether it may have gone out."""
        smtp = self._session()
        try:
            return smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise PublishError(
                f"{self._where()} refused every recipient: {_replies(exc.recipients)}",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except smtplib.SMTPSenderRefused as exc:
            raise PublishError(
                f"{self._where()} refused the sender {exc.sender}: "
                f"{_reply(exc.smtp_code, exc.smtp_error)}",
                permanent=exc.smtp_code >= 500,
            ) from None
        except smtplib.SMTPResponseException as exc:
            # the server answered no to the message itself: it was not taken
            raise PublishError(
                f"{self._where()} refused the message: {_reply(exc.smtp_code, exc.smtp_error)}",
                permanent=exc.smtp_code >= 500,
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            # the connection broke while the message was on its way: it may be taken
            raise PublishError(
                f"{self._where()} broke off while taking the message ({_what(exc)})",
                maybe_sent=True,
            ) from None
        finally:
            _quit(smtp)  # the message's fate is settled; what QUIT answers changes nothing

    def check(self) -> str:
        smtp = self._session()
        try:
            smtp.noop()
        except (OSError, smtplib.SMTPException) as exc:
            raise PublishError(f"{self._where()}: {_what(exc)}") from None
        finally:
            _quit(smtp)
        login = " and accepted the login" if self._login else ""
        return f"{self._where()} answered{login} (nothing was sent)"

    def _message(self, post: Post) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.channel.sender
        message["To"] = ", ".join(self.channel.to)
        message["Subject"] = subject_of(post, self.channel.subject)
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = message_id(post, self.channel.sender)
        message.set_content(post.text)
        for item, data in media_bytes(post):
            maintype, subtype = item.mime.split("/")
            message.add_attachment(
                data, maintype=maintype, subtype=subtype, filename=Path(item.path).name
            )
            # the alt text travels with the image, for mail clients that show it
            message.get_payload()[-1]["Content-Description"] = item.alt
        if post.lang:  # after the content: setting it clears every Content-* header
            message["Content-Language"] = post.lang
        return message

    def _session(self) -> smtplib.SMTP:
        """A connected, secured and logged-in session. Nothing has been sent when this
        fails, so every failure here may simply be tried again later (but a refused
        login or certificate, which needs a person)."""
        ch = self.channel
        smtp: smtplib.SMTP | None = None
        try:
            if ch.tls == "tls":
                smtp = smtplib.SMTP_SSL(
                    ch.host, ch.smtp_port, timeout=ch.timeout_seconds, context=self._tls
                )
            else:
                smtp = smtplib.SMTP(ch.host, ch.smtp_port, timeout=ch.timeout_seconds)
                if ch.tls == "starttls":
                    smtp.starttls(context=self._tls)
            if self._login is not None:
                user, password = self._login
                smtp.login(user.reveal(), password.reveal())
            return smtp
        except smtplib.SMTPAuthenticationError as exc:
            _quit(smtp)
            user_env = self._login[0].name if self._login else "?"
            raise PublishError(
                f"{self._where()} refused the login in {user_env}: "
                f"{_reply(exc.smtp_code, exc.smtp_error)}",
                permanent=True,
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            _quit(smtp)
            raise PublishError(
                f"{self._where()}: {exc} (see `tls:` and the login in config.yaml)", permanent=True
            ) from None
        except ssl.SSLCertVerificationError as exc:
            _quit(smtp)
            raise PublishError(
                f"{self._where()}: its certificate is not trusted "
                f"({exc.verify_message}); set ca_file: in config.yaml if it "
                "is signed by your own authority",
                permanent=True,
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            _quit(smtp)
            raise PublishError(f"cannot reach {self._where()}: {_what(exc)}") from None
        except (UnicodeError, ValueError) as exc:
            # a login smtplib cannot encode, say: nothing was sent, and a person must fix it
            _quit(smtp)
            raise PublishError(
                f"{self._where()}: {type(exc).__name__} while signing in "
                "(check the login in config.yaml)",
                permanent=True,
            ) from None

    def _where(self) -> str:
        return f"SMTP {self.channel.host}:{self.channel.smtp_port}"


def _quit(smtp: smtplib.SMTP | None) -> None:
    """Say goodbye if the server still listens, then close; never raises."""
    if smtp is None:
        return
    with contextlib.suppress(OSError, smtplib.SMTPException):
        smtp.quit()
    smtp.close()


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {words}".strip()


def _replies(refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{who}: {_reply(code, text)}" for who, (code, text) in refused.items())


def _what(exc: BaseException) -> str:
    # smtplib reports a reply that never came as a disconnection "...: timed out"
    if isinstance(exc, socket.timeout | TimeoutError) or "timed out" in str(exc):
        return "no answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "the server closed the connection"
    return str(exc) or type(exc).__name__
