"""`tactful post ...` through the real CLI (in-process), on a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import Cli, base_config, listed, refused, write_config

pytestmark = pytest.mark.cli


def snapshot(folder: Path) -> list:
    """Every row of every table, to prove a refused command changed nothing."""
    db = folder / "tactful.db"
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return [(t, conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()) for t in tables]


def future(days=1, hour=9) -> str:
    day = datetime.now(UTC).date() + timedelta(days=days)
    return f"{day}T{hour:02d}:00"


def test_add_prints_the_id_and_list_shows_it(cli: Cli):
    result = cli(
        "post",
        "add",
        "Fresh bread",
        "--channel",
        "kvasek-outbox",
        "--at",
        future(),
        "--tag",
        "Service",
        "--tag",
        "#promo",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "1"
    assert "Queued post 1 on kvasek-outbox" in result.stderr
    posts = listed(cli)
    assert [(p["id"], p["tags"], p["lang"], p["status"]) for p in posts] == [
        (1, ["service", "promo"], "cs", "queued")
    ]
    table = cli("post", "list").stdout
    assert "Fresh bread" in table and "kvasek-outbox" in table


def test_add_reads_local_time_in_the_brand_zone(cli: Cli):
    july = datetime.now(UTC).year + 1
    result = cli("post", "add", "x", "-c", "stride-outbox", "--at", f"{july}-07-01T09:00")
    assert result.exit_code == 0, result.output
    [post] = listed(cli)
    assert post["due_at"] == f"{july}-07-01T13:00:00+00:00"  # 09:00 EDT


def test_next_slot_takes_free_slots_in_turn(cli: Cli):
    ids = [
        cli("post", "add", f"p{i}", "-c", "kvasek-outbox", "--next-slot").stdout.strip()
        for i in range(3)
    ]
    posts = listed(cli)
    prague = ZoneInfo("Europe/Prague")
    dues = [datetime.fromisoformat(p["due_at"]).astimezone(prague) for p in posts]
    assert [str(p["id"]) for p in posts] == ids
    assert {(d.hour, d.minute) for d in dues} == {(7, 0)}
    days = [d.date() for d in dues]
    assert days[1] - days[0] == timedelta(days=1) == days[2] - days[1]


def test_recurring_add_is_automated_by_default(cli: Cli):
    cli(
        "post",
        "add",
        "tip",
        "-c",
        "kvasek-outbox",
        "--at",
        future(),
        "--every",
        "14d",
        "--until",
        future(60),
    )
    [post] = listed(cli)
    assert post["every_seconds"] == 14 * 86400 and post["automated"] is True


@pytest.mark.parametrize(
    "args, message",
    [
        (["-c", "nope", "--at", "now"], "--channel: unknown channel 'nope' (known: stride-outbox"),
        (
            ["-c", "stride-outbox", "--at", "2027-03-14T02:30"],
            "--at '2027-03-14T02:30': 2027-03-14 02:30 does not exist in America/New_York",
        ),
        (["-c", "stride-outbox", "--at", "2027-11-07T01:30"], "happens twice in America/New_York"),
        (["-c", "stride-outbox", "--at", "2027-02-29T09:00"], "no such date"),
        (["-c", "stride-outbox", "--at", "2020-01-01T09:00"], "is in the past"),
        (["-c", "stride-hook", "--next-slot"], "channel 'stride-hook' has no posting slots"),
        (["-c", "stride-outbox", "--at", "now", "--every", "5m"], "too often"),
        (
            ["-c", "stride-outbox", "--at", "+1d", "--expires", "+1h"],
            "is not after the post's time",
        ),
        (["-c", "stride-outbox", "--at", "now", "--lang", "english!"], "is not a language code"),
        (["-c", "stride-outbox", "--at", "now", "--tag", "zorbulate"], "unknown tag 'zorbulate'"),
        (["-c", "stride-outbox"], "give exactly one of --at WHEN or --next-slot"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_changes_nothing(cli: Cli, tmp_path, args, message):
    cli("post", "add", "seed", "-c", "kvasek-outbox", "--at", future())  # a db to protect
    before = snapshot(tmp_path)
    result = cli("post", "add", "Hello", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    if "exactly one" not in message:  # click's own usage errors add a usage line
        assert result.stderr.strip().count("\n") == 0
    assert snapshot(tmp_path) == before


def test_a_duplicate_add_is_refused(cli: Cli):
    at = future()
    cli("post", "add", "Same", "-c", "kvasek-outbox", "--at", at)
    result = cli("post", "add", "Same", "-c", "kvasek-outbox", "--at", at)
    assert result.exit_code == 2
    assert "post 1 already has this channel, time and text" in result.stderr


def test_a_broken_config_exits_2_naming_the_line(tmp_path):
    data = base_config()
    data["brands"][0]["channels"][0]["kind"] = "carrier-pigeon"
    result = Cli(write_config(tmp_path, data))("post", "list")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")
    assert (
        ": brands[0].channels[0].kind: must be one of outbox, webhook, mastodon, "
        "bluesky, email (got 'carrier-pigeon')"
    ) in result.stderr
    assert not (tmp_path / "tactful.db").exists()


def test_show_edit_cancel_and_audit(cli: Cli):
    cli("post", "add", "Draft", "-c", "stride-outbox", "--at", future())
    edited = json.loads(cli("post", "edit", "1", "--text", "Final", "--json").stdout)
    assert edited["text"] == "Final"
    shown = json.loads(cli("post", "show", "1", "--json").stdout)
    assert [e["action"] for e in shown["audit"]] == ["create", "edit"]
    assert "Final" in cli("post", "show", "1").stdout
    assert cli("post", "cancel", "1", "--reason", "offer withdrawn").exit_code == 0
    again = cli("post", "cancel", "1")
    assert again.exit_code == 2 and "post 1 is cancelled" in again.stderr
    events = json.loads(cli("audit", "--post", "1", "--json").stdout)["items"]
    assert events[-1]["reason"] == "offer withdrawn" and events[-1]["actor"] == "tester"


def test_showing_a_post_that_does_not_exist_exits_3(cli: Cli):
    cli("post", "add", "Draft", "-c", "stride-outbox", "--at", future())
    result = cli("post", "show", "99")
    assert result.exit_code == 3
    assert (result.stdout, result.stderr) == ("", "Error: no post with id 99\n")


@pytest.mark.parametrize(
    "args",
    [
        ["post", "edit", "99", "--text", "Final"],
        ["post", "edit", "99", "--at", "+2h"],
        ["post", "cancel", "99"],
        ["post", "retry", "99"],
        ["post", "mark-published", "99"],
        ["post", "retract", "99"],
        ["audit", "--post", "99"],
    ],
)
def test_changing_a_post_that_does_not_exist_exits_3_and_changes_nothing(cli: Cli, tmp_path, args):
    cli("post", "add", "Draft", "-c", "stride-outbox", "--at", future())
    before = snapshot(tmp_path)
    result = cli(*args)
    assert result.exit_code == 3, result.output
    assert result.stderr == "Error: no post with id 99\n"
    assert snapshot(tmp_path) == before


def test_a_channel_name_that_does_not_exist_is_still_bad_input_not_not_found(cli: Cli):
    # a name comes from config.yaml, and the message lists the known ones: a typo, exit 2
    assert "unknown channel 'nope'" in refused(cli, "post", "list", "--channel", "nope")
    assert "unknown brand 'nope'" in refused(cli, "post", "list", "--brand", "nope")


def test_list_filters(cli: Cli):
    cli("post", "add", "a", "-c", "stride-outbox", "--at", future(1))
    cli("post", "add", "b", "-c", "kvasek-outbox", "--at", future(3))

    def texts(*args):
        return [p["text"] for p in listed(cli, *args)]

    assert texts("--brand", "kvasek") == ["b"]
    assert texts("--channel", "stride-outbox") == ["a"]
    assert texts("--due-before", "+2d") == ["a"]
    assert texts("--status", "published") == []
    bad = cli("post", "list", "--channel", "nope")
    assert bad.exit_code == 2 and "unknown channel 'nope'" in bad.stderr


def test_daemon_once_publishes_and_reports(cli: Cli, tmp_path):
    cli("post", "add", "now!", "-c", "stride-outbox", "--at", "now")
    result = cli("daemon", "--once", "--json")
    report = json.loads(result.stdout)
    assert report["published"] == 1
    lines = (tmp_path / "outbox" / "stride.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["text"] == "now!"
    assert cli("daemon", "--once").stdout.strip() == "Dispatch pass: nothing due."


def test_print_cron(cli: Cli, config_file: Path):
    [line] = [x for x in cli("daemon", "--print-cron").stdout.splitlines() if not x.startswith("#")]
    assert line.startswith("* * * * * ") and line.endswith("2>&1")
    assert f"TACTFUL_CONFIG={config_file.resolve()} exec " in line
    assert " daemon --once >> " in line


def test_db_upgrade_and_status(cli: Cli):
    assert "upgraded from empty to" in cli("db", "upgrade").stdout
    assert "already at revision" in cli("db", "upgrade").stdout
    assert "up to date" in cli("db", "status").stdout


def test_channel_list_and_config_check(cli: Cli):
    channels = json.loads(cli("channel", "list", "--json").stdout)
    assert {c["id"]: c["kind"] for c in channels} == {
        "stride-outbox": "outbox",
        "stride-hook": "webhook",
        "kvasek-outbox": "outbox",
    }
    assert all(c["next_slot"] for c in channels if c["kind"] == "outbox")
    assert ": OK (2 brands, 3 channels" in cli("config", "check").stdout


def test_retry_and_mark_published_close_the_loop_for_stopped_posts(cli: Cli, tmp_path):
    from scheduler.store import Store

    cli("post", "add", "late one", "-c", "stride-outbox", "--at", future())
    cli("post", "add", "unsure one", "-c", "stride-outbox", "--at", future(hour=10))
    store = Store.open(f"sqlite:///{tmp_path / 'tactful.db'}")
    with store.write() as conn:  # as the dispatcher would leave them
        conn.exec_driver_sql("UPDATE posts SET status='held' WHERE id=1")
        conn.exec_driver_sql("UPDATE posts SET status='unknown' WHERE id=2")
    store.close()
    retried = json.loads(cli("post", "retry", "1", "--json").stdout)
    assert retried["status"] == "queued" and retried["attempts"] == 0
    marked = json.loads(cli("post", "mark-published", "2", "--remote-id", "X1", "--json").stdout)
    assert (marked["status"], marked["remote_id"]) == ("published", "X1")
    again = cli("post", "mark-published", "1")
    assert again.exit_code == 2 and "post 1 is queued; only a post that is unknown" in again.stderr
    assert cli("post", "retry", "2").exit_code == 2
    actions = [e["action"] for e in json.loads(cli("audit", "--json").stdout)["items"]]
    assert actions[-2:] == ["retry", "confirm"]


def test_edit_at_plus_two_hours_moves_the_post_from_its_own_time_and_says_when(cli: Cli):
    cli("post", "add", "Rye is back", "-c", "stride-outbox", "--at", future(3, 9))
    before = json.loads(cli("post", "show", "1", "--json").stdout)["due_at"]
    result = cli("post", "edit", "1", "--at", "+2h")
    assert result.exit_code == 0, result.stderr
    after = json.loads(cli("post", "show", "1", "--json").stdout)["due_at"]
    assert datetime.fromisoformat(after) - datetime.fromisoformat(before) == timedelta(hours=2)
    # said in the brand's own time zone (stride: America/New_York)
    local = datetime.fromisoformat(after).astimezone(ZoneInfo("America/New_York"))
    assert result.stdout.strip() == (
        f"Edited post 1 (queued): now due {local:%a %Y-%m-%d %H:%M %Z}."
    )
    cli("post", "edit", "1", "--at", "-30m")
    moved = json.loads(cli("post", "show", "1", "--json").stdout)["due_at"]
    assert datetime.fromisoformat(moved) == datetime.fromisoformat(after) - timedelta(minutes=30)
    # a shift that lands in the past is refused, like any time in the past
    error = refused(cli, "post", "edit", "1", "--at", "-10d")
    assert "'-10d' is in the past" in error
    assert "not a duration" in refused(cli, "post", "edit", "1", "--at", "+2 hours")
