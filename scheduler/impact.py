"""What a crisis toggle did (or, previewed, would do) to the queue: counts by brand and
action, a few examples of each, every post stopped, and what each keyword matched."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from policies.models import Action, Decision
from scheduler.judging import summary
from scheduler.models import Candidate, CrisisRecord, Post

#: examples of each action the report shows in words (the JSON lists every post)
EXAMPLES = 3
LABEL = {
    Action.PUBLISH: "untouched",
    Action.PAUSE: "paused",
    Action.HOLD: "held",
    Action.REWRITE: "rewritten",
    Action.BLOCK: "blocked",
}


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
        label = LABEL[decision.action]
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
            self.examples[label].append(
                {
                    "post": post.id,
                    "brand": post.brand,
                    "channel": post.channel,
                    "text": post.text,
                    "why": why,
                    "proposed_text": decision.proposed_text,
                }
            )

    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in self.by_brand.values():
            total.update(counts)
        return total

    def to_json(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "crisis": self.crisis.to_json() if self.crisis else None,
            "judged": self.judged,
            "totals": dict(self.totals()),
            "by_brand": {b: dict(c) for b, c in sorted(self.by_brand.items())},
            "examples": dict(self.examples),
            "posts": [
                {"post": pid, "brand": brand, "channel": channel, "action": label, "why": why}
                for pid, brand, channel, label, why in self.posts
            ],
            "in_flight": [
                {"post": p.id, "channel": p.channel, "text": p.text} for p in self.in_flight
            ],
            "notices": self.notices,
            "superseded": self.superseded,
            "keyword_forms": {
                k: dict(v.most_common()) for k, v in sorted(self.keyword_forms.items())
            },
        }
