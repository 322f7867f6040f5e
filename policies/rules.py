"""The playbook's rules, one small function each: (what we know of a post) -> Reason | None.

Every rule reads the same `Context`: the post, one crisis it is in scope of, the brand's
playbook, and what the matcher found (the crisis's keywords, the idioms of its category,
the tone phrases). A rule returns a Reason with its action and advice, or None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from policies.lexicon import Found, Hit
from policies.models import Action, Crisis, Ops, PostFacts, Reason
from policies.playbook import Playbook
from policies.rewrite import alternative_for


@dataclass
class Context:
    post: PostFacts
    crisis: Crisis
    playbook: Playbook
    keywords: Sequence[Hit]
    idioms: Sequence[Hit]
    phrases: Mapping[str, Sequence[Hit]]
    locate: Callable[[Sequence[Hit]], tuple[Found, ...]] = field(repr=False)

    @cached_property
    def promotion(self) -> bool:
        """Tagged as promotion, or selling in so many words (and not tagged as service)."""
        tags = self.post.tags
        if tags & self.playbook.tags.promotion:
            return True
        return bool(self.phrases.get("promotion")) and not tags & self.playbook.tags.service

    @cached_property
    def operational(self) -> bool:
        return bool(self.phrases.get("operational"))

    def reason(self, rule: str, hits: Sequence[Hit] = (), *, action: Action | None = None,
               proposed_text: str | None = None) -> Reason:
        spec = self.playbook.rule(rule)
        return Reason(rule=rule, action=action or spec.action, advice=spec.advice,
                      matches=self.locate(hits), crisis=self.crisis.id,
                      proposed_text=proposed_text)


def follow_the_business(ctx: Context) -> Reason | None:
    """Rule 1: closed pauses every automated post; reduced pauses promotion."""
    ops = ctx.crisis.ops
    if (ops is Ops.CLOSED and ctx.post.automated) or (ops is Ops.REDUCED and ctx.promotion):
        return ctx.reason("follow-the-business")
    return None


def sensitive_words(ctx: Context) -> Reason | None:
    """Rule 2: the event's words or an idiom that reads badly after this kind of event.

    An honest operational notice may name the event; it still may not use the idioms.
    """
    hits = list(ctx.idioms) if ctx.operational else [*ctx.keywords, *ctx.idioms]
    return ctx.reason("sensitive-words", hits) if hits else None


def sector_proximity(ctx: Context) -> Reason | None:
    """Rule 3: a brand close to the tragedy does not promote; it offers its alternative."""
    if not ctx.promotion:
        return None
    contexts = ctx.playbook.contexts_of(ctx.crisis.category, ctx.crisis.contexts)
    if not any(ctx.playbook.sector_is_close(s, ctx.crisis.category, contexts)
               for s in ctx.post.brand.sectors):
        return None
    alternative = alternative_for(ctx.post)
    if alternative is None:
        return ctx.reason("sector-proximity", action=Action.PAUSE)
    return ctx.reason("sector-proximity", proposed_text=alternative)


def newsjacking(ctx: Context) -> Reason | None:
    """Rule 4: the event's name or hashtag tied to a sale."""
    if ctx.keywords and ctx.promotion:
        return ctx.reason("newsjacking", [*ctx.keywords, *ctx.phrases.get("promotion", ())])
    return None


def donation_boast(ctx: Context) -> Reason | None:
    """Rule 4: a brand announcing its own giving during the crisis."""
    hits = ctx.phrases.get("donation")
    return ctx.reason("donation-boast", hits) if hits else None


def empty_condolence(ctx: Context) -> Reason | None:
    """Rule 4: sympathy with nothing to add (no change for customers, no way to help)."""
    hits = ctx.phrases.get("condolence")
    if hits and not ctx.operational and not ctx.phrases.get("help"):
        return ctx.reason("empty-condolence", hits)
    return None


def operational_notice(ctx: Context) -> Reason | None:
    """Rule 4: an honest notice of what changes (staff giving blood, slow replies) may go."""
    hits = ctx.phrases.get("operational")
    return ctx.reason("operational-notice", hits) if hits else None


def slow_automation(ctx: Context) -> Reason | None:
    """Rule 5: automated sequences pause; from `all_automated_from`, every automated post."""
    spec = ctx.playbook.rule("slow-automation")
    sequence = bool(ctx.post.tags & ctx.playbook.tags.automated_sequence)
    every = spec.all_automated_from is not None and ctx.post.automated and \
        ctx.crisis.severity.at_least(spec.all_automated_from)
    return ctx.reason("slow-automation") if sequence or every else None


Rule = Callable[[Context], Reason | None]
RULES: dict[str, Rule] = {
    "follow-the-business": follow_the_business,
    "sensitive-words": sensitive_words,
    "sector-proximity": sector_proximity,
    "newsjacking": newsjacking,
    "donation-boast": donation_boast,
    "empty-condolence": empty_condolence,
    "operational-notice": operational_notice,
    "slow-automation": slow_automation,
}
