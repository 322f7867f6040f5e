"""How words inflect: bounded endings for matching, Snowball stems for names.

Two tools, each where it fits:
- `Endings`: the inflectional endings a language puts after a stem, from its lexicon's
  `morphology.suffixes`. A pattern ending in `~` (and every crisis keyword) matches its
  word plus up to `stack` of those endings, and nothing else: `vlak~` matches `vlaku`,
  `vlakem`, `vlakový`, never `vláknina`; `Boston` matches `Bostonu`, never `Bostonka`.
  An open prefix (`bomb*`) swallowed every word that started the same way.
- Snowball stemmers (PyStemmer) reduce a keyword or a sector name to its stem, so a
  keyword typed in its dictionary form also finds forms whose stem differs from it
  (`Praha` -> stem `prah` -> `Praze` after the h/z alternation), and `insurer` and
  `insurance` are one word to the sector taxonomy.
Everything here works on normalised text (`policies.normalise`), so endings are listed
as they normalise (Czech `ům` as `um`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

import Stemmer

from policies.normalise import normalise

#: the Snowball algorithms PyStemmer offers, by the names lexicons use
SNOWBALL = frozenset(Stemmer.algorithms())
_MIN_STEM = 3


class Endings:
    """Which endings may follow a stem: any run of at most `stack` listed suffixes."""

    def __init__(self, suffixes: Iterable[str], stack: int = 1) -> None:
        self.suffixes = frozenset(s for s in (normalise(x) for x in suffixes) if s)
        self.stack = stack
        self._longest = max((len(s) for s in self.suffixes), default=0)
        self._memo: dict[str, bool] = {"": True}

    def accepts(self, rest: str) -> bool:
        """Whether `rest` (what follows the stem up to the word's end) is an ending."""
        known = self._memo.get(rest)
        if known is None:
            known = self._memo[rest] = self._split(rest, self.stack)
        return known

    def _split(self, rest: str, budget: int) -> bool:
        if not rest:
            return True
        if budget == 0 or len(rest) > self._longest * budget:
            return False
        return any(
            rest[:n] in self.suffixes and self._split(rest[n:], budget - 1)
            for n in range(1, min(len(rest), self._longest) + 1)
        )

    def __or__(self, other: Endings) -> Endings:
        return Endings(self.suffixes | other.suffixes, max(self.stack, other.stack))


NO_ENDINGS = Endings(())


@cache
def stemmer(algorithm: str) -> Stemmer.Stemmer | None:
    return Stemmer.Stemmer(algorithm) if algorithm in SNOWBALL else None


def stem(word: str, algorithm: str | None) -> str:
    """The Snowball stem of one lowercase word (the word itself without a stemmer)."""
    found = stemmer(algorithm) if algorithm else None
    return found.stemWord(word) if found is not None else word


def stem_variants(
    word: str,
    algorithm: str | None,
    alternations: Mapping[str, Iterable[str]] = {},
    fleeting: Iterable[str] = (),
) -> set[str]:
    """Normalised stems under which a name's inflected forms may appear.

    The Snowball stem of each word; where the language alternates the stem's last
    consonant before an ending (Czech h/z: Praha, Praze) or drops a fleeting vowel
    (Plzeň, Plzni), those forms too. Stems shorter than three letters are not offered:
    they would start too many other words.
    """
    words = word.casefold().split()
    if not words:
        return set()
    *head, last = words
    whole = normalise(last)
    base = stem(last, algorithm)
    cut = whole[len(normalise(base)) :]
    if not whole.startswith(normalise(base)) or any(c not in _VOWELS for c in cut):
        # Only a final vowel is an ending to take off a name (Praha, Москва, Казань): a
        # stemmer that also cut consonants (Ростов -> рост, the word for growth) or
        # rewrote the word (Arabic clitics) would make the name match other words.
        base = last
    stems = {base}
    for end, replacements in alternations.items():
        if base.endswith(end):
            stems |= {base[: -len(end)] + r for r in replacements}
    for vowel in fleeting:
        if len(base) > 3 and base[-2] == vowel and normalise(base[-1]) not in _VOWELS:
            stems.add(base[:-2] + base[-1])
    prefix = " ".join(head)
    out = set()
    for item in stems:
        key = normalise(f"{prefix} {item}" if prefix else item)
        if len(key.replace(" ", "")) >= _MIN_STEM:
            out.add(key)
    return out


_VOWELS = frozenset("aeiouyəıаеиоуыэюяёьй")
