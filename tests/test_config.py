from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scheduler.config import load_config, parse_config
from scheduler.errors import ConfigError
from tests.conftest import base_config, write_config

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.unit
def test_the_shipped_example_config_is_valid():
    config = load_config(REPO / "config.yaml")
    kinds = {ch.kind for _, ch in config.channels.values()}
    assert {"outbox", "webhook"} <= kinds
    assert 2 <= len(config.brands) <= 3
    for brand in config.brands:
        assert brand.sectors and brand.regions and brand.languages


def _error(data: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(yaml.safe_dump(data, sort_keys=False), source="config.yaml")
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.unit
def test_an_unknown_channel_kind_names_the_key_path_line_and_choices():
    data = base_config()
    data["brands"][1]["channels"][0]["kind"] = "fax"
    message = _error(data)
    assert (
        "brands[1].channels[0].kind: must be one of outbox, webhook, mastodon, bluesky, "
        "email (got 'fax')"
    ) in message
    text = yaml.safe_dump(data, sort_keys=False)
    line = next(n for n, ln in enumerate(text.splitlines(), 1) if "kind: fax" in ln)
    assert message.startswith(f"config.yaml:{line}:")


@pytest.mark.unit
def test_a_field_error_inside_a_channel_skips_the_union_tag():
    data = base_config()
    data["brands"][0]["channels"][1]["url"] = "ftp://nope"
    assert "brands[0].channels[1].url: String should match pattern" in _error(data)


@pytest.mark.unit
def test_unknown_keys_are_refused_with_a_suggestion():
    data = base_config()
    data["brands"][0]["timezon"] = "UTC"
    assert "brands[0].timezon: unknown key; did you mean 'timezone'?" in _error(data)


@pytest.mark.unit
def test_bad_values_are_explained():
    data = base_config()
    data["brands"][0]["timezone"] = "Mars/Olympus"
    assert "brands[0].timezone: unknown time zone 'Mars/Olympus'" in _error(data)
    data = base_config(max_lateness="soon")
    assert "daemon.max_lateness: duration 'soon': not a duration" in _error(data)
    data = base_config()
    data["brands"][1]["channels"][0]["slots"][0]["days"] = ["someday"]
    assert "brands[1].channels[0].slots[0].days: Value error, " not in _error(data)
    assert "'someday' is not a day" in _error(data)


@pytest.mark.unit
def test_duplicate_channel_ids_are_refused():
    data = base_config()
    data["brands"][1]["channels"][0]["id"] = "stride-outbox"
    assert "channels: id 'stride-outbox' is used twice" in _error(data)


@pytest.mark.unit
def test_broken_yaml_names_the_line():
    with pytest.raises(ConfigError, match=r"^config.yaml:3: not valid YAML \(found character"):
        parse_config("timezone: UTC\nbrands:\n\t- id: a\n", source="config.yaml")


@pytest.mark.unit
def test_config_path_precedence(tmp_path, monkeypatch):
    explicit = write_config(tmp_path, base_config())
    other = tmp_path / "other"
    other.mkdir()
    env_file = write_config(other, {**base_config(), "timezone": "Europe/Prague"})
    monkeypatch.setenv("TACTFUL_CONFIG", str(env_file))
    assert load_config(None).timezone == "Europe/Prague"
    assert load_config(explicit).timezone == "UTC"
    monkeypatch.delenv("TACTFUL_CONFIG")
    assert load_config(None).timezone == "UTC"  # ./config.yaml (tmp_path is the cwd)


@pytest.mark.unit
def test_missing_config_says_how_to_fix_it(tmp_path):
    with pytest.raises(ConfigError, match="config file not found; pass --config"):
        load_config(tmp_path / "nope.yaml")


@pytest.mark.unit
def test_database_defaults_beside_the_config_and_env_overrides(tmp_path, monkeypatch):
    config = load_config(write_config(tmp_path, base_config()))
    assert config.database_url == f"sqlite:///{tmp_path / 'tactful.db'}"
    config = load_config(write_config(tmp_path, base_config(), database="data/q.db"))
    assert config.database_url == f"sqlite:///{tmp_path / 'data/q.db'}"
    monkeypatch.setenv("TACTFUL_DATABASE_URL", "postgresql://x@127.0.0.1/y")
    assert config.database_url == "postgresql://x@127.0.0.1/y"


@pytest.mark.cli
def test_config_check_says_which_languages_are_screened_and_warns_for_the_rest(tmp_path):
    import json

    from tests.conftest import Cli

    data = base_config()
    data["brands"][0]["languages"] = ["en", "pt", "SW"]
    data["brands"][1]["languages"] = ["cs"]
    cli = Cli(write_config(tmp_path, data))
    checked = cli("config", "check")
    assert checked.exit_code == 0  # a warning, not an error: such posts still go out
    assert "stride: posts in en are screened in their own language" in checked.stdout
    assert "kvasek: posts in cs are screened in their own language" in checked.stdout
    [warning] = [line for line in checked.stderr.splitlines() if "no lexicon" in line]
    assert warning.startswith("warning: brands stride: no lexicon for 'pt', 'sw':")
    assert "notices for 'pt', 'sw' are drafted in English" in warning
    assert warning.endswith("(languages with a lexicon: ar, az, cs, en, id, ru)")
    report = json.loads(cli("config", "check", "--json").stdout)
    assert report["languages"] == {
        "stride": {"screened": ["en"], "not_screened": ["pt", "sw"]},
        "kvasek": {"screened": ["cs"], "not_screened": []},
    }
    assert any("no lexicon for 'pt', 'sw'" in w for w in report["warnings"])
