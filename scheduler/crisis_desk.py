"""Flagging, previewing, updating and ending crises, and judging the queue each time.

`flag` commits the new crisis and epoch first (from then on every claim judges under
it), lists the posts already in flight, then judges the whole queue in pages and writes
the decisions, so the report shows what changed. `preview` judges the same way and
writes nothing. `end` commits the end, re-judges paused posts under whatever crises
remain, and releases the rest at a paced rate per channel (rule 8).
"""

from __future__ import annotations

import gc
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from policies.approval import approval_of
from policies.engine import Judge, regions_overlap
from policies.lexicon import CATEGORIES
from policies.models import Action, Decision, Ops, Severity
from policies.normalise import normalise
from policies.playbook import parse_rate
from policies.rewrite import draft_notice
from scheduler.config import Config
from scheduler.errors import BadInput, NotFound, UnknownChannel
from scheduler.judging import Judging, summary, to_policy
from scheduler.models import Candidate, CrisisRecord, CrisisSpec, NewPost, Post, Status, Verdict
from scheduler.outcomes import ChannelPaused, ChannelResumed, CrisisStatus, Ending, Released
from scheduler.release import Rate, plan_release
from scheduler.store import Change, Store, queue
from scheduler.store import channels as channel_store
from scheduler.store import crises as crisis_store
from scheduler.store import verdicts as verdict_store
from scheduler.verdict_writer import VerdictWriter

PAGE = 5000
#: verdicts written per transaction; a claim waits at most this long for a toggle
WRITE_EVERY = 20_000
EXAMPLES = 3
Resume = Literal["paced", "review", "hold"]
_LABEL = {Action.PUBLISH: "untouched", Action.PAUSE: "paused", Action.HOLD: "held",
          Action.REWRITE: "rewritten", Action.BLOCK: "blocked"}


def check_spec(config: Config, spec: CrisisSpec) -> CrisisSpec:
    """Refuse what cannot be a crisis; tidy what can (lowercase, no blanks or repeats)."""
    if not spec.name.strip():
        raise BadInput("NAME: a crisis needs a name, such as 'Boston Marathon bombing'")
    _one_of("--category", spec.category, CATEGORIES)
    _one_of("--severity", spec.severity, [s.value for s in Severity])
    _one_of("--ops", spec.ops, [o.value for o in Ops])
    for brand in spec.brands:
        config.brand(brand)
    for channel in spec.channels:
        if channel not in config.channels:
            raise BadInput(f"--channel: unknown channel {channel!r}")
    for keyword in spec.keywords:
        if keyword.strip() and not normalise(keyword.strip().rstrip("*")):
            raise BadInput(f"--keyword: {keyword!r} has no letters or digits to look for")
    contexts = [c for typed in _clean(spec.contexts) for c in config.resolve_context(typed)]
    return replace(spec, name=spec.name.strip(), keywords=_clean(spec.keywords, lower=False),
                   contexts=_clean(contexts), regions=_clean(spec.regions),
                   langs=_clean(spec.langs))


def _one_of(option: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise BadInput(f"{option}: {value!r} is not one of {', '.join(allowed)}")


def _clean(values: Iterable[str], lower: bool = True) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        item = unicodedata.normalize("NFC", value.strip())
        item = item.lower() if lower else item
        if item and item not in out:
            out.append(item)
    return tuple(out)


@dataclass
class Impact:
    """What a crisis toggle did (or would do) to the queue."""

    epoch: int | None = None
    crisis: CrisisRecord | None = None
    judged: int = 0
    by_brand: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    in_flight: list[Post] = field(default_factory=list)
    notices: list[int] = field(default_factory=list)
    superseded: bool = False
    #: what each keyword matched in the posts stopped, by form: {Praha: {Praze: 12}}
    keyword_forms: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    #: every post the crises stop: (id, brand, channel, label, why)
    posts: list[tuple[int, str, str, str, str]] = field(default_factory=list)
    #: one summary per distinct decision (the judge shares them between posts)
    _why: dict[int, str] = field(default_factory=dict, repr=False)

    def count(self, post: Post | Candidate, decision: Decision) -> None:
        label = _LABEL[decision.action]
        self.judged += 1
        self.by_brand[post.brand][label] += 1
        if label == "untouched":
            return
        for reason in decision.reasons:
            for match in reason.matches:
                if match.origin is not None and reason.rule == "sensitive-words":
                    self.keyword_forms[match.origin][match.text.lstrip("#")] += 1
        why = self._why.get(id(decision))
        if why is None:
            why = self._why[id(decision)] = summary(decision)
        self.posts.append((post.id, post.brand, post.channel, label, why))
        if len(self.examples[label]) < EXAMPLES:
            self.examples[label].append({
                "post": post.id, "brand": post.brand, "channel": post.channel,
                "text": post.text, "why": why,
                "proposed_text": decision.proposed_text})

    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in self.by_brand.values():
            total.update(counts)
        return total

    def to_json(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "crisis": self.crisis.to_json() if self.crisis else None,
                "judged": self.judged, "totals": dict(self.totals()),
                "by_brand": {b: dict(c) for b, c in sorted(self.by_brand.items())},
                "examples": dict(self.examples),
                "posts": [{"post": pid, "brand": brand, "channel": channel, "action": label,
                           "why": why} for pid, brand, channel, label, why in self.posts],
                "in_flight": [{"post": p.id, "channel": p.channel, "text": p.text}
                              for p in self.in_flight],
                "notices": self.notices, "superseded": self.superseded,
                "keyword_forms": {k: dict(v.most_common())
                                  for k, v in sorted(self.keyword_forms.items())}}


#: decisions that hold a post for a human (the review queue), as the policy writes them
_HELD_BY_POLICY = frozenset({"hold", "rewrite", "block"})


class Who(Protocol):
    """Who acts, and when: what a change needs when the caller gives none."""

    actor: str

    def now(self) -> datetime: ...

    def change(self, reason: str | None = None, action: str = "status",
               **detail: Any) -> Change: ...


class CrisisDesk:
    """Flags, previews, updates and ends crises, and pauses and resumes channels; each
    toggle commits first and then judges the queue it can reach.

    Every method takes the `change` to record (who, when, why) or, with a `clock` (a
    Tactful) given, makes one from `note`.
    """

    def __init__(self, store: Store, config: Config, judging: Judging | None = None,
                 clock: Who | None = None) -> None:
        self.store = store
        self.config = config
        self.judging = judging or Judging(config)
        self.clock = clock

    def _change(self, change: Change | None, note: str | None, action: str) -> Change:
        if change is not None:
            return change
        if self.clock is None:
            raise TypeError("give a change, or make the desk with a clock")
        return self.clock.change(note, action=action)

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
        return CrisisStatus(epoch=epoch, active=active, paused=counts.get("paused", 0),
                            held=counts.get("held", 0))

    # -- flag, preview, update ----------------------------------------------------------
    def flag(self, spec: CrisisSpec, change: Change | None = None) -> Impact:
        """Flag a crisis: commit it (from then on every claim judges under it), then
        judge the queue it can reach and report what that did."""
        change = self._change(change, spec.note, "crisis-on")
        spec = check_spec(self.config, spec)
        with self.store.write() as conn:
            epoch = crisis_store.bump_epoch(conn, change.now)
            crisis_id = crisis_store.insert_crisis(conn, spec.values(), change)
            flying = crisis_store.in_flight(conn)
        flagged = self.store_crisis(crisis_id)
        impact = self.rejudge(epoch, change, changed=[flagged])
        impact.crisis = flagged
        impact.in_flight = flying
        if Ops(spec.ops) is not Ops.NORMAL:
            impact.notices = self._draft_notices(impact.crisis, change, epoch)
        self._judged(crisis_id, epoch, change, impact)
        return impact

    def preview(self, spec: CrisisSpec, now: datetime | None = None,
                actor: str | None = None) -> Impact:
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

    def revise(self, crisis_id: int, *, category: str | None = None,
               severity: str | None = None, ops: str | None = None,
               keywords: Sequence[str] = (), contexts: Sequence[str] = (),
               regions: Sequence[str] = (), brands: Sequence[str] = (),
               channels: Sequence[str] = (), langs: Sequence[str] = (),
               until: datetime | None = None, note: str | None = None,
               change: Change | None = None) -> Impact:
        """Change an active crisis as the story develops, and judge again at once.
        Keywords and contexts given are added to the crisis's; regions, brands, channels
        and languages given replace its scope; the rest replace what they name."""
        current = self.store_crisis(crisis_id)
        changes: dict[str, Any] = {key: value for key, value in (
            ("category", category), ("severity", severity), ("ops", ops),
            ("until", until)) if value}
        for key, added in (("keywords", keywords), ("contexts", contexts)):
            if added:
                changes[key] = (*getattr(current, key), *added)
        for key, given in (("regions", regions), ("brands", brands), ("channels", channels),
                           ("langs", langs)):
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
            crisis_store.update_crisis(conn, crisis_id, _changed(current, spec), change)
            flying = crisis_store.in_flight(conn)
        updated = self.store_crisis(crisis_id)
        # posts the crisis reached before the change, or reaches after it
        impact = self.rejudge(epoch, change, changed=[current, updated])
        impact.crisis = updated
        impact.in_flight = flying
        if spec.ops != current.ops and Ops(spec.ops) is not Ops.NORMAL:
            impact.notices = self._draft_notices(impact.crisis, change, epoch)
        self._judged(crisis_id, epoch, change, impact)
        return impact

    def rejudge(self, epoch: int, change: Change,
                changed: Sequence[CrisisRecord]) -> Impact:
        """Judge the queued, failed and paused posts the `changed` crises reach (or
        reached) under `epoch` and write the verdicts."""
        with self.store.read() as conn:
            active = crisis_store.active_crises(conn)
        judge = self.judging.judge_for(epoch, active)
        return self._judge_queue(judge, epoch, change, changed)

    def _judge_queue(self, judge: Judge, epoch: int | None, change: Change | None,
                     changed: Sequence[CrisisRecord]) -> Impact:
        """Read the queue page by page, judge each post, and write the verdicts in large
        batches (a commit per page would cost more than the judging)."""
        with _collector_paused():
            return self._judge_pages(judge, epoch, change, Judge(
                [to_policy(c) for c in changed], self.config.playbook_for))

    def _judge_pages(self, judge: Judge, epoch: int | None, change: Change | None,
                     scope: Judge) -> Impact:
        """Posts `scope` (the crises that changed) cannot reach are neither read nor
        counted: nothing that could matter to them changed."""
        impact = Impact(epoch=epoch)
        writing = epoch is not None and change is not None
        seen: dict[int, str] = {}
        pending: dict[int, Verdict] = {}
        released: dict[int, Verdict] = {}
        after = 0
        unreachable = [b.id for b in self.config.brands
                       if not scope.may_reach(self.judging.brand_facts(b.id))]
        with self.store.read() as conn:
            # a paused channel's posts stay paused whatever the crises say (a pause made
            # while this runs bumps the epoch, and then this toggle's writes are dropped)
            held_channels = channel_store.paused_channels(conn)
        with VerdictWriter(lambda s, v: self._write(s, v, epoch, change)) as writer:
            while True:
                with self.store.read() as conn:
                    page = crisis_store.posts_to_judge(conn, after_id=after, limit=PAGE,
                                                       unreachable=unreachable)
                    approvals = crisis_store.decisions_of(conn, [
                        p.id for p in page if p.approved_epoch not in (None, epoch)])
                if not page:
                    break
                after = page[-1].id
                for post in page:
                    if not scope.reaching(self.judging.brand_facts(post.brand), post.channel,
                                          post.lang):
                        continue
                    # a preview (no epoch) honours every approval as the toggle would
                    at = -1 if epoch is None else epoch
                    decision, new = self.judging.ruling(judge, post, at,
                                                        approval_of(approvals.get(post.id)))
                    if decision is None:  # a human's approval still covers it
                        continue
                    impact.count(post, decision)
                    if decision.stops:
                        pending[post.id] = self.judging.verdict(decision, overriding=new)
                    elif post.status == Status.PAUSED and post.channel not in held_channels:
                        pending[post.id] = released.setdefault(id(decision), Verdict(
                            status=Status.QUEUED, decision=decision.to_json(),
                            reason="the crisis no longer stops it"))
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

    def _write(self, seen: dict[int, str], verdicts: dict[int, Verdict], epoch: int,
               change: Change) -> bool:
        """Apply verdicts in one transaction, unless a newer toggle has taken over."""
        with self.store.write() as conn:
            if crisis_store.lock_epoch_exclusive(conn) != epoch:
                return False
            verdict_store.apply_verdicts(conn, seen, verdicts, epoch=epoch, change=Change(
                actor=change.actor, now=change.now, action="judge"))
        return True

    # -- end ------------------------------------------------------------------------------
    def end(self, crisis_id: int | None = None, change: Change | None = None, *,
            resume: Resume = "paced", rate: str | None = None,
            note: str | None = None) -> Ending:
        """End a crisis (the only active one, or `crisis_id`); paused posts and the posts
        it held that nothing stops now come back paced, go to review, or stay (`hold`)."""
        change = self._change(change, note, "crisis-off")
        target = self._one_to_end(crisis_id)
        pace = self._rate_for(rate)
        with self.store.write() as conn:
            epoch = crisis_store.bump_epoch(conn, change.now)
            crisis_store.end_crisis(conn, target.id, replace(
                change, detail={"resume": resume, "rate": rate}))
            remaining = crisis_store.active_crises(conn)
        judge = self.judging.judge_for(epoch, remaining)
        still, free = self._paused_split(judge, epoch, change)
        held, cleared = self._held_split(judge, epoch)
        why = f"crisis {target.id} ended"
        ending = Ending(
            crisis=target.id, epoch=epoch, resume=resume, still_paused=len(still),
            still_held=len(held),
            posts=self.release(free, change, resume=resume, pace=pace, why=why),
            holds=self.release(cleared, change, resume=resume, pace=pace,
                               stopped_as=Status.HELD,
                               why=f"{why}; no active crisis stops it now"))
        self.store.note(replace(change, action="crisis-judged", reason=None, detail={
            "crisis": target.id, "epoch": epoch, "outcome": {
                "still_paused": ending.still_paused, "still_held": ending.still_held,
                **ending.posts.counts(),
                **{f"holds_{k}": n for k, n in ending.holds.counts().items()}}}))
        return ending

    def _held_split(self, judge: Judge, epoch: int) -> tuple[list[Post], list[Post]]:
        """Posts the crisis policy held (for review, a rewrite, or blocked) that a crisis
        still active stops, and those it no longer does."""
        held = [p for p in self.store.list_posts(statuses=[Status.HELD])
                if p.action in _HELD_BY_POLICY]
        still, cleared = [], []
        for post in held:
            decision = self.judging.decide(judge, post, epoch)
            (still if decision is not None and decision.stops else cleared).append(post)
        return still, cleared

    def release(self, free: Sequence[Post], change: Change, *, resume: Resume,
                pace, why: str, stopped_as: Status = Status.PAUSED) -> Released:
        """Let paused posts (or held ones, `stopped_as`) that nothing stops any more go:
        at a paced rate per channel, to review first (a held post stays there, without
        the crisis's verdict, so a block no longer asks for an override), or not yet
        (`hold`)."""
        if not free:
            return Released()
        if resume == "review":
            ids = [p.id for p in free]
            with self.store.write() as conn:
                to_review = crisis_store.move_paused(
                    conn, ids, Status.HELD, replace(
                        change, action="resume", reason=f"{why}; review before it goes out")
                ) if stopped_as is Status.PAUSED else crisis_store.clear_holds(
                    conn, ids, replace(change, action="resume",
                                       reason=f"{why}: approve it to send it"))
            return Released(to_review=to_review)
        if resume == "hold":
            return Released(kept_paused=[p.id for p in free])
        plan = plan_release(free, now=change.now, rate_for=pace)
        with self.store.write() as conn:
            released, expired = crisis_store.release_paused(
                conn, plan.schedule, plan.expired, replace(
                    change, action="resume", reason=f"{why}; released at a paced rate"),
                stopped_as=stopped_as)
        went = set(released)
        return Released(released=[(pid, at) for pid, at in plan.schedule if pid in went],
                        expired=expired)

    def _paused_split(self, judge: Judge, epoch: int, change: Change,
                      channel: str | None = None) -> tuple[list[Post], list[Post]]:
        """Paused posts (of one channel, or all) that a remaining crisis or a paused
        channel still stops, and those free to go."""
        with self.store.read() as conn:
            paused_channels = channel_store.paused_channels(conn)
        paused = self.store.list_posts(statuses=[Status.PAUSED],
                                       channels=[channel] if channel else ())
        still, free = [], []
        for post in paused:
            decision = self.judging.decide(judge, post, epoch)
            stopped = post.channel in paused_channels or (
                decision is not None and decision.stops)
            (still if stopped else free).append(post)
        return still, free

    # -- channels -------------------------------------------------------------------------
    def pause_channel(self, channel: str, change: Change | None = None,
                      note: str | None = None) -> ChannelPaused:
        """Stop one channel: what waits on it is paused until `resume_channel`."""
        change = self._change(change, note, "channel-pause")
        self._known_channel(channel)
        with self.store.write() as conn:
            if channel in channel_store.paused_channels(conn):
                raise BadInput(f"channel {channel} is already paused")
            paused = channel_store.pause(conn, channel, change)
            flying = channel_store.in_flight(conn, channel)
        return ChannelPaused(channel=channel, paused=paused, in_flight=flying)

    def resume_channel(self, channel: str, change: Change | None = None, *,
                       resume: Resume = "paced", rate: str | None = None,
                       note: str | None = None) -> ChannelResumed:
        """Lift a channel's pause: its paused posts that no crisis stops come back
        paced, go to review, or stay paused (`hold`)."""
        change = self._change(change, note or "channel resumed", "channel-resume")
        self._known_channel(channel)
        pace = self._rate_for(rate)
        with self.store.write() as conn:
            if channel not in channel_store.paused_channels(conn):
                raise BadInput(f"channel {channel} is not paused")
            channel_store.resume(conn, channel, replace(
                change, detail={"resume": resume, "rate": rate}))
            epoch = crisis_store.lock_epoch_shared(conn)
            active = crisis_store.active_crises(conn)
        judge = self.judging.judge_for(epoch, active)
        still, free = self._paused_split(judge, epoch, change, channel=channel)
        return ChannelResumed(channel=channel, resume=resume, still_paused=len(still),
                              posts=self.release(free, change, resume=resume, pace=pace,
                                                 why=f"channel {channel} resumed"))

    def _known_channel(self, channel: str) -> None:
        if channel not in self.config.channels:
            raise UnknownChannel(channel, list(self.config.channels))

    def upkeep(self, now: datetime) -> list[Ending]:
        """Before each daemon pass: end crises whose --until has passed, and let held posts
        whose --expires has passed leave the review queue as `expired`."""
        with self.store.write() as conn:
            queue.expire_held(conn, Change(actor="daemon", now=now, action="expire",
                                           reason="its --expires passed while it waited "
                                                  "for review"))
            due = crisis_store.expired_crises(conn, now)
        change = Change(actor="daemon", now=now, reason="its --until time passed")
        return [self.end(c.id, change) for c in due]

    def _rate_for(self, rate: str | None):
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

    # -- helpers ----------------------------------------------------------------------------
    def _judged(self, crisis_id: int, epoch: int, change: Change, impact: Impact) -> None:
        """Say in the audit log that a toggle's judging is done, and what it did: a
        notification of the toggle waits for this line, to carry its counts."""
        self.store.note(replace(change, action="crisis-judged", reason=None, detail={
            "crisis": crisis_id, "epoch": epoch, "superseded": impact.superseded,
            "by_brand": {b: dict(c) for b, c in sorted(impact.by_brand.items())}}))

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

    def _draft_notices(self, crisis: CrisisRecord, change: Change, epoch: int) -> list[int]:
        """Rule 1: a draft public notice of the operating change per brand, for review."""
        drafts: list[NewPost] = []
        for brand in self.config.brands:
            if not brand.channels or (crisis.brands and brand.id not in crisis.brands) or \
                    (crisis.regions and not regions_overlap(brand.regions, crisis.regions)):
                continue
            playbook = self.config.playbook_for(brand.id)
            text = draft_notice(playbook, Ops(crisis.ops), tuple(brand.languages),
                                crisis.name)
            if text:
                drafts.append(NewPost(brand=brand.id, channel=brand.channels[0].id, text=text,
                                      due_at=change.now, tags=("announcement",),
                                      lang=brand.languages[0] if brand.languages else None))
        if not drafts:
            return []
        fresh = [d for d in drafts if d.key not in self.store.live_duplicates([d.key])]
        ids = self.store.add_posts(fresh, replace(change, action="create",
                                                  reason="draft notice of the operating "
                                                         "change"))
        held = Verdict(status=Status.HELD, reason="draft notice: edit and approve it",
                       decision={"action": "hold", "proposed_text": None, "reasons": [{
                           "rule": "follow-the-business", "action": "hold",
                           "crisis": crisis.id, "matches": [],
                           "advice": "The business changed how it operates; the marketer "
                                     "owns telling the public. Edit this draft and approve "
                                     "it, or reject it."}]})
        with self.store.write() as conn:
            verdict_store.apply_verdicts(conn, dict.fromkeys(ids, Status.QUEUED),
                                        dict.fromkeys(ids, held), epoch=epoch,
                                        change=replace(change, action="judge"))
        return ids


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


def _changed(current: CrisisRecord, spec: CrisisSpec) -> dict[str, Any]:
    before = current.spec.values()
    return {k: v for k, v in spec.values().items() if before.get(k) != v}
