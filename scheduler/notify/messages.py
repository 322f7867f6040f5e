"""What to tell a target: audit lines in, a few short messages out. Pure: no I/O, `now`
passed in.

Lines are grouped so that one event makes one message, however many lines it wrote:
- a crisis toggle (on, update, off) with what its judging did, from the `crisis-judged`
  line its desk writes when done, and the posts it held or blocked;
- the posts one judging held or blocked (a daemon's claim, a post queued mid-crisis):
  one message listing them, LIMIT at most and "and N more";
- the posts that went dead, and those that went unknown, since the last pass;
- each crisis a feed suggests (raised, changed by its alert, withdrawn) or a person
  dismisses: one message each, with the command that flags it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from scheduler.models import CrisisRecord

if TYPE_CHECKING:
    from scheduler.store.notify import Line

#: posts listed by name in one message; the rest are counted
LIMIT = 10
#: messages one digest lists in full; the rest are counted
DIGEST_LIMIT = 30
#: a reason is cut to this many characters in a listing
REASON_LENGTH = 140
TOGGLES = ("crisis-on", "crisis-update", "crisis-off")
JUDGED = "crisis-judged"
SUGGESTIONS = ("crisis-suggested", "crisis-dismissed")
_TITLE = {
    "crisis-on": "Crisis flagged",
    "crisis-update": "Crisis updated",
    "crisis-off": "Crisis ended",
}
#: how each judging's counts read, in this order
_COUNTS = ("paused", "held", "rewritten", "blocked", "untouched")
#: what became of posts when a crisis ended, by the keys of `CrisisDesk.end`
_OUTCOME = {
    "released": "paused post(s) released at a paced rate",
    "to_review": "paused post(s) sent to review",
    "kept_paused": "paused post(s) kept paused (--resume hold)",
    "expired": "paused post(s) dropped, their offer expired",
    "still_paused": "post(s) stay paused: another crisis or a paused channel stops them",
    "holds_released": "held post(s) released",
    "holds_to_review": "held post(s) left in review without a crisis verdict",
    "holds_kept_paused": "held post(s) kept held (--resume hold)",
    "holds_expired": "held post(s) dropped, their offer expired",
    "still_held": "held post(s) stay held: another crisis stops them",
}


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    text: str
    #: the position of its first line: once it is sent, nothing before that is owed
    first: int


def event_of(line: Line) -> str | None:
    """Which event a line is, by the names of `notify: events:`."""
    if line.action in TOGGLES or line.action == JUDGED:
        return "crisis"
    if line.action in SUGGESTIONS:
        return "suggestion"
    if line.to_status == "held":
        return "blocked" if (line.reason or "").startswith("block:") else "held"
    if line.to_status in ("dead", "unknown"):
        return line.to_status
    return None


def settled(toggles: Iterable[Line], end: int, now: datetime, wait: timedelta) -> int:
    """Where to stop reading: before the first crisis toggle whose judging has not
    finished (no `crisis-judged` line yet), unless it has been going for longer than
    `wait`; else `end`. Its message then carries its counts, and comes once."""
    lines = list(toggles)
    done = {_toggle_key(line) for line in lines if line.action == JUDGED}
    for line in lines:
        if line.action in TOGGLES and _toggle_key(line) not in done and now - line.at < wait:
            return min(line.position, end)
    return end


def _toggle_key(line: Line) -> tuple[Any, ...]:
    # the toggle, its verdicts and its judged line share the actor and the instant
    return line.actor, line.at, line.detail.get("crisis")


@dataclass
class Listing:
    """Posts of one kind in one message: the first LIMIT by name, the rest counted."""

    count: int = 0
    shown: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.count += 1
        if len(self.shown) < LIMIT:
            self.shown.append(text)

    def render(self) -> str:
        more = self.count - len(self.shown)
        return "\n".join(f"  - {s}" for s in self.shown) + (
            f"\n  - and {more} more" if more else ""
        )


@dataclass
class Group:
    first: int
    actor: str
    at: datetime
    action: str
    toggle: Line | None = None
    judged: Line | None = None
    posts: dict[str, Listing] = field(default_factory=dict)

    def listing(self, kind: str) -> Listing:
        return self.posts.setdefault(kind, Listing())


class Composer:
    """Takes a target's lines one at a time (`add`), keeping only counts and the first
    few posts of each group, and makes its messages (`messages`)."""

    def __init__(
        self,
        *,
        events: Iterable[str],
        brands: Iterable[str],
        crises: Mapping[int, CrisisRecord],
        channel_brands: Mapping[str, str],
        tz: ZoneInfo,
    ) -> None:
        self.events = frozenset(events)
        self.brands = frozenset(brands)
        self.crises = crises
        self.channel_brands = channel_brands
        self.tz = tz
        self.groups: dict[tuple[Any, ...], Group] = {}
        #: groups of toggles told of, by actor and instant (their verdicts share them)
        self._toggles: dict[tuple[str, datetime], Group] = {}
        self.last_id: int | None = None

    def add(self, line: Line) -> None:
        self.last_id = max(self.last_id or 0, line.id)
        kind = event_of(line)
        if kind is None or kind not in self.events:
            return
        if kind == "crisis":
            self._crisis_line(line)
        elif kind == "suggestion":
            brands = set(line.detail.get("brands") or [])
            if not self.brands or not brands or self.brands & brands:
                self._group(("suggestion", line.id), line).toggle = line
        elif not self.brands or line.brand in self.brands:
            self._group_for(line, kind).listing(kind).add(_post_line(line))

    def _crisis_line(self, line: Line) -> None:
        crisis = self.crises.get(line.detail.get("crisis", -1))
        if not self._reaches(crisis):
            return
        group = self._group(("crisis", *_toggle_key(line)), line)
        if line.action == JUDGED:
            group.judged = line
        else:
            group.toggle = line
            self._toggles[line.actor, line.at] = group

    def _group_for(self, line: Line, kind: str) -> Group:
        if kind in ("held", "blocked"):
            # the verdicts of a toggle this message tells of go with it
            toggle = self._toggles.get((line.actor, line.at))
            if toggle is not None:
                return toggle
            return self._group(("batch", line.action, line.actor, line.at), line)
        return self._group((kind,), line)

    def _group(self, key: tuple[Any, ...], line: Line) -> Group:
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Group(
                first=line.position, actor=line.actor, at=line.at, action=line.action
            )
        return group

    def _reaches(self, crisis: CrisisRecord | None) -> bool:
        """Whether a crisis's scope takes in any of the target's brands."""
        if not self.brands or crisis is None:
            return True
        if crisis.brands:
            return bool(self.brands & set(crisis.brands))
        if crisis.channels:
            return any(self.channel_brands.get(c) in self.brands for c in crisis.channels)
        return True

    def messages(self) -> list[Message]:
        out = [self._render(key, group) for key, group in self.groups.items()]
        return sorted((m for m in out if m is not None), key=lambda m: m.first)

    def _render(self, key: tuple[Any, ...], group: Group) -> Message | None:
        if key[0] == "crisis":
            return self._crisis_message(group)
        if key[0] == "batch":
            return self._batch_message(group)
        if key[0] == "suggestion":
            assert group.toggle is not None
            return suggestion_message(group.toggle, self._when(group.at), group.first)
        return self._status_message(key[0], group)

    # -- the messages ------------------------------------------------------------------
    def _crisis_message(self, group: Group) -> Message:
        line = group.toggle or group.judged
        assert line is not None
        number = line.detail.get("crisis")
        crisis = self.crises.get(number) if isinstance(number, int) else None
        name = (crisis.name if crisis else None) or line.detail.get("name") or f"#{number}"
        if group.toggle is None:  # its toggle was told of before its judging finished
            title = f"Crisis {name}: the queue has been judged"
            parts = [f"{title} (crisis {number}, {line.actor}, {self._when(line.at)})."]
        else:
            title = f"{_TITLE[group.toggle.action]}: {name}"
            parts = [f"{title} (crisis {number}) by {line.actor} at {self._when(line.at)}."]
            parts += self._crisis_facts(group.toggle, crisis)
        parts += self._judged(group)
        for kind, heading in (("held", "Held for review"), ("blocked", "Blocked")):
            if kind in group.posts:
                listing = group.posts[kind]
                parts.append(f"{heading} ({listing.count}):\n{listing.render()}")
        if group.posts:
            parts.append("Review them: tactful review list")
        return Message(subject=title, text="\n".join(parts), first=group.first)

    def _crisis_facts(self, toggle: Line, crisis: CrisisRecord | None) -> list[str]:
        facts = []
        detail = toggle.detail
        if toggle.action == "crisis-on":
            facts.append(
                f"Kind: {detail.get('category')}, severity {detail.get('severity')}, "
                f"operations {detail.get('ops')}."
            )
            facts.append("Scope: " + _scope(detail) + ".")
            if detail.get("keywords"):
                facts.append(f"Keywords: {', '.join(detail['keywords'])}.")
            if detail.get("feed"):
                how = (
                    "flagged by the feed itself"
                    if toggle.actor.startswith("feed:")
                    else (f"suggestion {detail.get('suggestion')} accepted")
                )
                facts.append(
                    f"From feed {detail['feed']}, alert {detail.get('alert')} ({how}); "
                    f"change it with tactful crisis update {detail.get('crisis')}, "
                    f"end it with tactful crisis off {detail.get('crisis')}."
                )
        elif toggle.action == "crisis-update":
            changed = {k: v for k, v in detail.items() if k != "crisis"}
            if changed:
                facts.append(
                    "Now: "
                    + "; ".join(f"{k.removesuffix('_at')} {_value(v)}" for k, v in changed.items())
                    + "."
                )
        elif detail.get("resume"):
            facts.append(
                f"Paused posts: {detail['resume']}"
                + (f" at {detail['rate']}" if detail.get("rate") else "")
                + "."
            )
        if toggle.reason:
            facts.append(f"Note: {toggle.reason}")
        return facts

    def _judged(self, group: Group) -> list[str]:
        if group.judged is None:
            return ["The queue was still being judged when this was sent; what it did follows."]
        detail = group.judged.detail
        if "by_brand" in detail:
            counts: dict[str, int] = {}
            for brand, by_label in detail["by_brand"].items():
                if not self.brands or brand in self.brands:
                    for label, n in by_label.items():
                        counts[label] = counts.get(label, 0) + n
            total = sum(counts.values())
            said = ", ".join(f"{counts[label]} {label}" for label in _COUNTS if counts.get(label))
            tail = " (a newer crisis change took over part way)" if detail.get("superseded") else ""
            return [f"Judged {total} queued post(s): {said or 'nothing to judge'}{tail}."]
        outcome = detail.get("outcome", {})
        said = [f"{outcome[key]} {label}" for key, label in _OUTCOME.items() if outcome.get(key)]
        return [f"Afterwards: {'; '.join(said)}." if said else "No post was paused or held by it."]

    def _batch_message(self, group: Group) -> Message:
        counts = [
            f"{group.posts[k].count} post(s) {v}"
            for k, v in (("held", "held for review"), ("blocked", "blocked"))
            if k in group.posts
        ]
        title = " and ".join(counts)
        parts = [f"{title[0].upper()}{title[1:]} by {group.actor} at {self._when(group.at)}."]
        for kind in ("held", "blocked"):
            if kind in group.posts:
                parts.append(group.posts[kind].render())
        parts.append("Review them: tactful review list")
        return Message(subject=title, text="\n".join(parts), first=group.first)

    def _status_message(self, kind: str, group: Group) -> Message:
        listing = group.posts[kind]
        if kind == "dead":
            title = f"{listing.count} post(s) gave up after failing"
            advice = "Send one again with: tactful post retry ID"
        else:
            title = f"{listing.count} post(s) may or may not have gone out (unknown)"
            advice = (
                "Check the network, then: tactful post mark-published ID, or tactful post retry ID"
            )
        return Message(
            subject=title, text=f"{title}:\n{listing.render()}\n{advice}", first=group.first
        )

    def _when(self, at: datetime) -> str:
        return at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M %Z")


_SUGGESTION_TITLE = {
    "raised": "Crisis suggested",
    "updated": "Crisis suggestion changed",
    "withdrawn": "Crisis suggestion withdrawn",
}


def suggestion_message(line: Line, when: str, first: int) -> Message:
    """A feed's suggestion (raised, changed, withdrawn), or a person's dismissal."""
    d = line.detail
    number = d.get("suggestion")
    if line.action == "crisis-dismissed":
        title = f"Crisis suggestion dismissed: {d.get('name')}"
        text = f"{title} (suggestion {number}) by {line.actor} at {when}. Note: {line.reason}"
        return Message(subject=title, text=text, first=first)
    title = f"{_SUGGESTION_TITLE.get(d.get('event'), 'Crisis suggestion')}: {d.get('name')}"
    parts = [f"{title} (suggestion {number}, feed {d.get('feed')}, {when})."]
    parts.append(
        f"Kind: {d.get('category')}, severity {d.get('severity')} ({d.get('severity_from')}); "
        f"regions {', '.join(d.get('regions') or []) or 'none'}."
    )
    if d.get("expires"):
        parts.append(f"The alert expires {d['expires']}.")
    posts = d.get("posts") or {}
    stops = ", ".join(f"{posts[k]} {k}" for k in _COUNTS if posts.get(k) and k != "untouched")
    parts.append(
        f"Reaches {', '.join(d.get('brands') or []) or 'no brand'}; flagging it now would "
        f"stop {stops or 'no queued post'}."
    )
    if d.get("link"):
        parts.append(f"Alert: {d['link']}")
    if d.get("event") == "withdrawn":
        crisis = d.get("crisis")
        parts.append(f"Why: {d.get('why') or 'its alert ended'}.")
        if crisis:
            parts.append(f"Crisis {crisis} it flagged is still on: tactful crisis off {crisis}")
    elif d.get("status") in ("accepted", "flagged") and d.get("crisis"):
        crisis = d["crisis"]
        follow = f"; to follow the alert: {d['update']}" if d.get("update") else "."
        parts.append(f"Crisis {crisis} was flagged from it and is unchanged{follow}")
    elif d.get("status") == "dismissed":
        by = f" by {d['decided_by']}" if d.get("decided_by") else ""
        parts.append(f"It was dismissed{by}; to flag it after all: {d.get('command')}")
    else:
        parts.append(f"Accept: tactful crisis accept {number}")
        parts.append(f"Dismiss: tactful crisis dismiss {number} --note WHY")
        parts.append(f"Or flag it yourself: {d.get('command')}")
    return Message(subject=title, text="\n".join(parts), first=first)


def digest(messages: list[Message], now: datetime, tz: ZoneInfo) -> Message | None:
    """One message of all of them (None if there are none)."""
    if not messages:
        return None
    day = now.astimezone(tz).strftime("%Y-%m-%d")
    shown = messages[:DIGEST_LIMIT]
    more = len(messages) - len(shown)
    subject = f"Tactful digest {day}: {len(messages)} notification(s)"
    body = "\n\n".join(m.text for m in shown) + (
        f"\n\nAnd {more} more (tactful audit lists everything)." if more else ""
    )
    return Message(subject=subject, text=f"{subject}\n\n{body}", first=messages[0].first)


def next_digest(after: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The first moment after `after` when the local clock (in `tz`) shows `at`."""
    local = after.astimezone(tz)
    for days in range(3):
        candidate = datetime.combine(local.date() + timedelta(days=days), at, tzinfo=tz)
        if candidate > local:
            return candidate.astimezone(after.tzinfo)
    raise AssertionError("a day always has the time")  # pragma: no cover


def _post_line(line: Line) -> str:
    reason = " ".join((line.reason or "").split())
    if len(reason) > REASON_LENGTH:
        reason = reason[: REASON_LENGTH - 1].rstrip() + "…"
    where = f" on {line.channel}" if line.channel else ""
    return f"#{line.post_id}{where}" + (f": {reason}" if reason else "")


def _scope(detail: Mapping[str, Any]) -> str:
    parts = []
    for key, label in (
        ("brands", "brands"),
        ("regions", "regions"),
        ("channels", "channels"),
        ("langs", "languages"),
    ):
        if detail.get(key):
            parts.append(f"{label} {', '.join(detail[key])}")
    return "; ".join(parts) or "everywhere"


def _value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "none"
    return str(value)
