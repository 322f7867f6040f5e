"""Conversion between table rows and domain objects."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from policies.normalise import NORM_VERSION, normalise
from scheduler.models import AuditEvent, CrisisRecord, Media, NewPost, Post, Status


def post_from_row(row: Any) -> Post:
    m = row._mapping
    return Post(
        id=m["id"],
        brand=m["brand"],
        channel=m["channel"],
        text=m["text"],
        tags=tuple(m["tags"] or ()),
        lang=m["lang"],
        automated=bool(m["automated"]),
        due_at=m["due_at"],
        run_at=m["run_at"],
        expires_at=m["expires_at"],
        crisis_text=m["crisis_text"],
        every=timedelta(seconds=m["every_seconds"]) if m["every_seconds"] else None,
        until=m["until_at"],
        series_id=m["series_id"],
        status=Status(m["status"]),
        status_reason=m["status_reason"],
        attempts=m["attempts"],
        remote_id=m["remote_id"],
        remote_url=m.get("remote_url"),
        remote_key=m.get("remote_key"),
        first_try_at=m.get("first_try_at"),
        media=tuple(Media.from_json(x) for x in m.get("media") or ()),
        last_error=m["last_error"],
        published_at=m["published_at"],
        created_at=m["created_at"],
        created_by=m["created_by"],
        updated_at=m["updated_at"],
        decision=m.get("decision_body"),
        judged_epoch=m.get("judged_epoch"),
        approved_epoch=m.get("approved_epoch"),
        text_norm=m.get("text_norm"),
        norm_version=m.get("norm_version"),
    )


def crisis_from_row(row: Any) -> CrisisRecord:
    m = row._mapping
    return CrisisRecord(
        id=m["id"],
        name=m["name"],
        category=m["category"],
        severity=m["severity"],
        ops=m["ops"],
        keywords=tuple(m["keywords"]),
        contexts=tuple(m["contexts"]),
        regions=tuple(m["regions"]),
        brands=tuple(m["brands"]),
        channels=tuple(m["channels"]),
        langs=tuple(m["langs"]),
        until=m["until_at"],
        active=bool(m["active"]),
        started_at=m["started_at"],
        started_by=m["started_by"],
        ended_at=m["ended_at"],
        ended_by=m["ended_by"],
        note=m["note"],
    )


def new_post_values(
    post: NewPost, *, actor: str, now: Any, status: Status = Status.QUEUED
) -> dict[str, Any]:
    return {
        "brand": post.brand,
        "channel": post.channel,
        "tags": list(post.tags),
        "lang": post.lang,
        "automated": post.automated,
        "due_at": post.due_at,
        "run_at": post.due_at,
        "expires_at": post.expires_at,
        "every_seconds": int(post.every.total_seconds()) if post.every else None,
        "until_at": post.until,
        "series_id": post.series_id,
        "status": status.value,
        "attempts": 0,
        "content_key": post.key,
        "import_key": post.import_key,
        "created_at": now,
        "created_by": actor,
        "updated_at": now,
    }


def text_values(text: str, lang: str | None) -> dict[str, Any]:
    """A post's words with their normalised form, derived once here so that judging a
    queue of a million posts need not redo it."""
    return {"text": text, "text_norm": normalise(text, lang), "norm_version": NORM_VERSION}


def audit_from_row(row: Any) -> AuditEvent:
    m = row._mapping
    return AuditEvent(
        id=m["id"],
        at=m["at"],
        actor=m["actor"],
        action=m["action"],
        post_id=m["post_id"],
        from_status=Status(m["from_status"]) if m["from_status"] else None,
        to_status=Status(m["to_status"]) if m["to_status"] else None,
        reason=m["reason"],
        detail=m["detail"] or {},
    )
