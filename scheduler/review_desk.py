"""The review queue: posts the crisis policy held for a human to approve, edit or reject.

Approving keeps the decision the reviewer saw, with the epoch and each crisis's severity
then (policies/approval.py): later toggles hold the post again only if they show
something the reviewer did not see. A blocked post (the newsjacking rule) can be
approved only with an override and a written reason.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from policies.approval import approved
from policies.models import PUBLISH
from scheduler.config import Config
from scheduler.drafting import check_tags, check_text
from scheduler.errors import BadInput, InvalidTransition
from scheduler.judging import Judging, verdict
from scheduler.models import Post, Status
from scheduler.network_limits import check_fits
from scheduler.post_desk import Page
from scheduler.store import Change, Store, queue
from scheduler.store import crises as crisis_store
from scheduler.store import verdicts as verdict_store
from scheduler.who import Who, change_for


class ReviewDesk:
    """The review queue: list what waits, and approve, edit or reject it. Each method
    takes the `change` to record or, with a `clock` (a Tactful), makes one from `note`."""

    def __init__(
        self, store: Store, config: Config, judging: Judging | None = None, clock: Who | None = None
    ) -> None:
        self.store = store
        self.config = config
        self.judging = judging or Judging(config)
        self.clock = clock

    def _change(self, change: Change | None, note: str | None, action: str) -> Change:
        return change_for(self.clock, change, note, action)

    def pending(self, now: datetime | None = None, limit: int | None = None) -> Page:
        """What waits for a human, next due first, once posts whose offer ended have
        left: at most `limit` (None: all), with how many wait in all."""
        self.expire_stale(now or self._change(None, None, "expire").now)
        held = self.store.list_posts(statuses=[Status.HELD], limit=limit)
        total = self.store.count_posts(statuses=[Status.HELD]) if held and limit else len(held)
        return Page(held, total)

    def expire_stale(self, now: datetime, actor: str = "tactful") -> list[int]:
        """Held posts whose --expires passed become `expired`."""
        with self.store.write() as conn:
            return queue.expire_held(
                conn,
                Change(
                    actor=actor,
                    now=now,
                    action="expire",
                    reason="its --expires passed while it waited for review",
                ),
            )

    def held(self, post_id: int, now: datetime | None = None) -> Post:
        if now is not None:
            self.expire_stale(now)
        post = self.store.get_post(post_id)
        if post.status is Status.EXPIRED and post.expires_at is not None:
            ended = f"{post.expires_at:%Y-%m-%d %H:%M %Z}"
            raise InvalidTransition(
                f"post {post_id} expired at {ended} while it was held: "
                "a stale offer cannot be approved or edited; queue a new "
                "post instead"
            )
        if post.status is not Status.HELD:
            raise InvalidTransition(f"post {post_id} is {post.status.value}, not held for review")
        return post

    def approve(
        self,
        post_id: int,
        change: Change | None = None,
        *,
        override: bool = False,
        note: str | None = None,
    ) -> Post:
        """Let a held post go out as it is. A blocked one needs `override` and a note."""
        change = self._change(change, note, "approve")
        post = self.held(post_id, change.now)
        if post.action == "block" and not (override and change.reason):
            raise BadInput(
                f"post {post_id} is blocked ({_rules(post)}); approving it needs "
                "--override --note WHY, which the audit log keeps"
            )
        with self.store.write() as conn:
            epoch = crisis_store.lock_epoch_exclusive(conn)
            now = change.now
            severity = {c.id: c.severity for c in crisis_store.active_crises(conn)}
            [decision_id] = verdict_store.save_decisions(
                conn, [approved(post.decision, epoch, severity)], now
            )
            # a post approved after its time goes out now, not as one that "missed" it
            values = {
                "approved_epoch": epoch,
                "run_at": max(post.run_at, now),
                "attempts": 0,
                "decision_id": decision_id,
            }
            detail = {"override": True, "decision": post.action} if override else {}
            queue.move_one(
                conn,
                post,
                to=Status.QUEUED,
                values=values,
                change=replace(change, action="approve", detail={**change.detail, **detail}),
            )
            return queue.get_post(conn, post_id)

    def edit(
        self, post_id: int, text: str, change: Change | None = None, tags: list[str] | None = None
    ) -> Post:
        """Change the text, then judge it again: fit to publish goes back to the queue."""
        change = self._change(change, None, "edit")
        post = self.held(post_id, change.now)
        text = check_text(text, "--text")
        entry = self.config.channels.get(post.channel)
        if entry is not None:
            check_fits(entry[1], text, "--text")
        if tags is not None:
            tags = list(check_tags(tags, "--tag", self.config.playbook_for(post.brand).tags))
        with self.store.write() as conn:
            queue.edit_post(conn, post_id, replace(change, action="edit"), text=text, tags=tags)
            edited = queue.get_post(conn, post_id)
            epoch = crisis_store.lock_epoch_exclusive(conn)
            active = crisis_store.active_crises(conn)
            decision = (
                self.judging.judge_for(epoch, active).judge(self.judging.facts(edited))
                if active
                else None
            )
            if decision is not None and decision.stops:
                verdict_store.apply_verdicts(
                    conn,
                    {post_id: Status.HELD},
                    {post_id: verdict(decision)},
                    epoch=epoch,
                    change=replace(change, action="judge"),
                )
            else:  # fit to go: back to the queue, now if its time has passed meanwhile
                queue.move_one(
                    conn,
                    edited,
                    to=Status.QUEUED,
                    change=replace(
                        change, action="judge", reason="edited; the policy lets it through"
                    ),
                    values={
                        "decision_id": verdict_store.save_decisions(
                            conn, [(decision or PUBLISH).to_json()], change.now
                        )[0],
                        "attempts": 0,
                        "judged_epoch": epoch,
                        "run_at": max(edited.run_at, change.now),
                    },
                )
            return queue.get_post(conn, post_id)

    def reject(self, post_id: int, change: Change | None = None, note: str | None = None) -> Post:
        """Cancel a held post for good."""
        change = self._change(change, note, "reject")
        post = self.held(post_id)
        with self.store.write() as conn:
            queue.move_one(conn, post, to=Status.CANCELLED, change=replace(change, action="reject"))
            return queue.get_post(conn, post_id)


def _rules(post: Post) -> str:
    reasons = (post.decision or {}).get("reasons", [])
    return ", ".join(sorted({r["rule"] for r in reasons if r["action"] != "publish"}))
