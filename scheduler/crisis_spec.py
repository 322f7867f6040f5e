"""What can be a crisis: `check_spec` refuses what cannot (an unknown category, brand or
channel, a keyword with nothing to look for) and tidies what can."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from policies.lexicon import CATEGORIES
from policies.models import Ops, Severity
from policies.normalise import normalise
from scheduler.config import Config
from scheduler.errors import BadInput
from scheduler.models import CrisisRecord, CrisisSpec


def check_spec(config: Config, spec: CrisisSpec) -> CrisisSpec:
    """Refuse what cannot be a crisis; tidy what can (lowercase, no blanks or repeats)."""
    if not spec.name.strip():
        raise BadInput("NAME: a crisis needs a name, such as 'Boston Marathon bombing'")
    _one_of("--category", spec.category, CATEGORIES)
    _one_of("--severity", spec.severity, [s.value for s in Severity])
    _one_of("--ops", spec.ops, [o.value for o in Ops])
    for brand in spec.brands:
        config.brand(brand)
    for channel in spec.channels:
        if channel not in config.channels:
            raise BadInput(f"--channel: unknown channel {channel!r}")
    for keyword in spec.keywords:
        if keyword.strip() and not normalise(keyword.strip().rstrip("*")):
            raise BadInput(f"--keyword: {keyword!r} has no letters or digits to look for")
    contexts = [c for typed in _clean(spec.contexts) for c in config.resolve_context(typed)]
    return replace(
        spec,
        name=spec.name.strip(),
        keywords=_clean(spec.keywords, lower=False),
        contexts=_clean(contexts),
        regions=_clean(spec.regions),
        langs=_clean(spec.langs),
    )


def _one_of(option: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise BadInput(f"{option}: {value!r} is not one of {', '.join(allowed)}")


def _clean(values: Iterable[str], lower: bool = True) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        item = unicodedata.normalize("NFC", value.strip())
        item = item.lower() if lower else item
        if item and item not in out:
            out.append(item)
    return tuple(out)


def changed_fields(current: CrisisRecord, spec: CrisisSpec) -> dict[str, Any]:
    """The fields `spec` changes of the crisis as it is stored."""
    before = current.spec.values()
    return {k: v for k, v in spec.values().items() if before.get(k) != v}
