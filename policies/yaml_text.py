"""YAML as people write it, read strictly: a key given twice is an error (the second
`brands:` would silently replace the first), a file too deeply nested is refused, and a
file that is not UTF-8 says where. Used for config.yaml and playbooks alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class YamlProblem(ValueError):
    """One line naming the file, the line and what is wrong."""


#: libyaml's parser when PyYAML was built with it: the default playbook and its sector
#: taxonomy are thousands of lines, read by every command (1 s in pure Python)
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _line_at(text: str, position: int) -> int:
    """The line of a reader error's position: libyaml counts bytes of the UTF-8 text, the
    pure-Python reader characters (they differ after the first accented letter)."""
    if _BASE is yaml.SafeLoader:
        return text[:position].count("\n") + 1
    return text.encode("utf-8", "surrogatepass")[:position].count(b"\n") + 1


class _StrictLoader(_BASE):  # type: ignore[misc, valid-type]
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"the key {key!r} is given twice (first on line "
                    f"{seen[key]}); the second would replace the first",
                    key_node.start_mark,
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def read_text(path: Path) -> str:
    """A file's text; YamlProblem when it is not UTF-8 (with the byte's place)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlProblem(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from None


def load(text: str, source: str) -> Any:
    """The data in `text`; YamlProblem naming `source` and the line when it is not YAML,
    repeats a key, or nests too deeply."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, ...)
        line = _line_at(text, exc.position)
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise YamlProblem(
            f"{source}:{line}: not valid YAML (the character U+{ord(char):04X} is not allowed)"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        if "nesting depth" in problem:  # libyaml's own limit
            raise YamlProblem(f"{source}: nested too deeply to be a config") from None
        # one line, whatever the parser wrote
        raise YamlProblem(f"{where}: not valid YAML ({' '.join(problem.split())})") from None
    except RecursionError:
        raise YamlProblem(f"{source}: nested too deeply to be a config") from None


def compose(text: str) -> yaml.Node | None:
    """The node tree of a text `load` accepted (for line numbers in messages), read by
    the same parser; None if that parser sees it otherwise."""
    try:
        return yaml.compose(text, Loader=_BASE)
    except yaml.YAMLError:
        return None
