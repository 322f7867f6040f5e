"""How a notification leaves: an incoming webhook (`{"text": ...}`, which Slack, Teams,
Mattermost and Rocket.Chat take) or an email, with short timeouts.

The webhook's URL is the credential (whoever has it may post to the room), so no error
here shows it: a problem names the variable the URL came from.
"""

from __future__ import annotations

import socket
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

import httpx

from scheduler.config import Config, NotifyTarget
from scheduler.errors import BadInput, NotifyError
from scheduler.notify.messages import Message
from scheduler.publishers.base import PublishError
from scheduler.secrets import Secret, SecretStore, redact

USER_AGENT = "tactful/0.1 (+notify)"
SUBJECT_PREFIX = "[Tactful] "


class Sender(Protocol):
    def send(self, message: Message) -> None: ...

    def close(self) -> None: ...


class WebhookSender:
    """POSTs `{"text": ...}` to the URL held in a variable; one try, `timeout` seconds."""

    def __init__(self, url: Secret, timeout: float) -> None:
        self._url = url
        self._where = f"the webhook in {url.name}"
        if not url.reveal().startswith(("http://", "https://")):
            raise NotifyError(f"{url.name} does not hold an http(s):// URL")
        self._client = httpx.Client(
            timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=False
        )

    def send(self, message: Message) -> None:
        try:
            response = self._client.post(self._url.reveal(), json={"text": message.text})
        except httpx.TimeoutException:
            raise NotifyError(f"{self._where} did not answer in time") from None
        except httpx.HTTPError as exc:
            # httpx names the URL in some of its messages: say only what kind of failure
            what = redact(str(exc)).replace(self._url.reveal(), "****")
            raise NotifyError(
                f"cannot reach {self._where}: {type(exc).__name__}"
                + (f" ({what})" if what and "://" not in what else "")
            ) from None
        if response.status_code >= 300:
            snippet = redact(response.text[:160].strip().replace("\n", " "))
            raise NotifyError(
                f"{self._where} answered HTTP {response.status_code}"
                + (f": {snippet}" if snippet else "")
            )

    def close(self) -> None:
        self._client.close()


class EmailSender:
    """Mails each notification to the target's list, through the email channel's code."""

    def __init__(self, config: Config, target: NotifyTarget, secrets: SecretStore) -> None:
        from scheduler.publishers.email import EmailPublisher

        assert target.email is not None
        self.email = target.email
        login = None
        if self.email.username_env and self.email.password_env:
            login = (secrets.get(self.email.username_env), secrets.get(self.email.password_env))
        ca_file = config.resolve(self.email.ca_file) if self.email.ca_file else None
        self._mailer = EmailPublisher(self.email, login, ca_file)

    def send(self, message: Message) -> None:
        mail = EmailMessage()
        mail["From"] = self.email.sender
        mail["To"] = ", ".join(self.email.to)
        mail["Subject"] = self.email.subject or SUBJECT_PREFIX + message.subject
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = make_msgid("tactful-notify", self.email.sender.rsplit("@", 1)[-1])
        mail.set_content(message.text)
        try:
            self._mailer.deliver(mail)
        except PublishError as exc:
            raise NotifyError(str(exc)) from None

    def close(self) -> None:
        pass


def build_sender(config: Config, target: NotifyTarget, secrets: SecretStore) -> Sender:
    """The sender of one target; NotifyError if a credential it needs is not set."""
    try:
        if target.webhook_env:
            return WebhookSender(secrets.get(target.webhook_env), target.timeout_seconds)
        return EmailSender(config, target, secrets)
    except BadInput as exc:  # a credential not set, a secrets file not readable
        raise NotifyError(str(exc)) from None
    except (OSError, ValueError) as exc:  # a CA file that is missing, say
        raise NotifyError(
            f"cannot set up {target.name}: {getattr(exc, 'strerror', None) or exc}"
        ) from None


def test_message(target: NotifyTarget) -> Message:
    text = (
        f"Tactful test message for notification target {target.name} from "
        f"{socket.gethostname()}: if you can read this, notifications reach you."
    )
    return Message(subject=f"test message for {target.name}", text=text, first=0)
