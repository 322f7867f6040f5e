"""`tactful demo`: the Boston story, on a throwaway database and a simulated clock.

A week of posts for three brands; on the Monday afternoon a marathon bombing is flagged
in Boston; the policy judges every post and says why; a marketer tries to newsjack and
is blocked, posts an honest operational notice and it goes out; the crisis is updated
as the story develops; a review round; the crisis ends and paused posts come back at a
gentle pace. The dispatcher takes its clock as a parameter, so the week plays out in
seconds. The webhook channel talks to a real receiver on 127.0.0.1; nothing leaves the
machine.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from scheduler.config import Config, load_config
from scheduler.demo.week import NEXT, WEEK
from scheduler.drafting import Draft, Drafting
from scheduler.errors import BadInput
from scheduler.impact import Impact
from scheduler.loopback import WebhookReceiver
from scheduler.models import CrisisSpec, Status
from scheduler.network_limits import mastodon_length
from scheduler.publishers import credential_status
from scheduler.store import Change
from scheduler.tactful import Tactful

ACTOR = "demo-marketer"
SECRET_NAME = "STRIDE_WEBHOOK_SECRET"
BOSTON = ZoneInfo("America/New_York")


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
    outcomes: Counter[str] = field(default_factory=Counter)


def write_demo_config(workdir: Path, webhook_url: str, secret: str) -> Path:
    template = (Path(__file__).parent / "config.yaml").read_text(encoding="utf-8")
    path = workdir / "config.yaml"
    feeds = workdir / "feeds"
    feeds.mkdir(exist_ok=True)
    text = template.replace("{webhook_url}", webhook_url)
    path.write_text(text.replace("{feeds_url}", feeds.resolve().as_uri()), encoding="utf-8")
    secrets = workdir / "secrets.env"
    secrets.write_text(f"{SECRET_NAME}={secret}\n", encoding="utf-8")
    os.chmod(secrets, 0o600)
    return path


def next_monday(today: date) -> date:
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


class Story:
    """The demo's cast: one config, one store, one clock, the desks and the daemon."""

    def __init__(
        self, workdir: Path, out: Console, receiver: WebhookReceiver, secret: str, monday: date
    ) -> None:
        self.out = out
        self.monday = monday
        self.clock = SimClock(self.at(0, "00:00"))
        # the library's front door, as a script would use it, on a simulated clock
        self.tactful = Tactful(
            load_config(write_demo_config(workdir, receiver.url, secret)),
            actor=ACTOR,
            clock=self.clock,
        )
        self.config = self.tactful.config
        self.store = self.tactful.store
        self.crises = self.tactful.crises
        self.review = self.tactful.review
        self.runner = self.tactful.daemon(worker="demo-daemon")
        self.daemon = self.runner.dispatcher
        self.outcomes: Counter[str] = Counter()

    def at(self, day: int, hhmm: str) -> datetime:
        local = datetime.fromisoformat(f"{self.monday + timedelta(days=day)}T{hhmm}")
        return local.replace(tzinfo=BOSTON).astimezone(UTC)

    def change(self, reason: str | None = None, action: str = "status") -> Change:
        return self.tactful.change(reason, action=action)

    def close(self) -> None:
        self.runner.close()
        self.tactful.close()

    # -- scenes -------------------------------------------------------------------------
    def queue_week(self) -> int:
        drafts = [
            Draft(
                channel=ch,
                text=text,
                tags=tags,
                automated=auto,
                at=at if at == NEXT else f"{self.monday + timedelta(days=d)}T{at}",
            )
            for ch, d, at, text, tags, auto in WEEK
        ]
        ids = self.tactful.posts.add_all(drafts, note="the week's plan")
        self.out.print(f"Queued {len(ids)} posts for the week of {self.monday:%d %b %Y}.")
        return len(ids)

    def play_until(self, until: datetime, title: str) -> None:
        table = Table(title=title, box=None, header_style="bold", title_justify="left")
        for column in ("Boston time", "channel", "outcome", "post"):
            table.add_column(column, overflow="fold")
        while (due := self.store.next_wake()) is not None and due <= until:
            self.clock.now = max(self.clock.now, due)
            for event in self.daemon.run_pass().events:
                self.outcomes[event["outcome"]] += 1
                post = self.store.get_post(event["post"])
                detail = (
                    post.text
                    if event["outcome"] == "published"
                    else f"{post.text}  [{event['detail']}]"
                )
                table.add_row(
                    f"{self.clock.now.astimezone(BOSTON):%a %H:%M}",
                    post.channel,
                    event["outcome"],
                    detail,
                )
        self.clock.now = max(self.clock.now, until)
        if table.row_count:
            self.out.print(table)

    def show_impact(self, impact: Impact) -> None:
        totals = impact.totals()
        self.out.print(
            f"Judged {impact.judged} queued posts: "
            + ", ".join(
                f"{totals.get(k, 0)} {k}"
                for k in ("paused", "held", "rewritten", "blocked", "untouched")
            )
        )
        for label, examples in impact.examples.items():
            for example in examples:
                self.out.print(
                    f"  [bold]{label}[/bold] post {example['post']} "
                    f"({example['brand']}): {example['text']}\n"
                    f"      {example['why']}",
                    soft_wrap=True,
                )
                if example["proposed_text"]:
                    self.out.print(
                        f"      proposed instead: {example['proposed_text']}", soft_wrap=True
                    )
        if impact.in_flight:
            self.out.print(f"  in flight when flagged: {[p.id for p in impact.in_flight]}")
        if impact.notices:
            self.out.print(
                f"  drafted a notice of the operating change for review: "
                f"post {', '.join(map(str, impact.notices))}"
            )

    def add_now(self, channel: str, text: str, tags: tuple[str, ...] = ()) -> None:
        [pid] = self.tactful.posts.add_all(
            [Draft(channel=channel, text=text, tags=tags, at="now")],
            note="written during the crisis",
        )
        post = self.tactful.posts.get(pid)
        verdict = post.status_reason if post.status is not Status.QUEUED else "may go out"
        self.out.print(
            f'  post {pid}: "{text}"\n      -> {post.status.value}: {verdict}', soft_wrap=True
        )


def run_demo(workdir: Path, out: Console, *, today: date) -> DemoResult:
    secret = os.urandom(16).hex()
    with WebhookReceiver(secret=secret, failures=[503]) as receiver:
        story = Story(workdir, out, receiver, secret, next_monday(today))
        try:
            queued = _tell(story, out)
            statuses = story.store.status_counts()
        finally:
            story.close()
        ok = all(r.signature_ok for r in receiver.received)
        out.print(
            f"\nWebhook receiver on {receiver.url}: {len(receiver.received)} requests, "
            f"{len(receiver.delivered())} accepted, HMAC signatures "
            f"{'all valid' if ok else 'NOT all valid'}."
        )
    out.print("Final statuses: " + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))
    return DemoResult(
        workdir, story.config, queued, statuses, len(receiver.received), ok, story.outcomes
    )


def _tell(story: Story, out: Console) -> int:
    out.rule("[bold]Tactful demo: the Boston story")
    out.print(
        "Three brands: Stride Running Co. (Boston, athletic apparel), Pekárna Kvásek "
        "(Prague bakery) and Təkərlək Avto Servis (Baku). Simulated clock; "
        f"nothing leaves 127.0.0.1. Working in {story.config.base_dir}.\n"
    )
    queued = story.queue_week()
    story.play_until(story.at(0, "14:49"), "Marathon Monday, before 2:49 pm")

    out.rule("14:50 Boston: explosions at the marathon finish line")
    out.print(
        "The social media manager flags it (crisis on): bombing, serious, Boston "
        "only, operations reduced (the Boylston Street store closes early)."
    )
    impact = story.crises.flag(
        CrisisSpec(
            name="Boston Marathon bombing",
            category="bombing",
            severity="serious",
            keywords=("marathon", "Boston", "#BostonStrong", "finish line"),
            contexts=("marathon",),
            regions=("us-ma",),
            ops="reduced",
        ),
        story.change("explosions at the finish line", "crisis-on"),
    )
    story.show_impact(impact)

    out.rule("15:10 Posts written during the crisis are judged as they are added")
    story.clock.now = story.at(0, "15:10")
    story.add_now("stride-outbox", "#BostonStrong? Stay strong with 20% off all shoes!", ("promo",))
    story.add_now("stride-outbox", "We donated $10,000 to the victims' fund.")
    story.add_now(
        "stride-outbox",
        "Our staff are giving blood this afternoon, so replies "
        "will be slow. The Boylston Street store is closed.",
        ("service",),
    )
    story.play_until(story.at(0, "23:59"), "Monday evening: what the daemon did")

    story.play_until(story.at(2, "02:59"), "Tuesday")
    flood = _feed_scene(story, out)
    story.play_until(story.at(3, "06:59"), "Wednesday")
    out.rule("Thursday: the story develops (keep monitoring)")
    story.clock.now = story.at(3, "07:00")
    crisis_id = impact.crisis.id if impact.crisis else 1
    impact = story.crises.update(
        crisis_id,
        {"keywords": [*impact.crisis.keywords, "Watertown", "manhunt"], "severity": "severe"},
        story.change("a manhunt in Watertown", "crisis-update"),
    )
    out.print("Added 'Watertown' and 'manhunt'; severity now severe (every automated post pauses).")
    story.show_impact(impact)

    out.rule("Review round")
    _review_round(story, out)
    story.play_until(story.at(3, "11:59"), "Thursday")

    out.rule("Thursday 18:00 Prague: the Vltava is falling; the flood crisis ends")
    story.clock.now = story.at(3, "12:00")
    ended = story.crises.end(
        flood, story.change("the Vltava is falling", "crisis-off"), resume="paced"
    )
    out.print(f"Released {len(ended.posts.released)} of Kvásek's paused post(s) at a paced rate.")
    story.play_until(story.at(4, "17:59"), "Thursday evening and Friday")

    out.rule("Friday 18:00: the crisis ends; paused posts come back at a gentle pace")
    story.clock.now = story.at(4, "18:00")
    result = story.crises.end(
        crisis_id, story.change("suspect in custody", "crisis-off"), resume="paced", rate="1/1h"
    )
    out.print(
        f"Released {len(result.posts.released)} paused post(s), at most 1 per channel "
        f"per hour; dropped {len(result.posts.expired)} expired."
    )
    story.play_until(story.at(7, "00:00"), "The weekend")
    out.print(
        "Outcomes this week: " + ", ".join(f"{n} {o}" for o, n in sorted(story.outcomes.items()))
    )
    _networks(story, out)
    return queued


def _feed_scene(story: Story, out: Console) -> int:
    """A flood warning for Prague arrives on a CAP feed; the daemon's poll turns it into
    a suggestion, and the Prague team accepts it. The id of the crisis it flagged."""
    out.rule("Wednesday 09:00 Prague: a flood warning arrives on a public alert feed")
    story.clock.now = story.at(2, "03:00")
    now = story.clock.now
    template = (Path(__file__).parent / "prague_flood.xml").read_text(encoding="utf-8")
    alert = template.format(sent=now.isoformat(), expires=(now + timedelta(days=2)).isoformat())
    (story.config.base_dir / "feeds" / "cz-hydro.xml").write_text(alert, encoding="utf-8")
    [feed] = story.config.feeds
    [report] = [story.tactful.feeds.poll(feed, now)]
    [suggestion] = story.tactful.suggestions.list()
    spec, reach = suggestion.spec, suggestion.reach
    stops = {k: n for k, n in reach["posts"].items() if k != "untouched"}
    out.print(
        f"The daemon polls feed {feed.id} (CAP) and reads: {report.alerts[0].headline!r}, "
        f"{spec['category']}, {spec['severity']}, region {', '.join(spec['regions'])}. "
        f"It reaches {', '.join(reach['brands'])}; flagging it now would stop "
        + (", ".join(f"{n} {k}" for k, n in stops.items()) or "no post")
        + ". A suggestion, not a crisis yet:",
        soft_wrap=True,
    )
    from scheduler.feeds.raising import on_command, spec_of

    out.print(f"  suggestion {suggestion.id}: {on_command(spec_of(suggestion))}", soft_wrap=True)
    out.print(f"The Prague team agrees: tactful crisis accept {suggestion.id}")
    impact = story.tactful.suggestions.accept(suggestion.id)
    story.show_impact(impact)
    return impact.crisis.id if impact.crisis else 0


def _networks(story: Story, out: Console) -> None:
    """The Mastodon and Bluesky channels: what they need, and a post refused when queued
    (not at 3 a.m.) because it is longer than the network allows."""
    out.rule("Real networks: Mastodon and Bluesky")
    table = Table(box=None, header_style="bold")
    for column in ("channel", "kind", "credentials"):
        table.add_column(column)
    credentials = credential_status(story.config)
    for channel_id, (_, channel) in story.config.channels.items():
        names, missing = credentials[channel_id]
        table.add_row(
            channel_id,
            channel.kind,
            "-" if not names else "set" if not missing else "not set: " + ", ".join(missing),
        )
    out.print(table)
    drafting = Drafting(
        story.config, now=story.clock.now, taken=story.store.taken_times, label=lambda name: name
    )
    long_text = ("Zítra pečeme žitný chléb s kmínem podle receptu naší babičky. " * 6).strip()
    try:
        drafting.build(Draft(channel="kvasek-bluesky", text=long_text, at="+1h"))
    except BadInput as exc:
        out.print(f"  A post for kvasek-bluesky is refused when queued: {exc}", soft_wrap=True)
    link = "https://stride.example/" + "winter-trail-collection/" * 22
    fits = f"The winter trail collection is in: {link}"
    drafting.build(Draft(channel="stride-mastodon", text=fits, at="+1h"))
    out.print(
        f"  A Mastodon post of {len(fits)} characters passes: Mastodon counts its "
        f"link as 23, so it is {mastodon_length(fits)} of the 500 allowed.",
        soft_wrap=True,
    )
    out.print(
        "  To post for real, set the instance or handle in config.yaml, export "
        "STRIDE_MASTODON_TOKEN or KVASEK_BLUESKY_PASSWORD (an app password), and run "
        "`tactful channel test ID` (README: Publishers).",
        soft_wrap=True,
    )


def _review_round(story: Story, out: Console) -> None:
    rewritten = False
    for post in story.review.pending(story.clock()).items:
        decision = post.decision or {}
        action = decision.get("action")
        if (
            decision.get("reasons", [{}])[0].get("rule") == "follow-the-business"
            and post.brand == "stride"
        ):
            edited = story.review.edit(
                post.id,
                "Our Boylston Street store closed early on "
                "Monday and reopens Saturday. Online orders will ship "
                "next week. Thank you for your patience.",
                story.change(action="edit"),
                tags=["service"],
            )
            outcome = f"edited the drafted notice -> {edited.status.value}"
            if edited.status is Status.HELD:
                story.review.approve(post.id, story.change("notice checked", "approve"))
                outcome += ", then approved"
        elif action == "rewrite" and not rewritten:
            story.review.edit(
                post.id,
                decision["proposed_text"],
                story.change(action="edit"),
                tags=["announcement"],
            )
            story.review.approve(post.id, story.change("used the prepared alternative", "approve"))
            rewritten = True
            outcome = "took the proposed rewrite and approved it"
        elif action == "rewrite":
            story.review.reject(
                post.id, story.change("the alternative went out once; once is enough", "reject")
            )
            outcome = "rejected: the alternative already goes out once"
        elif action == "block":
            story.review.reject(post.id, story.change("newsjacking", "reject"))
            outcome = "rejected (blocked: newsjacking)"
        else:
            story.review.reject(post.id, story.change("not this week", "reject"))
            outcome = "rejected"
        out.print(f"  post {post.id} ({post.brand}): {outcome}", soft_wrap=True)
