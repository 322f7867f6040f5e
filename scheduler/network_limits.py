"""How long a post may be on each network, counted the way that network counts, so a
post that cannot go out is refused when it is queued rather than failing at 3 a.m.

- Mastodon counts grapheme clusters of the content warning and the text together, every
  link as 23 characters (without the punctuation that ends a sentence after it) and a
  remote mention (@user@server) by its user name only; the limit is the instance's (500
  on most). Alt text it counts in code points (1,500).
- Bluesky counts 300 grapheme clusters (and at most 3,000 bytes of UTF-8).
"""

from __future__ import annotations

import regex

from scheduler.config import AnyChannel, BlueskyChannel, MastodonChannel
from scheduler.errors import BadInput

MASTODON_LINK_LENGTH = 23
BLUESKY_GRAPHEMES = 300
BLUESKY_BYTES = 3000
# a link ends before trailing punctuation, and a comma starting another link splits two
_LINK = regex.compile(r"https?://[^\s]+?(?=[.,;:!?)\]}'\"]*(?:\s|$)|,https?://)")
# Mastodon user names: letters, digits and _, with . or - inside
_REMOTE_MENTION = regex.compile(r"(?<![\w@])@(\w+(?:[\w.-]*\w)?)@[\w-]+(?:\.[\w-]+)+")
_GRAPHEME = regex.compile(r"\X")


def graphemes(text: str) -> int:
    """User-perceived characters: a flag, a family emoji or a letter with its accents
    each count once."""
    return len(_GRAPHEME.findall(text))


def mastodon_length(text: str, spoiler_text: str | None = None) -> int:
    countable = _LINK.sub("x" * MASTODON_LINK_LENGTH, text)
    countable = _REMOTE_MENTION.sub(lambda m: "@" + m[1], countable)
    return graphemes((spoiler_text or "") + countable)


def problem(channel: AnyChannel, text: str) -> str | None:
    """Why `text` cannot go out on `channel`, or None when it fits."""
    if isinstance(channel, MastodonChannel):
        length = mastodon_length(text, channel.spoiler_text)
        if length > channel.max_characters:
            warning = " with its content warning" if channel.spoiler_text else ""
            links = " (a link counts 23)" if _LINK.search(text) else ""
            return (
                f"{length} characters{warning}, more than the {channel.max_characters} "
                f"a post on Mastodon channel {channel.id!r} may have{links}"
            )
    elif isinstance(channel, BlueskyChannel):
        length = graphemes(text)
        if length > BLUESKY_GRAPHEMES:
            return (
                f"{length} characters, more than the {BLUESKY_GRAPHEMES} a post on "
                f"Bluesky channel {channel.id!r} may have"
            )
        size = len(text.encode("utf-8"))
        if size > BLUESKY_BYTES:
            return (
                f"{size} bytes, more than the {BLUESKY_BYTES} a post on Bluesky "
                f"channel {channel.id!r} may have"
            )
    return None


def check_fits(channel: AnyChannel, text: str, label: str) -> str:
    """`text` unchanged if it fits on `channel`; BadInput naming the count and limit."""
    found = problem(channel, text)
    if found is not None:
        raise BadInput(f"{label}: {found}")
    return text
