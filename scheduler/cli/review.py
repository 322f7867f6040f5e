"""`tactful review ...`: the posts the crisis policy held for a human."""

from __future__ import annotations

from typing import Any

import click
from rich.padding import Padding
from rich.text import Text

from policies.rewrite import text_diff
from scheduler.cli.common import (
    POST_ID,
    App,
    console,
    err,
    json_option,
    local_time,
    pass_app,
    print_json,
    short_time,
)
from scheduler.cli.listing import cap, emit, list_options, note_cap, print_table
from scheduler.models import Post
from scheduler.when import zone


@click.group()
def review() -> None:
    """Approve, edit or reject the posts the crisis policy held.

    \b
    Example:
      tactful review list
      tactful review show 42
      tactful review approve 42 --note "checked with legal"
    """


@review.command("list")
@list_options(100, "posts")
@pass_app
def list_(app: App, limit: int, as_json: bool, as_nl: bool) -> None:
    """Posts waiting for a human, next due first, with why they were held.

    \b
    Example:
      tactful review list
      tactful review list --json
    """
    page = app.review.pending(limit=cap(limit))
    held, total = page.items, page.total
    more = "--limit 0 shows every one"
    if emit([p.to_json() for p in held], total, as_json=as_json, as_nl=as_nl, more=more):
        return
    if not held:
        err("Nothing is waiting for review.")
        return
    tz = zone(app.config.timezone)
    rows = [
        (
            str(p.id),
            p.action,
            short_time(p.due_at, tz),
            p.channel,
            " ".join(p.text.split()),
            _why(p),
        )
        for p in held
    ]
    print_table(
        ("id", "action", "due", "channel", "text", "why"),
        rows,
        keep=3,
        squeeze={"channel": 14, "text": 24},
        zone=tz.key,
    )
    note_cap(len(held), total, more)


def _why(post: Post) -> str:
    """The held reason without its leading action, which has a column of its own."""
    reason = post.status_reason or ""
    return reason.removeprefix(f"{post.action}: ")


@review.command("show")
@click.argument("post_id", type=POST_ID)
@json_option
@pass_app
def show(app: App, post_id: int, as_json: bool) -> None:
    """One held post: its text with the matched words marked, the reasons, the advice,
    and any proposed rewrite as a diff.

    \b
    Example:
      tactful review show 42
    """
    post = app.review.held(post_id, app.now())
    decision = post.decision or {"action": "hold", "reasons": []}
    if as_json:
        print_json({**post.to_json(), "diff": _diff(post, decision)})
        return
    out = console()
    due = local_time(post.due_at, app.config.zone_for(post.channel))
    out.print(
        f"[bold]Post {post.id}[/bold] on {post.channel}, due {due}: "
        f"[bold]{decision['action']}[/bold]"
    )
    out.print(highlighted(post.text, decision))
    for reason in decision.get("reasons", []):
        words = ", ".join(f"'{m['text']}'" for m in reason.get("matches", []))
        out.print(
            f"\n[bold]{reason['rule']}[/bold] ({reason['action']}){': ' + words if words else ''}"
        )
        # wrapped at words, indented under its rule
        out.print(Padding(reason["advice"], (0, 0, 0, 2)), soft_wrap=False)
    if decision.get("proposed_text"):
        out.print("\n[bold]Proposed rewrite[/bold] ([red]removed[/red], [green]added[/green]):")
        out.print(_diff_text(post.text, decision["proposed_text"]))
    out.print(
        "\nApprove, edit or reject: tactful review approve|edit|reject "
        f"{post.id}"
        + (
            " (blocked: approve needs --override --note WHY)"
            if decision["action"] == "block"
            else ""
        )
    )


def highlighted(text: str, decision: dict[str, Any]) -> Text:
    styled = Text(text)
    for reason in decision.get("reasons", []):
        for match in reason.get("matches", []):
            styled.stylize("bold reverse", match["start"], match["end"])
    return styled


def _diff(post: Post, decision: dict[str, Any]) -> str | None:
    proposed = decision.get("proposed_text")
    return text_diff(post.text, proposed) if proposed else None


def _diff_text(old: str, new: str) -> Text:
    out = Text()
    for token in text_diff(old, new).split(" "):
        if token.startswith("[-") and token.endswith("-]"):
            out.append(token[2:-2], style="red strike")
        elif token.startswith("{+") and token.endswith("+}"):
            out.append(token[2:-2], style="green")
        else:
            out.append(token)
        out.append(" ")
    return out


@review.command("approve")
@click.argument("post_id", type=POST_ID)
@click.option("--note", help="Why, for the audit log (required with --override).")
@click.option(
    "--override", is_flag=True, help="Needed to approve a blocked post (for example newsjacking)."
)
@json_option
@pass_app
def approve(app: App, post_id: int, note: str | None, override: bool, as_json: bool) -> None:
    """Let a held post go out as it is (under the crisis as it stands now).

    \b
    Example:
      tactful review approve 42 --note "the word is about our product, not the event"
      tactful review approve 43 --override --note "approved by the CEO after review"
    """
    post = app.review.approve(post_id, override=override, note=note)
    _done(post, "Approved", as_json)


@review.command("edit")
@click.argument("post_id", type=POST_ID)
@click.option("--text", required=True, help="The new text; it is judged again at once.")
@click.option(
    "--tag",
    "-t",
    "tags",
    multiple=True,
    metavar="TAG",
    help="Replace the tags too (repeatable), e.g. when a promotion becomes a service notice.",
)
@json_option
@pass_app
def edit(app: App, post_id: int, text: str, tags: tuple[str, ...], as_json: bool) -> None:
    """Rewrite a held post; if the policy now lets it through it goes back to the queue.

    \b
    Example:
      tactful review edit 42 --text "Our Boylston Street store is closed today."
    """
    post = app.review.edit(post_id, text, tags=list(tags) or None)
    _done(post, "Edited", as_json)


@review.command("reject")
@click.argument("post_id", type=POST_ID)
@click.option("--note", help="Why, for the audit log.")
@json_option
@pass_app
def reject(app: App, post_id: int, note: str | None, as_json: bool) -> None:
    """Cancel a held post for good.

    \b
    Example:
      tactful review reject 42 --note "not appropriate this week"
    """
    _done(app.review.reject(post_id, note=note), "Rejected", as_json)


def _done(post: Post, verb: str, as_json: bool) -> None:
    if as_json:
        print_json(post.to_json())
        return
    where = f" ({post.status_reason})" if post.status_reason else ""
    click.echo(f"{verb} post {post.id}: now {post.status.value}{where}.")
