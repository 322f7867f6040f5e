"""The bridge between the queue and the crisis policy.

Turns config brands, stored posts and stored crises into the plain values `policies`
works on, keeps one Judge per crisis epoch (its matchers are built once per epoch), and
turns decisions back into queue terms: publish leaves a post queued, pause pauses it,
hold/rewrite/block hold it for a human.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from policies.approval import approval_of, what_is_new
from policies.engine import Judge
from policies.models import (
    PUBLISH,
    Action,
    BrandFacts,
    Crisis,
    Decision,
    Ops,
    PostFacts,
    Severity,
)
from policies.normalise import NORM_VERSION
from scheduler.config import Config
from scheduler.models import Candidate, CrisisRecord, Paused, Post, Status, Verdict

_STATUS = {
    Action.PAUSE: Status.PAUSED,
    Action.HOLD: Status.HELD,
    Action.REWRITE: Status.HELD,
    Action.BLOCK: Status.HELD,
}
_KEEP_JUDGES = 4


def to_policy(record: CrisisRecord) -> Crisis:
    return Crisis(
        id=record.id,
        name=record.name,
        category=record.category,
        severity=Severity(record.severity),
        keywords=record.keywords,
        contexts=record.contexts,
        regions=record.regions,
        brands=record.brands,
        channels=record.channels,
        langs=record.langs,
        ops=Ops(record.ops),
    )


class Judging:
    """The crisis policy in the queue's terms, for one config: a Judge per crisis epoch
    (built once, reused for every post), a post's decision honouring a reviewer's
    approval, and the Verdict (status, decision, reason) the store writes."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._brands = {
            b.id: BrandFacts(
                id=b.id,
                sectors=config.sectors_of(b.id),
                regions=tuple(b.regions),
                languages=tuple(b.languages),
                alternatives=dict(b.crisis_alternative),
            )
            for b in config.brands
        }
        self._judges: dict[int, Judge] = {}
        # one Verdict per distinct Decision (the Judge shares decisions between posts), so
        # the store can move every post with the same verdict in one statement
        self._verdicts: dict[int, tuple[Decision, Verdict]] = {}

    def brand_facts(self, brand_id: str) -> BrandFacts:
        return self._brands.get(brand_id) or BrandFacts(id=brand_id)

    def judge_for(self, epoch: int, crises: Sequence[CrisisRecord]) -> Judge:
        """The Judge of one epoch, reused by every post judged under it."""
        judge = self._judges.get(epoch)
        if judge is None:
            judge = Judge([to_policy(c) for c in crises], self.config.playbook_for)
            self._judges[epoch] = judge
            self._verdicts.clear()
            for old in sorted(self._judges)[:-_KEEP_JUDGES]:
                del self._judges[old]
        return judge

    def verdict(self, decision: Decision, overriding: str | None = None) -> Verdict:
        """The queue's terms for a decision, made once per distinct decision; one that
        overrides a human's approval says what is new, for that post alone."""
        if overriding is not None:
            return replace(
                verdict(decision), reason=f"approved before, but {overriding}: {summary(decision)}"
            )
        known = self._verdicts.get(id(decision))
        if known is None:
            known = self._verdicts[id(decision)] = (decision, verdict(decision))
        return known[1]

    def facts(self, post: Post | Candidate | Paused) -> PostFacts:
        brand = self.brand_facts(post.brand)
        norm = post.text_norm if post.norm_version == NORM_VERSION else None
        return PostFacts(
            text=post.text,
            brand=brand,
            channel=post.channel,
            tags=frozenset(post.tags),
            lang=post.lang,
            automated=post.automated,
            crisis_text=post.crisis_text,
            norm=norm,
        )

    def decide(
        self,
        judge: Judge,
        post: Post | Candidate | Paused,
        epoch: int,
        approval: Mapping[str, Any] | None = None,
    ) -> Decision | None:
        """The decision for a post; None when a human's approval still covers it."""
        return self.ruling(judge, post, epoch, approval)[0]

    def ruling(
        self,
        judge: Judge,
        post: Post | Candidate | Paused,
        epoch: int,
        approval: Mapping[str, Any] | None = None,
    ) -> tuple[Decision | None, str | None]:
        """The decision for a post (None when a human's approval still covers it) and,
        when it overrides an approval, what the reviewer had not seen. A Post carries its
        approval in its decision; for a Candidate or Paused the caller passes it."""
        if post.approved_epoch == epoch:
            return None, None
        if not judge.reaching(self.brand_facts(post.brand), post.channel, post.lang):
            return PUBLISH, None  # out of every crisis's scope: no need to look closer
        decision = judge.judge(self.facts(post))
        if approval is None and isinstance(post, Post) and post.approved_epoch is not None:
            approval = approval_of(post.decision)
        if approval is None or not decision.stops:
            return decision, None
        new = what_is_new(approval, decision, severities(judge))
        return (None, None) if new is None else (decision, new)

    def verdicts(
        self, epoch: int, crises: Sequence[CrisisRecord], posts: Iterable[Post]
    ) -> dict[int, Verdict]:
        """Verdicts for the posts the policy stops (the rest may go out)."""
        if not crises:
            return {}
        judge = self.judge_for(epoch, crises)
        out = {}
        for post in posts:
            decision, new = self.ruling(judge, post, epoch)
            if decision is not None and decision.stops:
                out[post.id] = self.verdict(decision, overriding=new)
        return out


def severities(judge: Judge) -> dict[int, str]:
    """Each crisis's severity, by id, as the judge sees them."""
    return {c.id: c.severity.value for c in judge.crises}


def verdict(decision: Decision) -> Verdict:
    return Verdict(
        status=_STATUS[decision.action], decision=decision.to_json(), reason=summary(decision)
    )


def summary(decision: Decision) -> str:
    """One line: the action and each stopping rule with the words it matched."""
    parts = []
    for reason in decision.reasons:
        if reason.action is Action.PUBLISH:
            continue
        words = sorted({m.text for m in reason.matches})
        parts.append(reason.rule + (f" ({', '.join(words[:4])})" if words else ""))
    return f"{decision.action.value}: {'; '.join(parts)}"
