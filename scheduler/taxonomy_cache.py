"""The sector taxonomy's index, kept between commands.

Every command that reads config.yaml resolves the brands' sectors, and reading the
taxonomy's thousands of names under six stemmers cost most of a command's start-up.
The index is written once to the user's cache folder ($XDG_CACHE_HOME/tactful, else
~/.cache/tactful; JSON, mode 0600) under a key of everything it depends on (the names,
the code that reads them, the stemmers' and Unicode's versions), and read from there afterwards. A
missing, unreadable or stale file is simply rebuilt; nothing depends on it being there.

Beside it, for each playbook as its files are now: that it was read and found valid,
and which typed sectors resolve under it, so that a command that only needs config.yaml
to be valid need not read the playbook at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import pydantic
import Stemmer
import yaml

import policies.morphology
import policies.normalise
import policies.playbook
import policies.taxonomy
import policies.yaml_text
from policies.taxonomy import Taxonomy


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tactful"


@cache
def _code() -> str:
    """What the index depends on besides the names: the code that reads them."""
    sources = [
        Path(m.__file__).read_text(encoding="utf-8")
        for m in (policies.taxonomy, policies.normalise, policies.morphology)
    ]
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
    _keep(path, json.dumps(taxonomy.index(), ensure_ascii=False))


def checked_sectors(files: Sequence[Path]) -> frozenset[str] | None:
    """The typed sectors already found to resolve under the playbook read from `files`
    (in the order they are read), or None when that playbook, as those files are now,
    was never read and found valid here. Lets a command that only needs config.yaml to
    be valid skip reading the playbook (a tenth of a second or more, every command)."""
    path = _checked_path(files)
    if path is None:
        return None
    try:
        return frozenset(json.loads(path.read_text(encoding="utf-8"))["sectors"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember_checked(files: Sequence[Path], sectors: Iterable[str]) -> None:
    """The playbook read from `files` is valid, and `sectors` resolve under it."""
    path = _checked_path(files)
    if path is None:
        return
    known = checked_sectors(files) or frozenset()
    if known.issuperset(sectors) and path.exists():
        return
    _keep(path, json.dumps({"sectors": sorted(known.union(sectors))}, ensure_ascii=False))


def _checked_path(files: Sequence[Path]) -> Path | None:
    digest = hashlib.sha256(_code().encode())
    digest.update(_playbook_code().encode())
    try:
        for file in files:
            digest.update(f"\0{file}\0{_file_digest(file)}".encode())
    except OSError:
        return None  # a file that cannot be read: the playbook is read, and says why
    return cache_folder() / f"checked-{digest.hexdigest()[:32]}.json"


_digests: dict[tuple[str, int, int], str] = {}


def _file_digest(file: Path) -> str:
    """The hash of a file's bytes, worked out once per process while its size and time
    stay the same (a config of many brands asks for the default playbook's each time)."""
    info = file.stat()
    key = (str(file), info.st_mtime_ns, info.st_size)
    found = _digests.get(key)
    if found is None:
        found = _digests[key] = hashlib.sha256(file.read_bytes()).hexdigest()
    return found


@cache
def _playbook_code() -> str:
    """What a playbook's validity depends on besides its files."""
    sources = [
        Path(m.__file__).read_text(encoding="utf-8")
        for m in (policies.playbook, policies.yaml_text)
    ]
    return "\n".join([*sources, pydantic.VERSION, yaml.__version__])


def _keep(path: Path, data: str) -> None:
    """Write `data` to `path` whole (a reader sees the old file or the new), 0600."""
    temporary = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tactful-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:  # mkstemp makes it 0600
            out.write(data)
        os.replace(temporary, path)
    except OSError:  # a read-only home: the work is done again next time
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
