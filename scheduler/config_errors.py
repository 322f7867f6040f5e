"""Where in config.yaml a problem is: pydantic's error turned into `file:line: key.path:
problem`, with a did-you-mean for a misspelt key. Kept apart from the schema
(scheduler/config.py): it knows YAML nodes and pydantic errors, not what a brand is."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from policies import yaml_text
from policies.yaml_text import YamlProblem


def render_validation_error(
    exc: ValidationError,
    data: Any,
    tree: yaml.Node | None,
    source: str,
    *,
    known_keys: Collection[str],
    kinds: Sequence[str],
) -> str:
    """The first error as `source:line: key.path: problem`, with a count of the rest.
    `known_keys` are every key the schema has (for a did-you-mean), `kinds` the values a
    tagged union (a channel's `kind`) takes."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    keys = _data_path(first["loc"], data)
    message = _problem(first, keys, known_keys, kinds)
    if first["type"] in {"union_tag_invalid", "union_tag_not_found"}:
        keys = [*keys, "kind"]
    if not keys and message.startswith(("brands[", "notify[")):
        # a check across the whole file (a brand's playbook) names its own key path
        named, message = message.split(": ", 1)
        keys = _parse_path(named)
    line = _line_of(tree, keys)
    where = f"{source}:{line}" if line else source
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {format_path(keys) or '(top level)'}: {message}{more}"


def format_path(keys: list[str | int]) -> str:
    out = ""
    for key in keys:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def _parse_path(path: str) -> list[str | int]:
    keys: list[str | int] = []
    for part in path.replace("]", "").replace("[", ".").split("."):
        if part:
            keys.append(int(part) if part.isdigit() else part)
    return keys


def _data_path(loc: tuple[Any, ...], data: Any) -> list[str | int]:
    """Drop the pydantic-inserted union tags, which are not keys in the user's file."""
    keys: list[str | int] = []
    node = data
    for part in loc:
        if (
            isinstance(node, dict)
            and isinstance(part, str)
            and part not in node
            and node.get("kind") == part
        ):
            continue
        keys.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
    return keys


def _problem(
    error: dict[str, Any], keys: list[str | int], known_keys: Collection[str], kinds: Sequence[str]
) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    if kind in {"union_tag_invalid", "union_tag_not_found"}:
        got = f" (got {ctx['tag']!r})" if "tag" in ctx else " (missing)"
        return f"must be one of {', '.join(kinds)}{got}"
    if kind == "missing":
        return "required but missing"
    if kind == "extra_forbidden":
        guess = difflib.get_close_matches(str(keys[-1]), sorted(known_keys), n=1)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        return f"unknown key{hint}"
    message = error["msg"]
    return message.removeprefix("Value error, ")


def _line_of(tree: yaml.Node | None, keys: list[str | int]) -> int | None:
    """Line (1-based) of the deepest YAML node along `keys` that exists."""
    node = tree
    line = node.start_mark.line + 1 if node is not None else None
    for key in keys:
        child = _child(node, key)
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                # an unknown key is the problem itself: point at the key, not its value
                return k if not isinstance(v, yaml.CollectionNode) else v
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]
    return None


def config_location(path: Path, keys: list[str | int]) -> str:
    """`file:line` of the deepest of `keys` that the config file holds (just the file if
    it cannot be read again), for a problem found after loading, such as a credential
    that is not set."""
    try:
        tree = yaml_text.compose(yaml_text.read_text(path))
    except (YamlProblem, OSError):
        return str(path)
    line = _line_of(tree, keys)
    return f"{path}:{line}" if line else str(path)
