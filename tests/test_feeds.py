"""Crisis feeds end to end: a real feed server and a real webhook receiver on 127.0.0.1,
real SQLite and PostgreSQL, and the CLI a user runs (`feeds`, `daemon --once`, `crisis
suggestions|accept|dismiss`). The feed samples are in tests/feeds/."""

from __future__ import annotations

import json
import re
import shlex
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scheduler.loopback import FeedServer, WebhookReceiver
from tests.conftest import (
    Cli,
    base_config,
    fresh_pg_database,
    listed,
    queue_post,
    write_config,
)
from tests.test_notify import passes

pytestmark = pytest.mark.acceptance

SAMPLES = Path(__file__).parent / "feeds"
HOOK_ENV = "TACTFUL_TEST_FEEDS_HOOK"
CAP = "application/cap+xml"


def sample(name: str, expires: datetime | None = None) -> bytes:
    """A sample feed; a CAP alert's expiry moved to `expires` (default: tomorrow), as
    the samples' own 2024 dates have passed and an expired alert raises nothing."""
    body = (SAMPLES / name).read_bytes()
    when = expires or datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    return re.sub(
        rb"<expires>[^<]*</expires>", f"<expires>{when.isoformat()}</expires>".encode(), body
    )


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as running:
        yield running


def feeds_config(
    folder: Path,
    feeds: list[dict],
    database: str | None = None,
    *,
    hook: str | None = None,
) -> Path:
    """stride (Boston, us-ma), hudson (New York, us-ny), kvasek (Prague, cz) and
    nusantara (Indonesia, id), with the feeds given and, with `hook`, a notify target."""
    data = base_config()
    data["brands"][1]["regions"] = ["cz"]
    for brand_id, region, lang in (("hudson", "us-ny", "en"), ("nusantara", "id", "id")):
        data["brands"].append(
            {
                "id": brand_id,
                "regions": [region],
                "languages": [lang],
                "channels": [
                    {"id": f"{brand_id}-outbox", "kind": "outbox", "path": f"outbox/{brand_id}"}
                ],
            }
        )
    data["feeds"] = feeds
    if hook:
        data["notify"] = [{"name": "team", "webhook_env": HOOK_ENV, "events": ["suggestion"]}]
    return write_config(folder, data, database)


def feed(server: FeedServer, path: str, **kw: Any) -> dict:
    return {"id": path.split(".")[0], "url": server.url(path), "every": "1m", **kw}


def ok(cli: Cli, *args: str) -> Any:
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.stdout


def suggestions(cli: Cli, *args: str) -> list[dict]:
    return ok(cli, "crisis", "suggestions", "--json", *args)


# -- the end-to-end path -----------------------------------------------------------------
def test_a_flood_alert_becomes_one_suggestion_told_once_and_accept_is_crisis_on(
    tmp_path: Path,
    db_url: str,
    twin_url: str | None,
    server: FeedServer,
    receiver: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv(HOOK_ENV, receiver.url + "/hook")
    cli = Cli(feeds_config(tmp_path, [feed(server, "nws.xml")], db_url, hook="team"))
    posts = {
        queue_post(cli, "Rain or shine: our Charles River run club meets Saturday!"),
        queue_post(cli, "Flash sale: 30% off rain jackets in Suffolk County", "stride-outbox"),
        queue_post(cli, "New trail shoes are in.", "stride-outbox"),
        queue_post(cli, "Bagels on the Hudson, fresh at 7.", "hudson-outbox"),
    }
    assert len(posts) == 4  # the notify target starts at the first command: here
    server.publish("nws.xml", sample("cap_flood_polygon.xml"), CAP)

    ok(cli, "daemon", "--once")  # one poll

    [raised] = suggestions(cli)
    assert raised["status"] == "open" and raised["category"] == "flood"
    assert raised["severity"] == "serious"
    # the polygon lies over Boston: stride's us-ma, not hudson's us-ny
    assert raised["regions"] == ["us-ma"]
    assert raised["reach"]["brands"] == ["stride"]
    assert raised["command"].startswith("tactful crisis on ")
    # told by that same pass (PostgreSQL: once older transactions on the server end)
    passes(cli, lambda: len(receiver.delivered()) >= 1)
    [told] = [r.json["text"] for r in receiver.delivered()]
    assert "Crisis suggested" in told and f"tactful crisis accept {raised['id']}" in told
    assert raised["command"] in told

    ok(cli, "daemon", "--once")  # not due again for a minute: no request
    ok(cli, "feeds", "poll")  # due or not: the feed has not changed, 304, nothing new
    ok(cli, "daemon", "--once")
    assert server.answered("nws.xml") == [200, 304]
    assert len(receiver.delivered()) == 1
    assert len(suggestions(cli, "--all")) == 1

    # the same queue in a twin database, flagged with the suggestion's own command
    (tmp_path / "twin").mkdir()
    twin = Cli(feeds_config(tmp_path / "twin", [], twin_url))
    for post in sorted(listed(cli), key=lambda p: p["id"]):
        queue_post(twin, post["text"], post["channel"])
    accepted = ok(cli, "crisis", "accept", str(raised["id"]), "--json")
    flagged = ok(twin, *shlex.split(raised["command"])[1:], "--json")
    assert _verdicts(accepted) == _verdicts(flagged)
    # stride's three posts are judged (hudson's in New York is out of reach); the sale
    # naming the flooded county is stopped
    assert accepted["judged"] == 3 and accepted["totals"].get("untouched") == 2
    assert [_judged(p) for p in listed(cli)] == [_judged(p) for p in listed(twin)]
    [line] = [
        a for a in ok(cli, "audit", "--limit", "0", "--json")["items"] if a["action"] == "crisis-on"
    ]
    assert line["detail"]["feed"] == "nws" and line["detail"]["suggestion"] == raised["id"]
    assert line["detail"]["alert"] == "NWS-BOX-2024-FLW-0007"
    assert suggestions(cli, "--all")[0]["status"] == "accepted"


@pytest.fixture
def twin_url(db_url: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """A second, empty database on the same backend (None: SQLite, in its own folder)."""
    if not db_url.startswith("postgresql"):
        yield None
        return
    with fresh_pg_database(request.getfixturevalue("pg_template")) as url:
        yield url


def _verdicts(report: dict) -> list[tuple]:
    return sorted((p["brand"], p["channel"], p["action"], p["why"]) for p in report["posts"])


def _judged(post: dict) -> tuple:
    return post["text"], post["status"], post.get("status_reason")


# -- updates, cancels, dismissals -------------------------------------------------------
def test_an_update_changes_the_suggestion_and_a_cancel_withdraws_it(
    tmp_path: Path, db_url: str, server: FeedServer
):
    cli = Cli(feeds_config(tmp_path, [feed(server, "nws.xml")], db_url))
    server.publish("nws.xml", sample("cap_flood_polygon.xml"), CAP)
    [report] = ok(cli, "feeds", "poll", "--json")
    assert [a["outcome"] for a in report["alerts"]] == ["suggested"]
    [first] = suggestions(cli)

    server.publish("nws.xml", sample("cap_flood_update.xml"), CAP)
    [report] = ok(cli, "feeds", "poll", "--json")
    assert [a["outcome"] for a in report["alerts"]] == ["updated"]
    [updated] = suggestions(cli)
    assert updated["id"] == first["id"] and updated["severity"] == "severe"

    server.publish("nws.xml", sample("cap_flood_cancel.xml"), CAP)
    [report] = ok(cli, "feeds", "poll", "--json")
    assert [a["outcome"] for a in report["alerts"]] == ["withdrawn"]
    assert suggestions(cli) == []
    [withdrawn] = suggestions(cli, "--all")
    assert withdrawn["status"] == "withdrawn" and withdrawn["alert_status"] == "cancelled"
    events = [
        a["detail"]["event"]
        for a in ok(cli, "audit", "--limit", "0", "--json")["items"]
        if a["action"] == "crisis-suggested"
    ]
    assert events == ["raised", "updated", "withdrawn"]
    refused = cli("crisis", "accept", str(first["id"]))
    assert refused.exit_code == 2 and "withdrawn" in refused.stderr


def test_a_dismissed_suggestion_cannot_then_be_accepted(tmp_path: Path, server: FeedServer):
    cli = Cli(feeds_config(tmp_path, [feed(server, "nws.xml")]))
    server.publish("nws.xml", sample("cap_flood_polygon.xml"), CAP)
    ok(cli, "feeds", "poll")
    [s] = suggestions(cli)
    assert cli("crisis", "dismiss", str(s["id"])).exit_code == 2  # --note is required
    ok(cli, "crisis", "dismiss", str(s["id"]), "--note", "river gauges falling already")
    again = cli("crisis", "accept", str(s["id"]))
    assert again.exit_code == 2
    assert "already dismissed by tester" in again.stderr
    assert ok(cli, "crisis", "status", "--json")["active"] == []
    missing = cli("crisis", "accept", "99")
    assert missing.exit_code == 3 and "no suggestion 99" in missing.stderr


# -- formats: GDACS RSS, USGS GeoJSON ---------------------------------------------------
def test_a_gdacs_flood_in_indonesia_reaches_the_brand_there_and_nothing_else(
    tmp_path: Path, server: FeedServer
):
    cli = Cli(feeds_config(tmp_path, [feed(server, "gdacs.xml", format="rss")]))
    server.publish("gdacs.xml", sample("gdacs_rss.xml"), "application/rss+xml")
    [report] = ok(cli, "feeds", "poll", "--json")
    outcomes = {a["category"]: a for a in report["alerts"]}
    assert outcomes["flood"]["outcome"] == "suggested"
    assert outcomes["flood"]["brands"] == ["nusantara"]
    assert "id" in outcomes["flood"]["regions"] or any(
        r.startswith("id-") for r in outcomes["flood"]["regions"]
    )
    # the others reach no brand (or are too mild): recorded, nothing raised
    others = [a for a in report["alerts"] if a["category"] != "flood"]
    assert others and all(a["outcome"] != "suggested" for a in others)
    assert [s["category"] for s in suggestions(cli)] == ["flood"]
    [state] = ok(cli, "feeds", "list", "--json")
    assert state["alerts"] == len(report["alerts"]) and state["failures"] == 0


def test_a_usgs_summary_is_read_and_small_quakes_raise_nothing(tmp_path: Path, server: FeedServer):
    cli = Cli(feeds_config(tmp_path, [feed(server, "usgs.json", format="geojson")]))
    server.publish("usgs.json", sample("usgs_summary.geojson"), "application/geo+json")
    checked = ok(cli, "feeds", "check", "--json")
    [result] = checked
    assert result["ok"] and len(result["alerts"]) == 3
    assert all(a["category"] == "earthquake" for a in result["alerts"])
    assert [a["severity"] for a in result["alerts"]].count(None) >= 1
    assert ok(cli, "feeds", "list", "--json")[0]["alerts"] == 0  # check stores nothing


# -- auto ---------------------------------------------------------------------------------
def test_auto_flags_at_most_its_severity_until_the_alert_expires(
    tmp_path: Path, server: FeedServer
):
    cli = Cli(feeds_config(tmp_path, [feed(server, "nws.xml", auto="watch")]))
    queue_post(cli, "Flash sale on rain jackets in Suffolk County!", "stride-outbox")
    expires = (datetime.now(UTC) + timedelta(hours=6)).replace(microsecond=0)
    body = sample("cap_flood_update.xml", expires).decode()  # Extreme: severe by itself
    body = body.replace("<msgType>Update</msgType>", "<msgType>Alert</msgType>")
    server.publish("nws.xml", body, CAP)
    [report] = ok(cli, "feeds", "poll", "--json")
    [alert] = report["alerts"]
    assert alert["outcome"] == "flagged" and alert["crisis"]
    [crisis] = ok(cli, "crisis", "status", "--json")["active"]
    assert crisis["severity"] == "watch" and crisis["started_by"] == "feed:nws"
    assert datetime.fromisoformat(crisis["until"]) == expires
    [s] = suggestions(cli, "--all")
    assert s["status"] == "flagged" and s["crisis"] == crisis["id"]


# -- bad feeds ------------------------------------------------------------------------------
BAD = [
    ("malformed.xml", "bad_malformed.xml", "application/xml", "malformed XML"),
    ("bomb.xml", "bad_bomb.xml", "application/xml", "XML bomb"),
    ("entity.xml", "bad_external_entity.xml", "application/xml", "entit"),
    ("page.html", "bad_html.html", "text/html", "text/html"),
    ("nothing.json", "bad_not_geojson.json", "application/json", "features"),
]


def test_bad_feeds_get_a_clear_line_each_and_change_nothing(
    tmp_path: Path, server: FeedServer, caplog: pytest.LogCaptureFixture
):
    feeds = [feed(server, path) for path, *_ in BAD]
    feeds.append(feed(server, "endless.xml", max_bytes=100_000))
    feeds.append(feed(server, "slow.xml", timeout_seconds=0.5))
    feeds.append(feed(server, "gone.xml"))
    for path, name, content_type, _ in BAD:
        server.publish(path, sample(name), content_type)
    server.endless.add("/endless.xml")
    server.publish("slow.xml", sample("cap_flood_polygon.xml"), CAP)
    server.slow["/slow.xml"] = 2.0
    cli = Cli(feeds_config(tmp_path, feeds))

    checked = cli("feeds", "check")
    assert checked.exit_code == 1
    lines = checked.stdout.strip().splitlines()
    words = {path.split(".")[0]: want for path, _, _, want in BAD}
    words |= {"endless": "limit", "slow": "timed out", "gone": "HTTP 404"}
    for feed_id, want in words.items():
        [line] = [x for x in lines if x.startswith(f"{feed_id}: ")]
        assert "FAILED" in line and want.lower() in line.lower(), line
    assert "8 of 8 feed(s) failed" in checked.stderr

    polled = cli("-v", "daemon", "--once")
    assert polled.exit_code == 0
    for feed_id in words:
        assert f"feed {feed_id}: " in polled.stderr, polled.stderr
    states = {s["id"]: s for s in ok(cli, "feeds", "list", "--json")}
    assert all(s["failures"] == 1 and s["alerts"] == 0 for s in states.values())
    assert all(s["last_error"] for s in states.values())
    assert suggestions(cli, "--all") == []


def test_a_feed_that_fails_is_polled_again_later_not_at_once(tmp_path: Path, server: FeedServer):
    cli = Cli(feeds_config(tmp_path, [feed(server, "gone.xml", every="30s")]))
    ok(cli, "daemon", "--once")
    ok(cli, "daemon", "--once")
    assert server.answered("gone.xml") == [404]  # backed off, not polled every pass
    [state] = ok(cli, "feeds", "list", "--json")
    wait = datetime.fromisoformat(state["next_at"]) - datetime.fromisoformat(state["polled_at"])
    assert wait >= timedelta(seconds=54)  # twice the interval, less the jitter


# -- config ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"url": "ftp://example.org/alerts"}, "feeds[0].url"),
        ({"url": "http://127.0.0.1:9:99/a"}, "not a usable URL"),
        ({"rules": [{"keywords": ["***"]}]}, "no letters or digits"),
        ({"format": "kml"}, "feeds[0].format"),
        ({"auto": "severe"}, "feeds[0].auto"),
        ({"every": "1s"}, "at most every 5s"),
        ({"rules": [{"category": "tsunami"}]}, "not a crisis category"),
    ],
)
def test_a_broken_feed_in_config_is_one_line_and_exit_2(tmp_path: Path, change: dict, words: str):
    path = feeds_config(tmp_path, [{"id": "f", "url": "http://127.0.0.1:9/f", **change}])
    result = Cli(path)("feeds", "list")
    assert result.exit_code == 2
    assert words in result.stderr and result.stderr.strip().count("\n") == 0, result.stderr


def test_auto_off_unquoted_in_yaml_is_off(tmp_path: Path):
    path = feeds_config(tmp_path, [{"id": "f", "url": "http://127.0.0.1:9/f"}])
    text = path.read_text(encoding="utf-8").replace("- id: f\n", "- id: f\n  auto: off\n")
    assert "  auto: off\n" in text
    path.write_text(text, encoding="utf-8")
    [listed_feed] = ok(Cli(path), "feeds", "list", "--json")
    assert listed_feed["auto"] == "off"


def test_an_unknown_feed_is_bad_input(tmp_path: Path, server: FeedServer):
    cli = Cli(feeds_config(tmp_path, [feed(server, "nws.xml")]))
    result = cli("feeds", "poll", "nope")
    assert result.exit_code == 2 and "unknown feed 'nope'; known feeds: nws" in result.stderr


def test_the_printed_command_pastes_as_the_command_at_80_columns(
    tmp_path: Path, server: FeedServer, monkeypatch: pytest.MonkeyPatch
):
    cli = Cli(feeds_config(tmp_path, [feed(server, "nws.xml")]))
    body = sample("cap_flood_polygon.xml").replace(
        b"Suffolk County; Middlesex County", b"Suffolk County; Middlesex County; O'Hare's \"Dock\""
    )
    server.publish("nws.xml", body, CAP)
    ok(cli, "feeds", "poll")
    [s] = suggestions(cli)
    monkeypatch.setenv("COLUMNS", "80")
    shown = ok(cli, "crisis", "suggestions")
    assert all(len(line) <= 80 for line in shown.splitlines()), shown
    typed = shown.split("or run: ", 1)[1].replace("\\\n", " ")
    assert shlex.split(typed) == shlex.split(s["command"])
    assert "O'Hare's \"Dock\"" in shlex.split(s["command"])


# -- what the review found ----------------------------------------------------------------
def audit_of(cli: Cli, action: str = "crisis-suggested") -> list[dict]:
    return [a for a in ok(cli, "audit", "--limit", "0", "--json")["items"] if a["action"] == action]


def test_an_expired_alert_raises_nothing_even_with_auto(tmp_path: Path, server: FeedServer):
    cli = Cli(feeds_config(tmp_path, [feed(server, "nws.xml", auto="watch")]))
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    server.publish("nws.xml", sample("cap_flood_polygon.xml", past), CAP)
    [report] = ok(cli, "feeds", "poll", "--json")
    assert [a["outcome"] for a in report["alerts"]] == ["expired"]
    assert ok(cli, "crisis", "status", "--json")["active"] == []
    assert suggestions(cli, "--all") == []


def test_an_open_suggestion_lapses_when_its_alert_expires(tmp_path: Path, server: FeedServer):
    cli = Cli(feeds_config(tmp_path, [feed(server, "nws.xml")]))
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    server.publish("nws.xml", sample("cap_flood_polygon.xml", soon), CAP)
    ok(cli, "feeds", "poll")
    [s] = suggestions(cli)
    time.sleep(2.5)
    late = cli("crisis", "accept", str(s["id"]))
    assert late.exit_code == 2 and "its alert expired" in late.stderr
    assert "tactful crisis on " in late.stderr  # what to run if it still matters
    ok(cli, "feeds", "poll")  # 304; the lapse still runs
    assert suggestions(cli) == []
    assert suggestions(cli, "--all")[0]["status"] == "withdrawn"
    assert [a["detail"]["event"] for a in audit_of(cli)] == ["raised", "withdrawn"]


def test_an_update_read_before_its_original_makes_one_story(tmp_path: Path, server: FeedServer):
    cli = Cli(feeds_config(tmp_path, [feed(server, "nws.xml")]))
    server.publish("nws.xml", sample("cap_flood_update.xml"), CAP)
    [report] = ok(cli, "feeds", "poll", "--json")
    assert [a["outcome"] for a in report["alerts"]] == ["suggested"]
    server.publish("nws.xml", sample("cap_flood_polygon.xml"), CAP)  # the original, late
    [report] = ok(cli, "feeds", "poll", "--json")
    assert [a["outcome"] for a in report["alerts"]] == ["seen"]
    [s] = suggestions(cli, "--all")
    assert s["severity"] == "severe"  # the update's, not the original's


def test_a_cancel_read_before_its_original_leaves_nothing_to_suggest(
    tmp_path: Path, server: FeedServer
):
    cli = Cli(feeds_config(tmp_path, [feed(server, "nws.xml")]))
    server.publish("nws.xml", sample("cap_flood_cancel.xml"), CAP)
    ok(cli, "feeds", "poll")
    server.publish("nws.xml", sample("cap_flood_polygon.xml"), CAP)
    ok(cli, "feeds", "poll")
    assert suggestions(cli, "--all") == []


def test_an_accepted_suggestion_stays_accepted_and_people_hear_what_changed(
    tmp_path: Path,
    db_url: str,
    server: FeedServer,
    receiver: WebhookReceiver,
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv(HOOK_ENV, receiver.url + "/hook")
    cli = Cli(feeds_config(tmp_path, [feed(server, "nws.xml")], db_url, hook="team"))
    server.publish("nws.xml", sample("cap_flood_polygon.xml"), CAP)
    ok(cli, "feeds", "poll")
    [s] = suggestions(cli)
    ok(cli, "crisis", "accept", str(s["id"]))
    server.publish("nws.xml", sample("cap_flood_update.xml"), CAP)  # Extreme now
    [report] = ok(cli, "feeds", "poll", "--json")
    assert [a["outcome"] for a in report["alerts"]] == ["updated"]
    [after] = suggestions(cli, "--all")
    assert after["status"] == "accepted" and after["severity"] == "serious"  # as decided
    server.publish("nws.xml", sample("cap_flood_cancel.xml"), CAP)
    ok(cli, "feeds", "poll")
    passes(cli, lambda: len(receiver.delivered()) >= 3)  # PostgreSQL: a few may be needed
    texts = [r.json["text"] for r in receiver.delivered()]
    assert len(texts) == 3, texts  # raised, updated, withdrawn: once each
    assert "tactful crisis update 1 --severity severe" in texts[1]
    assert "Crisis 1 it flagged is still on: tactful crisis off 1" in texts[2]
    assert ok(cli, "crisis", "status", "--json")["active"][0]["id"] == 1


def test_the_same_alert_sent_again_tells_no_one(tmp_path: Path, server: FeedServer):
    cli = Cli(feeds_config(tmp_path, [feed(server, "nws.xml")]))
    server.publish("nws.xml", sample("cap_flood_polygon.xml"), CAP)
    ok(cli, "feeds", "poll")
    again = sample("cap_flood_polygon.xml").replace(
        b"09:15:00-04:00</sent>", b"09:20:00-04:00</sent>"
    )
    server.publish("nws.xml", again, CAP)
    [report] = ok(cli, "feeds", "poll", "--json")
    assert [a["outcome"] for a in report["alerts"]] == ["unchanged"]
    assert len(audit_of(cli)) == 1


def test_an_alert_is_judged_again_when_config_changes_how_it_reads(
    tmp_path: Path, server: FeedServer
):
    path = feeds_config(tmp_path, [feed(server, "nws.xml", min_severity="severe")])
    cli = Cli(path)
    server.publish("nws.xml", sample("cap_flood_polygon.xml"), CAP)
    [report] = ok(cli, "feeds", "poll", "--json")
    assert [a["outcome"] for a in report["alerts"]] == ["below-severity"]
    path.write_text(path.read_text().replace("min_severity: severe", "min_severity: watch"))
    [report] = ok(cli, "feeds", "poll", "--json")  # 304: nothing new to read
    assert report["status"] == "not-modified"
    server.publish("nws.xml", sample("cap_flood_polygon.xml") + b"\n", CAP)  # a new ETag
    [report] = ok(cli, "feeds", "poll", "--json")
    assert [a["outcome"] for a in report["alerts"]] == ["suggested"]


def test_feed_text_is_never_read_as_markup_and_names_never_start_with_a_dash(
    tmp_path: Path, server: FeedServer
):
    cli = Cli(feeds_config(tmp_path, [feed(server, "nws.xml")]))
    body = re.sub(
        rb"<headline>[^<]*</headline>",
        b"<headline>-- Flood [/bold] Warning --</headline>",
        sample("cap_flood_polygon.xml"),
    )
    server.publish("nws.xml", body, CAP)
    ok(cli, "feeds", "poll")
    assert "Flood [/bold] Warning" in ok(cli, "crisis", "suggestions")
    [s] = suggestions(cli)
    assert s["name"] == "Flood [/bold] Warning --"
    assert ok(cli, *shlex.split(s["command"])[1:], "--json")["crisis"]["name"] == s["name"]


def test_a_feed_url_with_a_key_comes_from_the_environment_and_is_never_shown(
    tmp_path: Path, server: FeedServer, monkeypatch: pytest.MonkeyPatch
):
    keyed = {"id": "keyed", "url_env": "TACTFUL_TEST_FEED_URL", "every": "1m"}
    plain = feed(server, "plain.xml")
    plain["url"] = plain["url"].replace("http://", "http://user:hunter2@") + "?token=s3cret"
    cli = Cli(feeds_config(tmp_path, [keyed, plain]))
    unset = cli("config", "check")
    assert unset.exit_code == 2 and "feeds[0].url_env" in unset.stderr
    monkeypatch.setenv("TACTFUL_TEST_FEED_URL", server.url("nws.xml") + "?key=t0psecret")
    server.publish("nws.xml", sample("cap_flood_polygon.xml"), CAP)
    shown = {f["id"]: f["url"] for f in ok(cli, "feeds", "list", "--json")}
    assert shown["keyed"] == "$TACTFUL_TEST_FEED_URL"
    assert "hunter2" not in shown["plain"] and "s3cret" not in shown["plain"]
    assert shown["plain"].endswith("/plain.xml?token=%2A%2A%2A")
    [report] = ok(cli, "feeds", "poll", "keyed", "--json")
    assert [a["outcome"] for a in report["alerts"]] == ["suggested"]


def test_one_bad_item_is_skipped_with_its_line_and_the_rest_go_on(
    tmp_path: Path, server: FeedServer
):
    cli = Cli(feeds_config(tmp_path, [feed(server, "gdacs.xml", format="rss")]))
    body = sample("gdacs_rss.xml").replace(
        b"<item>", b"<item><description>no title, link or guid</description></item><item>", 1
    )
    server.publish("gdacs.xml", body, "application/rss+xml")
    [checked] = ok(cli, "feeds", "check", "--json")
    assert checked["ok"] and len(checked["skipped"]) == 1
    [report] = ok(cli, "feeds", "poll", "--json")
    assert report["status"] == "polled" and len(report["skipped"]) == 1
    assert "flood" in [a["category"] for a in report["alerts"]]
    [state] = ok(cli, "feeds", "list", "--json")
    assert state["failures"] == 0 and state["last_error"].startswith("skipped ")
