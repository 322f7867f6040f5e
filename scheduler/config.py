"""config.yaml: brands, their channels and posting slots, the database and the daemon.

Validated by pydantic with unknown keys forbidden; every error is reported as
`file:line: key.path: problem`, so a marketer can find the line to fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import time, timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from policies import yaml_text
from policies.playbook import (
    DEFAULT_FILES,
    Playbook,
    PlaybookError,
    default_playbook,
    load_playbook,
)
from policies.yaml_text import YamlProblem
from scheduler.config_errors import render_validation_error
from scheduler.errors import BadInput, ConfigError
from scheduler.when import parse_duration, zone

CONFIG_ENV = "TACTFUL_CONFIG"
DATABASE_ENV = "TACTFUL_DATABASE_URL"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_GROUPS = {"weekdays": WEEKDAYS[:5], "weekends": WEEKDAYS[5:], "daily": WEEKDAYS}
SLUG = r"^[a-z0-9][a-z0-9_.-]*$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
EMAIL = r"^[^@\s<>]+@[^@\s<>]+$"
_HHMM = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")
_BACKENDS = ("sqlite", "postgresql")


_MAX_SPAN = timedelta(days=3650)


def _duration(value: Any) -> Any:
    if isinstance(value, str):
        try:
            span = parse_duration(value)
        except BadInput as exc:
            raise ValueError(str(exc)) from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not 0 < value <= _MAX_SPAN.total_seconds():
            raise ValueError(
                f"{value!r} seconds is not a sensible span (more than zero, at most ten years)"
            )
        span = timedelta(seconds=value)
    else:
        raise ValueError("write a duration such as 30s, 15m, 6h or 14d")
    if span > _MAX_SPAN:
        raise ValueError(f"{value!r} is longer than ten years")
    return span


Duration = Annotated[timedelta, BeforeValidator(_duration)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Slot(Strict):
    """Times of day a channel likes to post at, on some days of the week (Buffer-style)."""

    days: list[str] = Field(default_factory=lambda: list(WEEKDAYS))
    times: list[time]

    @field_validator("times", mode="before")
    @classmethod
    def _wall_clock_times(cls, value: Any) -> Any:
        # YAML reads an unquoted 15:00 as the number 900 (sexagesimal); refuse it
        # rather than post at 00:15, and refuse offsets: slots are in the brand's zone
        if not isinstance(value, list):
            value = [value]
        out = []
        for item in value:
            if isinstance(item, time) and item.tzinfo is None:
                out.append(item)
                continue
            if not isinstance(item, str) or not _HHMM.match(item.strip()):
                raise ValueError(
                    f"{item!r} is not a time of day; write it quoted as "
                    '"HH:MM", for example "09:00"'
                )
            hours, minutes = item.strip().split(":")
            out.append(time(int(hours), int(minutes)))
        return out

    @field_validator("days", mode="before")
    @classmethod
    def _expand_days(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ValueError("give days as a list, e.g. [mon, wed] or weekdays")
        out: list[str] = []
        for day in value:
            key = (
                str(day).strip().lower()[:3]
                if str(day).lower() not in _DAY_GROUPS
                else str(day).lower()
            )
            if key in _DAY_GROUPS:
                out.extend(_DAY_GROUPS[key])
            elif key in WEEKDAYS:
                out.append(key)
            else:
                raise ValueError(f"{day!r} is not a day; use mon..sun, weekdays, weekends or daily")
        return out


class ChannelBase(Strict):
    id: str = Field(pattern=SLUG)
    slots: list[Slot] = Field(default_factory=list)
    #: posts per channel per hour when paused posts are released after a crisis
    max_per_hour: int | None = Field(default=None, ge=1)


class OutboxChannel(ChannelBase):
    """Appends each post as one JSON line to a local file (the default; no credentials)."""

    kind: Literal["outbox"]
    path: Path | None = None


class WebhookChannel(ChannelBase):
    """POSTs each post as JSON to a URL (Slack, Discord or generic), HMAC-signed."""

    kind: Literal["webhook"]
    url: str = Field(pattern=r"^https?://")
    format: Literal["json", "slack", "discord"] = "json"
    secret_env: str | None = Field(default=None, pattern=ENV_NAME)
    timeout_seconds: float = Field(default=10.0, gt=0)
    retries: int = Field(default=2, ge=0, le=10)
    #: set true only when the receiver de-duplicates on the Idempotency-Key header
    idempotent: bool = False


class MastodonChannel(ChannelBase):
    """Posts statuses to one Mastodon account (Mastodon.py), with an Idempotency-Key."""

    kind: Literal["mastodon"]
    instance: str = Field(pattern=r"^https?://")
    #: the name of the variable (or secrets-file key) that holds the access token
    token_env: str = Field(pattern=ENV_NAME)
    visibility: Literal["public", "unlisted", "private", "direct"] = "public"
    spoiler_text: str | None = None
    #: the instance's limit on a status (500 on mastodon.social; some allow more)
    max_characters: int = Field(default=500, ge=1, le=100_000)
    timeout_seconds: float = Field(default=10.0, gt=0)


class BlueskyChannel(ChannelBase):
    """Writes posts to one Bluesky account's repository (atproto), with a record key
    chosen before the first try."""

    kind: Literal["bluesky"]
    service: str = Field(default="https://bsky.social", pattern=r"^https?://")
    handle: str = Field(min_length=3)
    #: the name of the variable (or secrets-file key) that holds an app password
    password_env: str = Field(pattern=ENV_NAME)
    timeout_seconds: float = Field(default=10.0, gt=0)


class SmtpServer(Strict):
    """An SMTP server and who a message goes from and to: an email channel's and an email
    notification's."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    host: str = Field(min_length=1)
    #: 587 for starttls, 465 for tls, 25 for none when not given
    port: int | None = Field(default=None, ge=1, le=65535)
    tls: Literal["starttls", "tls", "none"] = "starttls"
    username_env: str | None = Field(default=None, pattern=ENV_NAME)
    password_env: str | None = Field(default=None, pattern=ENV_NAME)
    sender: str = Field(alias="from", pattern=EMAIL)
    to: list[Annotated[str, Field(pattern=EMAIL)]] = Field(min_length=1)
    #: the subject of every message; without it, the post's first line
    subject: str | None = None
    #: certificates to trust for this server (a company's own authority), PEM
    ca_file: Path | None = None
    timeout_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _login_whole(self) -> SmtpServer:
        if (self.username_env is None) != (self.password_env is None):
            raise ValueError("set both username_env and password_env, or neither")
        return self

    @property
    def smtp_port(self) -> int:
        return self.port or {"starttls": 587, "tls": 465, "none": 25}[self.tls]


class EmailChannel(SmtpServer, ChannelBase):
    """Sends each post as an email (smtplib) to a fixed list of addresses."""

    kind: Literal["email"]


AnyChannel = OutboxChannel | WebhookChannel | MastodonChannel | BlueskyChannel | EmailChannel
Channel = Annotated[AnyChannel, Field(discriminator="kind")]
CHANNEL_KINDS = ("outbox", "webhook", "mastodon", "bluesky", "email")


class Brand(Strict):
    id: str = Field(pattern=SLUG)
    name: str | None = None
    timezone: str | None = None
    sectors: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)
    #: the prepared alternative offered as a rewrite when a crisis is close to the brand
    #: (awareness of relief charities, a way to help directly), by language
    crisis_alternative: dict[str, str] = Field(default_factory=dict)
    #: the brand's own playbook, merged over the default one
    playbook: Path | None = None

    @field_validator("crisis_alternative", mode="before")
    @classmethod
    def _alternative_by_language(cls, value: Any, info: Any) -> Any:
        if isinstance(value, str):
            languages = info.data.get("languages") or ["en"]
            return {languages[0]: value}
        return value

    @field_validator("regions", "languages")
    @classmethod
    def _lowercase(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value]

    @field_validator("sectors")
    @classmethod
    def _stripped(cls, value: list[str]) -> list[str]:
        return [v.strip() for v in value if v.strip()]

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            _check_zone(value)
        return value


class DaemonConfig(Strict):
    #: the safety-net dispatch interval; due posts are also woken for on time
    tick_seconds: float = Field(default=15, gt=0, le=86400)
    #: how often the daemon looks for newly queued posts to wake up for
    poll_seconds: float = Field(default=1, gt=0, le=3600)
    lease_seconds: float = Field(default=30, ge=3, le=3600)
    max_lateness: Duration = timedelta(hours=6)
    max_attempts: int = Field(default=5, ge=1)
    backoff_base: Duration = timedelta(seconds=30)
    backoff_cap: Duration = timedelta(hours=1)
    batch_size: int = Field(default=200, ge=1, le=10_000)
    #: how often the daemon looks for something to notify (`notify:`), apart from
    #: dispatch: a slow receiver never holds a post up
    notify_seconds: float = Field(default=15, gt=0, le=86400)


#: what a notification target can be told of (`notify: [{events: [...]}]`)
NOTIFY_EVENTS = ("crisis", "suggestion", "held", "blocked", "dead", "unknown")
_DIGEST = re.compile(r"^daily\s+(\S+)$")


def _known_event(value: str) -> str:
    if value not in NOTIFY_EVENTS:
        raise ValueError(
            f"{value!r} is not an event Tactful notifies of; use {', '.join(NOTIFY_EVENTS)}"
        )
    return value


NotifyEvent = Annotated[str, AfterValidator(_known_event)]


class NotifyEmail(SmtpServer):
    """The SMTP server and addresses of an email notification target."""

    #: a notification must never hold a daemon up for long
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)


class FeedMatch(Strict):
    """What an alert must show for a rule to apply: every field given must match, and
    within a field any one value (case-insensitive)."""

    #: words in the alert's event, name or headline ("flood", "tropical cyclone")
    event: list[str] = Field(default_factory=list)
    #: CAP category (Met, Geo, Security ...), GDACS event type (FL, EQ, TC ...), USGS type
    category: list[str] = Field(default_factory=list)
    #: CAP severity (Extreme, Severe ...) or GDACS/USGS alert level (red, orange ...)
    level: list[str] = Field(default_factory=list)
    min_magnitude: float | None = None
    #: the alert's regions lie within one of these (hierarchical: us takes us-ma)
    region: list[str] = Field(default_factory=list)

    @field_validator("event", "category", "level", "region", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class FeedRule(Strict):
    """How alerts that match become a crisis; rules are tried in order, the first that
    matches decides, and the built-in reading of each format follows them."""

    match: FeedMatch = Field(default_factory=FeedMatch)
    #: the crisis category; none: the one the event's words name (flood, earthquake ...)
    category: str | None = None
    #: a fixed severity; none: from the alert (CAP severity, alert level, magnitude)
    severity: Literal["watch", "serious", "severe"] | None = None
    #: alerts that match are recorded and raise nothing
    ignore: bool = False
    #: more words for the crisis to look for in posts, besides the places and the name
    keywords: list[str] = Field(default_factory=list)

    @field_validator("keywords")
    @classmethod
    def _searchable(cls, value: list[str]) -> list[str]:
        from policies.normalise import normalise

        for word in value:
            if not normalise(word.strip().rstrip("*")):
                raise ValueError(f"{word!r} has no letters or digits to look for")
        return value

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str | None) -> str | None:
        from policies.lexicon import CATEGORIES

        if value is not None and value not in CATEGORIES:
            raise ValueError(f"{value!r} is not a crisis category; use {', '.join(CATEGORIES)}")
        return value


class Feed(Strict):
    """A public alert feed the daemon reads (CAP 1.2, GDACS-style RSS or Atom, USGS
    GeoJSON); an alert that reaches a brand's regions raises a crisis suggestion."""

    id: str = Field(pattern=SLUG)
    #: http(s) or file; a URL that carries a key (a token in its query) belongs in
    #: url_env instead: the variable (or secrets-file key) that holds it
    url: str | None = None
    url_env: str | None = Field(default=None, pattern=ENV_NAME)
    format: Literal["auto", "cap", "atom", "rss", "geojson"] = "auto"
    #: how often to poll; each poll is moved by up to a tenth of this, so that many
    #: daemons and feeds do not all ask at once
    every: Duration = timedelta(minutes=5)
    rules: list[FeedRule] = Field(default_factory=list)
    #: alerts judged below this raise nothing (they are recorded)
    min_severity: Literal["watch", "serious", "severe"] = "watch"
    #: flag the crisis without waiting for a person, at most at this severity
    auto: Literal["off", "watch", "serious"] = "off"
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    #: a bigger body is refused unread
    max_bytes: int = Field(default=5_000_000, gt=0, le=200_000_000)

    @field_validator("auto", mode="before")
    @classmethod
    def _off_is_off(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted `off` as false
        return "off" if value is False else value

    @model_validator(mode="after")
    def _one_url(self) -> Feed:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give either url or url_env (the variable that holds the URL)")
        return self

    @field_validator("url")
    @classmethod
    def _fetchable(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return check_feed_url(value)

    @field_validator("every")
    @classmethod
    def _not_too_often(cls, value: timedelta) -> timedelta:
        if value < timedelta(seconds=5):
            raise ValueError("poll a feed at most every 5s")
        return value

    def credential_keys(self) -> list[tuple[list[str | int], str]]:
        """(key path below this feed, variable name) of the credential it reads."""
        return [(["url_env"], self.url_env)] if self.url_env else []

    @property
    def shown_url(self) -> str:
        """The URL as it may be shown: `$VARIABLE` for url_env, and a plain URL without
        a password or query values."""
        if self.url_env:
            return f"${self.url_env}"
        from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

        assert self.url is not None
        parts = urlsplit(self.url)
        host = parts.netloc.rsplit("@", 1)[-1]
        netloc = f"***@{host}" if "@" in parts.netloc else host
        query = urlencode([(k, "***") for k, _ in parse_qsl(parts.query, keep_blank_values=True)])
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def check_feed_url(value: str) -> str:
    """A feed URL Tactful can fetch, or ValueError saying why (never quoting the URL:
    it may hold a key)."""
    import httpx

    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if scheme not in ("http", "https", "file"):
        raise ValueError("a feed URL starts with http://, https:// or file://")
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL as exc:
        raise ValueError(f"not a usable URL: {exc}") from None
    if scheme != "file" and not url.host:
        raise ValueError("the URL names no host")
    return value


class NotifyTarget(Strict):
    """Someone to tell when a crisis is flagged, updated or ended, when the policy holds or
    blocks posts, and when posts end dead or unknown: an incoming webhook (Slack, Teams
    and the like take `{"text": ...}`) or an email list, at once or in a daily digest."""

    name: str = Field(pattern=SLUG)
    #: the variable (or secrets-file key) that holds the webhook's URL: it is a secret
    webhook_env: str | None = Field(default=None, pattern=ENV_NAME)
    email: NotifyEmail | None = None
    events: list[NotifyEvent] = Field(default_factory=lambda: list(NOTIFY_EVENTS))
    #: only events of these brands (a crisis: one whose scope reaches them); none: all
    brands: list[str] = Field(default_factory=list)
    #: `daily HH:MM`: one message a day at that time (config timezone) instead of one
    #: per event
    digest: time | None = None
    #: for the webhook; email has its own under email:
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    @field_validator("events", mode="before")
    @classmethod
    def _known_events(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            raise ValueError(
                f"list the events to notify of: {', '.join(NOTIFY_EVENTS)} "
                "(leave events out for all of them)"
            )
        return value

    @field_validator("digest", mode="before")
    @classmethod
    def _daily_time(cls, value: Any) -> Any:
        if value is None:
            return None
        found = _DIGEST.match(value.strip()) if isinstance(value, str) else None
        if found is None or not _HHMM.match(found.group(1)):
            raise ValueError(
                f"{value!r} is not a digest time; write daily HH:MM, for example daily 08:00"
            )
        hours, minutes = found.group(1).split(":")
        return time(int(hours), int(minutes))

    @model_validator(mode="after")
    def _one_way(self) -> NotifyTarget:
        if (self.webhook_env is None) == (self.email is None):
            raise ValueError(
                "give either webhook_env (the variable holding the webhook's "
                "URL) or email:, not both or neither"
            )
        return self

    @property
    def kind(self) -> str:
        return "webhook" if self.webhook_env else "email"

    def credential_keys(self) -> list[tuple[list[str | int], str]]:
        """(key path below this target, variable name) of each credential it reads."""
        if self.webhook_env:
            return [(["webhook_env"], self.webhook_env)]
        assert self.email is not None
        return [
            (["email", key], name)
            for key in ("username_env", "password_env")
            if (name := getattr(self.email, key))
        ]


class Config(Strict):
    """config.yaml, validated: the brands with their channels, sectors, regions and
    languages, the database, the daemon's settings, notification targets, and the
    playbook each brand is judged by. Read it with `load_config(path)`, which raises
    ConfigError naming the file, line and key of the first problem."""

    timezone: str = "UTC"
    database: str | None = None
    secrets_file: Path | None = None
    daemon: DaemonConfig = Field(default_factory=DaemonConfig)
    brands: list[Brand] = Field(default_factory=list)
    #: who to tell of crises, held and blocked posts, dead and unknown ones
    notify: list[NotifyTarget] = Field(default_factory=list)
    #: public alert feeds the daemon reads for crisis suggestions
    feeds: list[Feed] = Field(default_factory=list)
    #: directory of the config file; relative paths in it are read from here
    base_dir: Path = Field(default=Path("."), exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        _check_zone(value)
        return value

    @field_validator("database")
    @classmethod
    def _usable_url(cls, value: str | None) -> str | None:
        if value is not None and "://" in value:
            check_database_url(value)
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> Config:
        _reject_duplicates("brands", [b.id for b in self.brands])
        _reject_duplicates("channels", [c.id for b in self.brands for c in b.channels])
        _reject_duplicates("notify", [t.name for t in self.notify])
        _reject_duplicates("feeds", [f.id for f in self.feeds])
        return self

    @model_validator(mode="after")
    def _notify_brands_known(self) -> Config:
        known = [b.id for b in self.brands]
        for index, target in enumerate(self.notify):
            for at, brand in enumerate(target.brands):
                if brand not in known:
                    raise ValueError(
                        f"notify[{index}].brands[{at}]: unknown brand {brand!r}; "
                        f"known brands: {', '.join(known) or 'none'}"
                    )
        return self

    @model_validator(mode="after")
    def _playbooks_load(self) -> Config:
        from scheduler.taxonomy_cache import checked_sectors, remember_checked

        for index, brand in enumerate(self.brands):
            # a playbook found valid before, its files unchanged, is not read again here
            if brand.playbook is not None and checked_sectors(self._files(brand)) is None:
                try:
                    self.playbook_for(brand.id)
                except PlaybookError as exc:
                    raise ValueError(f"brands[{index}].playbook: {exc}") from None
                remember_checked(self._files(brand), ())
        return self

    @model_validator(mode="after")
    def _sectors_resolve(self) -> Config:
        from scheduler.taxonomy_cache import checked_sectors, remember_checked, warm

        for index, brand in enumerate(self.brands):
            if not brand.sectors or set(brand.sectors) <= (
                checked_sectors(self._files(brand)) or frozenset()
            ):
                continue  # nothing to resolve, or resolved before under these files
            playbook = self.playbook_for(brand.id)
            if not playbook.sectors.keys() >= set(brand.sectors):
                warm(playbook.sector_names)  # names to read, not only ids
            for at, typed in enumerate(brand.sectors):
                if not playbook.resolve_sector(typed).ids:
                    raise ValueError(
                        f"brands[{index}].sectors[{at}]: {unknown_sector(typed, playbook)}"
                    )
            remember_checked(self._files(brand), brand.sectors)
        return self

    def _files(self, brand: Brand) -> tuple[Path, ...]:
        """The files the brand's playbook is read from, in order."""
        own = (self.resolve(brand.playbook),) if brand.playbook is not None else ()
        return (*DEFAULT_FILES, *own)

    def sectors_of(self, brand_id: str) -> frozenset[str]:
        """The taxonomy sectors a brand's typed sectors resolved to."""
        brand = self.brand(brand_id)
        playbook = self.playbook_for(brand_id)
        return frozenset(s for typed in brand.sectors for s in playbook.resolve_sector(typed).ids)

    def resolve_context(self, typed: str) -> tuple[str, ...]:
        """What an event's context typed by an operator means, in any brand's playbook
        (`concert hall` -> concert); BadInput naming the nearest if nothing."""
        playbooks = [
            default_playbook(),
            *(self.playbook_for(b.id) for b in self.brands if b.playbook is not None),
        ]
        found: list[str] = []
        for playbook in playbooks:
            found += [c for c in playbook.resolve_context(typed).ids if c not in found]
        if not found:
            near = default_playbook().context_names.nearest(typed)
            hint = f"nearest: {', '.join(near)}; " if near else ""
            raise BadInput(
                f"--context: {typed!r} is not a context Tactful knows ({hint}"
                "`tactful contexts` lists them all)"
            )
        return tuple(found)

    def playbook_for(self, brand_id: str) -> Playbook:
        """The brand's playbook: its own file merged over the default, else the default."""
        brand = next((b for b in self.brands if b.id == brand_id), None)
        if brand is None or brand.playbook is None:
            return default_playbook()
        return _load_brand_playbook(self.resolve(brand.playbook))

    @cached_property
    def channels(self) -> dict[str, tuple[Brand, AnyChannel]]:
        """Every channel by id, with its brand."""
        return {c.id: (b, c) for b in self.brands for c in b.channels}

    def feed(self, feed_id: str) -> Feed:
        for feed in self.feeds:
            if feed.id == feed_id:
                return feed
        known = ", ".join(f.id for f in self.feeds) or "none (add them under feeds: in config.yaml)"
        raise BadInput(f"unknown feed {feed_id!r}; known feeds: {known}")

    def brand(self, brand_id: str) -> Brand:
        for brand in self.brands:
            if brand.id == brand_id:
                return brand
        raise BadInput(
            f"unknown brand {brand_id!r}; known brands: "
            f"{', '.join(b.id for b in self.brands) or 'none'}"
        )

    def brand_zone(self, brand: Brand) -> ZoneInfo:
        return zone(brand.timezone or self.timezone)

    def zone_for(self, channel_id: str) -> ZoneInfo:
        """The zone a channel's posts read in: its brand's (the config's if unknown)."""
        entry = self.channels.get(channel_id)
        return self.brand_zone(entry[0]) if entry else zone(self.timezone)

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.base_dir / path

    @property
    def database_url(self) -> str:
        """$TACTFUL_DATABASE_URL, else `database:`, else tactful.db beside config.yaml."""
        url = os.environ.get(DATABASE_ENV) or self.database or "tactful.db"
        if "://" in url:
            if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
                return "sqlite:///" + str(self.resolve(Path(url[len("sqlite:///") :])))
            return url
        return "sqlite:///" + str(self.resolve(Path(url)))


def unknown_sector(typed: str, playbook: Playbook) -> str:
    near = playbook.sector_names.nearest(typed)
    hint = f"nearest: {', '.join(near)}; " if near else ""
    return (
        f"{typed!r} is not a sector Tactful knows ({hint}`tactful sectors` lists them "
        "all; a brand's playbook can add one)"
    )


def check_database_url(url: str) -> None:
    """Refuse a URL SQLAlchemy cannot parse or a backend Tactful does not support."""
    try:
        backend = make_url(url).get_backend_name()
    except (ArgumentError, ValueError) as exc:
        raise ValueError(f"not a database URL ({exc})") from None
    if backend not in _BACKENDS:
        raise ValueError(f"unsupported database {backend!r}; use sqlite or postgresql")


@lru_cache(maxsize=64)
def _load_brand_playbook(path: Path) -> Playbook:
    return load_playbook(path, base=default_playbook())


def _check_zone(name: str) -> None:
    try:
        zone(name)
    except BadInput as exc:
        raise ValueError(str(exc)) from None


def _reject_duplicates(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"{what}: id {item!r} is used twice; ids must be unique")
        seen.add(item)


def config_path(explicit: str | Path | None) -> Path:
    """--config, else $TACTFUL_CONFIG, else ./config.yaml."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or "config.yaml")


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate config.yaml; raise ConfigError naming file, line and key."""
    target = config_path(path)
    try:
        text = yaml_text.read_text(target)
    except YamlProblem as exc:
        raise ConfigError(str(exc)) from None
    except IsADirectoryError:
        raise ConfigError(f"{target}: is a folder, not a config file") from None
    except FileNotFoundError:
        raise ConfigError(
            f"{target}: config file not found; pass --config PATH or set {CONFIG_ENV} "
            "(`tactful demo` needs none)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{target}: cannot read config file ({exc.strerror})") from None
    return parse_config(text, source=str(target), base_dir=target.resolve().parent)


def parse_config(text: str, *, source: str = "config.yaml", base_dir: Path = Path(".")) -> Config:
    try:
        data = yaml_text.load(text, source)
        tree = yaml_text.compose(text)
    except YamlProblem as exc:
        raise ConfigError(str(exc)) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}:1: the top level must be a mapping of keys "
            "(timezone, database, daemon, brands)"
        )
    try:
        return Config.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(
            render_validation_error(
                exc, data, tree, source, known_keys=_KNOWN_KEYS, kinds=CHANNEL_KINDS
            )
        ) from None


def _all_keys(models: Iterator[type[BaseModel]]) -> set[str]:
    return {name for model in models for name in model.model_fields}


_KNOWN_KEYS = (
    _all_keys(
        iter(
            (
                Config,
                DaemonConfig,
                Brand,
                Slot,
                OutboxChannel,
                WebhookChannel,
                MastodonChannel,
                BlueskyChannel,
                EmailChannel,
                NotifyTarget,
                NotifyEmail,
            )
        )
    )
    - {"base_dir", "sender"}
) | {"from"}
