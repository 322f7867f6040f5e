"""Domain exceptions. Each carries a one-line message that names the problem and its place.

Each class carries the exit status the CLI gives it, and only the CLI turns them into
exits (README, "Exit codes"): 1 something to look at (`WouldNotPublish`, a network that
said no); 2 bad input, nothing changed (`BadInput`); 3 what the user named by its id
does not exist (`NotFound`); 4 busy or unavailable, nothing changed, try again later
(`Unavailable`).
"""

from __future__ import annotations


class TactfulError(Exception):
    """Base of every error Tactful raises on purpose."""

    #: exit status the CLI uses (1: something failed that a person should look at)
    exit_code = 1


class WouldNotPublish(TactfulError):
    """Not a failure: `tactful check` judged that the policy would stop the draft (hold,
    rewrite, block or pause). Its output has said so and why; the exit status tells a
    script to look."""

    exit_code = 1

    def __init__(self, action: str) -> None:
        super().__init__(f"the crisis policy would {action} this draft, not publish it")
        self.action = action


class BadInput(TactfulError):
    """The user gave something we cannot use; nothing was changed."""

    exit_code = 2


class ConfigError(BadInput):
    """config.yaml (or a file it names) is missing or invalid."""


class WhenError(BadInput):
    """A date/time given by the user does not name one instant."""


class UnknownChannel(BadInput):
    def __init__(self, channel: str, known: list[str]) -> None:
        hint = f"; known channels: {', '.join(known)}" if known else "; config.yaml has none"
        super().__init__(f"unknown channel {channel!r}{hint}")
        self.channel = channel


class ImportRowError(BadInput):
    """A row of a bulk import is invalid; the whole import was refused."""

    def __init__(
        self, path: str, line: int, column: str | None, problem: str, more: int = 0
    ) -> None:
        where = f"{path}:{line}" + (f": column {column!r}" if column else "")
        tail = (
            f" (and {more} more problem{'s' if more != 1 else ''}; nothing was queued)"
            if more
            else " (nothing was queued)"
        )
        super().__init__(f"{where}: {problem}{tail}")
        self.line = line
        self.column = column


class NotFound(TactfulError):
    """What the user named by its id (a post, a crisis) does not exist; nothing changed.

    A name the user typed wrong (an unknown channel or brand) is bad input instead: those
    come from config.yaml, and the message lists the known ones."""

    exit_code = 3


class PostNotFound(NotFound):
    def __init__(self, post_id: int) -> None:
        super().__init__(f"no post with id {post_id}")
        self.post_id = post_id


class InvalidTransition(BadInput):
    """The post is not in a state that allows the requested change."""


class DuplicatePost(BadInput):
    def __init__(self, existing_id: int, where: str = "") -> None:
        prefix = f"{where}: " if where else ""
        super().__init__(
            f"{prefix}post {existing_id} already has this channel, time and text "
            "(cancel it first, or change the text or time)"
        )
        self.existing_id = existing_id


class Unavailable(TactfulError):
    """Busy or out of reach (the database, another import): nothing changed, and the
    same command may work later."""

    exit_code = 4


class ImportInProgress(Unavailable):
    """Another import, still running, is writing one of these posts."""

    def __init__(self, existing_id: int) -> None:
        super().__init__(
            f"post {existing_id} has this channel, time and text and is being written by "
            "another import that is still running; nothing was queued: run this again "
            "when it ends"
        )
        self.existing_id = existing_id


class NoFreeSlot(BadInput):
    """The channel has no posting slots, or none free in the search window."""


class SecretError(ConfigError):
    """A credential named in config.yaml is missing or its file is unsafe."""


class NotifyError(TactfulError):
    """A notification could not be sent (a pass tries it again later)."""

    #: `tactful notify test`: a target did not take its message
    exit_code = 4


def database_problem(exc: BaseException) -> str | None:
    """One line for an error of the database itself (cut, busy, read-only, not a
    database), or None for any other error. Looks at the module first, so that telling
    costs no import of SQLAlchemy."""
    module = type(exc).__module__.split(".")[0]
    if module == "sqlite3":  # raised by our own BEGIN IMMEDIATE loop (store/engine.py)
        cause = str(exc).strip().splitlines()[0]
    elif module == "sqlalchemy":
        from sqlalchemy.exc import DBAPIError

        if not isinstance(exc, DBAPIError):
            return None
        cause = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    else:
        return None
    hint = ""
    if "--wait" in cause:
        hint = ""
    elif "locked" in cause:
        hint = " (another tactful command holds it: try again when it has finished)"
    elif "not a database" in cause:
        hint = " (check `database:` in config.yaml)"
    elif "readonly" in cause or "read-only" in cause:
        hint = " (the database file or its folder is not writable by you)"
    return f"database: {cause}{hint}; nothing was changed"
