"""`tactful calendar export` through the CLI, read back with the icalendar library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from tests.conftest import BOSTON, Cli, base_config, listed, refused, write_config

pytestmark = pytest.mark.cli


@pytest.fixture
def cli(tmp_path) -> Cli:
    data = base_config()
    data["brands"][0]["crisis_alternative"] = {"en": "We support the One Fund."}
    return Cli(write_config(tmp_path, data))


def add(cli: Cli, text: str, channel: str, at: str = "+2h", *extra: str) -> int:
    result = cli("post", "add", text, "-c", channel, "--at", at, *extra)
    assert result.exit_code == 0, result.output
    return int(result.stdout)


@pytest.fixture
def queue(cli: Cli) -> dict[str, int]:
    """Posts in every state a calendar shows differently."""
    ids = {
        "promo": add(
            cli, "Killer deal: 30% off race-day singlets!", "stride-outbox", "+2h", "--tag", "promo"
        ),
        "starter": add(
            cli,
            "What's your favourite long run?",
            "stride-outbox",
            "+3h",
            "--tag",
            "conversation-starter",
            "--automated",
        ),
        "plain": add(
            cli,
            "Trail report: the river path is muddy today and the lower bridge "
            "stays closed until the water goes down",
            "stride-outbox",
            "+4h",
        ),
        "bread": add(
            cli, "Čerstvý chléb; od 7:00, i v neděli", "kvasek-outbox", "+1d", "--tag", "service"
        ),
        "dropped": add(cli, "Old offer", "kvasek-outbox", "+2d"),
        "sent": add(cli, "Doors open", "kvasek-outbox", "now"),
    }
    assert cli("daemon", "--once").exit_code == 0
    cli("post", "cancel", str(ids["dropped"]), "--reason", "offer withdrawn")
    assert cli("crisis", "on", *BOSTON).exit_code == 0  # holds the promo, pauses the starter
    return ids


def export(cli: Cli, *args: str) -> tuple[bytes, Calendar]:
    result = cli("calendar", "export", *args)
    assert result.exit_code == 0, result.output
    return result.stdout_bytes, Calendar.from_ical(result.stdout_bytes)


def events(calendar: Calendar) -> dict[int, dict]:
    """Each event by post id, its properties decoded."""
    found = {}
    for event in calendar.walk("VEVENT"):
        uid = str(event["UID"])
        assert uid.startswith("post-") and uid.endswith("@tactful")
        found[int(uid[5:-8])] = {
            "start": event.decoded("DTSTART"),
            "end": event.decoded("DTEND"),
            "stamp": event.decoded("DTSTAMP"),
            "summary": str(event["SUMMARY"]),
            "description": str(event["DESCRIPTION"]),
            "status": str(event["STATUS"]),
            "categories": [str(c) for c in event["CATEGORIES"].cats]
            if "CATEGORIES" in event
            else [],
        }
    return found


def by_id(cli: Cli) -> dict[int, dict]:
    return {p["id"]: p for p in listed(cli)}


def test_by_default_one_event_per_post_still_to_go_out(cli: Cli, queue: dict[str, int]):
    _, calendar = export(cli)
    got = events(calendar)
    assert set(got) == {queue["promo"], queue["starter"], queue["plain"], queue["bread"]}
    assert {got[queue[k]]["status"] for k in ("promo", "starter")} == {"TENTATIVE"}
    assert got[queue["plain"]]["status"] == "CONFIRMED"
    posts = by_id(cli)
    for post_id, event in got.items():
        due = datetime.fromisoformat(posts[post_id]["due_at"]).replace(microsecond=0)
        assert event["start"] == due and event["start"].tzinfo is not None
        assert event["start"].utcoffset() == timedelta(0)
        assert timedelta(0) < event["end"] - event["start"] <= timedelta(hours=1)
    assert str(calendar["X-WR-CALNAME"]) == "Tactful: Stride, kvasek"


def test_an_event_says_what_the_post_is_and_why_it_waits(cli: Cli, queue: dict[str, int]):
    got = events(export(cli)[1])
    plain = got[queue["plain"]]
    assert plain["summary"].startswith("[stride-outbox] Trail report: the river path")
    assert len(plain["summary"]) < 80 and plain["summary"].endswith("…")
    assert plain["description"].startswith(by_id(cli)[queue["plain"]]["text"])
    promo = got[queue["promo"]]
    reason = by_id(cli)[queue["promo"]]["status_reason"]
    assert reason and f"Status: held ({reason})" in promo["description"]
    assert "Brand: Stride (stride)" in promo["description"]
    assert "Channel: stride-outbox" in promo["description"]
    assert promo["categories"] == ["promo"]
    bread = got[queue["bread"]]
    assert bread["summary"] == "[kvasek-outbox] Čerstvý chléb; od 7:00, i v neděli"
    assert bread["categories"] == ["service"] and "Status: queued" in bread["description"]


def test_all_adds_what_is_done_with(cli: Cli, queue: dict[str, int]):
    got = events(export(cli, "--all")[1])
    assert set(got) == set(queue.values())
    assert got[queue["dropped"]]["status"] == "CANCELLED"
    assert "offer withdrawn" in got[queue["dropped"]]["description"]
    assert "Status: published" in got[queue["sent"]]["description"]


def test_brand_channel_and_time_filters(cli: Cli, queue: dict[str, int]):
    _, kvasek = export(cli, "--brand", "kvasek", "--all")
    assert set(events(kvasek)) == {queue["bread"], queue["dropped"], queue["sent"]}
    assert str(kvasek["X-WR-CALNAME"]) == "Tactful: kvasek"
    _, channel = export(cli, "--channel", "stride-outbox")
    assert set(events(channel)) == {queue["promo"], queue["starter"], queue["plain"]}
    assert str(channel["X-WR-CALNAME"]) == "Tactful: Stride"
    hour = datetime.now(UTC) + timedelta(hours=2, minutes=30)
    _, window = export(cli, "--since", hour.isoformat(), "--until", "+12h")
    assert set(events(window)) == {queue["starter"], queue["plain"]}


def test_an_unchanged_queue_exports_the_same_bytes(cli: Cli, queue: dict[str, int]):
    first, before = export(cli)
    again, _ = export(cli)
    assert again == first
    assert cli("post", "edit", str(queue["bread"]), "--text", "Rye is back").exit_code == 0
    changed, after = export(cli)
    assert changed != first
    old, new = events(before), events(after)
    # DTSTAMP counts whole seconds: an edit within the second keeps it
    assert new[queue["bread"]]["stamp"] >= old[queue["bread"]]["stamp"]
    assert new[queue["bread"]]["summary"] == "[kvasek-outbox] Rye is back"
    assert {k: v for k, v in new.items() if k != queue["bread"]} == {
        k: v for k, v in old.items() if k != queue["bread"]
    }


def test_an_empty_queue_is_an_empty_calendar(cli: Cli):
    result = cli("calendar", "export")
    assert result.exit_code == 0 and "Exported 0 post(s)." in result.stderr
    assert events(Calendar.from_ical(result.stdout_bytes)) == {}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--brand", "nope"], "--brand: unknown brand 'nope'; known brands: stride, kvasek"),
        (["--channel", "nope"], "--channel: unknown channel 'nope' (known: stride-outbox"),
        (["--since", "tomorrow"], "--since 'tomorrow': not a date and time"),
        (["--since", "+2d", "--until", "+1d"], "--until '+1d': is not after --since '+2d'"),
    ],
)
def test_bad_input_is_refused_in_one_line(cli: Cli, args: list[str], message: str):
    add(cli, "Fresh bread", "kvasek-outbox")
    error = refused(cli, "calendar", "export", *args)
    assert message in error
    assert cli("calendar", "export", *args).stdout == ""
