"""The bridge between the queue and the crisis policy.

Turns config brands, stored posts and stored crises into the plain values `policies`
works on, keeps one Judge per crisis epoch (its matchers are built once per epoch), and
turns decisions back into queue terms: publish leaves a post queued, pause pauses it,
hold/rewrite/block hold it for a human.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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
from scheduler.models import Candidate, CrisisRecord, Post, Status, Verdict

_STATUS = {Action.PAUSE: Status.PAUSED, Action.HOLD: Status.HELD,
           Action.REWRITE: Status.HELD, Action.BLOCK: Status.HELD}
_KEEP_JUDGES = 4


def to_policy(record: CrisisRecord) -> Crisis:
    return Crisis(id=record.id, name=record.name, category=record.category,
                  severity=Severity(record.severity), keywords=record.keywords,
                  contexts=record.contexts, regions=record.regions, brands=record.brands,
                  channels=record.channels, langs=record.langs, ops=Ops(record.ops))


class Judging:
    def __init__(self, config: Config) -> None:
        self.config = config
        self._brands = {b.id: BrandFacts(id=b.id, sectors=config.sectors_of(b.id),
                                         regions=tuple(b.regions),
                                         languages=tuple(b.languages),
                                         alternatives=dict(b.crisis_alternative))
                        for b in config.brands}
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

    def verdict(self, decision: Decision) -> Verdict:
        """The queue's terms for a decision, made once per distinct decision."""
        known = self._verdicts.get(id(decision))
        if known is None:
            known = self._verdicts[id(decision)] = (decision, verdict(decision))
        return known[1]

    def facts(self, post: Post | Candidate) -> PostFacts:
        brand = self.brand_facts(post.brand)
        norm = post.text_norm if post.norm_version == NORM_VERSION else None
        return PostFacts(text=post.text, brand=brand, channel=post.channel,
                         tags=frozenset(post.tags), lang=post.lang, automated=post.automated,
                         crisis_text=post.crisis_text, norm=norm)

    def decide(self, judge: Judge, post: Post | Candidate, epoch: int) -> Decision | None:
        """The decision for a post; None when a human approved it under this epoch."""
        if post.approved_epoch == epoch:
            return None
        if not judge.reaching(self.brand_facts(post.brand), post.channel, post.lang):
            return PUBLISH  # out of every crisis's scope: no need to look closer
        return judge.judge(self.facts(post))

    def verdicts(self, epoch: int, crises: Sequence[CrisisRecord],
                 posts: Iterable[Post]) -> dict[int, Verdict]:
        """Verdicts for the posts the policy stops (the rest may go out)."""
        if not crises:
            return {}
        judge = self.judge_for(epoch, crises)
        out = {}
        for post in posts:
            decision = self.decide(judge, post, epoch)
            if decision is not None and decision.stops:
                out[post.id] = self.verdict(decision)
        return out


def verdict(decision: Decision) -> Verdict:
    return Verdict(status=_STATUS[decision.action], decision=decision.to_json(),
                   reason=summary(decision))


def summary(decision: Decision) -> str:
    """One line: the action and each stopping rule with the words it matched."""
    parts = []
    for reason in decision.reasons:
        if reason.action is Action.PUBLISH:
            continue
        words = sorted({m.text for m in reason.matches})
        parts.append(reason.rule + (f" ({', '.join(words[:4])})" if words else ""))
    return f"{decision.action.value}: {'; '.join(parts)}"
