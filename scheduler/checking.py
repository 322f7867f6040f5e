"""Judging a draft before it is queued: against the active crises, or a hypothetical one.

The answer is the policy's own decision, for the brand the draft is for. With no brand
named, the only brand of the config is used; with several, guessing would answer for the
wrong sectors and regions, so the caller must say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from policies.engine import Judge
from policies.models import Decision, PostFacts
from scheduler.crisis_spec import check_spec
from scheduler.drafting import check_tags
from scheduler.errors import BadInput
from scheduler.judging import to_policy
from scheduler.models import CrisisRecord, CrisisSpec

if TYPE_CHECKING:
    from scheduler.config import Brand
    from scheduler.tactful import Tactful


@dataclass(frozen=True)
class Check:
    """What the policy would do with a draft, and for which brand and channel."""

    brand: str
    channel: str
    text: str
    decision: Decision
    #: the crises judged against (a hypothetical one has id 0)
    crises: tuple[int, ...]
    #: the brand was not named: it is the config's only one
    only_brand: bool = False

    @property
    def would_publish(self) -> bool:
        return not self.decision.stops

    def to_json(self) -> dict[str, Any]:
        return {
            "brand": self.brand,
            "channel": self.channel,
            "text": self.text,
            "crises": list(self.crises),
            **self.decision.to_json(),
        }


def check(
    t: Tactful,
    text: str,
    *,
    brand: str | None = None,
    channel: str | None = None,
    lang: str | None = None,
    tags: Sequence[str] = (),
    automated: bool = False,
    crisis: CrisisSpec | None = None,
) -> Check:
    """Judge `text` as a post of `brand` on `channel` (default: the brand's first), in
    `lang` (default: the brand's first language), against the active crises, or against
    `crisis` alone as if it were flagged. Queues and changes nothing."""
    chosen = t.config.brand(brand) if brand else _only_brand(t)
    if channel and channel not in {c.id for c in chosen.channels}:
        known = ", ".join(c.id for c in chosen.channels) or "none"
        raise BadInput(
            f"--channel: {channel!r} is not a channel of brand {chosen.id!r} "
            f"(its channels: {known})"
        )
    on = channel or (chosen.channels[0].id if chosen.channels else "-")
    vocabulary = t.config.playbook_for(chosen.id).tags
    post = PostFacts(
        text=text,
        brand=t.judging.brand_facts(chosen.id),
        channel=on,
        tags=frozenset(check_tags(tags, "--tag", vocabulary)),
        lang=lang or (chosen.languages[0] if chosen.languages else None),
        automated=automated,
    )
    judge = _judge(t, crisis)
    return Check(
        brand=chosen.id,
        channel=on,
        text=text,
        decision=judge.judge(post),
        crises=tuple(c.id for c in judge.crises),
        only_brand=brand is None,
    )


def _only_brand(t: Tactful) -> Brand:
    brands = t.config.brands
    if len(brands) == 1:
        return brands[0]
    if not brands:
        raise BadInput("config.yaml declares no brands: add the one to judge the draft for")
    raise BadInput(
        f"give --brand: config.yaml has several brands ({', '.join(b.id for b in brands)})"
    )


def _judge(t: Tactful, crisis: CrisisSpec | None) -> Judge:
    if crisis is None:
        return Judge([to_policy(c) for c in t.crises.active()], t.config.playbook_for)
    drill = CrisisRecord.drill(check_spec(t.config, crisis), t.now(), t.actor)
    return Judge([to_policy(drill)], t.config.playbook_for)
