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
from functools import cache, lru_cache

#: bump whenever the output of `normalise` changes, so stored forms are recomputed
NORM_VERSION = 1

_SPACE_LIKE = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212#_/\\|"
_APOSTROPHES = "\u2019\u2018\u02bc\u0060\u00b4"
_TURKIC = {"az", "tr"}
# marks and format characters: accents, harakat, stress marks, tatweel, ZWJ, VS16
_DROP = re.compile(r"[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f"
                   r"\u0670\u06d6-\u06ed\u0640\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff"
                   r"\ufe20-\ufe2f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufe00-\ufe0f"
                   r"\ufeff]")
# characters that keep their identity through NFKD only if we protect them
#: NFKD splits these into a base letter and a mark that is a letter of its own here
_RECOMPOSE = {"\u0438\u0306": "й", "\u0418\u0306": "й"}
_REPLACE = {**{c: " " for c in _SPACE_LIKE}, **{c: "'" for c in _APOSTROPHES},
            "\u0671": "\u0627", "\u0649": "\u064a"}
_ASCII_REPLACE = [(c, r) for c, r in _REPLACE.items() if c.isascii()]


def normalise(text: str, lang: str | None = None) -> str:
    """The normalised form of `text` (see the module docstring)."""
    return " ".join(_fold(text, lang).split())


def _fold(text: str, lang: str | None) -> str:
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
        for pair, letter in _RECOMPOSE.items():
            if pair in decomposed:
                decomposed = decomposed.replace(pair, letter)
        decomposed = _DROP.sub("", decomposed)
    text = decomposed.casefold()
    for char, replacement in _REPLACE.items():
        if char in text:
            text = text.replace(char, replacement)
    return text


def normalise_with_offsets(text: str, lang: str | None = None) -> tuple[str, list[int]]:
    """Like `normalise`, plus for each output character the index of its source character."""
    out: list[str] = []
    where: list[int] = []
    pending_space = False
    for start, cluster in _clusters(text):
        for char in _fold_piece(cluster, lang):
            if char.isspace():
                pending_space = bool(out)
                continue
            if pending_space:
                out.append(" ")
                where.append(start)
                pending_space = False
            out.append(char)
            where.append(start)
    return "".join(out), where


@lru_cache(maxsize=65536)
def _fold_piece(cluster: str, lang: str | None) -> str:
    return _fold(cluster, lang)


def _clusters(text: str):
    """(index, base character with the combining marks that follow it)."""
    start = 0
    for index in range(1, len(text) + 1):
        if index == len(text) or not _is_combining(text[index]):
            yield start, text[start:index]
            start = index


@cache
def _is_combining(char: str) -> bool:
    return unicodedata.category(char).startswith("M")
