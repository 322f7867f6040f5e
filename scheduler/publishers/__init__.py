"""Publishers by channel kind, built from config and credentials."""

from __future__ import annotations

from pathlib import Path

from scheduler.config import Config, OutboxChannel, WebhookChannel
from scheduler.errors import BadInput
from scheduler.publishers.base import Publisher, PublishError
from scheduler.secrets import SecretStore

__all__ = ["PublishError", "Publisher", "PublisherPool", "build_publisher"]


def build_publisher(config: Config, channel: OutboxChannel | WebhookChannel,
                    secrets: SecretStore) -> Publisher:
    if isinstance(channel, OutboxChannel):
        from scheduler.publishers.outbox import OutboxPublisher

        path = config.resolve(channel.path or Path("outbox") / f"{channel.id}.jsonl")
        return OutboxPublisher(path)
    from scheduler.publishers.webhook import WebhookPublisher

    secret = secrets.get(channel.secret_env) if channel.secret_env else None
    return WebhookPublisher(channel, secret)


def missing_credentials(config: Config) -> list[str]:
    """One line per webhook credential that cannot be found (never its value)."""
    secrets = SecretStore(config.resolve(config.secrets_file) if config.secrets_file else None)
    problems = []
    for channel_id, (_, channel) in config.channels.items():
        if isinstance(channel, WebhookChannel) and channel.secret_env:
            try:
                secrets.get(channel.secret_env)
            except BadInput as exc:
                problems.append(f"channel {channel_id}: {exc}")
    return problems


class PublisherPool:
    """One publisher per channel, made on first use and closed together."""

    def __init__(self, config: Config, secrets: SecretStore | None = None) -> None:
        self.config = config
        self._secrets = secrets or SecretStore(
            config.resolve(config.secrets_file) if config.secrets_file else None)
        self._made: dict[str, Publisher] = {}

    def get(self, channel_id: str) -> Publisher:
        if channel_id not in self._made:
            entry = self.config.channels.get(channel_id)
            if entry is None:
                raise PublishError(f"channel {channel_id!r} is no longer in config.yaml",
                                   permanent=True)
            try:
                self._made[channel_id] = build_publisher(self.config, entry[1], self._secrets)
            except BadInput as exc:
                raise PublishError(str(exc), permanent=True) from None
        return self._made[channel_id]

    def idempotent_channels(self) -> set[str]:
        """Channels whose network de-duplicates re-sends, known from config alone."""
        return {cid for cid, (_, ch) in self.config.channels.items()
                if isinstance(ch, OutboxChannel) or (isinstance(ch, WebhookChannel)
                                                     and ch.idempotent)}

    def close(self) -> None:
        for publisher in self._made.values():
            publisher.close()
        self._made.clear()
