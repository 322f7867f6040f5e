"""Whether a reviewer's approval still covers what the policy now says of a post.

An approval is a decision about a post under the crises as they stood: the reviewer saw
the reasons the policy gave (each rule, the crisis behind it, the words it matched) and
each crisis's severity, and let the post go anyway. Every later toggle judges the post
again, but the approval stands unless the new decision shows something the reviewer did
not see: a crisis or rule that did not stop it before, words it did not match before, a
stricter action, or a crisis that has since become more severe. A crisis elsewhere, or a
keyword the post does not contain, changes nothing for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.models import Action, Decision, Severity

#: the key under which a stored decision keeps the approval given to it
APPROVAL = "approved"


def approved(
    decision: Mapping[str, Any] | None, epoch: int, severities: Mapping[int, str]
) -> dict[str, Any]:
    """The decision a reviewer approved, with what they approved it under."""
    body = dict(decision or {"action": Action.PUBLISH.value, "reasons": [], "proposed_text": None})
    body[APPROVAL] = {"epoch": epoch, "severity": {str(k): v for k, v in severities.items()}}
    return body


def approval_of(decision: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The approved decision, if this stored decision carries an approval."""
    return decision if decision and APPROVAL in decision else None


def what_is_new(
    approval: Mapping[str, Any], decision: Decision, severities: Mapping[int, str]
) -> str | None:
    """None when the approval covers `decision`; else, in words, what the reviewer did
    not see when they approved the post."""
    seen: dict[tuple[int | None, str], tuple[int, set[str]]] = {}
    for reason in approval.get("reasons", []):
        rank = Action(reason["action"]).rank
        words = {m["text"].casefold() for m in reason.get("matches", [])}
        key = (reason.get("crisis"), reason["rule"])
        old_rank, old_words = seen.get(key, (0, set()))
        seen[key] = (max(rank, old_rank), old_words | words)
    then = approval[APPROVAL].get("severity", {})
    for reason in decision.reasons:
        if reason.action is Action.PUBLISH:
            continue
        crisis = f"crisis {reason.crisis}" if reason.crisis is not None else "a crisis"
        rank, words = seen.get((reason.crisis, reason.rule), (0, set()))
        if rank == 0:
            return f"{crisis} now stops it ({reason.rule})"
        if reason.action.rank > rank:
            return f"{crisis} now asks to {reason.action.value} it ({reason.rule})"
        fresh = sorted({m.text for m in reason.matches if m.text.casefold() not in words})
        if fresh:
            return f"{crisis} now matches {', '.join(fresh[:4])} ({reason.rule})"
        before, now = then.get(str(reason.crisis)), severities.get(reason.crisis)
        if before and now and Severity(now).rank > Severity(before).rank:
            return f"{crisis} rose from {before} to {now} ({reason.rule})"
    return None
