"""The playbook's rules, one small function each: (what we know of a post) -> Reason | None.

Every rule reads the same `Context`: the post, one crisis it is in scope of, the brand's
playbook, and what the matcher found (the crisis's keywords, the idioms of its category,
the tone phrases). A rule returns a Reason with its action and advice, or None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from policies.lexicon import Found, Hit, one_name_ending
from policies.models import Action, Crisis, Ops, PostFacts, Reason
from policies.normalise import normalise
from policies.playbook import Playbook
from policies.rewrite import alternative_for


@dataclass
class Context:
    post: PostFacts
    crisis: Crisis
    playbook: Playbook
    #: the crisis's own keywords found in the post
    keywords: Sequence[Hit]
    #: idioms of the layers this crisis makes sensitive ("killer deal", "a flood of deals")
    idioms: Sequence[Hit]
    #: plain words for such an event ("flooded", "mourning")
    literal: Sequence[Hit]
    phrases: Mapping[str, Sequence[Hit]]
    #: the brand's own field is close to this event (rule 3; worked out by the Judge)
    close: bool
    locate: Callable[[Sequence[Hit]], tuple[Found, ...]] = field(repr=False)

    @cached_property
    def selling(self) -> bool:
        """Tagged as promotion, or selling in so many words: a sale, a price, a discount."""
        return bool(self.post.tags & self.playbook.tags.promotion or self.phrases.get("promotion"))

    @cached_property
    def promotion(self) -> bool:
        """Selling, or offering something (tickets, a table, a test drive, a new
        collection, a price) in a post that is not telling people what changed for them
        and not announcing a gift: tickets refunded is a notice, a number to call for a
        booking is not, and 100 000 Kč given to a fund is a boast, not a price."""
        if self.selling:
            return True
        return (
            bool(self.phrases.get("offer"))
            and not self.phrases.get("operational")
            and not self.phrases.get("donation")
            and not self.post.tags & self.playbook.tags.service
        )

    @cached_property
    def informs(self) -> bool:
        """Tells people what changed for them or where to get help."""
        return bool(self.phrases.get("operational") or self.phrases.get("help"))

    @cached_property
    def notice(self) -> bool:
        """An operational notice: it informs and does not promote."""
        return self.informs and not self.promotion

    @cached_property
    def sequence(self) -> bool:
        return bool(self.post.tags & self.playbook.tags.automated_sequence)

    def reason(
        self,
        rule: str,
        hits: Sequence[Hit] = (),
        *,
        action: Action | None = None,
        proposed_text: str | None = None,
    ) -> Reason:
        spec = self.playbook.rule(rule)
        return Reason(
            rule=rule,
            action=action or spec.action,
            advice=spec.advice,
            matches=self.locate(hits),
            crisis=self.crisis.id,
            proposed_text=proposed_text,
        )


def follow_the_business(ctx: Context) -> Reason | None:
    """Rule 1: marketing shrinks with operations. Reduced stops promotion and every
    automated post (a machine keeps posting while people are sent home); closed stops
    all that and everything else but the operational notices a person writes."""
    ops = ctx.crisis.ops
    automated = ctx.post.automated or ctx.sequence
    if (ops is Ops.CLOSED and (automated or not ctx.notice)) or (
        ops is Ops.REDUCED and (ctx.promotion or automated)
    ):
        return ctx.reason("follow-the-business")
    return None


def sensitive_words(ctx: Context) -> Reason | None:
    """Rule 2: the event's words or an idiom that reads badly after this kind of event.

    An operational notice may name the event plainly; it still may not use the idioms.
    """
    hits = list(ctx.idioms) if ctx.notice else [*ctx.keywords, *ctx.literal, *ctx.idioms]
    return ctx.reason("sensitive-words", hits) if hits else None


def sector_proximity(ctx: Context) -> Reason | None:
    """Rule 3: a brand close to the tragedy does not promote; it offers its alternative."""
    if not ctx.close or not ctx.promotion:
        return None
    alternative = alternative_for(ctx.post)
    if alternative is None:
        return ctx.reason("sector-proximity", action=Action.PAUSE)
    return ctx.reason("sector-proximity", proposed_text=alternative)


def newsjacking(ctx: Context) -> Reason | None:
    """Rule 4: the event's name, place or hashtag tied to a sale.

    A keyword that is also a plain word for such an event ("explosion" flagged as a
    keyword, used in "an explosion of flavour") is an idiom here, not the event's name:
    it is held by sensitive-words, not blocked.
    """
    if not ctx.keywords or not ctx.selling:
        return None
    words = [*ctx.idioms, *ctx.literal]
    named = [
        k
        for k in ctx.keywords
        if not any(w.start < k.end and k.start < w.end for w in words) and _named_as_typed(ctx, k)
    ]
    if named:
        return ctx.reason("newsjacking", [*named, *ctx.phrases.get("promotion", ())])
    return None


def _named_as_typed(ctx: Context, keyword: Hit) -> bool:
    """Blocking needs the event's name as the operator wrote it, where nothing else can
    be meant: a hashtag; or the keyword itself, with at most one of a name's endings if
    it is long enough to be read so (Bostonu; not davam from dava), and, if typed as a
    name, capitalised where a common word would not be (not at the start of a
    sentence: "Nice deals this weekend" is not Nice). A keyword found only under its
    stem, with a derivation, or where another word may be meant, is held by
    sensitive-words, not blocked."""
    found = ctx.locate([keyword])
    if not found or keyword.pattern.lang is not None:
        return False  # found under the keyword's stem, not as written
    match = found[0]
    if match.text.startswith("#"):
        return True
    typed = (keyword.pattern.origin or "").lstrip("#")
    stem = normalise(typed, ctx.post.lang)
    rest = normalise(match.text, ctx.post.lang)[len(stem) :]
    if rest and (len(stem) < _NAME_WITH_ENDINGS or not one_name_ending(rest, ctx.post.lang)):
        return False
    if typed[:1].isupper():
        return match.text[:1].isupper() and not _starts_sentence(ctx.post.text, match.start)
    return True


#: a keyword shorter than this is blocked for only as written: with an ending it is too
#: likely another word
_NAME_WITH_ENDINGS = 5


def _starts_sentence(text: str, at: int) -> bool:
    """Whether the word at `at` starts the text or a sentence (where any word is
    capitalised)."""
    before = text[:at].rstrip(" \t\"'«»„“”‘’([")
    return not before or not (before[-1].isalnum() or before[-1] in ",-–—")


def donation_boast(ctx: Context) -> Reason | None:
    """Rule 4: a brand announcing its own giving during the crisis."""
    hits = ctx.phrases.get("donation")
    return ctx.reason("donation-boast", hits) if hits else None


def empty_condolence(ctx: Context) -> Reason | None:
    """Rule 4: sympathy with nothing to add (no change for customers, no way to help)."""
    hits = ctx.phrases.get("condolence")
    if hits and not ctx.informs:
        return ctx.reason("empty-condolence", hits)
    return None


def operational_notice(ctx: Context) -> Reason | None:
    """Rule 4: an honest notice of what changes (staff giving blood, slow replies, a
    closure, a refund, where to get help) may go."""
    # The words are not quoted: a notice's decision is then the same for every post
    # whose other words are the same, and is worked out once (see Judge.judge).
    return ctx.reason("operational-notice") if ctx.notice else None


def slow_automation(ctx: Context) -> Reason | None:
    """Rule 5: automated sequences pause; from `all_automated_from`, every automated post."""
    spec = ctx.playbook.rule("slow-automation")
    every = (
        spec.all_automated_from is not None
        and ctx.post.automated
        and ctx.crisis.severity.at_least(spec.all_automated_from)
    )
    return ctx.reason("slow-automation") if ctx.sequence or every else None


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
