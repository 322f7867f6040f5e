"""Bulk import of posts from CSV: every row is checked before anything is queued.

Columns: channel, at, text (required), tags, lang, expires, crisis_text, automated,
every, until. A row identical to a live post (same channel, time and text) is skipped,
so importing the same file twice queues nothing twice.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from scheduler.drafting import Draft, Drafting, FieldError, is_next_slot, split_tags
from scheduler.errors import BadInput, ImportRowError
from scheduler.models import NewPost

COLUMNS = (
    "channel",
    "at",
    "text",
    "tags",
    "lang",
    "expires",
    "crisis_text",
    "automated",
    "every",
    "until",
    "media",
    "alt",
)
#: several images (and their alt texts) in one cell are separated by this
MEDIA_SEPARATOR = "|"
REQUIRED = ("channel", "at", "text")
#: the columns that hold a time, read with --date-format when one is given
TIME_COLUMNS = ("at", "expires", "until")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


@dataclass
class ImportPlan:
    """What an import would do: the posts to queue, and rows already queued before."""

    posts: list[NewPost] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    already_queued: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class _Problem:
    line: int
    column: str | None
    message: str


def plan_import(
    path: Path,
    drafting: Drafting,
    existing: Callable[[Collection[str]], dict[str, int]],
    imported: Callable[[Collection[str]], dict[str, int]] = lambda _: {},
    date_format: str | None = None,
) -> ImportPlan:
    """Read and check the whole file; raise ImportRowError for the first bad row.

    `existing` finds live posts by content key (channel, time, text); `imported` finds
    posts by the key of the row that made them (`row_keys`): a row imported before is
    skipped before it is read, so a `next-slot` row does not take a second slot.
    `date_format` (strptime) reads the time columns as a spreadsheet wrote them, such
    as day-first `%d.%m.%Y %H:%M`; without it they must be ISO 8601 (or relative)."""
    rows = _records(path)
    header = _header(path, rows)
    plan = ImportPlan()
    problems: list[_Problem] = []
    first_line_of: dict[str, int] = {}
    body = [(line, values) for line, values in rows[1:] if any(v.strip() for v in values)]
    keys = row_keys(header, body)
    seen = imported(list(keys.values()))
    plan.already_queued = [(line, seen[keys[line]]) for line, _ in body if keys[line] in seen]
    body = [(line, values) for line, values in body if keys[line] not in seen]
    for line, values in _fixed_times_first(header, body):
        try:
            post = replace(
                _row_post(drafting, header, values, path.parent, date_format), import_key=keys[line]
            )
        except _RowError as exc:
            problems.append(_Problem(line, exc.column, exc.message))
            continue
        if post.key in first_line_of:
            problems.append(
                _Problem(
                    line, None, f"same channel, time and text as line {first_line_of[post.key]}"
                )
            )
            continue
        first_line_of[post.key] = line
        plan.posts.append(post)
        plan.lines.append(line)
    if problems:
        first = min(problems, key=lambda p: p.line)
        raise ImportRowError(
            str(path), first.line, first.column, first.message, more=len(problems) - 1
        )
    in_file_order = sorted(zip(plan.lines, plan.posts, strict=True), key=lambda lp: lp[0])
    plan.lines = [line for line, _ in in_file_order]
    plan.posts = [post for _, post in in_file_order]
    plan = _skip_already_queued(plan, existing)
    plan.already_queued.sort()
    return plan


def row_keys(header: list[str], body: list[tuple[int, list[str]]]) -> dict[int, str]:
    """A key for each row (by line) of what it says: its cells by column name, stripped,
    and which repeat of an identical row it is (two identical rows are two posts, and
    stay two on a re-import). Where the row is in the file does not count: rows may be
    added, moved or sorted between imports."""
    keys: dict[int, str] = {}
    repeats: dict[str, int] = {}
    for line, values in body:
        cells = sorted(zip(header, (v.strip() for v in values), strict=False))
        content = json.dumps(cells, ensure_ascii=False)
        repeats[content] = repeats.get(content, 0) + 1
        digest = hashlib.sha256(f"{content}\0{repeats[content]}".encode())
        keys[line] = digest.hexdigest()[:32]
    return keys


def _fixed_times_first(
    header: list[str], body: list[tuple[int, list[str]]]
) -> list[tuple[int, list[str]]]:
    """Rows with a fixed time claim their slots before next-slot rows look for free ones."""
    at = header.index("at")
    return sorted(body, key=lambda row: is_next_slot(row[1][at] if at < len(row[1]) else ""))


def _skip_already_queued(
    plan: ImportPlan, existing: Callable[[Collection[str]], dict[str, int]]
) -> ImportPlan:
    found = existing([p.key for p in plan.posts])
    if not found:
        return plan
    kept = ImportPlan(already_queued=plan.already_queued)
    for post, line in zip(plan.posts, plan.lines, strict=True):
        if post.key in found:
            kept.already_queued.append((line, found[post.key]))
        else:
            kept.posts.append(post)
            kept.lines.append(line)
    return kept


class _RowError(Exception):
    def __init__(self, column: str | None, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def _row_post(
    drafting: Drafting,
    header: list[str],
    values: list[str],
    folder: Path,
    date_format: str | None = None,
) -> NewPost:
    if len(values) != len(header):
        raise _RowError(
            None,
            f"{len(values)} values but the header names "
            f"{len(header)} columns (a stray comma, or an unquoted text?)",
        )
    cells = dict(zip(header, values, strict=True))
    if date_format:
        cells |= {
            column: _iso(cells[column], column, date_format)
            for column in TIME_COLUMNS
            if cells.get(column, "").strip()
        }
    for column in REQUIRED:
        if not cells[column].strip():
            raise _RowError(column, "empty, but required")
    draft = Draft(
        text=cells["text"],
        channel=cells["channel"].strip(),
        at=cells["at"],
        tags=split_tags(cells.get("tags", "")),
        lang=cells.get("lang") or None,
        expires=cells.get("expires") or None,
        crisis_text=cells.get("crisis_text") or None,
        automated=_flag(cells.get("automated", "")),
        every=cells.get("every") or None,
        until=cells.get("until") or None,
        # image paths are read from the CSV file's folder, as a spreadsheet beside its
        # pictures would have them
        media=[str(folder / p.strip()) for p in _cells(cells.get("media", ""))],
        alts=_cells(cells.get("alt", "")),
    )
    try:
        return drafting.build(draft)
    except FieldError as exc:
        raise _RowError(exc.field, _without_label(str(exc), exc.field)) from None
    except BadInput as exc:
        raise _RowError(None, str(exc)) from None


def _iso(cell: str, column: str, date_format: str) -> str:
    """A time written as `date_format` says, as ISO 8601 (still local to the brand, so
    the daylight-saving checks apply); relative times and next-slot pass as they are."""
    value = cell.strip()
    if value.lower() == "now" or value.startswith(("+", "-")) or is_next_slot(value):
        return value
    try:
        return datetime.strptime(value, date_format).isoformat(timespec="minutes")
    except ValueError:
        raise _RowError(column, f"{value!r} does not match --date-format {date_format!r}") from None


def _cells(cell: str) -> list[str]:
    return (
        [part for part in (p.strip() for p in cell.split(MEDIA_SEPARATOR)) if part]
        if cell.strip()
        else []
    )


def _without_label(message: str, column: str) -> str:
    return message.removeprefix(f"column {column!r}").lstrip(": ").strip()


def _flag(cell: str) -> bool | None:
    value = cell.strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _RowError("automated", f"{cell!r} is not true or false")


def _records(path: Path) -> list[tuple[int, list[str]]]:
    """(first line number, values) of each CSV record; a quoted text may span lines."""
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    records: list[tuple[int, list[str]]] = []
    next_line = 1
    try:
        for values in reader:
            records.append((next_line, values))
            next_line = reader.line_num + 1
    except csv.Error as exc:
        raise ImportRowError(str(path), next_line, None, f"not valid CSV ({exc})") from None
    return records


#: what separates a CSV file's values: commas, or semicolons (what Excel writes where the
#: comma is the decimal sign, as in most of Europe), or tabs (pasted from a sheet)
DELIMITERS = (",", ";", "\t")


def _delimiter(text: str) -> str:
    """The delimiter under which the header line names the most known columns (a comma
    when none does better: the error then names the header as written)."""
    first = text.split("\n", 1)[0]

    def known(delimiter: str) -> int:
        try:
            names = next(csv.reader([first], delimiter=delimiter), [])
        except csv.Error:
            return 0
        return sum(name.strip().lower() in COLUMNS for name in names)

    return max(DELIMITERS, key=known)  # max keeps the first of equals: the comma


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path}: file not found") from None
    except OSError as exc:
        raise BadInput(f"{path}: cannot read ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRowError(
            str(path), line, None, "not UTF-8 text (save the file as CSV UTF-8)"
        ) from None


def _header(path: Path, rows: list[tuple[int, list[str]]]) -> list[str]:
    if not rows:
        raise ImportRowError(
            str(path),
            1,
            None,
            f"the file is empty; the first line must name the columns "
            f"({', '.join(REQUIRED)} at least)",
        )
    header = [h.strip().lower() for h in rows[0][1]]
    for name in header:
        if name not in COLUMNS:
            near = difflib.get_close_matches(name, COLUMNS, n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}? " if near else ""
            raise ImportRowError(
                str(path), 1, name, f"unknown column; {hint}known columns: {', '.join(COLUMNS)}"
            )
        if header.count(name) > 1:
            raise ImportRowError(str(path), 1, name, "named twice")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportRowError(
            str(path), 1, None, f"the header lacks the required column(s) {', '.join(missing)}"
        )
    return header
