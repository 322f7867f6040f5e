"""Text normalisation for matching, the same for posts, keywords and lexicon patterns.

Script-aware rather than language-aware, so one pass serves a post in any language:
- case folded; NFKC; format characters (zero-width joiners, variation selectors) dropped;
- Latin letters lose their diacritics (Czech "bombový" -> "bombovy", Azerbaijani
  "şok" -> "sok"; ə and ı are letters and stay); leftover combining marks (Russian stress
  accents, Arabic harakat) are dropped;
- Cyrillic keeps its letters (й stays й) except ё -> е;
- Arabic: tatweel dropped, أ إ آ ٱ -> ا, ى -> ي;
- every dash, `#` and run of whitespace becomes one space; curly apostrophes become '.
Azerbaijani (and Turkish) case dotted and dotless I their own way: pass `lang`.

`normalise` is the fast path (C-level string methods); `normalise_with_offsets` also maps
each normalised character back to its position in the original text, for highlighting.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from functools import cache, lru_cache

#: bump whenever the output of `normalise` changes, so stored forms are recomputed
NORM_VERSION = 1

_SPACE_LIKE = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212#_/\\|"
_APOSTROPHES = "\u2019\u2018\u02bc\u0060\u00b4"
_TURKIC = {"az", "tr"}
_WORD = re.compile(r"\S+")
# marks and format characters: accents, harakat, stress marks, tatweel, ZWJ, VS16
# marks and format characters folding drops: accents, harakat, stress marks, tatweel,
# soft hyphen, zero-width and direction marks, variation selectors, BOM
_DROP_RANGES = [
    (0x0300, 0x036F),
    (0x0483, 0x0489),
    (0x0591, 0x05C7),
    (0x0610, 0x061A),
    (0x064B, 0x065F),
    (0x0670, 0x0670),
    (0x06D6, 0x06ED),
    (0x0640, 0x0640),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
    (0x00AD, 0x00AD),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
]
_DROP = re.compile("[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in _DROP_RANGES) + "]")
#: the same characters as a set, for checks one character at a time
_DROPPED = frozenset(chr(c) for a, b in _DROP_RANGES for c in range(a, b + 1))
#: NFKD splits й into и and a breve, which is a letter of its own here; other marks on
#: the same letter may come between them (canonical order), so look past those
_BREVE = re.compile("([\u0438\u0418])((?:(?!\u0306)" + _DROP.pattern + ")*)\u0306")
_REPLACE = {
    **{c: " " for c in _SPACE_LIKE},
    **{c: "'" for c in _APOSTROPHES},
    "\u0671": "\u0627",
    "\u0649": "\u064a",
}
_ASCII_REPLACE = [(c, r) for c, r in _REPLACE.items() if c.isascii()]


def normalise(text: str, lang: str | None = None) -> str:
    """The normalised form of `text` (see the module docstring)."""
    return " ".join(fold(text, lang).split())


def fold(text: str, lang: str | None) -> str:
    """Everything but the whitespace collapse; works the same on a whole text or a piece."""
    if lang in _TURKIC:
        text = text.replace("I", "ı").replace("İ", "i")
    if text.isascii():
        text = text.lower()
        for char, replacement in _ASCII_REPLACE:
            text = text.replace(char, replacement)
        return text
    # apostrophe-like accents first: NFKD would turn ´ into a space and a mark
    for char in _APOSTROPHES:
        if char in text:
            text = text.replace(char, "'")
    decomposed = unicodedata.normalize("NFKD", text)
    # NFKD hands back the very same string when nothing decomposed: nothing to drop then
    if decomposed is not text or _DROP.search(text):
        if "\u0306" in decomposed:
            decomposed = _BREVE.sub(lambda m: "й" + m[2], decomposed)
        decomposed = _DROP.sub("", decomposed)
    text = decomposed.casefold()
    for char, replacement in _REPLACE.items():
        if char in text:
            text = text.replace(char, replacement)
    return text


def normalise_with_offsets(text: str, lang: str | None = None) -> tuple[str, list[int]]:
    """Like `normalise`, plus for each output character the index of its source character.

    Word by word, and mostly without a loop over characters: a word that folds one
    character to one maps straight across, and so does one whose only extra characters
    are marks that folding drops (Arabic harakat, a variation selector).
    """
    norm, where = located(text, lang)
    return norm, list(where)


def located(text: str, lang: str | None = None) -> tuple[str, Sequence[int]]:
    """`normalise_with_offsets` for a reader who looks up a few positions (where a match
    starts and ends): when every character folds to one, the offsets are worked out on
    demand from the words' places rather than listed one by one. Remembered for the last
    few texts: judging one post asks for them several times (hashtags, accents, quoting).
    The offsets are shared: do not change them."""
    # only Turkic languages fold differently: one cache entry serves every other caller
    return _located(text, lang if lang in _TURKIC else None)


@lru_cache(maxsize=64)
def _located(text: str, lang: str | None) -> tuple[str, Sequence[int]]:
    dropping = not text.isascii() and _DROP.search(text)
    if not dropping:
        # the common case: nothing for folding to drop, so a text that folds to as many
        # characters as it has folded each to one (no character folds to none), and
        # positions line up
        folded = fold(text, lang)
        if len(folded) == len(text):
            return " ".join(folded.split()), word_offsets(folded)
    elif "\u0306" not in text:
        # marks that folding drops (Arabic tanween, an emoji's variation selector) are
        # all that stands in the way: drop them first, then shift positions past them
        stripped = _DROP.sub("", text)
        if one_to_one(stripped, lang):
            norm, where = located(stripped, lang)
            return norm, _PastDropped(where, [m.start() for m in _DROP.finditer(text)])
    parts: list[str] = []
    where: list[int] = []
    for word in _WORD.finditer(text):
        folded, positions = _fold_word(word.group(), word.start(), lang)
        for part in _WORD.finditer(folded):  # a dash or '#' inside a word splits it
            if parts:
                parts.append(" ")
                where.append(positions[part.start()])
            parts.append(part.group())
            where.extend(positions[part.start() : part.end()])
    return "".join(parts), where


def word_offsets(folded: str) -> Sequence[int]:
    """The offsets of a text that folded one character to one (`folded` is that text
    folded): the normalised text differs from it only where runs of whitespace were cut
    to one space (or off the start), so only those places are needed."""
    norm = " ".join(folded.split())
    if folded.startswith(norm):  # nothing cut before the last word
        return _Shifted(folded, len(norm), [], [])
    body = folded.lstrip()
    removed = len(folded) - len(body)
    starts = [0] if removed else []
    shifts = [removed] if removed else []
    # a text whose only whitespace is the space (no newline, no NBSP) has its runs found
    # with `str.find`, several times faster than a `\s` pattern
    runs = (
        _space_runs(folded, removed)
        if body.isprintable()
        else (run.span() for run in _WHITESPACE_RUNS.finditer(folded, removed))
    )
    for begin, end in runs:
        removed += end - begin - 1
        starts.append(end - removed)  # where the text after the run lands in the norm
        shifts.append(removed)
    return _Shifted(folded, len(norm), starts, shifts)


#: runs of whitespace that normalising cuts to one space
_WHITESPACE_RUNS = re.compile(r"\s\s+")


def _space_runs(text: str, start: int) -> Iterator[tuple[int, int]]:
    """The spans of two or more spaces in `text` from `start` on."""
    begin = text.find("  ", start)
    while begin != -1:
        end = begin + 2
        while end < len(text) and text[end] == " ":
            end += 1
        yield begin, end
        begin = text.find("  ", end)


class _Shifted(Sequence[int]):
    """Offsets of a text whose characters fold one to one: position i of the normalised
    text is position i of the text plus the whitespace cut before it (found by
    bisection over the few places where runs were cut); a space points at the word
    after it."""

    def __init__(self, folded: str, length: int, starts: list[int], shifts: list[int]) -> None:
        self._folded = folded
        self._length = length
        self._starts = starts
        self._shifts = shifts

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        run = bisect_right(self._starts, index) - 1
        position = index + self._shifts[run] if run >= 0 else index
        while self._folded[position].isspace():
            position += 1
        return position


class _PastDropped(Sequence[int]):
    """Offsets into a text with some characters taken out, mapped back to the whole
    text: each position moves past the dropped characters at or before it."""

    def __init__(self, inner: Sequence[int], dropped: list[int]) -> None:
        self._inner = inner
        self._dropped = dropped

    def __len__(self) -> int:
        return len(self._inner)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        position = self._inner[index]
        for dropped in self._dropped:
            if dropped > position:
                break
            position += 1
        return position


def _fold_word(piece: str, base: int, lang: str | None) -> tuple[str, Sequence[int]]:
    """A word folded, with the source index of each folded character."""
    if one_to_one(piece, lang):
        return fold(piece, lang), range(base, base + len(piece))
    kept = [i for i, char in enumerate(piece) if char not in _DROPPED]
    stripped = "".join(piece[i] for i in kept)
    if one_to_one(stripped, lang):
        return fold(stripped, lang), [base + i for i in kept]
    chars: list[str] = []
    positions: list[int] = []
    for at, cluster in _clusters(piece, base):
        for char in _fold_piece(cluster, lang):
            chars.append(char)
            positions.append(at)
    return "".join(chars), positions


def one_to_one(piece: str, lang: str | None) -> bool:
    """Whether folding maps each character of `piece` to exactly one character."""
    if piece.isascii():
        return True
    if lang in _TURKIC:
        piece = piece.replace("I", "ı").replace("İ", "i")
    if _DROP.search(piece) or len(piece.casefold()) != len(piece):
        return False
    return len(_DROP.sub("", unicodedata.normalize("NFKD", piece))) == len(piece)


@lru_cache(maxsize=65536)
def _fold_piece(cluster: str, lang: str | None) -> str:
    return fold(cluster, lang)


def _clusters(text: str, offset: int = 0):
    """(index, base character with the combining marks that follow it)."""
    start = 0
    for index in range(1, len(text) + 1):
        if index == len(text) or not _is_combining(text[index]):
            yield offset + start, text[start:index]
            start = index


@cache
def _is_combining(char: str) -> bool:
    return unicodedata.category(char).startswith("M")
