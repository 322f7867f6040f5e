"""Posts too long for their network are refused when queued, counted as the network
counts (grapheme clusters; Mastodon's links and remote mentions), with the count and the
limit in one line, exit 2, and nothing queued."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scheduler.network_limits import graphemes, mastodon_length
from tests.conftest import Cli, base_config, refused, write_config
from tests.test_cli_crisis import BOSTON

FAMILY = "👨‍👩‍👧‍👦"  # one grapheme of seven code points
FLAG = "🇦🇿"


@pytest.mark.unit
def test_graphemes_count_what_a_reader_sees():
    assert graphemes(FAMILY) == 1 and len(FAMILY) == 7
    assert graphemes(FLAG * 3) == 3
    assert graphemes("Příliš") == 6 and graphemes("Pr\u030ci\u0301lis\u030c") == 6
    assert graphemes("مرحبا بالعالم") == 13
    assert graphemes("Привет, мир") == 11


@pytest.mark.unit
def test_mastodon_counts_links_as_23_and_remote_mentions_by_name():
    link = "https://example.com/" + "a" * 200
    assert mastodon_length(f"See {link}") == 4 + 23
    assert mastodon_length("hi @alice@mastodon.social") == len("hi @alice")
    assert mastodon_length("Hi", spoiler_text="CW") == 4


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    data = base_config()
    data["brands"][0]["crisis_alternative"] = {"en": "We support the One Fund."}
    data["brands"][0]["channels"] += [
        {
            "id": "stride-masto",
            "kind": "mastodon",
            "instance": "https://social.example",
            "token_env": "STRIDE_MASTODON_TOKEN",
            "max_characters": 100,
        },
        {
            "id": "stride-sky",
            "kind": "bluesky",
            "service": "https://pds.example",
            "handle": "stride.example",
            "password_env": "STRIDE_BSKY_PASSWORD",
        },
    ]
    return Cli(write_config(tmp_path, data))


@pytest.mark.cli
def test_post_add_refuses_a_post_over_the_limit_naming_count_and_limit(cli: Cli):
    message = refused(cli, "post", "add", "x" * 101, "-c", "stride-masto", "--at", "+1h")
    assert (
        "TEXT: 101 characters, more than the 100 a post on Mastodon channel "
        "'stride-masto' may have" in message
    )
    assert cli("post", "add", "x" * 100, "-c", "stride-masto", "--at", "+1h").exit_code == 0
    sky = "Ваш заказ готов 👨‍👩‍👧‍👦 " * 13  # 286 graphemes, far more code points
    assert cli("post", "add", sky.strip(), "-c", "stride-sky", "--at", "+1h").exit_code == 0
    message = refused(cli, "post", "add", "مرحبا " * 51, "-c", "stride-sky", "--at", "+2h")
    assert "305 characters, more than the 300 a post on Bluesky channel" in message


@pytest.mark.cli
def test_the_crisis_text_must_fit_too(cli: Cli):
    message = refused(
        cli, "post", "add", "Short", "-c", "stride-masto", "--at", "+1h", "--crisis-text", "y" * 150
    )
    assert message.startswith("Error: --crisis-text: 150 characters")


@pytest.mark.cli
def test_an_import_with_one_long_row_queues_nothing(cli: Cli, tmp_path: Path):
    csv = tmp_path / "posts.csv"
    csv.write_text(
        "text,channel,at\nFits,stride-masto,+1h\n" + "z" * 120 + ",stride-masto,+2h\n",
        encoding="utf-8",
    )
    message = refused(cli, "post", "import", str(csv))
    assert "posts.csv:3: column 'text': 120 characters" in message


@pytest.mark.cli
def test_post_edit_and_review_edit_refuse_a_text_that_no_longer_fits(cli: Cli):
    cli("post", "add", "Fits", "-c", "stride-masto", "--at", "+1h")
    message = refused(cli, "post", "edit", "1", "--text", "w" * 101)
    assert "101 characters, more than the 100" in message
    cli(
        "post",
        "add",
        "Killer deal: 30% off race-day singlets!",
        "-c",
        "stride-masto",
        "--at",
        "+2h",
        "--tag",
        "promo",
    )
    cli("crisis", "on", *BOSTON)
    assert [p["id"] for p in json.loads(cli("review", "list", "--json").stdout)["items"]] == [2]
    message = refused(cli, "review", "edit", "2", "--text", "v" * 130)
    assert "--text: 130 characters, more than the 100" in message
