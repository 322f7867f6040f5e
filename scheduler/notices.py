"""Rule 1 (follow the business): when a crisis changes how a business operates, each
brand in its scope gets a draft public notice of the change, held for review."""

from __future__ import annotations

from dataclasses import replace

from policies.engine import regions_overlap
from policies.models import Ops
from policies.rewrite import draft_notice
from scheduler.config import Config
from scheduler.models import CrisisRecord, NewPost, Status, Verdict
from scheduler.store import Change, Store
from scheduler.store import verdicts as verdict_store


def draft_notices(
    store: Store, config: Config, crisis: CrisisRecord, change: Change, epoch: int
) -> list[int]:
    """Rule 1: a draft public notice of the operating change per brand, for review."""
    drafts: list[NewPost] = []
    for brand in config.brands:
        if (
            not brand.channels
            or (crisis.brands and brand.id not in crisis.brands)
            or (crisis.regions and not regions_overlap(brand.regions, crisis.regions))
        ):
            continue
        playbook = config.playbook_for(brand.id)
        text = draft_notice(playbook, Ops(crisis.ops), tuple(brand.languages), crisis.name)
        if text:
            drafts.append(
                NewPost(
                    brand=brand.id,
                    channel=brand.channels[0].id,
                    text=text,
                    due_at=change.now,
                    tags=("announcement",),
                    lang=brand.languages[0] if brand.languages else None,
                )
            )
    if not drafts:
        return []
    fresh = [d for d in drafts if d.key not in store.live_duplicates([d.key])]
    ids = store.add_posts(
        fresh, replace(change, action="create", reason="draft notice of the operating change")
    )
    held = Verdict(
        status=Status.HELD,
        reason="draft notice: edit and approve it",
        decision={
            "action": "hold",
            "proposed_text": None,
            "reasons": [
                {
                    "rule": "follow-the-business",
                    "action": "hold",
                    "crisis": crisis.id,
                    "matches": [],
                    "advice": "The business changed how it operates; the marketer "
                    "owns telling the public. Edit this draft and approve "
                    "it, or reject it.",
                }
            ],
        },
    )
    with store.write() as conn:
        verdict_store.apply_verdicts(
            conn,
            dict.fromkeys(ids, Status.QUEUED),
            dict.fromkeys(ids, held),
            epoch=epoch,
            change=replace(change, action="judge"),
        )
    return ids
