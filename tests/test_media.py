"""Images with alt text: checked when queued (file, type, size and count per network, alt
text required), kept with the post, and refused at send time if the file changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Cli, base_config, queued_posts, refused, write_config
from tests.images import png

pytestmark = pytest.mark.cli


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    data = base_config()
    data["brands"][0]["channels"] += [
        {
            "id": "stride-masto",
            "kind": "mastodon",
            "instance": "https://social.example",
            "token_env": "STRIDE_MASTODON_TOKEN",
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


def test_an_image_is_kept_with_its_alt_text(cli: Cli, tmp_path: Path):
    image = png(tmp_path / "shoe.png")
    added = json.loads(
        cli(
            "post",
            "add",
            "New trail shoe",
            "-c",
            "stride-sky",
            "--at",
            "+1h",
            "--media",
            str(image),
            "--alt",
            "A red trail shoe on gravel",
            "--json",
        ).stdout
    )
    [media] = added["media"]
    assert media["alt"] == "A red trail shoe on gravel" and media["mime"] == "image/png"
    assert media["path"] == str(image.resolve()) and media["size"] == image.stat().st_size
    edited = json.loads(
        cli("post", "edit", str(added["id"]), "--text", "New trail shoes", "--json").stdout
    )
    assert edited["media"] == added["media"]  # an edit keeps the images it does not change


@pytest.mark.parametrize(
    ("make", "extra", "message"),
    [
        ("png", [], "1 image(s) but 0 alt text(s)"),
        ("png", ["--alt", "  "], "--alt for"),
        ("missing", ["--alt", "x"], "no such file"),
        ("text", ["--alt", "x"], "not a JPEG, PNG, GIF or WebP image"),
        ("big", ["--alt", "x"], "more than the 1,000,000 bytes an image on bluesky channel"),
    ],
)
def test_bad_images_are_refused_when_queued(
    cli: Cli, tmp_path: Path, make: str, extra: list[str], message: str
):
    target = tmp_path / f"{make}.png"
    if make == "png":
        png(target)
    elif make == "text":
        target.write_text("not an image")
    elif make == "big":
        png(target, padding=1_000_001)
    error = refused(
        cli,
        "post",
        "add",
        "Look",
        "-c",
        "stride-sky",
        "--at",
        "+1h",
        "--media",
        str(target),
        *extra,
    )
    assert message in error


def test_more_images_than_the_network_takes_are_refused(cli: Cli, tmp_path: Path):
    args = []
    for n in range(5):
        args += ["--media", str(png(tmp_path / f"{n}.png", color=(n, n, n))), "--alt", f"{n}"]
    error = refused(cli, "post", "add", "Five", "-c", "stride-masto", "--at", "+1h", *args)
    assert "5 images, more than the 4 a post on mastodon channel 'stride-masto'" in error


def test_csv_columns_media_and_alt_are_read_beside_the_file(cli: Cli, tmp_path: Path):
    folder = tmp_path / "campaign"
    folder.mkdir()
    png(folder / "a.png")
    png(folder / "b.png", color=(1, 2, 3))
    (folder / "posts.csv").write_text(
        "text,channel,at,media,alt\n"
        'Two pictures,stride-masto,+1h,a.png|b.png,"A shoe, red|A shoe, blue"\n',
        encoding="utf-8",
    )
    assert cli("post", "import", str(folder / "posts.csv")).exit_code == 0
    [post] = queued_posts(cli)
    assert [m["alt"] for m in post["media"]] == ["A shoe, red", "A shoe, blue"]
    (folder / "bad.csv").write_text(
        "text,channel,at,media,alt\nOne,stride-masto,+2h,missing.png,Gone\n", encoding="utf-8"
    )
    error = refused(cli, "post", "import", str(folder / "bad.csv"))
    assert "bad.csv:2: column 'media'" in error and "no such file" in error
