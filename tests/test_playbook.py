"""The default playbook, brand playbooks merged over it, and their errors."""

from __future__ import annotations

import pytest
import yaml

from policies.engine import Judge
from policies.lexicon import CATEGORIES
from policies.models import Action, BrandFacts, Crisis, PostFacts, Severity
from policies.playbook import (
    RULES,
    PlaybookError,
    default_playbook,
    load_playbook,
    merge,
    parse_rate,
)
from scheduler.config import load_config
from scheduler.errors import ConfigError
from tests.conftest import base_config, write_config

pytestmark = pytest.mark.unit


def test_the_default_playbook_names_every_rule_category_and_the_design_sectors():
    playbook = default_playbook()
    assert set(playbook.rules) == set(RULES)
    assert set(playbook.categories) == set(CATEGORIES)
    for sector in (
        "athletic-apparel",
        "automotive",
        "fireworks",
        "childrens-clothing",
        "airline",
        "insurance",
    ):
        assert sector in playbook.sectors
    assert {"promo"} <= playbook.tags.promotion
    assert {"conversation-starter", "evergreen"} <= playbook.tags.automated_sequence
    for ops in ("reduced", "closed"):
        assert set(playbook.notices[ops]) == {"en", "id", "ar", "az", "cs", "ru"}


def test_merge_extends_with_plus_and_replaces_otherwise():
    base = {"tags": {"promotion": ["promo"], "service": ["service"]}, "version": 1}
    merged = merge(base, {"tags": {"promotion+": ["flash"], "service": ["svc"]}, "version": 2})
    assert merged == {"tags": {"promotion": ["promo", "flash"], "service": ["svc"]}, "version": 2}


def test_a_brand_playbook_extends_and_overrides_the_default(tmp_path):
    path = tmp_path / "brand.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "tags": {"promotion+": ["flash-sale"]},
                "rules": {
                    "slow-automation": {"from": "watch"},
                    "donation-boast": {"enabled": False},
                },
                "sectors": {"bakery": {"contexts": ["marathon"]}},
            }
        )
    )
    playbook = load_playbook(path, base=default_playbook())
    assert "flash-sale" in playbook.tags.promotion and "promo" in playbook.tags.promotion
    assert playbook.rules["slow-automation"].from_severity is Severity.WATCH
    assert (
        playbook.rules["slow-automation"].advice
        == default_playbook().rules["slow-automation"].advice
    )
    brand = BrandFacts(id="b", sectors=frozenset({"bakery"}))
    crisis = Crisis(
        id=1, name="x", category="bombing", severity=Severity.SERIOUS, contexts=("marathon",)
    )
    judge = Judge([crisis], lambda _brand: playbook)
    flash = PostFacts(text="Bagels!", brand=brand, channel="c", tags=frozenset({"flash-sale"}))
    assert judge.judge(flash).action is Action.PAUSE  # now close, and promotion
    gift = PostFacts(text="We donated $500 to the fund", brand=brand, channel="c", lang="en")
    assert judge.judge(gift).action is Action.PUBLISH  # the brand turned that rule off


@pytest.mark.parametrize(
    "content, message",
    [
        ({"rules": {"be-nice": {"from": "watch"}}}, "rules: unknown rule(s) be-nice"),
        ({"rules": {"newsjacking": {"action": "explode"}}}, "rules.newsjacking.action"),
        ({"resume": {"rate": "fast"}}, "resume.rate: rate 'fast': write N/PERIOD"),
        ({"categories": {"meteor": {}}}, "categories: categories must be exactly"),
    ],
)
def test_a_broken_brand_playbook_names_the_key(tmp_path, content, message):
    path = tmp_path / "brand.yaml"
    path.write_text(yaml.safe_dump(content))
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path, base=default_playbook())
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_config_check_refuses_a_brand_with_a_broken_playbook(tmp_path):
    (tmp_path / "brand.yaml").write_text("rules:\n  be-nice: {from: watch}\n")
    data = base_config()
    data["brands"][1]["playbook"] = "brand.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, data))
    message = str(caught.value)
    assert "brands[1].playbook:" in message and "unknown rule(s) be-nice" in message
    assert message.startswith(f"{tmp_path / 'config.yaml'}:")


def test_rates():
    assert parse_rate("4/1h") == (4, 3600)
    assert parse_rate("10/30m") == (10, 1800)
    assert parse_rate("2/h") == (2, 3600)
    for bad in ("0/1h", "four/1h", "4"):
        with pytest.raises(ValueError):
            parse_rate(bad)
