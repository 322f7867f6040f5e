"""Lists as a marketer reads them: upcoming first, at 80 columns, every cap stated."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Cli, base_config, listed, write_config

pytestmark = pytest.mark.cli

LONG = (
    "Our winter trail shoe is here: light, warm and grippy on ice, snow and the muddy "
    "river path, with a lugged sole that sheds mud and a gaiter that keeps snow out"
)


@pytest.fixture
def cli(tmp_path, monkeypatch) -> Cli:
    monkeypatch.setenv("COLUMNS", "80")
    data = base_config()
    data["brands"][1]["regions"] = ["cz"]
    return Cli(write_config(tmp_path, data))


def add(cli: Cli, text: str, at: str = "+2h", channel: str = "stride-outbox", *extra: str) -> int:
    result = cli("post", "add", text, "-c", channel, "--at", at, *extra)
    assert result.exit_code == 0, result.output
    return int(result.stdout)


@pytest.fixture
def week(cli: Cli) -> dict[str, int]:
    """One post already published, and three upcoming for two brands."""
    sent = add(cli, "Doors open at nine", "now")
    assert cli("daemon", "--once").exit_code == 0
    return {
        "sent": sent,
        "later": add(cli, "Saturday group run", "+2d"),
        "long": add(cli, LONG, "+3h", "stride-outbox", "--tag", "promo"),
        "bread": add(cli, "Čerstvý chléb od sedmi", "+1h", "kvasek-outbox"),
    }


def test_post_list_shows_the_upcoming_queue_next_due_first(cli, week):
    table = cli("post", "list").stdout
    ids = [int(line.split()[0]) for line in table.splitlines()[2:]]
    assert ids == [week["bread"], week["long"], week["later"]]  # not the published one
    every = [p["id"] for p in listed(cli)]
    assert week["sent"] in every and len(every) == 4


def test_post_list_at_80_columns_keeps_id_and_status_whole(cli, week):
    cli("post", "cancel", str(week["later"]), "--note", "no run this week")
    table = cli("post", "list", "--all").stdout
    lines = table.splitlines()
    assert all(len(line) <= 80 for line in lines), table
    rows = {int(line.split()[0]): line.split()[1] for line in lines[2:]}
    assert rows == {
        week["sent"]: "published",
        week["bread"]: "queued",
        week["long"]: "queued",
        week["later"]: "cancelled",
    }
    [long_row] = [line for line in lines if line.startswith(f"{week['long']} ")]
    assert long_row.rstrip().endswith("…") and "Our winter trail shoe" in long_row


def test_one_list_shows_its_times_in_one_zone(cli, week):
    mixed = cli("post", "list").stdout
    assert mixed.splitlines()[0].strip() == "Times in UTC"
    stride = cli("post", "list", "--brand", "stride").stdout
    assert stride.splitlines()[0].strip() == "Times in America/New_York"


def test_json_states_the_total_and_whether_it_was_cut(cli, week):
    cut = json.loads(cli("post", "list", "--limit", "2", "--json").stdout)
    assert (len(cut["items"]), cut["total"], cut["truncated"]) == (2, 3, True)
    whole = json.loads(cli("post", "list", "--limit", "0", "--json").stdout)
    assert (len(whole["items"]), whole["total"], whole["truncated"]) == (3, 3, False)
    streamed = cli("post", "list", "--limit", "2", "--nl")
    lines = streamed.stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [week["bread"], week["long"]]
    assert "Showing 2 of 3" in streamed.stderr
    table = cli("post", "list", "-n", "1")
    assert "Showing 1 of 3; --limit 0 or --all shows every one." in table.stderr


def test_since_and_until_pick_a_window_history_included(cli, week):
    recent = [
        p["id"]
        for p in json.loads(
            cli("post", "list", "--since", "-1h", "--until", "+90m", "--json").stdout
        )["items"]
    ]
    assert recent == [week["sent"], week["bread"]]


def test_the_audit_says_when_it_shows_only_the_latest_entries(cli, week):
    capped = cli("audit", "--limit", "2")
    assert capped.exit_code == 0 and "Showing 2 of" in capped.stderr
    data = json.loads(cli("audit", "--limit", "2", "--json").stdout)
    assert data["truncated"] and data["total"] > 2
    everything = json.loads(cli("audit", "--limit", "0", "--json").stdout)
    assert len(everything["items"]) == data["total"]
    assert everything["items"][-2:] == data["items"]  # the latest, oldest first


def test_the_review_queue_and_a_held_post_read_at_80_columns(cli):
    held = add(
        cli,
        "Marathon memories from the finish line, and a word of thanks to every "
        "volunteer who handed out water along the course",
    )
    cli(
        "crisis",
        "on",
        "Boston Marathon bombing",
        "--category",
        "bombing",
        "--keyword",
        "marathon",
        "--region",
        "us-ma",
    )
    table = cli("review", "list").stdout
    assert all(len(line) <= 80 for line in table.splitlines()), table
    [row] = [line for line in table.splitlines() if line.startswith(f"{held} ")]
    assert row.split()[1] == "hold" and "sensitive-words" in row
    shown = cli("review", "show", str(held)).stdout
    assert all(len(line.rstrip()) <= 80 for line in shown.splitlines()), shown
    advice = json.loads(cli("review", "show", str(held), "--json").stdout)["decision"]["reasons"][
        0
    ]["advice"]
    words = set(advice.split())
    indented = [line.strip() for line in shown.splitlines() if line.startswith("  ")]
    # wrapped between words: every piece of every advice line is a whole word of it
    assert indented and all(set(line.split()) <= words for line in indented)


def test_a_post_the_policy_stops_as_it_is_added_is_not_announced_as_queued(cli):
    cli(
        "crisis",
        "on",
        "Boston Marathon bombing",
        "--category",
        "bombing",
        "--keyword",
        "marathon",
        "--region",
        "us-ma",
    )
    result = cli(
        "post",
        "add",
        "#Marathon sale: 20% off",
        "-c",
        "stride-outbox",
        "--at",
        "+1h",
        "--tag",
        "promo",
    )
    assert result.exit_code == 0
    assert "Queued" not in result.stderr
    assert "is blocked by the crisis policy: block: newsjacking" in result.stderr
    assert f"tactful review show {result.stdout.strip()}" in result.stderr


def test_crisis_list_keeps_the_note_and_status_says_the_scope(cli):
    cli(
        "crisis",
        "on",
        "Bakery fire",
        "--category",
        "wildfire",
        "--brand",
        "kvasek",
        "--until",
        "+1d",
        "--note",
        "flagged by the Prague office",
    )
    status = cli("crisis", "status").stdout
    assert "for brands kvasek" in status and "everywhere" not in status
    assert "ends by itself" in status
    cli("crisis", "off", "--note", "fire is out")
    table = cli("crisis", "list").stdout
    assert all(len(line) <= 80 for line in table.splitlines()), table
    [crisis] = json.loads(cli("crisis", "list", "--json").stdout)
    assert crisis["note"] == "flagged by the Prague office; ended: fire is out"
