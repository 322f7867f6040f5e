"""Sectors, contexts and tags as people type them: resolved, or refused with the nearest."""

from __future__ import annotations

import json

import pytest
import yaml

from policies.playbook import default_playbook, load_playbook
from policies.taxonomy import Taxonomy
from tests.conftest import Cli, base_config, listed, write_config


@pytest.mark.unit
@pytest.mark.parametrize(
    ("typed", "sector"),
    [
        ("childrens-clothing", "childrens-clothing"),
        ("kids clothing", "childrens-clothing"),
        ("Children's Wear", "childrens-clothing"),
        ("childrens-apparel", "childrens-clothing"),
        ("clothing for kids", "childrens-clothing"),
        ("home insurance", "home-insurance"),
        ("Insurance", "insurance"),
        ("insurers", "insurance"),
        ("rail travel", "rail"),
        ("hunting and fishing", "hunting-fishing"),
        ("Fireworks & Pyrotechnics", "fireworks"),
        ("event ticketing", "event-ticketing"),
        ("coffee shop", "cafe"),
        ("running shoes", "athletic-apparel"),
        ("auto body shop", "car-repair"),
        ("gun shop", "firearms"),
        ("toy shop", "toys"),
        ("online shop", "ecommerce"),
    ],
)
def test_a_sector_typed_any_which_way_resolves(typed, sector):
    assert default_playbook().resolve_sector(typed).ids == (sector,)


@pytest.mark.unit
def test_a_sector_above_one_found_is_left_out():
    # "auto" alone would be automotive, but car-repair is within automotive already
    assert default_playbook().resolve_sector("auto repair").ids == ("car-repair",)


@pytest.mark.unit
def test_two_businesses_in_one_name_resolve_to_both():
    assert set(default_playbook().resolve_sector("bakery & cafe").ids) == {"bakery", "cafe"}


@pytest.mark.unit
@pytest.mark.parametrize("typed", ["widgets", "xyz", "blockchain synergy"])
def test_a_sector_of_no_known_words_resolves_to_nothing(typed):
    assert default_playbook().resolve_sector(typed).ids == ()


@pytest.mark.unit
def test_closeness_is_inherited_down_the_tree():
    playbook = default_playbook()
    contexts = playbook.contexts_of("shooting", ["school"])
    assert playbook.lineage("childrens-clothing") == ["childrens-clothing", "apparel", "retail"]
    assert playbook.sector_is_close("childrens-clothing", "shooting", contexts)
    # hunting-fishing lists shooting itself; home-insurance inherits insurance's floods
    assert playbook.sector_is_close("hunting-fishing", "shooting", frozenset())
    assert playbook.sector_is_close("home-insurance", "flood", frozenset())
    assert not playbook.sector_is_close("bakery", "flood", playbook.contexts_of("flood"))


@pytest.mark.unit
def test_contexts_resolve_and_imply_broader_ones():
    playbook = default_playbook()
    assert playbook.resolve_context("concert hall").ids == ("concert",)
    assert playbook.resolve_context("primary school").ids == ("school",)
    assert playbook.resolve_context("train").ids == ("rail",)
    assert {"race", "sports-event", "crowd"} <= playbook.contexts_of("bombing", ["marathon"])
    assert "children" in playbook.contexts_of("shooting", ["school"])


@pytest.mark.unit
def test_concepts_make_word_choice_and_order_irrelevant():
    taxonomy = Taxonomy(
        {"kidswear": ["child clothing"]},
        {"child": ["kid", "kids", "children"], "clothing": ["clothes", "wear"]},
    )
    for typed in ("kids clothes", "clothes for children", "Kid's wear"):
        assert taxonomy.resolve(typed).ids == ("kidswear",), typed
    assert taxonomy.resolve("clothes").ids == ()


@pytest.mark.unit
def test_a_brand_playbook_adds_a_sector_and_names(tmp_path):
    path = tmp_path / "brand.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "sectors": {
                    "vinyl-records": {"parent": "retail", "names": ["record shop"]},
                    "fireworks": {"names+": ["ohňostroje"]},
                }
            }
        ),
        encoding="utf-8",
    )
    playbook = load_playbook(path, base=default_playbook())
    assert playbook.resolve_sector("Record Shop").ids == ("vinyl-records",)
    assert playbook.resolve_sector("ohňostroje").ids == ("fireworks",)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sectors": {"x": {"parent": "nowhere"}}}, "sectors.x.parent: unknown sector 'nowhere'"),
        ({"sectors": {"x": {"contexts": ["moon"]}}}, "sectors.x: unknown context(s) moon"),
        ({"sectors": {"x": {"categories": ["meteor"]}}}, "sectors.x.categories: unknown meteor"),
        ({"sectors": {"a": {"parent": "b"}, "b": {"parent": "a"}}}, "a loop"),
    ],
)
def test_a_broken_taxonomy_in_a_playbook_is_refused(tmp_path, change, message):
    from policies.playbook import PlaybookError

    path = tmp_path / "brand.yaml"
    path.write_text(yaml.safe_dump(change), encoding="utf-8")
    with pytest.raises(PlaybookError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_playbook(path, base=default_playbook())


# -- tags ------------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    ("typed", "tag"),
    [
        ("promo", "promo"),
        ("#NewArrivals", "new-arrival"),
        ("new_arrival", "new-arrival"),
        ("New Collection", "new-collection"),
        ("Sleva", "discount"),
        ("скидка", "discount"),
        ("TBT", "tbt"),
        ("evergreen", "evergreen"),
        ("tips", "tips"),
    ],
)
def test_tags_are_matched_by_spelling_plural_and_language(typed, tag):
    assert default_playbook().tags.canonical(typed) == tag


@pytest.mark.unit
@pytest.mark.parametrize(
    ("typed", "tag"),
    [
        ("auto-repost", "repost"),
        ("summer-new-arrivals", "new-arrival"),
        ("black-friday-deals", "deal"),
        ("flash_sale_2026", "flash-sale"),
        ("special-hours", None),
        ("sale-cancelled", None),
        ("no-sale", None),
        ("book-club", None),
        ("menu-change", None),
        ("offer-ended", None),
    ],
)
def test_a_tag_of_several_words_means_what_its_last_known_words_mean(typed, tag):
    assert default_playbook().tags.canonical(typed) == tag


@pytest.mark.unit
def test_an_unknown_tag_is_none_with_a_suggestion():
    tags = default_playbook().tags
    assert tags.canonical("newarival") is None
    assert tags.nearest("newarival") == ["new-arrival"]


# -- through the command line ------------------------------------------------------------


@pytest.fixture
def cli(tmp_path) -> Cli:
    data = base_config()
    data["brands"][0]["sectors"] = ["Running shoes & apparel"]
    data["brands"][1]["sectors"] = ["bakery & cafe"]
    return Cli(write_config(tmp_path, data))


@pytest.mark.cli
def test_config_check_says_what_each_sector_resolved_to(cli):
    result = cli("config", "check")
    assert result.exit_code == 0, result.output
    assert "'Running shoes & apparel' -> athletic-apparel" in result.stdout
    data = json.loads(cli("config", "check", "--json").stdout)
    assert data["sectors"]["kvasek"] == {"bakery & cafe": ["cafe", "bakery"]}


@pytest.mark.cli
def test_a_sector_that_resolves_to_nothing_is_an_error_with_its_line(tmp_path):
    data = base_config()
    data["brands"][1]["sectors"] = ["bakery", "quantum widgets"]
    result = Cli(write_config(tmp_path, data))("config", "check")
    assert result.exit_code == 2
    line = result.output.strip().splitlines()[-1]
    assert "config.yaml:" in line and "brands[1].sectors[1]" in line
    assert "'quantum widgets' is not a sector Tactful knows" in line
    assert "tactful sectors" in line


@pytest.mark.cli
def test_sectors_lists_the_taxonomy_and_resolves_text(cli):
    rows = json.loads(cli("sectors", "--json").stdout)
    assert len(rows) >= 60
    by_id = {r["id"]: r for r in rows}
    assert by_id["childrens-clothing"]["lineage"] == ["apparel", "retail"]
    assert "school" in by_id["childrens-clothing"]["close_to_contexts"]
    resolved = json.loads(cli("sectors", "--resolve", "kids clothing", "--json").stdout)
    assert resolved["resolved"] == ["childrens-clothing"]
    assert "childrens-clothing ->" not in cli("sectors").stdout  # a table, not a resolution


@pytest.mark.cli
def test_contexts_and_tags_list_what_is_known(cli):
    contexts = {r["id"] for r in json.loads(cli("contexts", "--json").stdout)}
    assert {
        "concert",
        "festival",
        "stadium",
        "school",
        "hospital",
        "hotel",
        "bridge",
        "metro",
    } <= contexts
    tags = {r["tag"]: r["means"] for r in json.loads(cli("tags", "--json").stdout)}
    assert tags["new-arrival"] == "promotion" and tags["evergreen"] == "automated_sequence"


@pytest.mark.cli
def test_crisis_on_refuses_an_unknown_context_and_stores_resolved_ones(cli):
    bad = cli("crisis", "on", "X", "--category", "bombing", "--context", "moonbase")
    assert bad.exit_code == 2
    assert "--context: 'moonbase' is not a context Tactful knows" in bad.output
    assert json.loads(cli("crisis", "list", "--json").stdout) == []
    good = json.loads(
        cli(
            "crisis", "on", "Y", "--category", "bombing", "--context", "Concert Hall", "--json"
        ).stdout
    )
    assert good["crisis"]["contexts"] == ["concert"]


@pytest.mark.cli
def test_post_add_refuses_an_unknown_tag_naming_the_known_ones(cli):
    result = cli("post", "add", "Hello", "-c", "stride-outbox", "--at", "+1h", "--tag", "newarival")
    assert result.exit_code == 2
    assert "unknown tag 'newarival'; did you mean new-arrival?" in result.output
    assert "promotion: " in result.output and "promo" in result.output
    assert listed(cli) == []


@pytest.mark.cli
def test_post_add_stores_the_tag_the_playbook_knows(cli):
    added = cli(
        "post",
        "add",
        "Autumn is in",
        "-c",
        "stride-outbox",
        "--at",
        "+1h",
        "--tag",
        "#NewArrivals",
        "--tag",
        "Promo",
    )
    assert added.exit_code == 0, added.output
    [post] = listed(cli)
    assert post["tags"] == ["new-arrival", "promo"]


@pytest.mark.cli
def test_post_import_refuses_a_file_with_an_unknown_tag_and_queues_nothing(cli, tmp_path):
    csv = tmp_path / "week.csv"
    csv.write_text(
        "channel,at,text,tags\n"
        "stride-outbox,+1h,Fine,promo\n"
        "stride-outbox,+2h,Not fine,zorbulate\n",
        encoding="utf-8",
    )
    result = cli("post", "import", str(csv))
    assert result.exit_code == 2
    assert "week.csv:3: column 'tags': unknown tag 'zorbulate'" in result.output
    assert listed(cli) == []


@pytest.mark.cli
def test_a_brand_playbook_may_add_tags(tmp_path):
    (tmp_path / "stride.yaml").write_text("tags:\n  other+: [crew-spotlight]\n", encoding="utf-8")
    data = base_config()
    data["brands"][0]["playbook"] = "stride.yaml"
    cli = Cli(write_config(tmp_path, data))
    assert (
        cli(
            "post",
            "add",
            "Meet Ana",
            "-c",
            "stride-outbox",
            "--at",
            "+1h",
            "--tag",
            "crew-spotlight",
        ).exit_code
        == 0
    )
    refused = cli(
        "post", "add", "Meet Ana", "-c", "kvasek-outbox", "--at", "+1h", "--tag", "crew-spotlight"
    )
    assert refused.exit_code == 2  # the other brand's playbook does not know it


def _pairs() -> dict:
    from pathlib import Path

    path = Path(__file__).parent / "data" / "taxonomy_pairs.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.unit
def test_hundreds_of_typed_sectors_and_contexts_in_six_languages_resolve():
    playbook = default_playbook()
    pairs = _pairs()
    wrong = [
        (kind, text, want, resolve(text).ids)
        for kind, resolve in (
            ("sectors", playbook.resolve_sector),
            ("contexts", playbook.resolve_context),
        )
        for text, want in pairs[kind]
        if resolve(text).ids != (want,)
    ]
    assert len(pairs["sectors"]) >= 500 and len(pairs["contexts"]) >= 200
    assert not wrong


@pytest.mark.unit
def test_unrelated_words_resolve_to_nothing():
    playbook = default_playbook()
    wrong = [
        (text, playbook.resolve_sector(text).ids, playbook.resolve_context(text).ids)
        for text in _pairs()["refused"]
        if playbook.resolve_sector(text).ids or playbook.resolve_context(text).ids
    ]
    assert not wrong


@pytest.mark.unit
def test_a_plus_key_with_one_item_without_brackets_adds_that_item(tmp_path):
    path = tmp_path / "brand.yaml"
    path.write_text(
        "sectors:\n  fireworks: {names+: pyrotechnika}\ntags:\n  promotion+: flash-drop\n",
        encoding="utf-8",
    )
    playbook = load_playbook(path, base=default_playbook())
    assert playbook.resolve_sector("pyrotechnika").ids == ("fireworks",)
    assert "flash-drop" in playbook.tags.promotion and "o" not in playbook.tags.vocabulary
    assert playbook.resolve_sector("t shirts").ids == ("apparel",)


@pytest.mark.cli
def test_csv_tags_of_several_words_and_tags_separated_by_spaces(cli, tmp_path):
    csv = tmp_path / "week.csv"
    csv.write_text(
        "channel,at,text,tags\n"
        'stride-outbox,+1h,Test drive day,"test drive, promo"\n'
        "stride-outbox,+2h,Two tags,promo sale\n",
        encoding="utf-8",
    )
    assert cli("post", "import", str(csv)).exit_code == 0
    tags = [p["tags"] for p in listed(cli)]
    assert tags == [["test-drive", "promo"], ["promo", "sale"]]
