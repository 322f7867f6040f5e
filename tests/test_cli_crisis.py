"""crisis, review and check through the CLI, on a real SQLite file."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest

from tests import conftest
from tests.conftest import Cli, base_config, crisis_scratch, listed, queue_post, write_config

pytestmark = pytest.mark.cli

#: the shared Boston arguments, with the hashtag the CLI tests also look for
BOSTON = [*conftest.BOSTON, "--keyword", "#BostonStrong"]


@pytest.fixture
def cli(tmp_path) -> Cli:
    return crisis_scratch(tmp_path)


add = queue_post


def statuses(cli: Cli) -> dict[int, str]:
    return {p["id"]: p["status"] for p in listed(cli)}


@pytest.fixture
def queue(cli: Cli) -> dict[str, int]:
    return {
        "promo": add(
            cli, "Killer deal: 30% off race-day singlets!", "stride-outbox", "--tag", "promo"
        ),
        "starter": add(
            cli,
            "What's your favourite long run?",
            "stride-outbox",
            "--tag",
            "conversation-starter",
            "--automated",
        ),
        "plain": add(cli, "Trail report: the river path is muddy today", "stride-outbox"),
        "prague": add(cli, "Bombový výprodej chleba!", "kvasek-outbox", "--tag", "promo"),
    }


def test_preview_changes_nothing_and_on_applies_the_same_judgement(cli, queue):
    before = statuses(cli)
    preview = json.loads(cli("crisis", "preview", *BOSTON, "--json").stdout)
    assert statuses(cli) == before and preview["epoch"] is None
    on = json.loads(cli("crisis", "on", *BOSTON, "--json").stdout)
    assert on["epoch"] == 1 and on["totals"] == preview["totals"]
    # kvasek (Prague) is out of the crisis's reach: neither judged nor listed
    assert on["totals"] == {"rewritten": 1, "paused": 1, "untouched": 1}
    assert on["by_brand"] == {"stride": {"rewritten": 1, "paused": 1, "untouched": 1}}
    assert statuses(cli) == {
        queue["promo"]: "held",
        queue["starter"]: "paused",
        queue["plain"]: "queued",
        queue["prague"]: "queued",
    }
    [promo] = [p for p in listed(cli) if p["id"] == queue["promo"]]
    assert promo["decision"]["action"] == "rewrite"
    assert promo["proposed_text"] == "We support the One Fund."
    assert {r["rule"] for r in promo["decision"]["reasons"]} >= {
        "sensitive-words",
        "sector-proximity",
    }
    match = promo["decision"]["reasons"][0]["matches"][0]
    assert promo["text"][match["start"] : match["end"]] == match["text"]


def test_the_impact_report_in_words(cli, queue):
    out = cli("crisis", "on", *BOSTON).stdout
    assert "Flagged crisis 1: Boston Marathon bombing [bombing, serious] (epoch 1)." in out
    assert "rewritten" in out and "sensitive-words (Killer)" in out


def test_update_adds_keywords_and_rejudges(cli, queue):
    cli("crisis", "on", *BOSTON)
    plain = queue["plain"]
    result = json.loads(cli("crisis", "update", "1", "--keyword", "river", "--json").stdout)
    assert result["epoch"] == 2 and statuses(cli)[plain] == "held"
    assert result["crisis"]["keywords"] == ["marathon", "#BostonStrong", "river"]
    down = json.loads(cli("crisis", "update", "1", "--severity", "watch", "--json").stdout)
    assert down["epoch"] == 3
    assert statuses(cli)[queue["starter"]] == "queued"  # no longer paused at watch
    assert cli("crisis", "update", "1").exit_code == 2  # nothing to change


def test_off_releases_paused_and_held_posts_nothing_stops_now_at_a_paced_rate(cli, queue, tmp_path):
    extra = [
        add(cli, f"Automated tip {i}", "stride-outbox", "--automated", "--tag", "evergreen")
        for i in range(3)
    ]
    cli("crisis", "on", *BOSTON)
    assert {statuses(cli)[i] for i in extra} == {"paused"}
    result = json.loads(cli("crisis", "off", "--rate", "1/1h", "--json").stdout)
    released = {pid: datetime.fromisoformat(at) for pid, at in result["released"]}
    assert set(released) == {queue["starter"], *extra}
    times = sorted(released.values())
    assert all(
        b - a >= timedelta(hours=1) - timedelta(seconds=1) for a, b in itertools.pairwise(times)
    )
    # the rewrite the crisis held for review goes back to the queue too, paced
    assert [pid for pid, _ in result["holds_released"]] == [queue["promo"]]
    assert statuses(cli)[queue["promo"]] == "queued"
    last = json.loads(cli("audit", "--post", str(queue["promo"]), "--json").stdout)["items"][-1]
    assert (last["from_status"], last["to_status"]) == ("held", "queued")
    assert last["reason"] == (
        "crisis 1 ended; no active crisis stops it now; released at a paced rate"
    )
    assert json.loads(cli("crisis", "status", "--json").stdout)["active"] == []
    history = json.loads(cli("crisis", "list", "--json").stdout)
    assert history[0]["ended_by"] == "tester" and history[0]["active"] is False


def test_off_to_review_and_off_that_keeps_posts_paused(cli, queue):
    cli("crisis", "on", *BOSTON)
    review = json.loads(cli("crisis", "off", "--resume", "review", "--json").stdout)
    assert review["to_review"] == [queue["starter"]]
    assert statuses(cli)[queue["starter"]] == "held"
    cli("crisis", "on", *BOSTON, "--severity", "severe")
    add(cli, "Another automated one", "stride-outbox", "--automated")
    kept = json.loads(cli("crisis", "off", "--resume", "hold", "--json").stdout)
    assert kept["kept_paused"] and all(statuses(cli)[i] == "paused" for i in kept["kept_paused"])


def test_expired_offers_are_dropped_when_the_crisis_ends(cli):
    pid = add(
        cli, "Weekend tip", "stride-outbox", "--automated", "--expires", "+3h", "--tag", "evergreen"
    )
    cli("crisis", "on", *BOSTON)
    result = json.loads(cli("crisis", "off", "--json").stdout)
    assert result["expired"] == [] and statuses(cli)[pid] == "queued"
    pid2 = add(
        cli, "Old tip", "stride-outbox", "--automated", "--tag", "evergreen", "--expires", "+2h1m"
    )
    cli("crisis", "on", *BOSTON)
    from scheduler.store import Store  # the offer runs out while the post is paused

    store = Store.open(f"sqlite:///{cli.config.parent / 'tactful.db'}")
    with store.write() as conn:
        past = (datetime.now(UTC) - timedelta(minutes=1)).replace(tzinfo=None)
        conn.exec_driver_sql("UPDATE posts SET expires_at = ? WHERE id = ?", (past, pid2))
    store.close()
    result = json.loads(cli("crisis", "off", "--json").stdout)
    assert result["expired"] == [pid2] and statuses(cli)[pid2] == "expired"


def test_posts_added_during_a_crisis_are_judged_at_once(cli):
    cli("crisis", "on", *BOSTON)
    result = cli(
        "post", "add", "#BostonStrong? 20% off all shoes!", "-c", "stride-outbox", "--at", "+1h"
    )
    assert result.exit_code == 0
    assert "is blocked by the crisis policy: block: newsjacking" in result.stderr
    ok = cli(
        "post",
        "add",
        "Our staff are giving blood today, so replies will be slow.",
        "-c",
        "stride-outbox",
        "--at",
        "+1h",
    )
    assert "Crisis policy" not in ok.stderr


def test_review_show_approve_edit_reject(cli, queue):
    cli("crisis", "on", *BOSTON)
    listed = json.loads(cli("review", "list", "--json").stdout)["items"]
    assert [p["id"] for p in listed] == [queue["promo"]]
    shown = cli("review", "show", str(queue["promo"])).stdout
    assert "sensitive-words" in shown and "Proposed rewrite" in shown
    assert "We support the One Fund." in shown
    diff = json.loads(cli("review", "show", str(queue["promo"]), "--json").stdout)["diff"]
    assert diff.startswith("[-Killer deal:") and "{+We support the One Fund.+}" in diff
    edited = json.loads(
        cli(
            "review",
            "edit",
            str(queue["promo"]),
            "--text",
            "Race-day singlets are in store",
            "--json",
        ).stdout
    )
    assert edited["status"] == "held"  # still a promotion close to the event
    edited = json.loads(
        cli(
            "review",
            "edit",
            str(queue["promo"]),
            "--text",
            "Our Boylston store closes early today.",
            "--tag",
            "service",
            "--json",
        ).stdout
    )
    assert edited["status"] == "queued"
    blocked = add(cli, "#BostonStrong: 20% off", "stride-outbox")
    refused = cli("review", "approve", str(blocked))
    assert refused.exit_code == 2 and "needs --override --note WHY" in refused.stderr
    assert cli("review", "approve", str(blocked), "--override").exit_code == 2
    approved = json.loads(
        cli(
            "review",
            "approve",
            str(blocked),
            "--override",
            "--note",
            "client insisted, legal agreed",
            "--json",
        ).stdout
    )
    assert approved["status"] == "queued" and approved["approved_epoch"] == 1
    audit = json.loads(cli("audit", "--post", str(blocked), "--json").stdout)["items"]
    assert audit[-1]["detail"]["override"] is True
    assert audit[-1]["reason"] == "client insisted, legal agreed"
    rejected = cli("review", "reject", str(queue["starter"]))
    assert rejected.exit_code == 2 and "is paused, not held" in rejected.stderr


def test_an_approved_post_goes_out_during_the_crisis_and_is_held_again_if_it_matters(cli, tmp_path):
    cli("crisis", "on", *BOSTON)
    pid = add(cli, "Marathon memories, the day after", "stride-outbox")
    assert statuses(cli)[pid] == "held"
    cli("review", "approve", str(pid), "--note", "meant as a tribute")
    assert statuses(cli)[pid] == "queued"
    cli("crisis", "update", "1", "--keyword", "Watertown")  # nothing new for this post
    assert statuses(cli)[pid] == "queued"
    cli("crisis", "update", "1", "--keyword", "memories")  # a word it has: judged again
    assert statuses(cli)[pid] == "held"


def test_check_judges_a_draft_against_active_or_hypothetical_crises(cli):
    idle = json.loads(
        cli("check", "Killer deal on shoes", "--brand", "stride", "--tag", "promo", "--json").stdout
    )
    assert idle["action"] == "publish" and idle["crises"] == []
    what_if = json.loads(
        cli(
            "check",
            "Nabídka, která vás smete: povodeň slev!",
            "--brand",
            "kvasek",
            "--crisis",
            "Povodně",
            "--category",
            "flood",
            "--region",
            "cz",
            "--json",
        ).stdout
    )
    assert what_if["action"] == "hold" and what_if["crises"] == [0]
    cli("crisis", "on", *BOSTON)
    live = json.loads(
        cli("check", "Killer deal on shoes", "--brand", "stride", "--tag", "promo", "--json").stdout
    )
    assert live["action"] == "rewrite" and live["crises"] == [1]
    assert statuses(cli) == {}  # nothing was queued


def test_checking_a_draft_the_policy_would_stop_prints_why_and_exits_1(cli):
    cli("crisis", "on", *BOSTON)
    told = cli("check", "Killer deal on shoes", "--brand", "stride", "--tag", "promo")
    assert told.exit_code == 1, told.output
    assert (
        told.stdout.startswith("rewrite — ")
        and "Proposed instead: We support the One Fund." in told.stdout
    )
    assert told.stderr == ""  # the decision is the answer, not an error
    as_json = cli("check", "Killer deal on shoes", "--brand", "stride", "--tag", "promo", "--json")
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["action"] == "rewrite"


def test_checking_a_draft_the_policy_would_publish_exits_0(cli):
    cli("crisis", "on", *BOSTON)
    told = cli("check", "Trail report: the river path is muddy today", "--brand", "stride")
    assert told.exit_code == 0, told.output
    assert told.stdout.startswith("publish\n")
    as_json = cli("check", "Nový žitný chléb", "--brand", "kvasek", "--json")
    assert as_json.exit_code == 0 and json.loads(as_json.stdout)["action"] == "publish"


def test_checking_without_brand_judges_for_the_only_brand_and_says_which(tmp_path):
    data = base_config()
    data["brands"] = [data["brands"][1]]
    cli = Cli(write_config(tmp_path, data))
    told = cli("check", "Nový žitný chléb")
    assert told.exit_code == 0, told.output
    assert told.stdout.splitlines()[0] == "Judged for brand kvasek, the only brand in config.yaml."
    assert json.loads(cli("check", "Nový žitný chléb", "--json").stdout)["brand"] == "kvasek"


def test_checking_without_brand_when_config_has_several_is_refused_naming_them(cli):
    told = cli("check", "Killer deal on shoes")
    assert told.exit_code == 2 and told.stdout == ""
    assert told.stderr == ("Error: give --brand: config.yaml has several brands (stride, kvasek)\n")


@pytest.mark.parametrize(
    "args, message",
    [
        (["crisis", "on", "X", "--category", "meteor"], "Invalid value for '--category'"),
        (["crisis", "on", "X", "--category", "flood", "--brand", "nope"], "unknown brand 'nope'"),
        (
            ["crisis", "on", "X", "--category", "flood", "--channel", "nope"],
            "--channel: unknown channel 'nope'",
        ),
        (["crisis", "on", " ", "--category", "flood"], "a crisis needs a name"),
        (["crisis", "off"], "no crisis is active"),
        (
            ["crisis", "on", "X", "--category", "flood", "--until", "2026-02-30T10:00"],
            "no such date",
        ),
        (
            ["check", "x", "--brand", "stride", "--category", "flood"],
            "give it a name with --crisis NAME",
        ),
    ],
)
def test_bad_crisis_input_exits_2_and_changes_nothing(cli, args, message):
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert json.loads(cli("crisis", "list", "--json").stdout) == []


@pytest.mark.parametrize(
    "args", [["crisis", "update", "7", "--severity", "watch"], ["crisis", "off", "7"]]
)
def test_updating_or_ending_a_crisis_that_does_not_exist_exits_3(cli, args):
    cli("crisis", "on", *BOSTON)
    before = cli("crisis", "list", "--json").stdout
    result = cli(*args)
    assert result.exit_code == 3, result.output
    assert result.stderr == "Error: no crisis with id 7\n"
    assert cli("crisis", "list", "--json").stdout == before


@pytest.mark.parametrize(
    "args",
    [
        ["review", "show", "99"],
        ["review", "approve", "99"],
        ["review", "reject", "99"],
        ["review", "edit", "99", "--text", "Our store closes early today."],
    ],
)
def test_reviewing_a_post_that_does_not_exist_exits_3(cli, queue, args):
    cli("crisis", "on", *BOSTON)
    before = statuses(cli)
    result = cli(*args)
    assert result.exit_code == 3, result.output
    assert result.stderr == "Error: no post with id 99\n"
    assert statuses(cli) == before


def test_two_active_crises_need_an_id_to_end_and_a_bad_rate_is_refused(cli):
    cli("crisis", "on", *BOSTON)
    cli("crisis", "on", "Floods", "--category", "flood", "--region", "cz")
    result = cli("crisis", "off")
    assert result.exit_code == 2 and "2 crises are active (1, 2); say which" in result.stderr
    bad = cli("crisis", "off", "2", "--rate", "fast")
    assert bad.exit_code == 2 and "--rate: rate 'fast'" in bad.stderr
    assert cli("crisis", "off", "2").exit_code == 0
    assert [c["id"] for c in json.loads(cli("crisis", "status", "--json").stdout)["active"]] == [1]


def test_reduced_operations_draft_a_notice_for_brands_in_scope_only(cli):
    result = json.loads(cli("crisis", "on", *BOSTON, "--ops", "reduced", "--json").stdout)
    [notice] = result["notices"]
    shown = json.loads(cli("post", "show", str(notice), "--json").stdout)
    assert shown["brand"] == "stride" and shown["status"] == "held"
    assert "Boston Marathon bombing" in shown["text"]
    assert shown["decision"]["reasons"][0]["rule"] == "follow-the-business"


def _age(cli: Cli, post_id: int, column: str, minutes_ago: int) -> None:
    """Move one of a post's times into the past, as if the clock had run on."""
    from scheduler.store import Store

    store = Store.open(f"sqlite:///{cli.config.parent / 'tactful.db'}")
    with store.write() as conn:
        past = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).replace(tzinfo=None)
        conn.exec_driver_sql(f"UPDATE posts SET {column} = ? WHERE id = ?", (past, post_id))
    store.close()


def test_a_held_post_whose_offer_expires_leaves_the_review_queue(cli):
    pid = add(cli, "Killer deal on singlets", "stride-outbox", "--tag", "promo", "--expires", "+3h")
    cli("crisis", "on", *BOSTON)
    assert statuses(cli)[pid] == "held"
    _age(cli, pid, "expires_at", 1)
    assert json.loads(cli("review", "list", "--json").stdout)["items"] == []
    assert statuses(cli)[pid] == "expired"
    refused = cli("review", "approve", str(pid), "--override", "--note", "fine")
    assert refused.exit_code == 2
    assert f"post {pid} expired at" in refused.output and "cannot be approved" in refused.output
    trail = json.loads(cli("audit", "--post", str(pid), "--json").stdout)["items"]
    assert trail[-1]["to_status"] == "expired" and "--expires passed" in trail[-1]["reason"]


def test_the_daemon_expires_stale_held_posts_before_each_pass(cli):
    pid = add(cli, "Killer deal on singlets", "stride-outbox", "--tag", "promo", "--expires", "+3h")
    keep = add(cli, "Killer deal, no end date", "stride-outbox", "--tag", "promo")
    cli("crisis", "on", *BOSTON)
    _age(cli, pid, "expires_at", 1)
    assert cli("daemon", "--once").exit_code == 0
    assert statuses(cli)[pid] == "expired" and statuses(cli)[keep] == "held"


def test_preview_shows_the_forms_each_keyword_matched(tmp_path):
    data = base_config()
    data["brands"][1]["regions"] = ["cz"]
    cli = Cli(write_config(tmp_path, data))
    for text in (
        "Vlaky dnes jezdí ke Karlínu",
        "Nehoda vlaku u Prahy",
        "Pečivo plné vlákniny",
        "Povodeň v Praze",
    ):
        add(cli, text, "kvasek-outbox")
    report = json.loads(
        cli(
            "crisis",
            "preview",
            "Nehoda",
            "--category",
            "transport-accident",
            "--keyword",
            "vlak",
            "--keyword",
            "Praha",
            "--region",
            "cz",
            "--json",
        ).stdout
    )
    assert report["keyword_forms"] == {
        "Praha": {"Praze": 1, "Prahy": 1},
        "vlak": {"Vlaky": 1, "vlaku": 1},
    }
    words = cli(
        "crisis",
        "preview",
        "Nehoda",
        "--category",
        "transport-accident",
        "--keyword",
        "vlak",
        "--region",
        "cz",
    ).stdout
    assert "vlak: " in words and "vlákniny" not in words.split("matched")[-1]


def test_off_leaves_held_what_another_crisis_stops_and_clears_a_block_for_review(cli):
    blocked = add(cli, "#BostonStrong: 20% off", "stride-outbox")
    river = add(cli, "Trail report: the river path is muddy today", "stride-outbox")
    cli("crisis", "on", *BOSTON)
    cli(
        "crisis", "on", "River flood", "--category", "flood", "--keyword", "river", "--region", "us"
    )
    assert statuses(cli)[blocked] == "held" and statuses(cli)[river] == "held"
    refused = cli("review", "approve", str(blocked))
    assert refused.exit_code == 2 and "needs --override" in refused.stderr
    ended = cli("crisis", "off", "1", "--resume", "review")
    assert ended.exit_code == 0, ended.stderr
    assert "1 held post(s) stay in review with no crisis verdict" in ended.stdout
    assert "1 held post(s) stay held: a crisis still active stops them." in ended.stdout
    shown = json.loads(cli("post", "show", str(blocked), "--json").stdout)
    assert shown["status"] == "held"
    assert shown["decision"] == {"action": "publish", "reasons": []}  # no crisis verdict
    assert (
        json.loads(cli("post", "show", str(river), "--json").stdout)["decision"]["action"]
        != "publish"
    )  # the flood still holds it
    # no override needed any more: nothing blocks it now
    approved = cli("review", "approve", str(blocked), "--json")
    assert approved.exit_code == 0, approved.stderr
    assert json.loads(approved.stdout)["status"] == "queued"
