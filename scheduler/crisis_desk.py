"""Flagging, previewing, updating and ending crises, and judging the queue each time.

What a crisis can be is scheduler/crisis_spec.py, the report scheduler/impact.py, letting
stopped posts go scheduler/releasing.py, the notice of an operating change
scheduler/notices.py; channels are paused by scheduler/channel_desk.py.

`flag` commits the new crisis and epoch first (from then on every claim judges under
it), lists the posts already in flight, then judges the whole queue in pages and writes
the decisions, so the report shows what changed. `preview` judges the same way and
writes nothing. `end` commits the end, re-judges paused posts under whatever crises
remain, and releases the rest at a paced rate per channel (rule 8).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from policies.approval import approval_of
from policies.engine import Judge
from policies.models import Ops
from scheduler.config import Config
from scheduler.crisis_spec import changed_fields, check_spec
from scheduler.errors import BadInput, NotFound
from scheduler.impact import Impact
from scheduler.judging import Judging, to_policy
from scheduler.models import CrisisRecord, CrisisSpec, Status, Verdict
from scheduler.notices import draft_notices
from scheduler.outcomes import CrisisStatus, Ending
from scheduler.releasing import Releaser, Resume
from scheduler.store import Change, Store, queue
from scheduler.store import channels as channel_store
from scheduler.store import crises as crisis_store
from scheduler.store import verdicts as verdict_store
from scheduler.verdict_writer import VerdictWriter
from scheduler.who import Who, change_for

if TYPE_CHECKING:
    from sqlalchemy import Connection

PAGE = 5000
#: verdicts written per transaction; a claim waits at most this long for a toggle
WRITE_EVERY = 20_000


class CrisisDesk:
    """Flags, previews, updates and ends crises; each toggle commits first and then
    judges the queue it can reach.

    Every method takes the `change` to record (who, when, why) or, with a `clock` (a
    Tactful) given, makes one from `note`.
    """

    def __init__(
        self, store: Store, config: Config, judging: Judging | None = None, clock: Who | None = None
    ) -> None:
        self.store = store
        self.config = config
        self.judging = judging or Judging(config)
        self.clock = clock
        self.releaser = Releaser(store, config, self.judging)

    def _change(self, change: Change | None, note: str | None, action: str) -> Change:
        return change_for(self.clock, change, note, action)

    # -- what is in force ---------------------------------------------------------------
    def active(self) -> list[CrisisRecord]:
        """The crises in force now, oldest first."""
        with self.store.read() as conn:
            return crisis_store.active_crises(conn)

    def history(self) -> list[CrisisRecord]:
        """Every crisis, active or ended, oldest first."""
        with self.store.read() as conn:
            return crisis_store.all_crises(conn)

    def status(self) -> CrisisStatus:
        """The active crises, the epoch, and how many posts are paused or held."""
        with self.store.read() as conn:
            active = crisis_store.active_crises(conn)
            epoch = crisis_store.lock_epoch_shared(conn)
        counts = self.store.status_counts()
        return CrisisStatus(
            epoch=epoch, active=active, paused=counts.get("paused", 0), held=counts.get("held", 0)
        )

    # -- flag, preview, update ----------------------------------------------------------
    def flag(
        self,
        spec: CrisisSpec,
        change: Change | None = None,
        *,
        with_crisis: Callable[[Connection, int], None] | None = None,
    ) -> Impact:
        """Flag a crisis: commit it (from then on every claim judges under it), then
        judge the queue it can reach and report what that did. `with_crisis(conn, id)`
        runs in the transaction that commits it (a suggestion decided with it): if it
        raises, no crisis is flagged."""
        change = self._change(change, spec.note, "crisis-on")
        spec = check_spec(self.config, spec)
        with self.store.write() as conn:
            epoch = crisis_store.bump_epoch(conn, change.now)
            crisis_id = crisis_store.insert_crisis(conn, spec.values(), change)
            if with_crisis is not None:
                with_crisis(conn, crisis_id)
            flying = crisis_store.in_flight(conn)
        flagged = self.store_crisis(crisis_id)
        impact = self.rejudge(epoch, change, changed=[flagged])
        impact.crisis = flagged
        impact.in_flight = flying
        if Ops(spec.ops) is not Ops.NORMAL:
            impact.notices = draft_notices(self.store, self.config, impact.crisis, change, epoch)
        self._judged(crisis_id, epoch, change, impact)
        return impact

    def preview(
        self, spec: CrisisSpec, now: datetime | None = None, actor: str | None = None
    ) -> Impact:
        """Judge today's queue as if this crisis were flagged too; change nothing."""
        if now is None or actor is None:
            who = self._change(None, None, "preview")
            now, actor = now or who.now, actor or who.actor
        spec = check_spec(self.config, spec)
        with self.store.read() as conn:
            active = crisis_store.active_crises(conn)
        drill = CrisisRecord.drill(spec, now, actor)
        judge = Judge([to_policy(c) for c in [*active, drill]], self.config.playbook_for)
        impact = self._judge_queue(judge, None, None, changed=[drill])
        impact.crisis = drill
        return impact

    def revise(
        self,
        crisis_id: int,
        *,
        category: str | None = None,
        severity: str | None = None,
        ops: str | None = None,
        keywords: Sequence[str] = (),
        contexts: Sequence[str] = (),
        regions: Sequence[str] = (),
        brands: Sequence[str] = (),
        channels: Sequence[str] = (),
        langs: Sequence[str] = (),
        until: datetime | None = None,
        note: str | None = None,
        change: Change | None = None,
    ) -> Impact:
        """Change an active crisis as the story develops, and judge again at once.
        Keywords and contexts given are added to the crisis's; regions, brands, channels
        and languages given replace its scope; the rest replace what they name."""
        current = self.store_crisis(crisis_id)
        changes: dict[str, Any] = {
            key: value
            for key, value in (
                ("category", category),
                ("severity", severity),
                ("ops", ops),
                ("until", until),
            )
            if value
        }
        for key, added in (("keywords", keywords), ("contexts", contexts)):
            if added:
                changes[key] = (*getattr(current, key), *added)
        for key, given in (
            ("regions", regions),
            ("brands", brands),
            ("channels", channels),
            ("langs", langs),
        ):
            if given:
                changes[key] = tuple(given)
        if not changes:
            raise BadInput("nothing to change: give --keyword, --severity, --ops, ...")
        return self.update(crisis_id, changes, self._change(change, note, "crisis-update"))

    def update(self, crisis_id: int, changes: dict[str, Any], change: Change) -> Impact:
        """Replace fields of an active crisis (`revise` adds keywords instead) and judge
        the posts it reached before or reaches now."""
        current = self._active(crisis_id)
        spec = check_spec(self.config, replace(current.spec, **changes))
        with self.store.write() as conn:
            epoch = crisis_store.bump_epoch(conn, change.now)
            crisis_store.update_crisis(conn, crisis_id, changed_fields(current, spec), change)
            flying = crisis_store.in_flight(conn)
        updated = self.store_crisis(crisis_id)
        # posts the crisis reached before the change, or reaches after it
        impact = self.rejudge(epoch, change, changed=[current, updated])
        impact.crisis = updated
        impact.in_flight = flying
        if spec.ops != current.ops and Ops(spec.ops) is not Ops.NORMAL:
            impact.notices = draft_notices(self.store, self.config, impact.crisis, change, epoch)
        self._judged(crisis_id, epoch, change, impact)
        return impact

    def rejudge(self, epoch: int, change: Change, changed: Sequence[CrisisRecord]) -> Impact:
        """Judge the queued, failed and paused posts the `changed` crises reach (or
        reached) under `epoch` and write the verdicts."""
        with self.store.read() as conn:
            active = crisis_store.active_crises(conn)
        judge = self.judging.judge_for(epoch, active)
        return self._judge_queue(judge, epoch, change, changed)

    def _judge_queue(
        self,
        judge: Judge,
        epoch: int | None,
        change: Change | None,
        changed: Sequence[CrisisRecord],
    ) -> Impact:
        """Read the queue page by page, judge each post, and write the verdicts in large
        batches (a commit per page would cost more than the judging)."""
        with _collector_paused():
            return self._judge_pages(
                judge,
                epoch,
                change,
                Judge([to_policy(c) for c in changed], self.config.playbook_for),
            )

    def _judge_pages(
        self, judge: Judge, epoch: int | None, change: Change | None, scope: Judge
    ) -> Impact:
        """Posts `scope` (the crises that changed) cannot reach are neither read nor
        counted: nothing that could matter to them changed."""
        impact = Impact(epoch=epoch)
        writing = epoch is not None and change is not None
        seen: dict[int, str] = {}
        pending: dict[int, Verdict] = {}
        released: dict[int, Verdict] = {}
        after = 0
        unreachable = [
            b.id for b in self.config.brands if not scope.may_reach(self.judging.brand_facts(b.id))
        ]
        with self.store.read() as conn:
            # a paused channel's posts stay paused whatever the crises say (a pause made
            # while this runs bumps the epoch, and then this toggle's writes are dropped)
            held_channels = channel_store.paused_channels(conn)
        with VerdictWriter(lambda s, v: self._write(s, v, epoch, change)) as writer:
            while True:
                with self.store.read() as conn:
                    page = crisis_store.posts_to_judge(
                        conn, after_id=after, limit=PAGE, unreachable=unreachable
                    )
                    approvals = crisis_store.decisions_of(
                        conn, [p.id for p in page if p.approved_epoch not in (None, epoch)]
                    )
                if not page:
                    break
                after = page[-1].id
                for post in page:
                    if not scope.reaching(
                        self.judging.brand_facts(post.brand), post.channel, post.lang
                    ):
                        continue
                    # a preview (no epoch) honours every approval as the toggle would
                    at = -1 if epoch is None else epoch
                    decision, new = self.judging.ruling(
                        judge, post, at, approval_of(approvals.get(post.id))
                    )
                    if decision is None:  # a human's approval still covers it
                        continue
                    impact.count(post, decision)
                    if decision.stops:
                        pending[post.id] = self.judging.verdict(decision, overriding=new)
                    elif post.status == Status.PAUSED and post.channel not in held_channels:
                        pending[post.id] = released.setdefault(
                            id(decision),
                            Verdict(
                                status=Status.QUEUED,
                                decision=decision.to_json(),
                                reason="the crisis no longer stops it",
                            ),
                        )
                    else:
                        continue
                    seen[post.id] = post.status
                if writing and len(pending) >= WRITE_EVERY:
                    if not writer.submit(seen, pending):
                        break
                    seen, pending = {}, {}
            if writing and pending:
                writer.submit(seen, pending)
            impact.superseded = not writer.wait()
        return impact

    def _write(
        self, seen: dict[int, str], verdicts: dict[int, Verdict], epoch: int, change: Change
    ) -> bool:
        """Apply verdicts in one transaction, unless a newer toggle has taken over."""
        with self.store.write() as conn:
            if crisis_store.lock_epoch_exclusive(conn) != epoch:
                return False
            verdict_store.apply_verdicts(
                conn,
                seen,
                verdicts,
                epoch=epoch,
                change=Change(actor=change.actor, now=change.now, action="judge"),
            )
        return True

    # -- end ------------------------------------------------------------------------------
    def end(
        self,
        crisis_id: int | None = None,
        change: Change | None = None,
        *,
        resume: Resume = "paced",
        rate: str | None = None,
        note: str | None = None,
    ) -> Ending:
        """End a crisis (the only active one, or `crisis_id`); paused posts and the posts
        it held that nothing stops now come back paced, go to review, or stay (`hold`)."""
        change = self._change(change, note, "crisis-off")
        target = self._one_to_end(crisis_id)
        pace = self.releaser.rate_for(rate)
        with self.store.write() as conn:
            epoch = crisis_store.bump_epoch(conn, change.now)
            crisis_store.end_crisis(
                conn, target.id, replace(change, detail={"resume": resume, "rate": rate})
            )
            remaining = crisis_store.active_crises(conn)
        judge = self.judging.judge_for(epoch, remaining)
        still, free = self.releaser.paused_split(judge, epoch, change)
        held, cleared = self.releaser.held_split(judge, epoch)
        why = f"crisis {target.id} ended"
        ending = Ending(
            crisis=target.id,
            epoch=epoch,
            resume=resume,
            still_paused=len(still),
            still_held=len(held),
            posts=self.releaser.release(free, change, resume=resume, pace=pace, why=why),
            holds=self.releaser.release(
                cleared,
                change,
                resume=resume,
                pace=pace,
                stopped_as=Status.HELD,
                why=f"{why}; no active crisis stops it now",
            ),
        )
        self.store.note(
            replace(
                change,
                action="crisis-judged",
                reason=None,
                detail={
                    "crisis": target.id,
                    "epoch": epoch,
                    "outcome": {
                        "still_paused": ending.still_paused,
                        "still_held": ending.still_held,
                        **ending.posts.counts(),
                        **{f"holds_{k}": n for k, n in ending.holds.counts().items()},
                    },
                },
            )
        )
        return ending

    def upkeep(self, now: datetime) -> list[Ending]:
        """Before each daemon pass: end crises whose --until has passed, and let held posts
        whose --expires has passed leave the review queue as `expired`."""
        with self.store.write() as conn:
            queue.expire_held(
                conn,
                Change(
                    actor="daemon",
                    now=now,
                    action="expire",
                    reason="its --expires passed while it waited for review",
                ),
            )
            due = crisis_store.expired_crises(conn, now)
        change = Change(actor="daemon", now=now, reason="its --until time passed")
        return [self.end(c.id, change) for c in due]

    # -- helpers ----------------------------------------------------------------------------
    def _judged(self, crisis_id: int, epoch: int, change: Change, impact: Impact) -> None:
        """Say in the audit log that a toggle's judging is done, and what it did: a
        notification of the toggle waits for this line, to carry its counts."""
        self.store.note(
            replace(
                change,
                action="crisis-judged",
                reason=None,
                detail={
                    "crisis": crisis_id,
                    "epoch": epoch,
                    "superseded": impact.superseded,
                    "by_brand": {b: dict(c) for b, c in sorted(impact.by_brand.items())},
                },
            )
        )

    def store_crisis(self, crisis_id: int) -> CrisisRecord:
        with self.store.read() as conn:
            found = crisis_store.get_crisis(conn, crisis_id)
        if found is None:
            raise NotFound(f"no crisis with id {crisis_id}")
        return found

    def _active(self, crisis_id: int) -> CrisisRecord:
        found = self.store_crisis(crisis_id)
        if not found.active:
            raise BadInput(f"crisis {crisis_id} has ended; flag a new one with crisis on")
        return found

    def _one_to_end(self, crisis_id: int | None) -> CrisisRecord:
        if crisis_id is not None:
            return self._active(crisis_id)
        with self.store.read() as conn:
            active = crisis_store.active_crises(conn)
        if not active:
            raise BadInput("no crisis is active")
        if len(active) > 1:
            ids = ", ".join(str(c.id) for c in active)
            raise BadInput(f"{len(active)} crises are active ({ids}); say which to end")
        return active[0]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Judging a million posts makes millions of short-lived objects and few cycles; the
    cyclic garbage collector, run every few thousand allocations over everything alive,
    took a third of the time. It runs again (and catches up) afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
