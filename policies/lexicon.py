"""Crisis lexicons and the multi-pattern matcher.

A lexicon (`lexicons/<lang>.yaml`) lists, per event category, idioms that read badly
after that kind of event, and, per group, phrases the tone rules look for (condolence,
donation, operational, promotion, help). Pattern syntax:

- matched after `normalise` (case, diacritics, dashes, `#`), so write natural spelling;
- a pattern matches at a word start: `boom` does not match inside `kaboom`;
- a pattern ending in `*` is a stem and matches any word it begins (`бомб*`: бомба,
  бомбой); without `*` it must also end at a word end (`shot` does not match `shots`);
- a pattern that starts or ends with a non-letter (`% off`, `💣`) has no boundary there;
- Arabic patterns also match after the clitics و ف ب ل ك ال وال بال فال كال لل.

`Matcher` compiles many patterns into one Aho-Corasick automaton (pyahocorasick), so a
post is scanned once, however many patterns there are.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import ahocorasick
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from policies.normalise import normalise, normalise_with_offsets, one_to_one

CATEGORIES = ("bombing", "shooting", "flood", "hurricane", "earthquake", "wildfire",
              "transport-accident", "pandemic", "death-of-public-figure", "unrest")
PHRASE_GROUPS = ("condolence", "donation", "operational", "promotion", "help")
ARABIC_CLITICS = ("و", "ف", "ب", "ل", "ك", "ال", "وال", "بال", "فال", "كال", "لل")


class LexiconError(ValueError):
    """A lexicon file is missing or invalid."""


class Lexicon(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str
    name: str
    idioms: dict[str, list[str]]
    phrases: dict[str, list[str]]

    @field_validator("idioms")
    @classmethod
    def _all_categories(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return _require_keys(value, CATEGORIES, "category")

    @field_validator("phrases")
    @classmethod
    def _all_groups(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return _require_keys(value, PHRASE_GROUPS, "phrase group")


def _require_keys(value: dict[str, list[str]], expected: tuple[str, ...],
                  what: str) -> dict[str, list[str]]:
    missing = [k for k in expected if k not in value]
    unknown = [k for k in value if k not in expected]
    if missing or unknown:
        raise ValueError(f"missing {what}(s) {missing}, unknown {unknown}"
                         if missing else f"unknown {what}(s) {unknown}")
    return value


LEXICONS = Path(__file__).parent / "lexicons"


def available_languages() -> list[str]:
    return sorted(p.stem for p in LEXICONS.glob("*.yaml"))


@cache
def load_lexicon(lang: str) -> Lexicon:
    """The shipped lexicon for `lang`; LexiconError if there is none or it is broken."""
    path = LEXICONS / f"{lang}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LexiconError(f"no lexicon for language {lang!r}") from None
    try:
        return Lexicon.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise LexiconError(f"lexicons/{lang}.yaml: {where}: {first['msg']}") from None


@dataclass(frozen=True, slots=True)
class Pattern:
    """One thing to look for. `label` says what it is, e.g. ('idiom', 'bombing')."""

    text: str
    label: tuple[str, str]
    lang: str | None = None

    @property
    def stem(self) -> bool:
        return self.text.rstrip().endswith("*")


@dataclass(frozen=True, slots=True)
class Hit:
    """A pattern found in normalised text, [start, end) in that text."""

    pattern: Pattern
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Found:
    """A match located in the original text, for people to read."""

    label: tuple[str, str]
    pattern: str
    text: str
    start: int
    end: int

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end,
                "source": ":".join(self.label), "pattern": self.pattern}


class Matcher:
    """Finds every pattern occurrence in one pass over a normalised text."""

    def __init__(self, patterns: Iterable[Pattern]) -> None:
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[Pattern, bool, bool]]] = {}
        for pattern in patterns:
            for key, bounded_start in _keys(pattern):
                bounded_end = not pattern.stem and key[-1:].isalnum()
                entries.setdefault(key, []).append((pattern, bounded_start, bounded_end))
        for key, found in entries.items():
            self._automaton.add_word(key, (len(key), tuple(found)))
        self.empty = not entries
        if not self.empty:
            self._automaton.make_automaton()

    def hits(self, norm: str) -> list[Hit]:
        """Occurrences in `norm` (already normalised) that respect word boundaries."""
        if self.empty:
            return []
        out: list[Hit] = []
        last = len(norm) - 1
        for end, (length, found) in self._automaton.iter(norm):
            start = end - length + 1
            before_ok = start == 0 or not norm[start - 1].isalnum()
            after_ok = end == last or not norm[end + 1].isalnum()
            for pattern, bounded_start, bounded_end in found:
                if (before_ok or not bounded_start) and (after_ok or not bounded_end):
                    out.append(Hit(pattern, start, end + 1))
        return out

    def locate(self, text: str, lang: str | None, hits: list[Hit],
               norm: str | None = None) -> list[Found]:
        """Map hits in `norm` (the text normalised) back to the original text."""
        norm = norm if norm is not None else normalise(text, lang)
        if len(norm) == len(text) and one_to_one(text, lang):
            where: Sequence[int] = range(len(text))  # nothing collapsed: positions agree
        else:
            own, where = normalise_with_offsets(text, lang)
            if own != norm:  # a text not in NFC: find the words again in its own form
                hits = self.hits(own)
        located = []
        for hit in hits:
            start = where[hit.start]
            if start > 0 and text[start - 1] == "#":
                start -= 1  # a hashtag is shown whole
            end = where[hit.end - 1] + 1
            while end < len(text) and _continues(text[end]):
                end += 1
            if hit.pattern.stem:
                while end < len(text) and (text[end].isalnum() or _continues(text[end])):
                    end += 1
            located.append(Found(hit.pattern.label, hit.pattern.text, text[start:end],
                                 start, end))
        return located


def _continues(char: str) -> bool:
    """Combining marks and joiners belong to the character before them."""
    return unicodedata.category(char) in {"Mn", "Me", "Mc", "Cf"}


def _keys(pattern: Pattern) -> list[tuple[str, bool]]:
    """The normalised key(s) for a pattern and whether each needs a word start."""
    key = normalise(pattern.text.rstrip().removesuffix("*"), pattern.lang)
    if not key:
        return []
    bounded = key[0].isalnum()
    keys = [(key, bounded)]
    if _is_arabic(key[0]):
        keys += [(clitic + key, True) for clitic in ARABIC_CLITICS]
    return keys


def _is_arabic(char: str) -> bool:
    return "\u0600" <= char <= "\u06ff"


def lexicon_patterns(langs: Iterable[str], *, categories: Iterable[str] = (),
                     groups: Iterable[str] = PHRASE_GROUPS) -> list[Pattern]:
    """Patterns for these languages: the idioms of `categories` and the phrase `groups`."""
    categories, groups = tuple(categories), tuple(groups)
    out: list[Pattern] = []
    for lang in langs:
        lexicon = load_lexicon(lang)
        for category in categories:
            out += [Pattern(p, ("idiom", category), lang) for p in lexicon.idioms[category]]
        for group in groups:
            out += [Pattern(p, ("phrase", group), lang) for p in lexicon.phrases[group]]
    return out


def keyword_patterns(keywords: Iterable[str], label: str) -> list[Pattern]:
    """The event's own words: a keyword matches at a word start, so inflected forms match
    (Boston -> Bostonu); one of three letters or fewer must be the whole word."""
    out = []
    for word in keywords:
        text = word.strip()
        if not text:
            continue
        core = text.removesuffix("*")
        stem = text.endswith("*") or len(normalise(core)) > 3
        out.append(Pattern(core + ("*" if stem else ""), ("keyword", label), None))
    return out


def group_by_label(hits: Iterable[Hit]) -> Mapping[tuple[str, str], list[Hit]]:
    grouped: dict[tuple[str, str], list[Hit]] = {}
    for hit in hits:
        grouped.setdefault(hit.pattern.label, []).append(hit)
    return grouped
