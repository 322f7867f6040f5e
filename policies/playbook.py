"""The crisis playbook: which rules apply from which severity, with what action and advice.

`policies/playbooks/default.yaml` implements the design's rules 1-8; `sectors.yaml` (what
businesses do and how close each is to each kind of event) and `contexts.yaml` (what an
event involves) complete it. A brand may supply its own file that is merged over the
default: mappings merge key by key, other values replace, and a key ending in `+` extends
the list it names (`promotion+: [flash-sale]`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from policies import yaml_text
from policies.lexicon import CATEGORIES, LAYERS
from policies.models import Action, Ops, Severity
from policies.normalise import normalise
from policies.taxonomy import Resolved, Taxonomy

PLAYBOOKS = Path(__file__).parent / "playbooks"
DEFAULT = PLAYBOOKS / "default.yaml"
#: parts of the default playbook kept in files of their own
PARTS = (PLAYBOOKS / "sectors.yaml", PLAYBOOKS / "contexts.yaml")
#: every file the default playbook is read from
DEFAULT_FILES = (DEFAULT, *PARTS)
RULES = (
    "follow-the-business",
    "sensitive-words",
    "sector-proximity",
    "empty-condolence",
    "newsjacking",
    "donation-boast",
    "operational-notice",
    "slow-automation",
)
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class PlaybookError(ValueError):
    """A playbook file is missing or invalid; the message names file, key path and problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Tags(_Strict):
    """The post tags the rules know, by what they mean; any other tag is refused."""

    promotion: frozenset[str]
    service: frozenset[str]
    automated_sequence: frozenset[str]
    #: tags that mean nothing to the rules but are known (tips, recipe, behind-the-scenes)
    other: frozenset[str] = frozenset()
    #: other spellings and languages of these tags: {promo: [akce, акция]}
    aliases: dict[str, list[str]] = Field(default_factory=dict)

    def model_post_init(self, _context: Any) -> None:
        unknown = sorted(set(self.aliases) - set(self.vocabulary))
        if unknown:
            raise ValueError(
                f"tags.aliases: {', '.join(unknown)} is not a tag of "
                "promotion, service, automated_sequence or other"
            )

    @cached_property
    def vocabulary(self) -> dict[str, str]:
        """Every tag the rules know, with the group it is in."""
        out: dict[str, str] = {}
        for group in ("other", "service", "automated_sequence", "promotion"):
            out.update(dict.fromkeys(sorted(getattr(self, group)), group))
        return out

    @cached_property
    def known(self) -> dict[str, str]:
        """Every known spelling, folded, to the tag it means."""
        out = {fold_tag(t): t for t in self.vocabulary}
        for tag, spellings in self.aliases.items():
            out.update({fold_tag(s): tag for s in spellings if fold_tag(s) not in out})
        return out

    def canonical(self, tag: str) -> str | None:
        """The known tag `tag` means (`#NewArrivals` -> `new-arrival`), or None. A tag of
        several words means what its last known words mean, as a compound does
        (`auto-repost` -> `repost`, `summer-new-arrivals` -> `new-arrival`), but not when
        its head is unknown (`special-hours`, `sale-cancelled`) or it is negated
        (`no-sale`): better refused than read as a promotion it is not."""
        found = self._known_form(fold_tag(tag))
        if found is not None:
            return found
        parts = [p for p in re.split(r"[-_\s]+", tag.strip().lstrip("#")) if p]
        while parts and parts[-1].isdigit():
            parts.pop()  # flash-sale-2026
        if not parts or normalise(parts[0]) in _NEGATIONS:
            return None
        for start in range(len(parts)):
            found = self._known_form(fold_tag("".join(parts[start:])))
            if found is not None:
                return found
        return None

    def _known_form(self, folded: str) -> str | None:
        for candidate in (folded, folded.removesuffix("s"), folded.removesuffix("es")):
            if candidate in self.known:
                return self.known[candidate]
        return None

    def nearest(self, tag: str, n: int = 3) -> list[str]:
        close = difflib.get_close_matches(fold_tag(tag), list(self.known), n=n * 2)
        return list(dict.fromkeys(self.known[c] for c in close))[:n]


_NEGATIONS = frozenset(
    {
        "no",
        "non",
        "not",
        "without",
        "anti",
        "ne",
        "bez",
        "не",
        "без",
        "tanpa",
        "bukan",
        "yox",
        "deyil",
        "لا",
        "بدون",
    }
)


def fold_tag(tag: str) -> str:
    """A tag as compared: case, accents, `#`, `_`, `-` and spaces do not count
    (#NewArrival, new_arrival and New-Arrival are one tag)."""
    return "".join(normalise(tag.replace("_", " ").replace("#", " ")).split())


class CategorySpec(_Strict):
    contexts: frozenset[str] = frozenset()
    #: the lexicon layers this kind of event makes sensitive
    layers: frozenset[str] = frozenset()

    @field_validator("layers")
    @classmethod
    def _known_layers(cls, value: frozenset[str]) -> frozenset[str]:
        unknown = sorted(value - set(LAYERS))
        if unknown:
            raise ValueError(
                f"unknown layer(s) {', '.join(unknown)}; layers are {', '.join(LAYERS)}"
            )
        return value


class SectorSpec(_Strict):
    """A kind of business: where it sits, what people call it, what it is close to."""

    parent: str | None = None
    #: what people call it, in any language (its id is a name too)
    names: list[str] = Field(default_factory=list)
    categories: frozenset[str] = frozenset()
    contexts: frozenset[str] = frozenset()


class ContextSpec(_Strict):
    """Something an event involves (a marathon, a school, a train)."""

    names: list[str] = Field(default_factory=list)
    #: broader contexts it involves too (a marathon is a race)
    implies: frozenset[str] = frozenset()


class RuleSpec(_Strict):
    enabled: bool = True
    from_severity: Severity = Field(alias="from")
    action: Action
    advice: str
    #: slow-automation only: from this severity every automated post pauses
    all_automated_from: Severity | None = None


class Resume(_Strict):
    rate: str = "4/1h"

    @field_validator("rate")
    @classmethod
    def _valid_rate(cls, value: str) -> str:
        parse_rate(value)
        return value


class Playbook(_Strict):
    version: int = 1
    tags: Tags
    categories: dict[str, CategorySpec]
    #: words that mean one thing in sector and context names, in any language
    words: dict[str, list[str]] = Field(default_factory=dict)
    sectors: dict[str, SectorSpec] = Field(default_factory=dict)
    contexts: dict[str, ContextSpec] = Field(default_factory=dict)
    rules: dict[str, RuleSpec]
    notices: dict[Ops, dict[str, str]] = Field(default_factory=dict)
    resume: Resume = Field(default_factory=Resume)

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: dict[str, CategorySpec]) -> dict[str, CategorySpec]:
        unknown = sorted(set(value) - set(CATEGORIES))
        missing = sorted(set(CATEGORIES) - set(value))
        if unknown or missing:
            raise ValueError(
                f"categories must be exactly {', '.join(CATEGORIES)}"
                f"{'; unknown: ' + ', '.join(unknown) if unknown else ''}"
                f"{'; missing: ' + ', '.join(missing) if missing else ''}"
            )
        return value

    @field_validator("rules", mode="before")
    @classmethod
    def _known_rules(cls, value: Any) -> Any:
        # before the entries are checked, so a misspelt rule reads as one
        unknown = sorted(set(value) - set(RULES)) if isinstance(value, dict) else []
        if unknown:
            raise ValueError(f"unknown rule(s) {', '.join(unknown)}; rules are {', '.join(RULES)}")
        return value

    @field_validator("rules")
    @classmethod
    def _all_rules(cls, value: dict[str, RuleSpec]) -> dict[str, RuleSpec]:
        missing = sorted(set(RULES) - set(value))
        if missing:
            raise ValueError(f"missing rule(s) {', '.join(missing)}")
        return value

    def model_post_init(self, _context: Any) -> None:
        self._check_tree()
        known = set(self.contexts)
        named = [(f"categories.{k}", v.contexts) for k, v in self.categories.items()]
        named += [(f"sectors.{k}", v.contexts) for k, v in self.sectors.items()]
        named += [(f"contexts.{k}", v.implies) for k, v in self.contexts.items()]
        for where, contexts in named:
            unknown = sorted(set(contexts) - known)
            if unknown:
                raise ValueError(f"{where}: unknown context(s) {', '.join(unknown)}")
        for key, sector in self.sectors.items():
            unknown = sorted(set(sector.categories) - set(CATEGORIES))
            if unknown:
                raise ValueError(
                    f"sectors.{key}.categories: unknown {', '.join(unknown)}; "
                    f"categories are {', '.join(CATEGORIES)}"
                )

    def _check_tree(self) -> None:
        for key in self.sectors:
            seen = [key]
            parent = self.sectors[key].parent
            while parent is not None:
                if parent not in self.sectors:
                    raise ValueError(f"sectors.{seen[-1]}.parent: unknown sector {parent!r}")
                if parent in seen:
                    raise ValueError(
                        f"sectors.{key}.parent: a loop ({' -> '.join(seen)} -> {parent})"
                    )
                seen.append(parent)
                parent = self.sectors[parent].parent

    def rule(self, rule_id: str) -> RuleSpec:
        return self.rules[rule_id]

    def applies(self, rule_id: str, severity: Severity) -> bool:
        spec = self.rules[rule_id]
        return spec.enabled and severity.at_least(spec.from_severity)

    def layers_of(self, category: str) -> frozenset[str]:
        spec = self.categories.get(category)
        return spec.layers if spec else frozenset()

    def contexts_of(self, category: str, extra: Iterable[str] = ()) -> frozenset[str]:
        """The event's contexts: its category's, those given, and all they imply."""
        spec = self.categories.get(category)
        todo = [*(spec.contexts if spec else ()), *extra]
        out: set[str] = set()
        while todo:
            context = todo.pop()
            if context not in out:
                out.add(context)
                found = self.contexts.get(context)
                todo += found.implies if found else ()
        return frozenset(out)

    def lineage(self, sector: str) -> list[str]:
        """The sector and every sector above it (childrens-clothing, apparel, retail)."""
        out = []
        while sector in self.sectors and sector not in out:
            out.append(sector)
            sector = self.sectors[sector].parent or ""
        return out

    def sector_is_close(self, sector: str, category: str, contexts: frozenset[str]) -> bool:
        """Rule 3: the sector, or one above it, is close to this kind of event."""
        return any(
            category in self.sectors[s].categories or self.sectors[s].contexts & contexts
            for s in self.lineage(sector)
        )

    @cached_property
    def sector_names(self) -> Taxonomy:
        depth = {key: len(self.lineage(key)) for key in self.sectors}
        return Taxonomy({k: v.names for k, v in self.sectors.items()}, self.words, depth)

    @cached_property
    def context_names(self) -> Taxonomy:
        return Taxonomy({k: v.names for k, v in self.contexts.items()}, self.words)

    def resolve_sector(self, text: str) -> Resolved:
        """What a sector typed by a marketer means (`kids clothing` -> childrens-clothing);
        a sector above another that was found adds nothing and is left out."""
        if text in self.sectors:
            return Resolved(text, (text,))
        found = self.sector_names.resolve(text)
        above = {s for key in found.ids for s in self.lineage(key)[1:]}
        return Resolved(text, tuple(k for k in found.ids if k not in above), found.ignored)

    def resolve_context(self, text: str) -> Resolved:
        if text in self.contexts:
            return Resolved(text, (text,))
        return self.context_names.resolve(text)


def parse_rate(text: str) -> tuple[int, int]:
    """'4/1h' -> (4 posts, 3600 seconds)."""
    found = _RATE.match(text)
    if not found or int(found[1]) < 1:
        raise ValueError(f"rate {text!r}: write N/PERIOD, such as 4/1h or 10/30m")
    return int(found[1]), int(found[2] or 1) * _UNIT[found[3]]


@cache
def default_playbook() -> Playbook:
    return load_playbook(DEFAULT)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml_text.load(yaml_text.read_text(path), str(path)) or {}
    except FileNotFoundError:
        raise PlaybookError(f"{path}: playbook file not found") from None
    except IsADirectoryError:
        raise PlaybookError(f"{path}: is a folder, not a playbook file") from None
    except OSError as exc:
        raise PlaybookError(f"{path}: cannot read the playbook ({exc.strerror})") from None
    except yaml_text.YamlProblem as exc:
        raise PlaybookError(str(exc)) from None
    if not isinstance(data, dict):
        raise PlaybookError(f"{path}: the top level must be a mapping")
    return data


def load_playbook(path: Path, base: Playbook | None = None) -> Playbook:
    """Read a playbook file; with `base`, merge it over that playbook."""
    data = _read(path)
    if path == DEFAULT:
        for part in PARTS:
            data = merge(data, _read(part))
    if base is not None:
        data = merge(base.model_dump(by_alias=True, mode="json"), data)
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise PlaybookError(f"{path}: {where or '(top level)'}: {message}") from None


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Mappings merge, `key+` extends a list, anything else replaces."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(key, str) and key.endswith("+"):
            name = key[:-1]
            # one item may be written without brackets: names+: pyrotechnika
            more = [value] if isinstance(value, str) else list(value or [])
            out[name] = list(out.get(name) or []) + more
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out
