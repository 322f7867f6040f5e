"""Approvals that stick: a post a reviewer let go is held again only when a later crisis
change shows something the reviewer did not see; crises that cannot reach a brand leave
its posts alone and out of their reports."""

from __future__ import annotations

import json

import pytest

from tests.conftest import BOSTON, Cli, crisis_scratch, queue_post

pytestmark = pytest.mark.cli

PRAGUE_FLOOD = ["Povodně v Praze", "--category", "flood", "--keyword", "povodeň", "--region", "cz"]
PROMO = "Killer deal: 30% off race-day singlets!"


@pytest.fixture
def cli(tmp_path) -> Cli:
    return crisis_scratch(tmp_path)


add = queue_post


def status(cli: Cli, pid: int) -> str:
    return json.loads(cli("post", "show", str(pid), "--json").stdout)["status"]


def judged(cli: Cli, pid: int) -> list[dict]:
    audit = json.loads(cli("audit", "--post", str(pid), "--json").stdout)["items"]
    return [e for e in audit if e["action"] == "judge"]


@pytest.fixture
def approved_promo(cli: Cli) -> int:
    """A promotion the Boston crisis held for a rewrite, approved as it was."""
    pid = add(cli, PROMO, "stride-outbox", "--tag", "promo")
    cli("crisis", "on", *BOSTON)
    assert status(cli, pid) == "held"
    ok = cli("review", "approve", str(pid), "--note", "the client wants it out")
    assert ok.exit_code == 0, ok.output
    assert status(cli, pid) == "queued"
    return pid


def test_the_audit_says_why_the_policy_held_a_post(cli, approved_promo):
    [held] = judged(cli, approved_promo)
    assert held["to_status"] == "held"
    assert held["reason"].startswith("rewrite: ") and "sensitive-words (Killer)" in held["reason"]


def test_an_approval_survives_an_unrelated_crisis_in_another_country(cli, approved_promo):
    bread = add(cli, "Chléb z povodňové oblasti nepečeme", "kvasek-outbox")
    report = json.loads(cli("crisis", "on", *PRAGUE_FLOOD, "--json").stdout)
    assert status(cli, approved_promo) == "queued"
    # the flood cannot reach stride: its posts are neither judged nor listed
    assert set(report["by_brand"]) == {"kvasek"}
    assert report["judged"] == 1 and status(cli, bread) == "held"
    assert all(p["brand"] == "kvasek" for p in report["posts"])
    words = cli("crisis", "on", "Second flood", "--category", "flood", "--region", "cz").stdout
    assert "stride" not in words


def test_an_approval_survives_an_update_that_does_not_touch_the_post(cli, approved_promo):
    changed = cli("crisis", "update", "1", "--keyword", "Watertown")
    assert changed.exit_code == 0, changed.output
    assert status(cli, approved_promo) == "queued"
    lowered = cli("crisis", "update", "1", "--severity", "watch")
    assert lowered.exit_code == 0 and status(cli, approved_promo) == "queued"


def test_new_keywords_the_post_matches_hold_it_again_and_the_audit_says_why(cli, approved_promo):
    cli("crisis", "update", "1", "--keyword", "singlets")
    assert status(cli, approved_promo) == "held"
    again = judged(cli, approved_promo)[-1]
    # the event's own word next to an offer: newsjacking, which the reviewer never saw
    assert again["reason"].startswith(
        "approved before, but crisis 1 now stops it (newsjacking): block: "
    )
    assert "sensitive-words (Killer, singlets)" in again["reason"]


def test_a_crisis_that_grows_more_severe_holds_an_approved_post_again(cli, approved_promo):
    cli("crisis", "update", "1", "--severity", "severe")
    assert status(cli, approved_promo) == "held"
    assert "rose from serious to severe" in judged(cli, approved_promo)[-1]["reason"]


def test_a_new_crisis_that_reaches_the_brand_holds_an_approved_post_again(cli, approved_promo):
    cli(
        "crisis",
        "on",
        "Shooting at a race",
        "--category",
        "shooting",
        "--keyword",
        "singlets",
        "--region",
        "us",
    )
    assert status(cli, approved_promo) == "held"
    assert "approved before, but crisis 2 now stops it" in judged(cli, approved_promo)[-1]["reason"]


def test_the_daemon_sends_an_approved_post_after_an_unrelated_crisis(cli, approved_promo):
    cli("crisis", "on", *PRAGUE_FLOOD)
    cli("post", "edit", str(approved_promo), "--at", "now")
    sent = cli("daemon", "--once", "--json")
    assert sent.exit_code == 0, sent.output
    assert status(cli, approved_promo) == "published"


def test_a_preview_honours_approvals_as_the_toggle_would(cli):
    tips = add(cli, "Marathon training tips for the spring")
    cli("crisis", "on", *BOSTON)
    assert status(cli, tips) == "held"
    cli("review", "approve", str(tips))
    # a drill that reaches the brand but does not stop the post: crisis 1's reasons are
    # the ones the reviewer saw, so the post is not counted as held again
    preview = json.loads(
        cli(
            "crisis",
            "preview",
            "Storm warning",
            "--category",
            "flood",
            "--severity",
            "watch",
            "--keyword",
            "Watertown",
            "--region",
            "us-ma",
            "--json",
        ).stdout
    )
    assert preview["posts"] == [] and preview["totals"].get("held", 0) == 0


def test_editing_an_approved_post_voids_the_approval(cli, approved_promo):
    moved = cli("post", "edit", str(approved_promo), "--at", "+1h")
    assert moved.exit_code == 0, moved.output
    cli("crisis", "update", "1", "--keyword", "Watertown")
    assert status(cli, approved_promo) == "queued"  # a new time is not new words
    cli("post", "edit", str(approved_promo), "--text", "Killer deal: 40% off singlets!")
    cli("crisis", "update", "1", "--keyword", "Cambridge")
    assert status(cli, approved_promo) == "held"  # the reviewer never read this text


def test_an_approved_post_paused_with_its_channel_goes_out_when_the_channel_resumes(
    cli, approved_promo
):
    # the crisis that held it is still on: the approval, not the policy, lets it go
    cli("channel", "pause", "stride-outbox")
    assert status(cli, approved_promo) == "paused"
    resumed = json.loads(cli("channel", "resume", "stride-outbox", "--json").stdout)
    assert [pid for pid, _ in resumed["released"]] == [approved_promo]
    assert resumed["still_paused"] == 0 and status(cli, approved_promo) == "queued"
