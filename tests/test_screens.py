"""The captured 80-column screens (docs/make_screens.py) fit 80 columns."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.cli

SCRIPT = Path(__file__).parents[1] / "docs" / "make_screens.py"


def test_the_daily_loop_fits_an_80_column_terminal(tmp_path):
    target = tmp_path / "screens.md"
    subprocess.run(
        [sys.executable, str(SCRIPT), str(target)], check=True, capture_output=True, text=True
    )
    text = target.read_text(encoding="utf-8")
    output, in_block, command = [], False, False
    for line in text.splitlines():
        if line.startswith("```"):
            in_block = not in_block
            continue
        if in_block and (line.startswith("$ ") or command):
            command = line.endswith("\\")  # the command typed, not what it printed
            continue
        if in_block:
            output.append(line)
    too_wide = [line for line in output if len(line.rstrip()) > 80]
    assert output and not too_wide, "\n".join(too_wide)
    for wanted in (
        "$ tactful post list",
        "$ tactful review list",
        "$ tactful review show",
        "$ tactful crisis on",
    ):
        assert wanted in text
    assert "Times in America/New_York" in text and "sensitive-words" in text
