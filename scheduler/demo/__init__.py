"""`tactful demo`: a self-contained walk-through on a throwaway database.

It runs on a simulated clock (the dispatcher takes its clock as a parameter), so a week
of posting plays out in seconds. The webhook channel talks to a real receiver on
127.0.0.1; the other channels write JSONL outboxes. Nothing leaves the machine.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from scheduler.config import Config, load_config
from scheduler.demo.week import NEXT, WEEK
from scheduler.dispatch import Dispatcher
from scheduler.drafting import Draft, Drafting
from scheduler.loopback import WebhookReceiver
from scheduler.publishers import PublisherPool
from scheduler.store import Change, Store

ACTOR = "demo"
SECRET_NAME = "STRIDE_WEBHOOK_SECRET"


@dataclass
class SimClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class DemoResult:
    workdir: Path
    config: Config
    queued: int
    statuses: dict[str, int]
    webhook_requests: int
    signatures_ok: bool


def write_demo_config(workdir: Path, webhook_url: str, secret: str) -> Path:
    template = (Path(__file__).parent / "config.yaml").read_text(encoding="utf-8")
    path = workdir / "config.yaml"
    path.write_text(template.replace("{webhook_url}", webhook_url), encoding="utf-8")
    secrets = workdir / "secrets.env"
    secrets.write_text(f"{SECRET_NAME}={secret}\n", encoding="utf-8")
    os.chmod(secrets, 0o600)
    return path


def next_monday(today: date) -> date:
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


def run_demo(workdir: Path, out: Console, *, today: date) -> DemoResult:
    monday = next_monday(today)
    secret = os.urandom(16).hex()
    # the first webhook request fails with 503, to show a retry with backoff
    with WebhookReceiver(secret=secret, failures=[503]) as receiver:
        config = load_config(write_demo_config(workdir, receiver.url, secret))
        store = Store.open(config.database_url)
        clock = SimClock(datetime.combine(monday, datetime.min.time(), UTC))
        try:
            out.rule("[bold]Tactful demo: a week of posts")
            out.print(f"Working in {workdir} (simulated clock, starting "
                      f"{clock.now:%a %d %b %Y %H:%M} UTC).\n")
            _show_channels(out, config)
            queued = _queue_week(out, config, store, clock, monday)
            _play_week(out, config, store, clock, monday + timedelta(days=7))
            statuses = store.status_counts()
        finally:
            store.close()
        delivered = receiver.delivered()
        ok = all(r.signature_ok for r in receiver.received)
        out.print(f"\nWebhook receiver on {receiver.url}: {len(receiver.received)} requests, "
                  f"{len(delivered)} accepted, HMAC signatures "
                  f"{'all valid' if ok else 'NOT all valid'}.")
    out.print("Final statuses: " + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))
    return DemoResult(workdir, config, queued, statuses, len(receiver.received), ok)


def _show_channels(out: Console, config: Config) -> None:
    table = Table(title="Brands and channels", box=None, header_style="bold")
    for column in ("brand", "channel", "kind", "time zone", "languages"):
        table.add_column(column)
    for channel_id, (brand, ch) in config.channels.items():
        table.add_row(brand.name or brand.id, channel_id, ch.kind, config.brand_zone(brand).key,
                      ", ".join(brand.languages))
    out.print(table)


def _queue_week(out: Console, config: Config, store: Store, clock: SimClock,
                monday: date) -> int:
    drafting = Drafting(config, now=clock.now, taken=store.taken_times,
                        label=lambda field: field)
    drafts = [Draft(channel=ch, at=at if at == NEXT else f"{monday + timedelta(days=d)}T{at}",
                    text=text, tags=tags) for ch, d, at, text, tags in WEEK]
    new = drafting.build_all(drafts)
    store.add_posts(new, Change(actor=ACTOR, now=clock.now, reason="demo week",
                                action="create"))
    out.print(f"\nQueued {len(new)} posts for the week of {monday:%d %b %Y} "
              f"(3 of them with --next-slot).\n")
    return len(new)


def _play_week(out: Console, config: Config, store: Store, clock: SimClock,
               end: date) -> None:
    stop_at = datetime.combine(end, datetime.min.time(), UTC)
    pool = PublisherPool(config)
    dispatcher = Dispatcher(store, config.daemon, pool, clock=clock, worker="demo-daemon")
    table = Table(title="What the daemon did", box=None, header_style="bold")
    for column in ("local time", "channel", "outcome", "text / detail"):
        table.add_column(column, overflow="fold")
    outcomes: Counter[str] = Counter()
    try:
        while (due := store.next_wake()) is not None and due < stop_at:
            clock.now = max(clock.now, due)
            report = dispatcher.run_pass()
            for event in report.events:
                outcomes[event["outcome"]] += 1
                table.add_row(*_event_row(config, store, event))
    finally:
        pool.close()
    out.print(table)
    out.print("Outcomes: " + ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())))


def _event_row(config: Config, store: Store, event: dict) -> tuple[str, str, str, str]:
    post = store.get_post(event["post"])
    brand, _ = config.channels[post.channel]
    tz = config.brand_zone(brand)
    when = (post.published_at or post.updated_at or post.due_at).astimezone(tz)
    detail = post.text if event["outcome"] == "published" else event["detail"]
    return (f"{when:%a %H:%M %Z}", post.channel, event["outcome"], detail)
