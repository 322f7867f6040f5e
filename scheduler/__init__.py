"""Tactful: a social-media scheduler that knows when to be quiet.

    from scheduler import Tactful
    t = Tactful.open("config.yaml")

`Tactful` (scheduler/tactful.py) is the front door to everything: posts, crises, the
review queue, draft checks and the daemon. The command line is one client of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scheduler.models import CrisisSpec
    from scheduler.tactful import Tactful

__all__ = ["CrisisSpec", "Tactful"]


def __getattr__(name: str) -> Any:
    # imported on first use: `import scheduler.cli` (every command, Tab completion)
    # must not pay for what it does not use
    if name == "Tactful":
        from scheduler.tactful import Tactful

        return Tactful
    if name == "CrisisSpec":
        from scheduler.models import CrisisSpec

        return CrisisSpec
    raise AttributeError(f"module 'scheduler' has no attribute {name!r}")
