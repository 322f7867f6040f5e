"""`tactful post ...`: queue, import, list, show, edit and cancel posts."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from scheduler.cli.common import (
    POST_ID,
    App,
    console,
    err,
    is_terminal,
    json_option,
    local_time,
    pass_app,
    print_json,
    short_time,
)
from scheduler.cli.listing import cap, emit, list_options, note_cap, print_table
from scheduler.models import Post, Status
from scheduler.when import zone

PROGRESS_FROM = 1000
#: how `post add` announces a post the crisis policy stopped the moment it was added
_STOPPED_AS = {
    "block": "blocked",
    "hold": "held for review",
    "rewrite": "held for a rewrite",
    "pause": "paused",
}
_OPTION = {
    "text": "TEXT",
    "channel": "--channel",
    "at": "--at",
    "tags": "--tag",
    "lang": "--lang",
    "expires": "--expires",
    "crisis_text": "--crisis-text",
    "every": "--every",
    "until": "--until",
    "automated": "--automated",
    "media": "--media",
    "alt": "--alt",
}
fold_option = click.option(
    "--fold",
    type=click.Choice(["earlier", "later"]),
    help="For a local time the DST change skips or repeats: take the earlier or the "
    "later of the two possible instants.",
)


@click.group()
def post() -> None:
    """Queue, import, list, show, edit and cancel posts.

    \b
    Example:
      tactful post add "Our autumn menu is here" --channel bakery-outbox --next-slot
      tactful post list --status queued
    """


def _label(field: str) -> str:
    """How an error names a post's field: as the option that sets it."""
    return _OPTION.get(field, field)


@post.command("add")
@click.argument("text")
@click.option(
    "--channel",
    "-c",
    required=True,
    metavar="ID",
    help="Channel id from config.yaml (see `tactful channel list`).",
)
@click.option(
    "--at",
    "at",
    metavar="WHEN",
    help="ISO 8601 (2026-11-24T09:00, with or without +01:00), 'now' or '+2h'. "
    "Without an offset: the brand's time zone.",
)
@click.option("--next-slot", is_flag=True, help="The channel's next free posting slot.")
@click.option(
    "--tag",
    "-t",
    "tags",
    multiple=True,
    metavar="TAG",
    help="promo, service, announcement, evergreen, conversation-starter... (repeatable).",
)
@click.option(
    "--lang", metavar="CODE", help="Language of the text (default: the brand's first language)."
)
@click.option("--expires", metavar="WHEN", help="Drop the post if it cannot go out by then.")
@click.option(
    "--crisis-text", metavar="TEXT", help="A prepared alternative to use during a crisis."
)
@click.option(
    "--automated/--manual",
    default=None,
    help="Whether a machine wrote or recycles it (default: manual, automated with --every).",
)
@click.option("--every", metavar="DURATION", help="Re-queue after each publish, e.g. 14d.")
@click.option("--until", metavar="WHEN", help="Last time a recurring post may go out.")
@click.option(
    "--media",
    "media",
    multiple=True,
    metavar="FILE",
    help="An image to attach: JPEG, PNG, GIF or WebP (repeatable; each needs "
    "an --alt, in the same order).",
)
@click.option(
    "--alt",
    "alts",
    multiple=True,
    metavar="TEXT",
    help="Alt text describing the --media image at the same place (required).",
)
@fold_option
@json_option
@pass_app
def add(
    app: App,
    text: str,
    channel: str,
    at: str | None,
    next_slot: bool,
    tags: tuple[str, ...],
    lang: str | None,
    expires: str | None,
    crisis_text: str | None,
    automated: bool | None,
    every: str | None,
    until: str | None,
    media: tuple[str, ...],
    alts: tuple[str, ...],
    fold: str | None,
    as_json: bool,
) -> None:
    """Queue one post and print its id. TEXT '-' reads the text from stdin.

    \b
    Example:
      tactful post add "Fresh sourdough from 7am" --channel bakery-outbox \\
          --at +1d --tag service
      tactful post add "Tip: keep bread in linen" -c bakery-outbox --next-slot \\
          --every 14d --tag evergreen
      tactful post add "Rye is back" -c bakery-masto --at +2h \\
          --media rye.jpg --alt "A dark rye loaf, sliced, on a wooden board"
    """
    if bool(at) == next_slot:
        raise click.UsageError("give exactly one of --at WHEN or --next-slot")
    created = app.posts.add(
        sys.stdin.read() if text == "-" else text,
        channel,
        at=at,
        next_slot=next_slot,
        tags=tags,
        lang=lang,
        expires=expires,
        crisis_text=crisis_text,
        automated=automated,
        every=every,
        until=until,
        media=media,
        alts=alts,
        fold=fold,
        label=_label,
    )
    post_id = created.id
    if as_json:
        print_json(created.to_json())
        return
    click.echo(post_id)
    when = local_time(created.due_at, app.config.zone_for(created.channel))
    if created.status is Status.QUEUED:
        err(f"Queued post {post_id} on {created.channel} for {when}.")
        return
    # added during a crisis and judged at once: say what the policy did, not "queued"
    verb = _STOPPED_AS.get(created.action, created.status.value)
    err(
        f"Post {post_id} on {created.channel} (due {when}) is {verb} by the crisis "
        f"policy: {created.status_reason}."
    )
    if created.status is Status.HELD:
        err(f"See why and decide: tactful review show {post_id}")


@post.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report; queue nothing.")
@fold_option
@click.option(
    "--date-format",
    metavar="FORMAT",
    help="How the file writes at, expires and until, as strftime codes: "
    "'%d.%m.%Y %H:%M' or '%d/%m/%Y %H:%M' for a day-first spreadsheet "
    "(default: ISO 8601, 2026-11-24T09:00).",
)
@json_option
@pass_app
def import_(
    app: App, file: Path, dry_run: bool, fold: str | None, date_format: str | None, as_json: bool
) -> None:
    """Queue every row of a CSV file, or nothing if any row is wrong.

    Columns: channel, at, text (required); tags, lang, expires, crisis_text, automated,
    every, until (optional). `at` may be next-slot. Values may be separated by commas,
    semicolons or tabs. A row imported before (next-slot rows included) or identical to
    a post already queued is skipped, so re-importing is safe. --dry-run lists each row
    it would queue, with its channel and the time it resolved to. Dates such as
    24.11.2026 are read only with --date-format, which says which number is the day.

    \b
    Example:
      printf 'channel,at,text,tags\\nbakery-outbox,2027-03-01T07:00,Rye is back,promo\\n' > week.csv
      tactful post import week.csv --dry-run
      tactful post import week.csv
      tactful post import export.csv --date-format '%d.%m.%Y %H:%M'
    """
    done = app.posts.import_csv(file, dry_run=dry_run, date_format=date_format, progress=_progress)
    if as_json:
        print_json(done.to_json())
        return
    verb = "Would queue" if dry_run else "Queued"
    count = len(done.rows)
    click.echo(
        f"{verb} {count} post{'s' if count != 1 else ''} "
        f"from {file}{':' if dry_run and count else '.'}"
    )
    if dry_run:
        for line, new in done.rows:
            first = new.text.splitlines()[0] if new.text else ""
            more = "..." if len(first) > 50 or first != new.text else ""
            click.echo(
                f"  line {line}: {new.channel}, "
                f"{local_time(new.due_at, app.config.zone_for(new.channel))}: "
                f"{first[:50]}{more}"
            )
    if done.already_queued:
        sample = ", ".join(f"line {ln} = post {pid}" for ln, pid in done.already_queued[:5])
        click.echo(
            f"Skipped {len(done.already_queued)} row(s) already queued ({sample}"
            f"{', ...' if len(done.already_queued) > 5 else ''})."
        )


@contextmanager
def _progress(total: int) -> Iterator:
    if total < PROGRESS_FROM or not is_terminal():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("queueing"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console(stderr=True), transient=True) as bar:
        task = bar.add_task("queue", total=total)
        yield lambda n: bar.advance(task, n)


@post.command("list")
@click.option(
    "--status",
    "-s",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in Status if s is not Status.STAGED]),
    help="Only these statuses (repeatable).",
)
@click.option("--brand", "-b", "brands", multiple=True, metavar="ID", help="Only this brand.")
@click.option("--channel", "-c", "channels", multiple=True, metavar="ID", help="Only this channel.")
@click.option("--since", metavar="WHEN", help="Only posts due at or after WHEN (history too).")
@click.option(
    "--until", "--due-before", "until", metavar="WHEN", help="Only posts due before WHEN."
)
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Every post, history too (published, cancelled, dead...), no cap.",
)
@list_options(100, "posts")
@pass_app
def list_(
    app: App,
    statuses: tuple[str, ...],
    brands: tuple[str, ...],
    channels: tuple[str, ...],
    since: str | None,
    until: str | None,
    everything: bool,
    limit: int,
    as_json: bool,
    as_nl: bool,
) -> None:
    """List what is upcoming (queued, held, paused, failed...), next due first.

    History (published, cancelled, dead, expired) shows with --all, --since or --status.
    Times are in the brand's zone when the list is one brand's, else in config.yaml's.

    \b
    Example:
      tactful post list --brand bakery
      tactful post list --since -7d --status published
      tactful post list --until +1d --json
      tactful post list --all --nl | jq .text
    """
    page = app.posts.list(
        statuses=statuses,
        brands=brands,
        channels=channels,
        since=since,
        until=until,
        history=everything,
        limit=None if everything else cap(limit),
    )
    posts, total = page.items, page.total
    more = "--limit 0 or --all shows every one"
    if emit([p.to_json() for p in posts], total, as_json=as_json, as_nl=as_nl, more=more):
        return
    _print_table(app, posts, one_brand=brands[0] if len(brands) == 1 else None)
    note_cap(len(posts), total, more)


def _print_table(app: App, posts: list[Post], one_brand: str | None) -> None:
    if not posts:
        err("No posts match.")
        return
    shown = {p.brand for p in posts}
    brand = one_brand or (next(iter(shown)) if len(shown) == 1 else None)
    tz = app.config.brand_zone(app.config.brand(brand)) if brand else zone(app.config.timezone)
    rows = [
        (
            str(p.id),
            p.status.value,
            short_time(p.due_at, tz),
            p.channel,
            ",".join(p.tags),
            " ".join(p.text.split()),
        )
        for p in posts
    ]
    print_table(
        ("id", "status", "due", "channel", "tags", "text"),
        rows,
        keep=3,
        squeeze={"channel": 16, "tags": 12},
        zone=tz.key,
    )


@post.command("show")
@click.argument("post_id", type=POST_ID)
@json_option
@pass_app
def show(app: App, post_id: int, as_json: bool) -> None:
    """Show one post in full, with its audit trail.

    \b
    Example:
      tactful post show 42
    """
    p = app.posts.get(post_id)
    events = app.posts.audit(post_id, limit=None).items
    if as_json:
        print_json({**p.to_json(), "audit": [e.to_json() for e in events]})
        return
    tz = app.config.zone_for(p.channel)
    rows = [
        ("post", str(p.id)),
        ("status", p.status.value + (f" ({p.status_reason})" if p.status_reason else "")),
        ("brand", p.brand),
        ("channel", p.channel),
        ("due", local_time(p.due_at, tz)),
        ("tags", ", ".join(p.tags) or "-"),
        ("lang", p.lang or "-"),
        ("automated", "yes" if p.automated else "no"),
        ("expires", local_time(p.expires_at, tz)),
        ("every", str(p.every) if p.every else "-"),
        ("attempts", str(p.attempts)),
        ("remote id", p.remote_id or "-"),
        ("url", p.remote_url or "-"),
        ("last error", p.last_error or "-"),
        ("crisis text", p.crisis_text or "-"),
    ]
    for name, value in rows:
        click.echo(f"{name:>12}: {value}")
    click.echo(f"\n{p.text}\n")
    for e in events:
        move = f"{e.from_status or '-'} -> {e.to_status or '-'}"
        click.echo(
            f"  {local_time(e.at, tz)}  {e.actor:<24} {e.action:<8} {move}"
            f"{'  ' + e.reason if e.reason else ''}"
        )


@post.command("edit")
@click.argument("post_id", type=POST_ID)
@click.option("--text", help="New text ('-' reads stdin).")
@click.option(
    "--at",
    "at",
    metavar="WHEN",
    help="New time: a date and time, 'now', or a shift from the post's own time "
    "('+2h' later, '-30m' earlier).",
)
@click.option(
    "--tag", "-t", "tags", multiple=True, metavar="TAG", help="Replace the tags (repeatable)."
)
@click.option("--expires", metavar="WHEN", help="New expiry.")
@click.option("--crisis-text", metavar="TEXT", help="New crisis alternative.")
@fold_option
@json_option
@pass_app
def edit(
    app: App,
    post_id: int,
    text: str | None,
    at: str | None,
    tags: tuple[str, ...],
    expires: str | None,
    crisis_text: str | None,
    fold: str | None,
    as_json: bool,
) -> None:
    """Change a post that has not gone out yet (queued, paused, held or failed).

    \b
    Example:
      tactful post edit 42 --text "Rye is back tomorrow" --at +1d
      tactful post edit 42 --at +2h        # two hours later than it was
    """
    changed = app.posts.edit(
        post_id,
        text=sys.stdin.read() if text == "-" else text,
        at=at,
        tags=tags,
        expires=expires,
        crisis_text=crisis_text,
        fold=fold,
        label=_label,
    )
    if at and not as_json:
        click.echo(
            f"Edited post {changed.id} ({changed.status.value}): now due "
            f"{local_time(changed.due_at, app.config.zone_for(changed.channel))}."
        )
        return
    _done(changed, "Edited", as_json)


@post.command("retract")
@click.argument("post_id", type=POST_ID)
@click.option("--note", help="Why, for the audit log.")
@json_option
@pass_app
def retract(app: App, post_id: int, note: str | None, as_json: bool) -> None:
    """Delete a published post from its network (Mastodon, Bluesky): for the post that
    went out just before the news. Refused where the network cannot delete (email, the
    outbox, webhooks).

    \b
    Example:
      tactful post retract 42 --note "went out an hour after the flood warning"
    """
    _done(app.posts.retract(post_id, note), "Retracted", as_json)


@post.command("cancel")
@click.argument("post_id", type=POST_ID)
@click.option(
    "--note",
    "--reason",
    "note",
    default="cancelled by a human",
    show_default=True,
    help="Why, for the audit log (--reason is the older name).",
)
@json_option
@pass_app
def cancel(app: App, post_id: int, note: str, as_json: bool) -> None:
    """Cancel a post for good (it will never go out).

    \b
    Example:
      tactful post cancel 42 --note "offer withdrawn"
    """
    _done(app.posts.cancel(post_id, note), "Cancelled", as_json)


@post.command("retry")
@click.argument("post_id", type=POST_ID)
@click.option(
    "--at", "at", metavar="WHEN", default="now", show_default=True, help="When to try again."
)
@click.option("--note", help="Why, for the audit log.")
@fold_option
@json_option
@pass_app
def retry(
    app: App, post_id: int, at: str, note: str | None, fold: str | None, as_json: bool
) -> None:
    """Send a stopped post back to the queue: held, failed, dead, paused, or unknown
    once you have checked that it did not go out.

    \b
    Example:
      tactful post retry 42                    # missed its time: send it now
      tactful post retry 43 --at +1h --note "network back up"
    """
    _done(app.posts.retry(post_id, at=at, note=note, fold=fold), "Re-queued", as_json)


@post.command("mark-published")
@click.argument("post_id", type=POST_ID)
@click.option("--remote-id", metavar="ID", help="The network's id of the post, if known.")
@json_option
@pass_app
def mark_published(app: App, post_id: int, remote_id: str | None, as_json: bool) -> None:
    """Record that an `unknown` post did go out (you checked the network).

    \b
    Example:
      tactful post mark-published 43 --remote-id 1098234
    """
    _done(app.posts.mark_published(post_id, remote_id), "Marked", as_json)


def _done(p: Post, verb: str, as_json: bool) -> None:
    if as_json:
        print_json(p.to_json())
    else:
        click.echo(f"{verb} post {p.id} ({p.status.value}).")
