"""What a plain `pip install .` ships: every data file the packages read (a taxonomy, a
lexicon, the demo's alert) is in package-data, or Quickstart's demo fails on a fresh
machine while the editable install the tests use works."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parent.parent


def test_every_data_file_of_the_packages_is_shipped():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = pyproject["tool"]["setuptools"]["package-data"]
    missing = []
    for package, patterns in shipped.items():
        for path in (ROOT / package).rglob("*"):
            if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            relative = path.relative_to(ROOT / package).as_posix()
            if not any(fnmatch(relative, pattern) for pattern in patterns):
                missing.append(f"{package}/{relative}")
    assert missing == [], "add these to [tool.setuptools.package-data] in pyproject.toml"
    assert {"scheduler", "policies"} <= shipped.keys()
