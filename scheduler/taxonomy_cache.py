"""The sector taxonomy's index, kept between commands.

Every command that reads config.yaml resolves the brands' sectors, and reading the
taxonomy's thousands of names under six stemmers cost most of a command's start-up.
The index is written once to the user's cache folder ($XDG_CACHE_HOME/tactful, else
~/.cache/tactful; JSON, mode 0600) under a key of everything it depends on (the names,
the code that reads them, the stemmers' and Unicode's versions), and read from there afterwards. A
missing, unreadable or stale file is simply rebuilt; nothing depends on it being there.
"""

from __future__ import annotations

import json
import os
import tempfile
import unicodedata
from functools import cache
from pathlib import Path

import Stemmer

import policies.morphology
import policies.normalise
import policies.taxonomy
from policies.taxonomy import Taxonomy


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tactful"


@cache
def _code() -> str:
    """What the index depends on besides the names: the code that reads them."""
    sources = [Path(m.__file__).read_text(encoding="utf-8") for m in
               (policies.taxonomy, policies.normalise, policies.morphology)]
    # the stemmers' rules and Unicode's case and accent tables shape every word read
    return "\n".join([*sources, Stemmer.version(), unicodedata.unidata_version])


def warm(taxonomy: Taxonomy) -> None:
    """Give `taxonomy` its index from the cache, or build it and keep it there."""
    if taxonomy.indexed:
        return
    path = cache_folder() / f"taxonomy-{taxonomy.fingerprint(_code())}.json"
    try:
        taxonomy.use_index(json.loads(path.read_text(encoding="utf-8")))
        return
    except (OSError, ValueError, KeyError, TypeError):
        pass  # not there yet, or not usable: build it
    data = json.dumps(taxonomy.index(), ensure_ascii=False)
    temporary = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".taxonomy-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:  # mkstemp makes it 0600
            out.write(data)
        os.replace(temporary, path)
    except OSError:  # a read-only home: the index is built again next time
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
