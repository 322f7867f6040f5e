"""Turn what a marketer typed (on the command line or in a CSV row) into a NewPost.

All checks live here so `post add` and `post import` refuse exactly the same things
with the same words; only the label of the place differs (`--at` or `column 'at'`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from policies.playbook import Tags
from scheduler.config import AnyChannel, Config
from scheduler.errors import BadInput, NoFreeSlot
from scheduler.media import check_for_channel, read_media
from scheduler.models import Media, NewPost
from scheduler.network_limits import check_fits
from scheduler.slots import next_free_slot
from scheduler.when import Fold, parse_duration, parse_when

NEXT_SLOT = "next-slot"
#: a time this far in the past is surely a mistake rather than clock skew
PAST_TOLERANCE = timedelta(minutes=1)
MIN_EVERY = timedelta(hours=1)
#: longer than any network takes (an email newsletter included): surely a mistake
MAX_TEXT = 20_000
_LANG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


class FieldError(BadInput):
    """A bad value, with the name of the field it came from."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, kw_only=True, slots=True)
class Draft:
    """A post as typed: every value still a string, as the user gave it."""

    text: str
    channel: str
    at: str | None = None
    tags: Sequence[str] = ()
    lang: str | None = None
    expires: str | None = None
    crisis_text: str | None = None
    automated: bool | None = None
    every: str | None = None
    until: str | None = None
    fold: Fold | None = None
    #: instants already settled (an edit keeps what it does not change); used when the
    #: matching text field is empty, and still checked against the post's time
    due_at: datetime | None = None
    expires_at: datetime | None = None
    until_at: datetime | None = None
    every_span: timedelta | None = None
    #: image files (absolute, or relative to where they were typed) and their alt texts
    media: Sequence[str] = ()
    alts: Sequence[str] = ()
    #: images already settled (an edit keeps them when it gives none)
    media_items: tuple[Media, ...] = ()
    #: an edit's current time: a shift in `at` ('+2h', '-30m') moves the post from it,
    #: as a marketer moving a post means, not from now
    moved_from: datetime | None = None


Label = Callable[[str], str]
TakenTimes = Callable[[str, datetime], set[datetime]]


class Drafting:
    """Builds NewPosts for one command, remembering slots it already handed out."""

    def __init__(self, config: Config, *, now: datetime, taken: TakenTimes, label: Label) -> None:
        self.config = config
        self.now = now
        self._taken = taken
        self._label = label
        self._reserved: dict[str, set[datetime]] = {}

    def build(self, draft: Draft) -> NewPost:
        text = self._text(draft.text)
        brand, channel = self._channel(draft.channel)
        self._fits(channel, text, "text")
        crisis_text = self._crisis_text(draft.crisis_text)
        if crisis_text:
            self._fits(channel, crisis_text, "crisis_text")
        media = self._media(draft, channel)
        tz = self.config.brand_zone(brand)
        due = self._due(draft, channel.id, channel.slots, tz)
        every = self._every(draft.every) if draft.every_span is None else draft.every_span
        post = NewPost(
            brand=brand.id,
            channel=channel.id,
            text=text,
            due_at=due,
            tags=self._tags(draft.tags, brand.id),
            lang=self._lang(draft.lang) or (brand.languages[0] if brand.languages else None),
            automated=draft.automated if draft.automated is not None else every is not None,
            expires_at=self._after(
                draft.expires, "expires", due, tz, draft.fold, settled=draft.expires_at
            ),
            crisis_text=crisis_text,
            every=every,
            until=self._until(draft, due, tz, every),
            media=media,
        )
        # later --next-slot drafts of this command must not land on this time
        self._reserved.setdefault(channel.id, set()).add(due)
        return post

    def build_all(self, drafts: Sequence[Draft]) -> list[NewPost]:
        """Build in order, but settle fixed times before handing out free slots."""
        order = sorted(range(len(drafts)), key=lambda i: is_next_slot(drafts[i].at))
        built = {i: self.build(drafts[i]) for i in order}
        return [built[i] for i in range(len(drafts))]

    def _fail(self, field: str, problem: str) -> FieldError:
        return FieldError(field, f"{self._label(field)}: {problem}")

    def _text(self, text: str) -> str:
        try:
            return check_text(text, self._label("text"))
        except BadInput as exc:
            raise FieldError("text", str(exc)) from None

    def _crisis_text(self, crisis_text: str | None) -> str | None:
        if crisis_text is None or not crisis_text.strip():
            return None
        try:
            return check_text(crisis_text, self._label("crisis_text"), what="the crisis text")
        except BadInput as exc:
            raise FieldError("crisis_text", str(exc)) from None

    def _fits(self, channel: AnyChannel, text: str, field: str) -> None:
        try:
            check_fits(channel, text, self._label(field))
        except BadInput as exc:
            raise FieldError(field, str(exc)) from None

    def _media(self, draft: Draft, channel: AnyChannel) -> tuple[Media, ...]:
        try:
            media = (
                read_media(
                    draft.media,
                    draft.alts,
                    media_label=self._label("media"),
                    alt_label=self._label("alt"),
                )
                if draft.media or draft.alts
                else draft.media_items
            )
            check_for_channel(channel, media, self._label("media"))
        except BadInput as exc:
            raise FieldError("media", str(exc)) from None
        return media

    def _channel(self, channel_id: str):
        entry = self.config.channels.get((channel_id or "").strip())
        if entry is None:
            known = ", ".join(self.config.channels) or "none in config.yaml"
            raise self._fail("channel", f"unknown channel {channel_id!r} (known: {known})")
        return entry

    def _due(self, draft: Draft, channel_id: str, slots, tz) -> datetime:
        if draft.due_at is not None:
            return draft.due_at
        raw = (draft.at or "").strip()
        if not raw:
            raise self._fail("at", f"missing: give a time (ISO 8601, 'now', '+2h') or {NEXT_SLOT}")
        if is_next_slot(raw):
            return self._next_slot(channel_id, slots, tz)
        if draft.moved_from is not None and raw[:1] in ("+", "-"):
            due = self._shifted(draft.moved_from, raw)
        else:
            due = self._when(raw, "at", tz, draft.fold)
        if due < self.now - PAST_TOLERANCE:
            raise self._fail("at", f"{raw!r} is in the past; use 'now' to post right away")
        return due

    def _shifted(self, base: datetime, raw: str) -> datetime:
        try:
            span = parse_duration(raw[1:], what=self._label("at"))
        except BadInput as exc:
            raise FieldError("at", str(exc)) from None
        return base + span if raw[0] == "+" else base - span

    def _when(self, raw: str, field: str, tz, fold: Fold | None) -> datetime:
        try:
            return parse_when(raw, now=self.now, tz=tz, fold=fold, what=self._label(field))
        except BadInput as exc:
            raise FieldError(field, str(exc)) from None

    def _next_slot(self, channel_id: str, slots, tz) -> datetime:
        if not slots:
            raise NoFreeSlot(
                f"{self._label('at')}: channel {channel_id!r} has no posting "
                "slots; add `slots:` to it in config.yaml or give a time"
            )
        reserved = self._reserved.setdefault(channel_id, set())
        taken = self._taken(channel_id, self.now) | reserved
        slot = next_free_slot(slots, tz, after=self.now, taken=taken)
        if slot is None:
            raise NoFreeSlot(
                f"{self._label('at')}: every slot of channel {channel_id!r} "
                "in the next year is taken"
            )
        return slot

    def _tags(self, tags: Sequence[str], brand_id: str) -> tuple[str, ...]:
        try:
            return check_tags(tags, self._label("tags"), self.config.playbook_for(brand_id).tags)
        except BadInput as exc:
            raise FieldError("tags", str(exc)) from None

    def _lang(self, lang: str | None) -> str | None:
        if lang is None or not lang.strip():
            return None
        code = lang.strip().lower().replace("_", "-")
        if not _LANG.match(code):
            raise self._fail(
                "lang", f"{lang!r} is not a language code (such as en, cs, ru, ar, az, id)"
            )
        return code

    def _every(self, every: str | None) -> timedelta | None:
        if not every or not every.strip():
            return None
        try:
            span = parse_duration(every, what=self._label("every"))
        except BadInput as exc:
            raise FieldError("every", str(exc)) from None
        if span < MIN_EVERY:
            raise self._fail(
                "every", f"{every!r} is too often; recurring posts repeat at most hourly"
            )
        return span

    def _after(
        self,
        raw: str | None,
        field: str,
        due: datetime,
        tz,
        fold: Fold | None,
        settled: datetime | None = None,
    ) -> datetime | None:
        if not raw or not raw.strip():
            if settled is not None and settled <= due:
                raise self._fail(
                    field,
                    f"the post's {field} time "
                    f"({settled.astimezone(tz):%Y-%m-%d %H:%M %Z}) would "
                    "come before its new time; change both",
                )
            return settled
        value = self._when(raw.strip(), field, tz, fold)
        if value <= due:
            raise self._fail(
                field,
                f"{raw!r} is not after the post's time ({due.astimezone(tz):%Y-%m-%d %H:%M %Z})",
            )
        return value

    def _until(self, draft: Draft, due: datetime, tz, every: timedelta | None):
        if draft.until and not every:
            raise self._fail("until", "only makes sense with every (a recurring post)")
        return self._after(draft.until, "until", due, tz, draft.fold, settled=draft.until_at)


def check_text(text: str, label: str, *, what: str = "the post text") -> str:
    """A post's text, stripped; refuses empty text, bytes that are not UTF-8, control
    characters and texts longer than any network takes."""
    if not text or not text.strip():
        raise BadInput(f"{label}: {what} is empty")
    bad_byte = next((c for c in text if "\udc80" <= c <= "\udcff"), None)
    if bad_byte is not None or any("\ud800" <= c <= "\udfff" for c in text):
        byte = f" (byte 0x{ord(bad_byte) - 0xDC00:02x})" if bad_byte else ""
        raise BadInput(f"{label}: not valid UTF-8 text{byte}; save or type it as UTF-8")
    if len(text) > MAX_TEXT:
        raise BadInput(f"{label}: {len(text):,} characters; a post may have at most {MAX_TEXT:,}")
    bad = next((c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t\r"), None)
    if bad is not None:
        raise BadInput(f"{label}: contains the control character U+{ord(bad):04X}; remove it")
    # one spelling of each accented letter (é, not e and a combining accent), so the
    # policy compares words as written whatever keyboard or app composed them
    return unicodedata.normalize("NFC", text.strip())


def check_tags(tags: Sequence[str], label: str, vocabulary: Tags) -> tuple[str, ...]:
    """Each tag as the playbook knows it (`#NewArrivals` -> `new-arrival`), once; refuses
    a tag the playbook does not know, naming the known ones."""
    out: list[str] = []
    for raw in tags:
        tag = raw.strip().lstrip("#")
        if not tag:
            continue
        known = vocabulary.canonical(tag)
        words = tag.split()
        if known is None and len(words) > 1:  # "promo sale": two tags, not one
            out += [t for t in check_tags(words, label, vocabulary) if t not in out]
            continue
        if known is None:
            raise BadInput(f"{label}: {unknown_tag(raw, vocabulary)}")
        if known not in out:
            out.append(known)
    return tuple(out)


def unknown_tag(raw: str, vocabulary: Tags) -> str:
    near = vocabulary.nearest(raw)
    hint = f"did you mean {' or '.join(near)}? " if near else ""
    groups: dict[str, list[str]] = {}
    for tag, group in vocabulary.vocabulary.items():
        groups.setdefault(group.replace("_", " "), []).append(tag)
    listing = "; ".join(f"{g}: {', '.join(sorted(t))}" for g, t in groups.items())
    return (
        f"unknown tag {raw!r}; {hint}known tags are {listing} (`tactful tags` shows "
        "their other spellings; a brand's playbook can add tags)"
    )


def is_next_slot(at: str | None) -> bool:
    return (at or "").strip().lower() == NEXT_SLOT


def split_tags(cell: str) -> list[str]:
    """Tags in one CSV cell: separated by commas or semicolons, or by spaces when there
    is neither (`promo sale`); a tag of several words is kept whole (`test drive`) when
    commas separate them, and check_tags reads its words apart if it is not known."""
    separator = r"[,;]" if re.search(r"[,;]", cell or "") else r"\s+"
    return [t.strip() for t in re.split(separator, cell or "") if t.strip()]
