"""The crisis playbook: which rules apply from which severity, with what action and advice.

`policies/playbooks/default.yaml` implements the design's rules 1-8. A brand may supply its
own file that is merged over the default: mappings merge key by key, other values
replace, and a key ending in `+` extends the list it names (`promotion+: [flash-sale]`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from policies.lexicon import CATEGORIES
from policies.models import Action, Ops, Severity

DEFAULT = Path(__file__).parent / "playbooks" / "default.yaml"
RULES = ("follow-the-business", "sensitive-words", "sector-proximity", "empty-condolence",
         "newsjacking", "donation-boast", "operational-notice", "slow-automation")
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class PlaybookError(ValueError):
    """A playbook file is missing or invalid; the message names file, key path and problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Tags(_Strict):
    promotion: frozenset[str]
    service: frozenset[str]
    automated_sequence: frozenset[str]


class CategorySpec(_Strict):
    contexts: frozenset[str] = frozenset()


class SectorSpec(_Strict):
    categories: frozenset[str] = frozenset()
    contexts: frozenset[str] = frozenset()


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
    sectors: dict[str, SectorSpec] = Field(default_factory=dict)
    rules: dict[str, RuleSpec]
    notices: dict[Ops, dict[str, str]] = Field(default_factory=dict)
    resume: Resume = Field(default_factory=Resume)

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: dict[str, CategorySpec]) -> dict[str, CategorySpec]:
        unknown = sorted(set(value) - set(CATEGORIES))
        missing = sorted(set(CATEGORIES) - set(value))
        if unknown or missing:
            raise ValueError(f"categories must be exactly {', '.join(CATEGORIES)}"
                             f"{'; unknown: ' + ', '.join(unknown) if unknown else ''}"
                             f"{'; missing: ' + ', '.join(missing) if missing else ''}")
        return value

    @field_validator("rules", mode="before")
    @classmethod
    def _known_rules(cls, value: Any) -> Any:
        # before the entries are checked, so a misspelt rule reads as one
        unknown = sorted(set(value) - set(RULES)) if isinstance(value, dict) else []
        if unknown:
            raise ValueError(f"unknown rule(s) {', '.join(unknown)}; rules are "
                             f"{', '.join(RULES)}")
        return value

    @field_validator("rules")
    @classmethod
    def _all_rules(cls, value: dict[str, RuleSpec]) -> dict[str, RuleSpec]:
        missing = sorted(set(RULES) - set(value))
        if missing:
            raise ValueError(f"missing rule(s) {', '.join(missing)}")
        return value

    def rule(self, rule_id: str) -> RuleSpec:
        return self.rules[rule_id]

    def applies(self, rule_id: str, severity: Severity) -> bool:
        spec = self.rules[rule_id]
        return spec.enabled and severity.at_least(spec.from_severity)

    def contexts_of(self, category: str, extra: tuple[str, ...] = ()) -> frozenset[str]:
        spec = self.categories.get(category)
        return (spec.contexts if spec else frozenset()) | frozenset(extra)

    def sector_is_close(self, sector: str, category: str, contexts: frozenset[str]) -> bool:
        spec = self.sectors.get(sector)
        return spec is not None and (category in spec.categories or
                                     bool(spec.contexts & contexts))


def parse_rate(text: str) -> tuple[int, int]:
    """'4/1h' -> (4 posts, 3600 seconds)."""
    found = _RATE.match(text)
    if not found or int(found[1]) < 1:
        raise ValueError(f"rate {text!r}: write N/PERIOD, such as 4/1h or 10/30m")
    return int(found[1]), int(found[2] or 1) * _UNIT[found[3]]


@cache
def default_playbook() -> Playbook:
    return load_playbook(DEFAULT)


def load_playbook(path: Path, base: Playbook | None = None) -> Playbook:
    """Read a playbook file; with `base`, merge it over that playbook."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise PlaybookError(f"{path}: playbook file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise PlaybookError(f"{path}{line}: not valid YAML") from None
    if not isinstance(data, dict):
        raise PlaybookError(f"{path}: the top level must be a mapping")
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
            out[name] = list(out.get(name) or []) + list(value or [])
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out
