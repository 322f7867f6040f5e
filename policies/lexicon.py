"""Crisis lexicons and the multi-pattern matcher.

A lexicon (`lexicons/<lang>.yaml`) holds, for one language:
- `morphology`: how its words inflect (`policies/morphology.py`);
- `layers`: words about one kind of harm (death, explosion, fire, water...), each split
  into `literal` words that name such an event plainly ("flooded", "mourning") and
  `idioms` that use it as a figure of speech ("a flood of deals", "to die for"). A crisis
  category checks every layer that fits it (the playbook's `categories.*.layers`), so
  death idioms are checked after any event with deaths;
- `phrases`: what the tone rules look for (condolence, donation, operational, promotion,
  offer, help);
- `cues` and `combos`: words that mean something only together. A combo is a list of cue
  names; when every cue of one combo occurs in a post, the post has that combo's phrase
  group ("donated" or "transferred", with an amount or a thing given, is a donation in any
  person and tense). The built-in cue `number` is any digit. Put a combo's rarest cue
  first: for condolence and donation every post is scanned for the first cue of each
  combo, and only a post with one is read for the rest ("victims" before "delivered",
  which half the shop posts say). The order changes speed, never what happens to a post
  (a post that goes out anyway may be named an operational notice only when read whole).

Pattern syntax (matched after `normalise`, so write natural spelling):
- a pattern matches at a word start: `boom` does not match inside `kaboom`;
- plain, it must end at a word end (`shot` does not match `shots`);
- ending in `~`, its last word may take the language's inflectional endings (`vlak~`:
  vlaku, vlakem, vlakový; not vláknina);
- ending in `*`, it matches any word it begins (`bombshell*`): use it only where no
  unrelated word starts the same way;
- a pattern that starts or ends with a non-letter (`% off`, `💣`) has no boundary there;
- Arabic patterns also match after the clitics و ف ب ل ك ال وال بال فال كال لل.

`Matcher` compiles many patterns into one Aho-Corasick automaton (pyahocorasick), so a
post is scanned once, however many patterns there are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import ahocorasick
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from policies import yaml_text
from policies.morphology import NO_ENDINGS, SNOWBALL, Endings, stem_variants
from policies.normalise import located, normalise, one_to_one

CATEGORIES = (
    "bombing",
    "shooting",
    "flood",
    "hurricane",
    "earthquake",
    "wildfire",
    "transport-accident",
    "pandemic",
    "death-of-public-figure",
    "unrest",
)
LAYERS = (
    "death",
    "explosion",
    "weapons",
    "violence",
    "fire",
    "water",
    "wind",
    "quake",
    "collapse",
    "crash",
    "disease",
)
PHRASE_GROUPS = ("condolence", "donation", "operational", "promotion", "offer", "help")
# Each begins with a digit and looks behind it only then: a pattern that opens with a
# character class is scanned for it in C, one that opens with a lookbehind is tried at
# every position (5x slower on a post). Only whether each matches is ever asked.
#: cues every lexicon may use in combos without listing them, found by pattern rather
#: than by word: any digit, and a time of day (9:00, 18.30, 8:00-22:00)
BUILTIN_CUES = {
    "number": re.compile(r"\d"),
    # 9:00, 18:30 (an hour not run on from a number or a price); with a dot
    # only on the quarter hours (18.00), since 12.50 and 9.99 are prices
    "time": re.compile(
        r"\d(?<![\d.,]\d)(?:(?<=[01])\d|(?<=2)[0-3])?"
        r"(?::[0-5]\d|\.(?:00|15|30|45))(?!\d)(?![.,]\d)"
    ),
    # a phone number: at least six digits in groups (0800 555 123, +62 812-555,
    # 116 111), or a short number after a word for it is the lexicons' business
    "phone": re.compile(r"\d(?<![\d.,]\d)(?:[ -]?\d){5,}(?![\d.,]\d)"),
}
#: Latin letters with accents, and combining marks: what folding turns into plain letters
_ACCENTED = re.compile("[\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f]")
ARABIC_CLITICS = ("و", "ف", "ب", "ل", "ك", "ال", "وال", "بال", "فال", "كال", "لل")


class LexiconError(ValueError):
    """A lexicon file is missing or invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Morphology(_Strict):
    """How the language's words inflect (see policies/morphology.py)."""

    stemmer: str | None = None
    suffixes: list[str] = Field(default_factory=list)
    stack: int = Field(default=1, ge=1, le=4)
    #: stem-final letters that change before an ending: {h: [z]} (Praha, Praze)
    alternations: dict[str, list[str]] = Field(default_factory=dict)
    #: vowels that drop out of a last syllable before an ending (Plzeň, Plzni)
    fleeting: list[str] = Field(default_factory=list)
    #: the endings a name takes (a crisis keyword: a place, an event), up to `name_stack`
    #: of them: case, number and possession, not the derivations and verb endings that
    #: make other words (Амурные, romantic, from Амур; kolínská, cologne, from Kolín).
    #: Default: every ending above.
    name_suffixes: list[str] | None = None
    name_stack: int | None = Field(default=None, ge=1, le=4)
    #: names decline (Praha, v Praze; Москва, в Москве): a crisis keyword is also looked
    #: for under its Snowball stem and the stem changes above. Not in English, where a
    #: stemmed name would start other words (Butte -> butt, butter)
    name_stems: bool = False
    #: accents tell words apart (Czech vlak, train; vlákno, fibre): a crisis keyword
    #: matches a word only where the two agree on them, as far as they share letters
    accents: bool = False

    @field_validator("stemmer")
    @classmethod
    def _known_stemmer(cls, value: str | None) -> str | None:
        if value is not None and value not in SNOWBALL:
            raise ValueError(
                f"unknown Snowball stemmer {value!r}; known: {', '.join(sorted(SNOWBALL))}"
            )
        return value


class Layer(_Strict):
    #: plain words for such an event: an operational notice may use them
    literal: list[str] = Field(default_factory=list)
    #: figures of speech that read badly after such an event: always held
    idioms: list[str] = Field(default_factory=list)


class Lexicon(_Strict):
    language: str
    name: str
    morphology: Morphology = Field(default_factory=Morphology)
    layers: dict[str, Layer]
    phrases: dict[str, list[str]]
    cues: dict[str, list[str]] = Field(default_factory=dict)
    combos: dict[str, list[list[str]]] = Field(default_factory=dict)

    @field_validator("layers")
    @classmethod
    def _known_layers(cls, value: dict[str, Layer]) -> dict[str, Layer]:
        return _only_keys(value, LAYERS, "layer")

    @field_validator("phrases", "combos")
    @classmethod
    def _known_groups(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _only_keys(value, PHRASE_GROUPS, "phrase group")

    def model_post_init(self, _context: Any) -> None:
        known = set(self.cues) | set(BUILTIN_CUES)
        for group, combos in self.combos.items():
            for combo in combos:
                unknown = [c for c in combo if c not in known]
                if unknown or not combo:
                    raise ValueError(
                        f"combos.{group}: unknown cue(s) {unknown}; cues are "
                        f"{', '.join(sorted(known))}"
                    )

    @property
    def endings(self) -> Endings:
        return _endings(self.language)


def _only_keys(value: dict[str, Any], expected: tuple[str, ...], what: str) -> dict[str, Any]:
    unknown = [k for k in value if k not in expected]
    if unknown:
        raise ValueError(f"unknown {what}(s) {unknown}; known: {', '.join(expected)}")
    return value


LEXICONS = Path(__file__).parent / "lexicons"


def available_languages() -> list[str]:
    return sorted(p.stem for p in LEXICONS.glob("*.yaml"))


@cache
def load_lexicon(lang: str) -> Lexicon:
    """The shipped lexicon for `lang`; LexiconError if there is none or it is broken."""
    path = LEXICONS / f"{lang}.yaml"
    try:
        # libyaml's parser, strict about repeated keys: the six lexicons are 15,000 lines
        # and took about a second to read in pure Python, in every `crisis on`
        data = yaml_text.load(path.read_text(encoding="utf-8"), f"lexicons/{lang}.yaml")
    except FileNotFoundError:
        raise LexiconError(f"no lexicon for language {lang!r}") from None
    except yaml_text.YamlProblem as exc:
        raise LexiconError(str(exc)) from None
    try:
        return Lexicon.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise LexiconError(f"lexicons/{lang}.yaml: {where or '(top level)'}: {message}") from None


@cache
def _endings(lang: str) -> Endings:
    morphology = load_lexicon(lang).morphology
    return Endings(morphology.suffixes, morphology.stack)


@cache
def _name_endings(lang: str) -> Endings:
    morphology = load_lexicon(lang).morphology
    if morphology.name_suffixes is None:
        return _endings(lang)
    return Endings(morphology.name_suffixes, morphology.name_stack or morphology.stack)


@cache
def _single(lang: str) -> Endings:
    morphology = load_lexicon(lang).morphology
    return Endings(morphology.name_suffixes or morphology.suffixes, 1)


def one_name_ending(rest: str, lang: str | None) -> bool:
    """Whether `rest` is nothing or one ending a name takes in the language (in any
    language, when the language has no lexicon)."""
    if not rest:
        return True
    base = (lang or "").split("-")[0]
    langs = [base] if base in available_languages() else available_languages()
    return any(_single(x).accepts(rest) for x in langs)


def endings_for(langs: Iterable[str], names: bool = False) -> Endings:
    """Endings for a word of no one language (a keyword) in a text in one of `langs`:
    whatever one of these languages would put after it (never a mix of two); with
    `names`, the endings a name takes."""
    return AnyOf(tuple((_name_endings if names else _endings)(lang) for lang in langs))


class AnyOf(Endings):
    def __init__(self, choices: tuple[Endings, ...]) -> None:
        self.choices = choices

    def accepts(self, rest: str) -> bool:
        return any(e.accepts(rest) for e in self.choices)


@dataclass(frozen=True, slots=True)
class Pattern:
    """One thing to look for. `label` says what it is, e.g. ('idiom', 'explosion')."""

    text: str
    label: tuple[str, str]
    lang: str | None = None
    #: the keyword as the operator typed it, for a pattern made from it (Praha -> praz~)
    origin: str | None = None
    #: counts only at the start of a hashtag, where words run together (#BostonMarathon)
    in_hashtag: bool = False

    @property
    def stem(self) -> bool:
        """Whether the match runs on to the end of the word (`*` or `~`)."""
        return self.text.rstrip()[-1:] in ("*", "~")

    @property
    def inflects(self) -> bool:
        return self.text.rstrip().endswith("~")

    @property
    def core(self) -> str:
        return self.text.rstrip().removesuffix("*").removesuffix("~")


class Hit(NamedTuple):
    """A pattern found in normalised text, [start, end) in that text. A tuple: a post
    with matches makes several, and a frozen dataclass took three times as long to make."""

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
    #: the keyword as typed, when a keyword found it
    origin: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "source": ":".join(self.label),
            "pattern": self.pattern,
        }
        if self.origin is not None:
            out["keyword"] = self.origin
        return out


# how a pattern may end: at a word end, anywhere (a stem or a non-letter), or with endings
_WORD_END, _OPEN, _INFLECTED = 0, 1, 2
# where it may start: anywhere (it begins with a non-letter), at a word start, or at a word
# start or just after an Arabic clitic that begins the word (و ال بال ...)
_ANYWHERE, _WORD_START, _AFTER_CLITIC = 0, 1, 2
_CLITICS = frozenset(ARABIC_CLITICS)
_LONGEST_CLITIC = max(map(len, ARABIC_CLITICS))


class Matcher:
    """Finds every pattern occurrence in one pass over a normalised text.

    `langs` are the languages of the texts it reads: a pattern of no language (a crisis
    keyword) takes the endings of any of them.
    """

    def __init__(
        self,
        patterns: Iterable[Pattern],
        langs: Iterable[str] = (),
        *,
        tables: Iterable[Mapping[str, _Value]] = (),
    ) -> None:
        """`tables` are patterns already keyed (`lexicon_table`), read before `patterns`."""
        self._automaton = ahocorasick.Automaton()
        langs = tuple(langs)
        values: dict[str, _Value] = {}
        entries: dict[str, list[_Entry]] = {}  # keys found in more than one place
        for table in tables:
            for key in values.keys() & table.keys():
                entries.setdefault(key, list(values[key][1])).extend(table[key][1])
            values.update(table)
        extra: dict[str, list[_Entry]] = {}
        _add_entries(extra, patterns, endings_for(langs), endings_for(langs, names=True))
        for key, found in extra.items():
            known = entries.get(key)
            if known is not None:
                known += found
            elif key in values:
                entries[key] = [*values[key][1], *found]
            else:
                entries[key] = found
        values.update((key, _value(key, found)) for key, found in entries.items())
        add = self._automaton.add_word
        for key, value in values.items():
            add(key, value)
        self.empty = not values
        if not self.empty:
            self._automaton.make_automaton()

    def hits(self, norm: str, text: str | None = None) -> list[Hit]:
        """Occurrences in `norm` (already normalised) that respect word boundaries. With
        the original `text`, also the keyword matches that run on inside a hashtag
        (#BostonMarathon); without it those cannot be told from Bostonka and are left out."""
        if self.empty:
            return []
        out: list[Hit] = []
        size = len(norm)
        new = tuple.__new__  # a Hit without NamedTuple's Python-level __new__: half the cost
        hashtags = False
        for end, (length, found, bounded, word_end, hashtag) in self._automaton.iter(norm):
            start = end - length + 1
            before_ok = start == 0 or not norm[start - 1].isalnum()
            if bounded and not before_ok:
                continue
            after_ok = end == size - 1 or not norm[end + 1].isalnum()
            if word_end and not after_ok:
                continue
            for pattern, starts, mode, endings in found:
                begin = start
                if starts and not before_ok:
                    if starts == _WORD_START:
                        continue
                    begin = _clitic_start(norm, start)
                    if begin < 0:
                        continue
                if mode == _WORD_END and not after_ok:
                    continue
                if mode == _INFLECTED and not after_ok:
                    stop = end + 1
                    while stop < size and norm[stop].isalnum():
                        stop += 1
                    if not endings.accepts(norm[end + 1 : stop]):
                        continue
                out.append(new(Hit, (pattern, begin, end + 1)))
                if hashtag and pattern.in_hashtag:
                    hashtags = True
        if hashtags:
            out = (
                self._in_hashtags(text, out)
                if text is not None and "#" in text
                else [h for h in out if not h.pattern.in_hashtag]
            )
        return out

    def _in_hashtags(self, text: str, hits: list[Hit]) -> list[Hit]:
        """Keep a hashtag-only match only where a hashtag starts with it: a keyword
        begins #BostonMarathon, not Bostonka."""
        where = located(text)[1]
        return [
            h
            for h in hits
            if not h.pattern.in_hashtag or (where[h.start] > 0 and text[where[h.start] - 1] == "#")
        ]

    def spelled(self, text: str, foreign: str, hits: list[Hit]) -> list[Hit]:
        """Drop matches of `foreign` patterns (English ones in a Czech post) where the
        text's own letters differ from the pattern's: with accents folded, English `gun`
        would match Azerbaijani `gün` (day) and `sale` Czech `sále` (hall)."""
        if not _ACCENTED.search(text):
            return hits  # no letter here folds to a plain Latin one
        where: Sequence[int] | None = None
        kept = []
        for hit in hits:
            if hit.pattern.lang == foreign and hit.pattern.core.isascii():
                if where is None:
                    where = located(text)[1]
                if not text[where[hit.start] : where[hit.end - 1] + 1].isascii():
                    continue
            kept.append(hit)
        return kept

    def accented(self, text: str, lang: str, hits: list[Hit]) -> list[Hit]:
        """Keep the matches of crisis keywords and of `lang`'s own patterns whose accents
        agree with the word as written (Czech vlak is not vlák-, Azerbaijani ölüm is not
        olum-), letter by letter until the two part (an ending, or a stem change: Praha,
        Praze). A text with no accents at all was typed without them, and agrees."""
        if not _ACCENTED.search(text):
            return hits
        folded = unicodedata.normalize("NFC", text).casefold()
        where: Sequence[int] | None = None
        kept = []
        for hit in hits:
            typed = _as_written(hit.pattern, lang)
            if typed and typed not in folded:  # spelled as typed somewhere: agrees
                if where is None:
                    where = located(text)[1]
                found = text[where[hit.start] : where[hit.end - 1] + 1]
                if not _agree(typed, unicodedata.normalize("NFC", found).casefold()):
                    continue
            kept.append(hit)
        return kept

    def locate(
        self, text: str, lang: str | None, hits: list[Hit], norm: str | None = None
    ) -> list[Found]:
        """Map hits in `norm` (the text normalised) back to the original text."""
        norm = norm if norm is not None else normalise(text, lang)
        where: Sequence[int]
        if len(norm) == len(text) and one_to_one(text, lang):
            where = range(len(text))  # nothing folded away, no whitespace cut
        else:
            own, where = located(text, lang)
            if own != norm:  # a text not in NFC: find the words again in its own form
                hits = self.hits(own, text)
        out = []
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
            out.append(
                Found(
                    hit.pattern.label,
                    hit.pattern.text,
                    text[start:end],
                    start,
                    end,
                    hit.pattern.origin,
                )
            )
        return out


#: a pattern under one key: the pattern, where it may start (`_WORD_START`...), how it may end
#: (`_WORD_END`, `_OPEN`, `_INFLECTED`) and the endings it may take
_Entry = tuple["Pattern", int, int, Endings]


def _add_entries(
    entries: dict[str, list[_Entry]], patterns: Iterable[Pattern], shared: Endings, names: Endings
) -> None:
    """Key `patterns` into `entries`; a pattern of no language takes `shared` endings
    (`names` for a keyword)."""
    for pattern in patterns:
        if pattern.label[0] == "keyword":  # a name: the endings a name takes
            endings = _name_endings(pattern.lang) if pattern.lang else names
        else:
            endings = _endings(pattern.lang) if pattern.lang else shared
        keyed = _key_of(pattern.core, pattern.lang)
        if keyed is None:
            continue
        key, starts = keyed
        if pattern.inflects:
            mode = _INFLECTED
        elif pattern.stem or not key[-1:].isalnum():
            mode = _OPEN
        else:
            mode = _WORD_END
        entries.setdefault(key, []).append((pattern, starts, mode, endings))


#: what the automaton gives back for a key (see `_value`)
_Value = tuple[int, tuple[_Entry, ...], bool, bool, bool]


def _value(key: str, found: Sequence[_Entry]) -> _Value:
    """What the automaton gives back for a key: its length, its patterns, and what they
    all share, checked once per occurrence (most occurrences, `rice` in `price`, fail at
    the word start of every pattern): all need a word start, all end at a word end, one
    counts only at a hashtag's start."""
    return (
        len(key),
        tuple(found),
        all(entry[1] == _WORD_START for entry in found),
        all(entry[2] == _WORD_END for entry in found),
        any(entry[0].in_hashtag for entry in found),
    )


@lru_cache(maxsize=256)
def lexicon_table(
    lang: str, layers: tuple[str, ...], groups: tuple[str, ...], first_cues: tuple[str, ...] = ()
) -> Mapping[str, _Value]:
    """One language's `lexicon_patterns`, keyed for a Matcher: worked out once per
    process, since every Judge (one per crisis epoch) reads the same lexicons."""
    entries: dict[str, list[_Entry]] = {}
    _add_entries(
        entries,
        lexicon_patterns([lang], layers=layers, groups=groups, first_cues=first_cues),
        NO_ENDINGS,
        NO_ENDINGS,
    )
    return {key: _value(key, found) for key, found in entries.items()}


def _as_written(pattern: Pattern, lang: str) -> str | None:
    """The spelling a match must agree with on accents: a lexicon pattern of `lang` as
    its author wrote it; a crisis keyword as the operator typed it, unless typed with
    no accents at all (then any accents agree: the operator did not type them)."""
    if pattern.label[0] == "keyword":
        typed = (pattern.origin or "").lstrip("#")
        if not _ACCENTED.search(unicodedata.normalize("NFD", typed)):
            return None
    elif pattern.lang == lang:
        typed = pattern.core
    else:
        return None
    return unicodedata.normalize("NFC", typed).casefold() or None


def _agree(typed: str, found: str) -> bool:
    """Whether two words agree on accents up to where their letters part."""
    for a, b in zip(typed, found, strict=False):
        if a != b:
            # a different letter: the words part here (an ending, a stem change); the
            # same letter with a different accent: a different word
            return normalise(a) != normalise(b)
    return True


def _continues(char: str) -> bool:
    """Combining marks and joiners belong to the character before them."""
    return unicodedata.category(char) in {"Mn", "Me", "Mc", "Cf"}


@lru_cache(maxsize=1 << 16)
def _key_of(core: str, lang: str | None) -> tuple[str, int] | None:
    """A pattern's normalised key and where it may start (`_WORD_START`...); None for a
    pattern that normalises to nothing."""
    # the same lexicon pattern goes into every automaton of its languages (lean and
    # full, English in every pair): normalise it once
    key = normalise(core, lang)
    if not key:
        return None
    if _is_arabic(key[0]):
        # one key, its clitics checked where it is found: a key per clitic made the
        # Arabic automata twelve times larger (4.4 MB of the 12 MB all automata took)
        return key, _AFTER_CLITIC
    return key, _WORD_START if key[0].isalnum() else _ANYWHERE


def _clitic_start(norm: str, start: int) -> int:
    """Where the word holding `start` begins, if what comes before `start` in it is one
    of the Arabic clitics; else -1."""
    for begin in range(start - 1, max(start - _LONGEST_CLITIC, 0) - 1, -1):
        if begin == 0 or not norm[begin - 1].isalnum():
            return begin if norm[begin:start] in _CLITICS else -1
    return -1


def _is_arabic(char: str) -> bool:
    return "\u0600" <= char <= "\u06ff"


def lexicon_patterns(
    langs: Iterable[str],
    *,
    layers: Iterable[str] = LAYERS,
    groups: Iterable[str] = PHRASE_GROUPS,
    first_cues: Iterable[str] = (),
) -> list[Pattern]:
    """Patterns for these languages: the literal words and idioms of `layers`, the phrase
    `groups` and the cue words of their combos; for the groups in `first_cues`, only the
    first cue of each combo (enough to tell that a combo may be complete: a giving verb,
    before the amounts and currencies that complete it)."""
    layers, groups, first = tuple(layers), tuple(groups), frozenset(first_cues)
    out: list[Pattern] = []
    for lang in langs:
        lexicon = load_lexicon(lang)
        for name in layers:
            layer = lexicon.layers.get(name)
            if layer is not None:
                out += [Pattern(p, ("event", name), lang) for p in layer.literal]
                out += [Pattern(p, ("idiom", name), lang) for p in layer.idioms]
        for group in groups:
            out += [Pattern(p, ("phrase", group), lang) for p in lexicon.phrases.get(group, ())]
        wanted = {
            c
            for g in groups
            for combo in lexicon.combos.get(g, ())
            for c in (combo[:1] if g in first else combo)
        }
        for cue in sorted(wanted & set(lexicon.cues)):
            out += [Pattern(p, ("cue", cue), lang) for p in lexicon.cues[cue]]
    return out


def first_cue_names(langs: Iterable[str], groups: Iterable[str]) -> frozenset[str]:
    """The cue that opens each combo of these groups, in these languages."""
    return frozenset(
        combo[0]
        for lang in langs
        for g in groups
        for combo in load_lexicon(lang).combos.get(g, ())
        if combo
    )


def combos_for(langs: Iterable[str]) -> dict[str, list[frozenset[str]]]:
    """Every combo of these languages' lexicons, by phrase group (a combo may be met by
    cues in different languages: an English currency in a Czech post)."""
    out: dict[str, list[frozenset[str]]] = {}
    for lang in langs:
        for group, combos in load_lexicon(lang).combos.items():
            for combo in combos:
                if frozenset(combo) not in out.setdefault(group, []):
                    out[group].append(frozenset(combo))
    return out


#: a keyword this short is matched as a whole word only
_SHORT = 3


def keyword_patterns(
    keywords: Iterable[str], label: str, langs: Iterable[str] = ()
) -> list[Pattern]:
    """The event's own words. A keyword matches at a word start and may take the endings
    of the post's language (Boston -> Bostonu, Bostonian); in each of `langs` it also
    matches under its Snowball stem and that language's stem changes (Praha -> Praze).
    A keyword of three letters or fewer is a whole word; one ending in `*` stays an open
    prefix, as its author asked."""
    out = []
    for word in keywords:
        text = word.strip()
        if not text:
            continue
        if text.endswith("*") or len(normalise(text).replace(" ", "")) <= _SHORT:
            out.append(Pattern(text, ("keyword", label), None, text))  # NYC is not NYCE
            continue
        out.append(Pattern(text + "~", ("keyword", label), None, text))
        out.append(Pattern(text.lstrip("#") + "*", ("keyword", label), None, text, in_hashtag=True))
        whole = normalise(text.lstrip("#"))
        for lang in langs:
            morphology = load_lexicon(lang).morphology
            if not morphology.name_stems:
                continue
            for variant in stem_variants(
                text.lstrip("#"), morphology.stemmer, morphology.alternations, morphology.fleeting
            ):
                if variant != whole:
                    out.append(Pattern(variant + "~", ("keyword", label), lang, text))
    return out


def group_by_label(hits: Iterable[Hit]) -> Mapping[tuple[str, str], list[Hit]]:
    grouped: dict[tuple[str, str], list[Hit]] = {}
    for hit in hits:
        grouped.setdefault(hit.pattern.label, []).append(hit)
    return grouped
