"""Free text to known names: sectors and contexts as people type them.

A marketer writes `sectors: [kids clothing]`, `Children's Wear`, `childrens-apparel` or
`детская одежда`; an operator types `--context "concert hall"`. Each resolves to an entry
of a taxonomy (`childrens-clothing`, `concert`) or is refused with the nearest entries.

How a text is read, so that spelling, word order and language do not matter:
- normalised (case, accents, dashes; `&` and `+` read as "and"), apostrophes dropped
  (children's -> childrens), split into words, small words dropped (and, of, for, и, a,
  dan, və, و);
- each word stands for a *concept* when the taxonomy's `words:` lists it or a word with
  the same stem under one of the Snowball stemmers (kids, children, детская, dětské ->
  child; clothing, apparel, wear, одежда -> clothing), else for itself and its stems;
- an entry's names are read the same way; a name matches when each of its words is
  matched by a different word of the text. The name that uses most of the text's
  telling words wins (words like shop, company, services name a business only when
  nothing else does), then the longest name, then the most specific entry; words left
  over are matched again, so `hunting and fishing` may resolve to one entry that names
  both or to two.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from policies.morphology import stem
from policies.normalise import normalise

#: stemmers tried on every word, since a sector name carries no language tag
STEMMERS = ("english", "russian", "czech", "indonesian", "turkish", "arabic")
#: a stem shorter than this is too likely to be another word's stem too (care -> car)
_MIN_STEM = 4
_SMALL_WORDS = frozenset(
    normalise(w)
    for w in (
        "and",
        "or",
        "of",
        "for",
        "the",
        "a",
        "an",
        "to",
        "in",
        "with",
        "n",
        "и",
        "или",
        "для",
        "в",
        "с",
        "i",
        "pro",
        "na",
        "v",
        "s",
        "se",
        "dan",
        "atau",
        "untuk",
        "di",
        "və",
        "ve",
        "ya",
        "üçün",
        "و",
        "في",
        "لل",
        "من",
    )
)
#: words that say "a business" rather than which one
GENERIC = frozenset(
    normalise(w)
    for w in (
        "shop",
        "shops",
        "store",
        "stores",
        "retailer",
        "retail",
        "boutique",
        "company",
        "co",
        "ltd",
        "inc",
        "llc",
        "group",
        "business",
        "services",
        "online",
        "local",
        "brand",
        "outlet",
        "studio",
        "center",
        "centre",
        "house",
        "provider",
        "chain",
        "magazin",
        "магазин",
        "obchod",
        "prodejna",
        "toko",
        "mağaza",
        "متجر",
        "محل",
    )
)
_ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال", "و")
_SPLIT = re.compile(r"[^\w]+")


def words_of(text: str) -> list[str]:
    """The words of a name, normalised, without apostrophes and small words."""
    folded = normalise(text.replace("&", " and ").replace("+", " and "))
    folded = folded.replace("'", "").replace("ı", "i")
    return [w for w in _SPLIT.split(folded) if w and w not in _SMALL_WORDS]


@lru_cache(maxsize=1 << 15)
def forms_of(word: str) -> frozenset[str]:
    """A word, its Arabic form without a clitic, and its stems that are long enough.
    Remembered: the taxonomy's thousands of names share their words (every command that
    reads config.yaml resolves the brands' sectors against all of them)."""
    out = {word}
    for prefix in _ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            out.add(word[len(prefix) :])
            break
    for base in list(out):
        for algorithm in STEMMERS:
            stemmed = normalise(stem(base, algorithm)).replace("ı", "i")
            if len(stemmed) >= _MIN_STEM or stemmed == base:
                out.add(stemmed)
    return frozenset(out)


@dataclass(frozen=True)
class Resolved:
    """What a typed name resolved to: the entries, in the order found, and the words of
    it that no entry's name used (shown, so "spaceship repair" is not silently repair)."""

    text: str
    ids: tuple[str, ...]
    ignored: tuple[str, ...] = ()


class Taxonomy:
    """Entries (sectors or contexts) with names in any language, and shared concepts.

    `entries` maps an id to its names (the id itself, read as words, is always a name);
    `concepts` maps a concept to the words that mean it in any language.
    """

    def __init__(
        self,
        entries: Mapping[str, Iterable[str]],
        concepts: Mapping[str, Iterable[str]] | None = None,
        depth: Mapping[str, int] | None = None,
    ) -> None:
        self.entries = {key: tuple(names) for key, names in entries.items()}
        self.concepts = {key: tuple(words) for key, words in (concepts or {}).items()}
        #: how deep an entry sits in its tree: on a tie the more specific entry wins
        self.depth = dict(depth or {})

    @cached_property
    def _concept_of(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        """Concepts by the exact words that mean them, and by those words' stems."""
        exact: dict[str, set[str]] = {}
        stems: dict[str, set[str]] = {}
        for concept, words in self.concepts.items():
            for word in (concept, *words):  # a concept's own name is one of its words
                each = words_of(word)
                if len(each) != 1:
                    continue  # a phrase is a name of an entry, not a word of a concept
                exact.setdefault(each[0], set()).add(concept)
                for form in forms_of(each[0]):
                    stems.setdefault(form, set()).add(concept)
        return exact, stems

    def _tokens(self, text: str) -> list[frozenset[str]]:
        """Each word of a text as the set of things it can match. A word a concept lists
        stands for that concept alone ("hospitality" is not "hospital", though English
        Snowball gives both one stem); any other word, for its forms and the concepts
        they share a stem with."""
        exact, stems = self._concept_of
        out = []
        for word in words_of(text):
            if word in exact:
                out.append(frozenset({word, *("@" + c for c in exact[word])}))
                continue
            forms = forms_of(word)
            concepts = set().union(*(stems.get(f, ()) for f in forms))
            out.append(forms | {"@" + c for c in concepts})
        return out

    @cached_property
    def _names(self) -> list[tuple[str, str, list[frozenset[str]]]]:
        """(entry, name, the name's words) for every name of every entry."""
        out = []
        for key, names in self.entries.items():
            for name in (key.replace("-", " "), *names):
                tokens = self._tokens(name)
                if tokens:
                    out.append((key, name, [_key_of(t) for t in tokens]))
        return out

    def resolve(self, text: str) -> Resolved:
        """The entries a typed name means; none when nothing matched."""
        words = words_of(text)
        tokens = self._tokens(text)
        left = list(range(len(tokens)))
        found: list[str] = []
        while left:
            best = None
            for key, _name, wanted in self._names:
                used = _match(wanted, [tokens[i] for i in left])
                if used is None:
                    continue
                used_words = [left[i] for i in used]
                rank = (
                    sum(words[i] not in GENERIC for i in used_words),
                    len(wanted),
                    self.depth.get(key, 0),
                )
                if best is None or rank > best[3]:
                    best = (key, wanted, used_words, rank)
            if best is None or (found and all(words[i] in GENERIC for i in best[2])):
                break  # "shop" names a business alone, but adds nothing to "toy shop"
            if best[0] not in found:
                found.append(best[0])
            left = [i for i in left if i not in best[2]]
        ignored = tuple(words[i] for i in left if words[i] not in GENERIC)
        return Resolved(text, tuple(found), ignored if found else ())

    # -- the index, for a caller that keeps it between processes -------------------------
    def fingerprint(self, code: str = "") -> str:
        """A key for this taxonomy's index: its entries, concepts and depths, and `code`
        (the caller passes what the index also depends on: these modules' source, the
        stemmers' version)."""
        digest = hashlib.sha256(code.encode())
        # in their order: the index lists names in the order of the entries
        digest.update(
            json.dumps(
                [
                    list(self.entries.items()),
                    list(self.concepts.items()),
                    list(self.depth.items()),
                    STEMMERS,
                ],
                ensure_ascii=False,
            ).encode()
        )
        return digest.hexdigest()[:32]

    def index(self) -> dict[str, Any]:
        """What reading every name costs (thousands of words under six stemmers), as
        plain JSON data."""
        exact, stems = self._concept_of
        return {
            "exact": {w: sorted(c) for w, c in exact.items()},
            "stems": {w: sorted(c) for w, c in stems.items()},
            "names": [
                [key, name, [sorted(t) for t in tokens]] for key, name, tokens in self._names
            ],
        }

    @property
    def indexed(self) -> bool:
        """Whether the index is built (or was given) in this process."""
        return "_names" in self.__dict__

    def use_index(self, index: Mapping[str, Any]) -> None:
        """Take an index made by `index()` of a taxonomy with the same fingerprint."""
        self.__dict__["_concept_of"] = (
            {w: set(c) for w, c in index["exact"].items()},
            {w: set(c) for w, c in index["stems"].items()},
        )
        self.__dict__["_names"] = [
            (key, name, [frozenset(t) for t in tokens]) for key, name, tokens in index["names"]
        ]

    def nearest(self, text: str, n: int = 3) -> list[str]:
        """Entries whose names look most like `text`, for a did-you-mean."""
        typed = " ".join(words_of(text))
        by_name = {" ".join(words_of(name)): key for key, name, _ in self._names}
        close = difflib.get_close_matches(typed, list(by_name), n=n * 3, cutoff=0.5)
        out: list[str] = []
        for name in close:
            if by_name[name] not in out:
                out.append(by_name[name])
        return out[:n]


def _key_of(token: frozenset[str]) -> frozenset[str]:
    """A name's word matches by concept when it has one, else by its forms: `wear`
    matches any clothing word, while `ticketing` must meet its own stem."""
    concepts = frozenset(t for t in token if t.startswith("@"))
    return concepts or token


def _match(wanted: Sequence[frozenset[str]], have: Sequence[frozenset[str]]) -> list[int] | None:
    """Indexes of distinct words in `have` matching each of `wanted`, or None."""
    used: list[int] = []
    for token in wanted:
        for index, word in enumerate(have):
            if index not in used and token & word:
                used.append(index)
                break
        else:
            return None
    return used
