"""Letting stopped posts go when a crisis ends or a channel resumes: which paused or
held posts nothing stops any more, and releasing them at a paced rate per channel (rule
8), to review first, or not yet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Literal

from policies.approval import approval_of
from policies.engine import Judge
from policies.playbook import parse_rate
from scheduler.config import Config
from scheduler.errors import BadInput
from scheduler.judging import Judging
from scheduler.models import Paused, Post, Status
from scheduler.outcomes import Released
from scheduler.release import Rate, Releasable, plan_release
from scheduler.store import Change, Store
from scheduler.store import channels as channel_store
from scheduler.store import crises as crisis_store

Resume = Literal["paced", "review", "hold"]
#: decisions that hold a post for a human (the review queue), as the policy writes them
HELD_BY_POLICY = frozenset({"hold", "rewrite", "block"})


class Releaser:
    """Judges stopped posts again and lets go of those nothing stops any more."""

    def __init__(self, store: Store, config: Config, judging: Judging) -> None:
        self.store = store
        self.config = config
        self.judging = judging

    def held_split(self, judge: Judge, epoch: int) -> tuple[list[Post], list[Post]]:
        """Posts the crisis policy held (for review, a rewrite, or blocked) that a crisis
        still active stops, and those it no longer does."""
        held = [
            p for p in self.store.list_posts(statuses=[Status.HELD]) if p.action in HELD_BY_POLICY
        ]
        still, cleared = [], []
        for post in held:
            decision = self.judging.decide(judge, post, epoch)
            (still if decision is not None and decision.stops else cleared).append(post)
        return still, cleared

    def release(
        self,
        free: Sequence[Releasable],
        change: Change,
        *,
        resume: Resume,
        pace,
        why: str,
        stopped_as: Status = Status.PAUSED,
    ) -> Released:
        """Let paused posts (or held ones, `stopped_as`) that nothing stops any more go:
        at a paced rate per channel, to review first (a held post stays there, without
        the crisis's verdict, so a block no longer asks for an override), or not yet
        (`hold`)."""
        if not free:
            return Released()
        if resume == "review":
            ids = [p.id for p in free]
            with self.store.write() as conn:
                to_review = (
                    crisis_store.move_paused(
                        conn,
                        ids,
                        Status.HELD,
                        replace(
                            change, action="resume", reason=f"{why}; review before it goes out"
                        ),
                    )
                    if stopped_as is Status.PAUSED
                    else crisis_store.clear_holds(
                        conn,
                        ids,
                        replace(change, action="resume", reason=f"{why}: approve it to send it"),
                    )
                )
            return Released(to_review=to_review)
        if resume == "hold":
            return Released(kept_paused=[p.id for p in free])
        plan = plan_release(free, now=change.now, rate_for=pace)
        with self.store.write() as conn:
            released, expired = crisis_store.release_paused(
                conn,
                plan.schedule,
                plan.expired,
                replace(change, action="resume", reason=f"{why}; released at a paced rate"),
                stopped_as=stopped_as,
            )
        went = set(released)
        return Released(
            released=[(pid, at) for pid, at in plan.schedule if pid in went], expired=expired
        )

    def paused_split(
        self, judge: Judge, epoch: int, change: Change, channel: str | None = None
    ) -> tuple[list[Paused], list[Paused]]:
        """Paused posts (of one channel, or all) that a remaining crisis or a paused
        channel still stops, and those free to go. Read lean (a Paused row, not a whole
        Post): a crisis may have paused a hundred thousand."""
        with self.store.read() as conn:
            paused_channels = channel_store.paused_channels(conn)
            paused = crisis_store.paused_posts(conn, channel=channel)
            # what a human approved, of the few posts that carry an approval
            approvals = crisis_store.decisions_of(
                conn, [p.id for p in paused if p.approved_epoch is not None]
            )
        still, free = [], []
        for post in paused:
            decision = self.judging.decide(judge, post, epoch, approval_of(approvals.get(post.id)))
            stopped = post.channel in paused_channels or (decision is not None and decision.stops)
            (still if stopped else free).append(post)
        return still, free

    def rate_for(self, rate: str | None):
        default = self.config.playbook_for("").resume.rate if rate is None else rate
        try:
            posts_per, seconds = parse_rate(default)
        except ValueError as exc:
            raise BadInput(f"--rate: {exc}") from None
        fallback = Rate(posts_per, timedelta(seconds=seconds))

        def rate_for(channel_id: str) -> Rate:
            entry = self.config.channels.get(channel_id)
            if rate is None and entry and entry[1].max_per_hour:
                return Rate(entry[1].max_per_hour, timedelta(hours=1))
            return fallback

        return rate_for
