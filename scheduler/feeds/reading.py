"""How an alert reads as a crisis: its category, its severity, the words to look for and
its name. Pure: the feed's rules and the alert in, a `Reading` out.

A feed's `rules:` are tried first, in order; the first that matches decides what it
sets, and the built-in reading fills in the rest:
- category: the hazard the event, name or headline names (hazards.yaml, in every
  language Tactful reads; its `none:` phrases, such as fire danger, name none), else the
  feed's type code (GDACS FL, EQ ...; USGS earthquake);
- severity: CAP severity (Extreme: severe, Severe: serious, Moderate: watch), a step
  lower when the certainty is only Possible, nothing when Unlikely or the urgency is
  Past; an alert level (red: severe, orange: serious, yellow: watch; GDACS green: watch
  only above magnitude 6); else the magnitude (7: severe, 6: serious, 5: watch).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from policies import yaml_text
from policies.engine import regions_overlap
from policies.models import Severity
from policies.normalise import normalise
from scheduler.config import Feed, FeedRule
from scheduler.feeds.alerts import Alert

HAZARDS_FILE = Path(__file__).with_name("hazards.yaml")
SEVERITIES = ("watch", "serious", "severe")
#: keywords taken from an alert's places, at most
MAX_PLACES = 8
#: a crisis name longer than this is cut at a word (it is typed and read in commands)
NAME_LENGTH = 60

_CAP_SEVERITY = {"extreme": "severe", "severe": "serious", "moderate": "watch"}
_LEVEL = {"red": "severe", "orange": "serious", "yellow": "watch"}
_MAGNITUDE = ((7.0, "severe"), (6.0, "serious"), (5.0, "watch"))
_WORD = re.compile(r"\w+")
# "12 km SSW of Banda Aceh, Indonesia": the place after "of"
_DISTANCE = re.compile(r"^\s*\d+(?:\.\d+)?\s*km\s+\w+\s+of\s+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Reading:
    """What a crisis made of the alert would be; `outcome` says why there is none."""

    category: str | None
    severity: str | None
    keywords: tuple[str, ...]
    name: str
    #: how the severity was found, for people ("CAP severity Severe, certainty Likely")
    why: str
    #: None: raise it; else why not (not-actual, ignored, no-category, below-severity)
    outcome: str | None


def read_alert(alert: Alert, regions: Sequence[str], feed: Feed) -> Reading:
    rule = _first_rule(alert, regions, feed.rules)
    named = [alert.name] if alert.name else []
    found = places(alert)
    keywords = _unique(
        [*(rule.keywords if rule else []), *found, *_short_names(regions, found), *named]
    )
    name = _name(alert, found)
    if alert.status != "actual":
        return Reading(None, None, keywords, name, f"status {alert.status}", "not-actual")
    if rule is not None and rule.ignore:
        return Reading(None, None, keywords, name, "a rule ignores it", "ignored")
    category = (rule and rule.category) or hazard_of(alert)
    severity, why = (
        (rule.severity, "fixed by a rule") if rule and rule.severity else severity_of(alert)
    )
    if category is None:
        return Reading(None, severity, keywords, name, why, "no-category")
    if severity is None or _rank(severity) < _rank(feed.min_severity):
        return Reading(category, severity, keywords, name, why, "below-severity")
    return Reading(category, severity, keywords, name, why, None)


# -- rules ---------------------------------------------------------------------------
def _first_rule(alert: Alert, regions: Sequence[str], rules: Iterable[FeedRule]) -> FeedRule | None:
    return next((rule for rule in rules if _matches(rule, alert, regions)), None)


def _matches(rule: FeedRule, alert: Alert, regions: Sequence[str]) -> bool:
    match = rule.match
    if match.event and not any(_says(alert, phrase) for phrase in match.event):
        return False
    if match.category and not _any_equal(match.category, alert.categories):
        return False
    levels = [v for v in (alert.severity, alert.level) if v]
    if match.level and not _any_equal(match.level, levels):
        return False
    if match.min_magnitude is not None and (
        alert.magnitude is None or alert.magnitude < match.min_magnitude
    ):
        return False
    return not match.region or (bool(regions) and regions_overlap(regions, match.region))


def _says(alert: Alert, phrase: str) -> bool:
    words = _words(" ".join([alert.event, alert.name, alert.headline]))
    return _find(words, _pattern(phrase)) is not None


def _any_equal(wanted: Iterable[str], values: Iterable[str]) -> bool:
    have = {v.casefold() for v in values}
    return any(w.casefold() in have for w in wanted)


# -- hazards ---------------------------------------------------------------------------
@cache
def _hazards() -> tuple[tuple[str | None, frozenset[str], tuple[tuple[str, ...], ...]], ...]:
    """(category, type codes, word patterns) in the order of hazards.yaml; the category
    of its `none:` entry (phrases that name no crisis) is None."""
    table = yaml_text.load(HAZARDS_FILE.read_text(encoding="utf-8"), HAZARDS_FILE)
    out = []
    for category, entry in table.items():
        codes = frozenset(str(c).casefold() for c in entry.get("codes", []))
        patterns = tuple(
            _pattern(word) for words in entry.get("words", {}).values() for word in words
        )
        out.append((None if category == "none" else category, codes, patterns))
    return tuple(out)


def hazard_of(alert: Alert) -> str | None:
    """The crisis category the alert names: by its event, then its name, then its
    headline (the first named in the text), then its type codes. A text whose first
    phrase is one that names no crisis (hazards.yaml `none:`, "Extreme Fire Danger")
    names none, as a text that names nothing: the next may still name one."""
    for text in (alert.event, alert.name, alert.headline):
        category = _named(_words(text))
        if category is not None:
            return category
    codes = {c.casefold() for c in alert.categories}
    return next((category for category, own, _ in _hazards() if category and own & codes), None)


def _named(words: Sequence[str]) -> str | None:
    """The category the first phrase of hazards.yaml found in the words names; at the
    same word the longer phrase, then the one first in the file. A `none:` phrase names
    no category, and hides a category's phrase that shares a word with it ("forest fire
    danger" is fire danger, "bomb cyclone" neither a bombing nor a hurricane)."""
    found = [  # (where, longest first, first in the file, category, the word after)
        (at, -len(pattern), order, category, at + len(pattern))
        for order, (category, _codes, patterns) in enumerate(_hazards())
        for pattern in patterns
        for at in _finds(words, pattern)
    ]
    hidden = {i for at, *_, category, end in found if category is None for i in range(at, end)}
    read = [
        (at, longest, order, category)
        for at, longest, order, category, end in found
        if category is None or hidden.isdisjoint(range(at, end))
    ]
    return min(read)[3] if read else None


def _pattern(phrase: str) -> tuple[str, ...]:
    """Normalised words, each keeping a trailing `*` (any ending)."""
    return tuple(
        normalise(word.rstrip("*")) + ("*" if word.endswith("*") else "")
        for word in phrase.split()
        if normalise(word.rstrip("*"))
    )


def _words(text: str) -> list[str]:
    return _WORD.findall(normalise(text or ""))


def _find(words: Sequence[str], pattern: tuple[str, ...]) -> int | None:
    """Where the pattern's words first occur in a row, or None."""
    return next(_finds(words, pattern), None)


def _finds(words: Sequence[str], pattern: tuple[str, ...]) -> Iterator[int]:
    """Each place the pattern's words occur in a row."""
    if not pattern:
        return
    for start in range(len(words) - len(pattern) + 1):
        if all(_word_matches(words[start + i], p) for i, p in enumerate(pattern)):
            yield start


def _word_matches(word: str, pattern: str) -> bool:
    return word.startswith(pattern[:-1]) if pattern.endswith("*") else word == pattern


# -- severity --------------------------------------------------------------------------
def severity_of(alert: Alert) -> tuple[str | None, str]:
    """The severity the alert's own signals give, and how."""
    if alert.severity and alert.severity.casefold() in (*_CAP_SEVERITY, "minor", "unknown"):
        return _cap_severity(alert)
    level = (alert.level or "").casefold()
    if level in _LEVEL:
        return _LEVEL[level], f"alert level {alert.level}"
    found = _by_magnitude(alert.magnitude)
    if level == "green":
        # GDACS and USGS call green an event with little expected impact
        if alert.magnitude is not None and alert.magnitude >= 6.0:
            return "watch", f"alert level {alert.level}, magnitude {alert.magnitude:g}"
        return None, f"alert level {alert.level}"
    if found:
        return found, f"magnitude {alert.magnitude:g}"
    return None, "no severity, alert level or magnitude given"


def _cap_severity(alert: Alert) -> tuple[str | None, str]:
    said = f"CAP severity {alert.severity}"
    severity = _CAP_SEVERITY.get((alert.severity or "").casefold())
    certainty = (alert.certainty or "").casefold()
    urgency = (alert.urgency or "").casefold()
    if certainty:
        said += f", certainty {alert.certainty}"
    if urgency == "past":
        return None, said + ", urgency Past"
    if certainty == "unlikely":
        return None, said
    if severity and certainty == "possible":  # one step down; below watch is nothing
        rank = _rank(severity)
        severity = SEVERITIES[rank - 2] if rank > 1 else None
    return severity, said


def _by_magnitude(magnitude: float | None) -> str | None:
    if magnitude is None:
        return None
    return next((s for floor, s in _MAGNITUDE if magnitude >= floor), None)


def _rank(severity: str) -> int:
    return Severity(severity).rank


def at_most(severity: str, ceiling: str) -> str:
    """`severity`, lowered to `ceiling` if above it (a feed's `auto:`)."""
    return severity if _rank(severity) <= _rank(ceiling) else ceiling


# -- words -----------------------------------------------------------------------------
def places(alert: Alert) -> tuple[str, ...]:
    """Place names to look for in posts: the areas' descriptions, piece by piece."""
    out: list[str] = []
    for area in alert.areas:
        text = _DISTANCE.sub("", area.description or "")
        for piece in re.split(r"[;,]|\s+-\s+", text):
            piece = piece.strip()
            if piece and len(piece) <= 60 and normalise(piece) and not piece.isdigit():
                out.append(piece)
    return _unique(out)[:MAX_PLACES]


def _short_names(regions: Sequence[str], found: Sequence[str]) -> list[str]:
    """The short name of each region the alert's own place names spell out in full
    ("Hlavní město Praha" is ISO's "Praha, Hlavní město": Praha), so that posts that
    name the place the usual way (and inflected: v Praze) are found."""
    import pycountry

    said = [f" {' '.join(_words(piece))} " for piece in found]
    out = []
    for code in regions:
        sub = pycountry.subdivisions.get(code=code.upper()) if "-" in code else None
        short = sub.name.split(",")[0].split("(")[0].strip() if sub else ""
        words = " ".join(_words(short))
        if words and any(f" {words} " in piece for piece in said) and short not in found:
            out.append(short)
    return out


def _name(alert: Alert, found: Sequence[str]) -> str:
    """What people will call the crisis: the headline when it is short; else the event
    and its places (CAP headlines run long: "Flood Warning issued April 10 at 9:15AM
    EDT until ... by NWS Boston/Norton MA" is a "Flood Warning: Suffolk County")."""
    # a name is typed as a command's argument: one starting with a dash reads as an option
    headline = " ".join((alert.headline or "").split()).lstrip("-–— ")
    if headline and len(headline) <= NAME_LENGTH:
        return headline
    event = " ".join((alert.event or alert.name or "").split()).lstrip("-–— ")
    if event:
        name = f"{event}: {', '.join(found)}" if found else event
    else:
        name = headline or alert.identifier
    if len(name) <= NAME_LENGTH:
        return name
    return name[: NAME_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(normalise(value), value)
    return tuple(v for k, v in seen.items() if k)
