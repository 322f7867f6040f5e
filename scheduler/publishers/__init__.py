"""Publishers by channel kind, built from config and credentials."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from scheduler.config import (
    AnyChannel,
    BlueskyChannel,
    Config,
    MastodonChannel,
    OutboxChannel,
    WebhookChannel,
)
from scheduler.errors import BadInput
from scheduler.publishers.base import KEY_MEMORY, Publisher, PublishError, Receipt
from scheduler.secrets import SecretStore, read_secrets_file

__all__ = ["PublishError", "Publisher", "PublisherPool", "Receipt", "build_publisher"]


def build_publisher(config: Config, channel: AnyChannel, secrets: SecretStore) -> Publisher:
    """The publisher for one channel; BadInput when a credential it needs is not set."""
    if isinstance(channel, OutboxChannel):
        from scheduler.publishers.outbox import OutboxPublisher

        path = config.resolve(channel.path or Path("outbox") / f"{channel.id}.jsonl")
        return OutboxPublisher(path)
    if isinstance(channel, WebhookChannel):
        from scheduler.publishers.webhook import WebhookPublisher

        secret = secrets.get(channel.secret_env) if channel.secret_env else None
        return WebhookPublisher(channel, secret)
    if isinstance(channel, MastodonChannel):
        from scheduler.publishers.mastodon import MastodonPublisher

        return MastodonPublisher(channel, secrets.get(channel.token_env))
    if isinstance(channel, BlueskyChannel):
        from scheduler.publishers.bluesky import BlueskyPublisher

        return BlueskyPublisher(channel, secrets.get(channel.password_env))
    from scheduler.publishers.email import EmailPublisher

    login = None
    if channel.username_env and channel.password_env:
        login = (secrets.get(channel.username_env), secrets.get(channel.password_env))
    return EmailPublisher(
        channel, login, config.resolve(channel.ca_file) if channel.ca_file else None
    )


def credential_names(channel: AnyChannel) -> list[str]:
    """The variables (or secrets-file keys) a channel's credentials are read from."""
    names = [
        getattr(channel, key, None)
        for key in ("secret_env", "token_env", "password_env", "username_env")
    ]
    return [n for n in names if n]


def secret_store(config: Config) -> SecretStore:
    """The credentials of this config: the environment, then its secrets_file."""
    return SecretStore(config.resolve(config.secrets_file) if config.secrets_file else None)


def credential_status(config: Config) -> dict[str, tuple[list[str], list[str]]]:
    """For each channel: the credentials it reads and those not set (never values)."""
    secrets = secret_store(config)
    status = {}
    for channel_id, (_, channel) in config.channels.items():
        names = credential_names(channel)
        status[channel_id] = (names, [n for n in names if not secrets.has(n)])
    return status


def missing_credentials(config: Config) -> list[str]:
    """One line per channel credential that cannot be found (never its value)."""
    secrets = secret_store(config)
    problems = []
    if config.secrets_file:
        try:
            read_secrets_file(config.resolve(config.secrets_file))
        except BadInput as exc:
            problems.append(
                f"secrets_file: {exc}; posts on channels that need a credential "
                "will be held until it is fixed"
            )
            return problems
    for channel_id, (_, channel) in config.channels.items():
        for name in credential_names(channel):
            try:
                secrets.get(name)
            except BadInput as exc:
                problems.append(
                    f"channel {channel_id}: {exc}; posts on that channel will "
                    "be held until it is set"
                )
    return problems


class PublisherPool:
    """One publisher per channel, made on first use and closed together."""

    def __init__(self, config: Config, secrets: SecretStore | None = None) -> None:
        self.config = config
        self._secrets = secrets or secret_store(config)
        self._made: dict[str, Publisher] = {}

    def get(self, channel_id: str) -> Publisher:
        if channel_id not in self._made:
            entry = self.config.channels.get(channel_id)
            if entry is None:
                raise PublishError(
                    f"channel {channel_id!r} is no longer in config.yaml", permanent=True
                )
            try:
                self._made[channel_id] = build_publisher(self.config, entry[1], self._secrets)
            except BadInput as exc:
                raise PublishError(str(exc), permanent=True) from None
            except (OSError, ValueError) as exc:
                # setting a channel up sends nothing: a CA file that is missing, say
                where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
                raise PublishError(
                    f"channel {channel_id} cannot be set up: "
                    f"{getattr(exc, 'strerror', None) or exc}{where}",
                    permanent=True,
                ) from None
        return self._made[channel_id]

    def idempotent_channels(self) -> set[str]:
        """Channels whose network de-duplicates re-sends, known from config alone."""
        return {
            cid
            for cid, (_, ch) in self.config.channels.items()
            if ch.kind in KEY_MEMORY or (isinstance(ch, WebhookChannel) and ch.idempotent)
        }

    def remembers_for(self) -> dict[str, timedelta]:
        """Of those, the channels whose network de-duplicates only for a while."""
        return {
            cid: span
            for cid, (_, ch) in self.config.channels.items()
            if (span := KEY_MEMORY.get(ch.kind)) is not None
        }

    def close(self) -> None:
        for publisher in self._made.values():
            publisher.close()
        self._made.clear()
