"""`tactful post import`: all or nothing, with the line and column of the first problem."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import Cli, listed
from tests.test_cli_post import snapshot

pytestmark = pytest.mark.cli

DAY = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
HEADER = "channel,at,text,tags,lang,expires,crisis_text,automated\n"


def write(tmp_path, body: str, name="posts.csv", header=HEADER, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes((header + body).encode(encoding))
    return path


def good_rows(n=3) -> str:
    return "".join(
        f"stride-outbox,{DAY}T{9 + i:02d}:00,Post {i},promo;evergreen,en,,,no\n" for i in range(n)
    )


def test_a_good_file_is_queued_in_file_order(cli: Cli, tmp_path):
    body = good_rows(2) + f'kvasek-outbox,{DAY}T07:00,"Dobré ráno,\nčerstvý chléb",,,,,yes\n'
    result = cli("post", "import", str(write(tmp_path, body)), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["queued"] == [1, 2, 3]
    posts = listed(cli)
    by_id = {p["id"]: p for p in posts}
    assert by_id[1]["tags"] == ["promo", "evergreen"] and by_id[1]["automated"] is False
    assert by_id[3]["text"] == "Dobré ráno,\nčerstvý chléb" and by_id[3]["automated"] is True


def test_importing_the_same_file_twice_queues_nothing_twice(cli: Cli, tmp_path):
    path = write(tmp_path, good_rows(3))
    assert "Queued 3 posts" in cli("post", "import", str(path)).stdout
    again = cli("post", "import", str(path))
    assert "Queued 0 posts" in again.stdout
    assert "Skipped 3 row(s) already queued (line 2 = post 1" in again.stdout
    assert len(listed(cli)) == 3


@pytest.mark.parametrize(
    "row, where, problem",
    [
        (f"nope,{DAY}T09:00,Hi,,,,,\n", ":4: column 'channel'", "unknown channel 'nope'"),
        (f"stride-outbox,{DAY[:5]}02-30T09:00,Hi,,,,,\n", ":4: column 'at'", "no such date"),
        (
            "stride-outbox,2027-03-14T02:30,Hi,,,,,\n",
            ":4: column 'at'",
            "does not exist in America/New_York",
        ),
        (f"stride-outbox,{DAY}T09:00,,,,,,\n", ":4: column 'text'", "empty, but required"),
        (
            f"stride-outbox,{DAY}T09:00,Hi,,,,,maybe\n",
            ":4: column 'automated'",
            "'maybe' is not true or false",
        ),
        (f"stride-outbox,{DAY}T09:00,Hi,,,,\n", ":4:", "7 values but the header names 8"),
        (
            f"stride-outbox,{DAY}T09:00,Post 0,,,,,\n",
            ":4:",
            "same channel, time and text as line 2",
        ),
        (f'stride-outbox,{DAY}T09:00,"Hi "there",,,,,\n', ":4:", "not valid CSV"),
    ],
)
def test_one_bad_row_refuses_the_whole_file(cli: Cli, tmp_path, row, where, problem):
    cli("post", "add", "seed", "-c", "kvasek-outbox", "--at", f"{DAY}T12:00")
    before = snapshot(tmp_path)
    path = write(tmp_path, good_rows(2) + row + good_rows(0))
    result = cli("post", "import", str(path))
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert "\n" not in line
    assert line.startswith(f"Error: {path}{where}")
    assert problem in line and "nothing was queued" in line
    assert snapshot(tmp_path) == before


def test_the_first_problem_is_named_and_the_rest_counted(cli: Cli, tmp_path):
    body = f"nope,{DAY}T09:00,a,,,,,\nstride-outbox,soon,b,,,,,\n"
    result = cli("post", "import", str(write(tmp_path, body)))
    assert "posts.csv:2: column 'channel'" in result.stderr
    assert "(and 1 more problem; nothing was queued)" in result.stderr


def test_header_problems(cli: Cli, tmp_path):
    result = cli("post", "import", str(write(tmp_path, "", header="channel,when,text\n")))
    assert result.exit_code == 2 and ":1: column 'when': unknown column" in result.stderr
    result = cli("post", "import", str(write(tmp_path, "", header="channel,text\n")))
    assert "lacks the required column(s) at" in result.stderr
    result = cli("post", "import", str(write(tmp_path, "", header="")))
    assert "the file is empty" in result.stderr


def test_excel_bom_and_encoding_errors(cli: Cli, tmp_path):
    bom = write(tmp_path, good_rows(1), header="\ufeff" + HEADER)
    assert cli("post", "import", str(bom)).exit_code == 0
    latin = write(
        tmp_path,
        f"kvasek-outbox,{DAY}T07:00,Čerstvý,,,,,\n",
        name="latin.csv",
        encoding="iso8859_2",
    )
    result = cli("post", "import", str(latin))
    assert result.exit_code == 2 and "latin.csv:2: not UTF-8" in result.stderr


def test_next_slot_rows_avoid_fixed_rows_of_the_same_file(cli: Cli, tmp_path):
    body = (
        "kvasek-outbox,next-slot,first free,,,,,\n"
        f"kvasek-outbox,{(datetime.now(UTC).date() + timedelta(days=1))}T07:00,fixed,,,,,\n"
    )
    assert cli("post", "import", str(write(tmp_path, body))).exit_code == 0
    posts = listed(cli)
    assert len({p["due_at"] for p in posts}) == 2


def test_dry_run_queues_nothing(cli: Cli, tmp_path):
    result = cli("post", "import", str(write(tmp_path, good_rows(2))), "--dry-run")
    assert "Would queue 2 posts" in result.stdout
    assert listed(cli) == []


def test_a_missing_file(cli: Cli, tmp_path):
    result = cli("post", "import", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2 and "nope.csv: file not found" in result.stderr


def test_a_semicolon_file_from_european_excel_and_a_tab_file_are_read(cli: Cli, tmp_path):
    semicolon = write(
        tmp_path,
        f'kvasek-outbox;{DAY}T07:00;"Chléb, rohlíky; koláče";promo,evergreen\n',
        name="excel.csv",
        header="\ufeffchannel;at;text;tags\n",
    )
    result = cli("post", "import", str(semicolon), "--json")
    assert result.exit_code == 0, result.stderr
    tabbed = write(
        tmp_path,
        f"stride-outbox\t{DAY}T08:00\tTempo run, 5 km\n",
        name="sheet.tsv",
        header="channel\tat\ttext\n",
    )
    assert cli("post", "import", str(tabbed)).exit_code == 0
    posts = {p["text"]: p for p in listed(cli)}
    assert posts["Chléb, rohlíky; koláče"]["tags"] == ["promo", "evergreen"]
    assert posts["Chléb, rohlíky; koláče"]["channel"] == "kvasek-outbox"
    assert posts["Tempo run, 5 km"]["channel"] == "stride-outbox"


def test_a_misspelt_column_is_named_with_the_column_meant(cli: Cli, tmp_path):
    result = cli("post", "import", str(write(tmp_path, "", header="channel,at,txt,tag\n")))
    assert result.exit_code == 2
    assert ":1: column 'txt': unknown column; did you mean 'text'? known columns:" in result.stderr
    # a header no delimiter makes sense of is named as written
    result = cli("post", "import", str(write(tmp_path, "", header="kanal|cas|text\n")))
    assert ":1: column 'kanal|cas|text': unknown column; known columns:" in result.stderr


def test_reimporting_a_file_of_next_slot_rows_queues_nothing_again(cli: Cli, tmp_path):
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    body = (
        "kvasek-outbox,next-slot,Rye is back,,,,,\n"
        f"kvasek-outbox,{tomorrow}T07:00,Fixed morning post,,,,,\n"
        "kvasek-outbox,next-slot,Tip of the week,,,,,\n"
        "kvasek-outbox,next-slot,Tip of the week,,,,,\n"
    )  # twice on purpose: two posts
    path = write(tmp_path, body)
    assert "Queued 4 posts" in cli("post", "import", str(path)).stdout
    first = {p["id"]: p["due_at"] for p in listed(cli)}
    assert len(set(first.values())) == 4
    again = cli("post", "import", str(path))
    assert "Queued 0 posts" in again.stdout
    assert (
        "Skipped 4 row(s) already queued (line 2 = post 1, line 3 = post 2, "
        "line 4 = post 3, line 5 = post 4)"
    ) in again.stdout
    # rows moved around and one added: only the new row is queued
    moved = "".join(reversed(body.splitlines(keepends=True)))
    path.write_text(
        HEADER + "kvasek-outbox,next-slot,New loaf on Friday,,,,,\n" + moved, encoding="utf-8"
    )
    third = json.loads(cli("post", "import", str(path), "--json").stdout)
    assert third["queued"] == [5] and len(third["already_queued"]) == 4
    # a post cancelled since is not brought back by importing its file again
    cli("post", "cancel", "1")
    assert json.loads(cli("post", "import", str(path), "--json").stdout)["queued"] == []
    after = {p["id"]: p["due_at"] for p in listed(cli)}
    assert {pid: after[pid] for pid in first} == first  # nobody's slot moved


def test_dry_run_lists_each_row_with_its_channel_and_resolved_time(cli: Cli, tmp_path):
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    body = (
        f"kvasek-outbox,{tomorrow}T07:00,Rye is back,,,,,\n"
        'stride-outbox,next-slot,"Tempo run\nmeet at 6",,,,,\n'
    )
    result = cli("post", "import", str(write(tmp_path, body)), "--dry-run")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Would queue 2 posts from") and lines[0].endswith(":")
    # the fixed time in the brand's zone (kvasek: Europe/Prague), as typed
    local = datetime.combine(tomorrow, time(7), tzinfo=ZoneInfo("Europe/Prague"))
    assert lines[1].startswith(f"  line 2: kvasek-outbox, {local:%a %Y-%m-%d %H:%M %Z}")
    assert lines[1].endswith(": Rye is back")
    assert lines[2].startswith("  line 3: stride-outbox, ") and lines[2].endswith(": Tempo run...")
    report = json.loads(
        cli("post", "import", str(write(tmp_path, body)), "--dry-run", "--json").stdout
    )
    assert [(r["line"], r["channel"]) for r in report["rows"]] == [
        (2, "kvasek-outbox"),
        (3, "stride-outbox"),
    ]
    assert report["rows"][0]["due_at"] == local.astimezone(UTC).isoformat()
    assert listed(cli) == []


def test_day_first_dates_are_read_only_with_an_explicit_date_format(cli: Cli, tmp_path):
    day = datetime.now(UTC).date() + timedelta(days=3)
    path = write(
        tmp_path, f"kvasek-outbox;{day:%d.%m.%Y} 07:00;Vánočka je tu\n", header="channel;at;text\n"
    )
    before = snapshot(tmp_path)
    guessed = cli("post", "import", str(path))
    assert guessed.exit_code == 2 and snapshot(tmp_path) == before
    assert "column 'at'" in guessed.stderr and "--date-format" in guessed.stderr
    wrong = cli("post", "import", str(path), "--date-format", "%m.%d.%Y %H:%M")
    if day.day > 12:  # cannot be a month: refused, naming the format
        assert wrong.exit_code == 2 and "does not match --date-format" in wrong.stderr
    assert cli("post", "import", str(path), "--date-format", "%Y").exit_code == 2
    done = cli("post", "import", str(path), "--date-format", "%d.%m.%Y %H:%M")
    assert done.exit_code == 0, done.output
    [post] = [p for p in listed(cli) if p["text"] == "Vánočka je tu"]
    local = datetime.fromisoformat(post["due_at"]).astimezone(ZoneInfo("Europe/Prague"))
    assert (local.date(), local.time()) == (day, time(7, 0))
    again = cli("post", "import", str(path), "--date-format", "%d.%m.%Y %H:%M")
    assert again.exit_code == 0
    assert [p["text"] for p in listed(cli)].count("Vánočka je tu") == 1
