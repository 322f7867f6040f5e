"""Every test names its tier (README.md, "Tests"), so that `pytest -m unit` and the
others run what they promise. A test file without a tier fails here, by name.

The files are read, not imported: importing some of them starts servers, which a unit
test may not do."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import TIERS

pytestmark = pytest.mark.unit

HERE = Path(__file__).parent


def _tiers(node: ast.expr | None) -> list[str]:
    """The tiers among `pytest.mark.<name>` expressions (alone or in a list)."""
    if node is None:
        return []
    marks = node.elts if isinstance(node, ast.List | ast.Tuple) else [node]
    return [
        m.attr
        for m in marks
        if isinstance(m, ast.Attribute)
        and ast.unparse(m.value) == "pytest.mark"
        and m.attr in TIERS
    ]


def _file_tiers(tree: ast.Module) -> list[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == [
            "pytestmark"
        ]:
            return _tiers(node.value)
    return []


def _tests(tree: ast.Module) -> dict[str, list[str]]:
    """Each test function (and method of a Test class): the tiers its decorators give."""
    found: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            found[node.name] = [t for d in node.decorator_list for t in _tiers(d)]
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            own = [t for d in node.decorator_list for t in _tiers(d)]
            found |= {
                f"{node.name}.{f.name}": own + [t for d in f.decorator_list for t in _tiers(d)]
                for f in node.body
                if isinstance(f, ast.FunctionDef) and f.name.startswith("test")
            }
    return found


def test_the_tiers_are_the_registered_markers(pytestconfig: pytest.Config):
    registered = [line.split(":")[0] for line in pytestconfig.getini("markers")]
    assert set(TIERS) <= set(registered)


@pytest.mark.parametrize(
    "path", sorted(str(p.relative_to(HERE.parent)) for p in HERE.rglob("test_*.py"))
)
def test_every_test_has_exactly_one_tier(path: str):
    tree = ast.parse((HERE.parent / path).read_text(encoding="utf-8"))
    tests = _tests(tree)
    wrong = {
        name: _file_tiers(tree) + own
        for name, own in tests.items()
        if len(_file_tiers(tree) + own) != 1
    }
    assert tests, f"{path} has no tests"
    assert not wrong, (
        f"{path}: each test needs exactly one tier of {', '.join(TIERS)} "
        "(`pytestmark = pytest.mark.<tier>` for the file, or a mark on each "
        f"test); these have {wrong}"
    )
