"""The plain values the policy works on: posts, brands, crises, and its decisions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from policies.lexicon import Found


class Severity(StrEnum):
    WATCH = "watch"
    SERIOUS = "serious"
    SEVERE = "severe"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


_SEVERITY_RANK = {Severity.WATCH: 1, Severity.SERIOUS: 2, Severity.SEVERE: 3}


class Ops(StrEnum):
    """The company's operating status during the crisis (ask management first)."""

    NORMAL = "normal"
    REDUCED = "reduced"
    CLOSED = "closed"


class Action(StrEnum):
    PUBLISH = "publish"
    PAUSE = "pause"
    HOLD = "hold"
    REWRITE = "rewrite"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        """How strict: pausing resumes by itself, holding needs a human, blocking needs
        an override. A rewrite is a hold that comes with a proposed text."""
        return _ACTION_RANK[self]


_ACTION_RANK = {
    Action.PUBLISH: 0,
    Action.PAUSE: 1,
    Action.HOLD: 2,
    Action.REWRITE: 2,
    Action.BLOCK: 3,
}


@dataclass(frozen=True, kw_only=True, slots=True)
class BrandFacts:
    id: str
    sectors: frozenset[str] = frozenset()
    regions: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    #: the brand's prepared crisis alternative (relief charities, a way to help), by language
    alternatives: Mapping[str, str] = field(default_factory=dict)


# Not frozen: a toggle makes one per queued post, and a frozen dataclass's __init__ (one
# object.__setattr__ per field) took twice as long. Nothing changes one once made.
@dataclass(kw_only=True, slots=True)
class PostFacts:
    text: str
    brand: BrandFacts
    channel: str
    tags: frozenset[str] = frozenset()
    lang: str | None = None
    automated: bool = False
    #: the post's own prepared alternative for a crisis
    crisis_text: str | None = None
    #: `normalise(text, lang)` when the caller already has it (the queue stores it)
    norm: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Crisis:
    id: int
    name: str
    category: str
    severity: Severity
    keywords: tuple[str, ...] = ()
    contexts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    ops: Ops = Ops.NORMAL


@dataclass(frozen=True, kw_only=True, slots=True)
class Reason:
    rule: str
    action: Action
    advice: str
    matches: tuple[Found, ...] = ()
    crisis: int | None = None
    proposed_text: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "action": self.action.value,
            "advice": self.advice,
            "crisis": self.crisis,
            "matches": [m.to_json() for m in self.matches],
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class Decision:
    """What the crisis policy does with one post, and why; `Judge.judge` returns one.

    `action` is the strictest action among the reasons: publish; pause (the post goes
    out by itself when the crisis ends); hold (a person decides); rewrite (a hold with a
    text to send instead, in `proposed_text`); block (only an override lets it out).
    `reasons` holds every rule that fired, strictest first, each with its advice and the
    words it matched; rules that let the post through are kept too, so a decision
    explains itself either way. `stops` is True for anything but publish, and
    `to_json()` gives what `--json` prints.

    Example:

        >>> from policies.engine import Judge
        >>> boston = Crisis(id=1, name="Boston Marathon bombing", category="bombing",
        ...                 severity=Severity.SERIOUS, contexts=("marathon",),
        ...                 regions=("us-ma",))
        >>> stride = BrandFacts(id="stride", sectors=frozenset({"athletic-apparel"}),
        ...                     regions=("us-ma",), languages=("en",),
        ...                     alternatives={"en": "We support the One Fund for the victims."})
        >>> decision = Judge([boston]).judge(PostFacts(
        ...     text="New racing flats: 15% off this week", brand=stride,
        ...     channel="stride-outbox", tags=frozenset({"promo"}), lang="en"))
        >>> decision.action, decision.stops, decision.proposed_text
        (<Action.REWRITE: 'rewrite'>, True, 'We support the One Fund for the victims.')
        >>> decision.reasons[0].rule
        'sector-proximity'
    """

    action: Action
    reasons: tuple[Reason, ...] = ()
    proposed_text: str | None = None

    @property
    def stops(self) -> bool:
        return self.action is not Action.PUBLISH

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "reasons": [r.to_json() for r in self.reasons],
            "proposed_text": self.proposed_text,
        }


PUBLISH = Decision(action=Action.PUBLISH)


def combine(reasons: list[Reason]) -> Decision:
    """The strictest action wins; a hold becomes a rewrite when a rule proposes a text.

    Reasons that let a post through (an honest operational notice) are kept too, so the
    decision explains itself either way.
    """
    ordered = tuple(sorted(reasons, key=lambda r: -r.action.rank))
    top = ordered[0].action.rank if ordered else 0
    if top == 0:
        return Decision(action=Action.PUBLISH, reasons=ordered)
    if top == Action.HOLD.rank:
        proposal = next(
            (r.proposed_text for r in ordered if r.action.rank == top and r.proposed_text), None
        )
        action = Action.REWRITE if proposal else Action.HOLD
        return Decision(action=action, reasons=ordered, proposed_text=proposal)
    return Decision(action=ordered[0].action, reasons=ordered)
