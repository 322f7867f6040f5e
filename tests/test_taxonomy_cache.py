"""The sector taxonomy's index kept in the user's cache folder between commands: the
same answers as built afresh, rebuilt when missing or broken, readable by its owner only."""

from __future__ import annotations

import json
import stat

import pytest

from policies.playbook import DEFAULT, load_playbook
from policies.taxonomy import Taxonomy
from scheduler import taxonomy_cache
from scheduler.errors import ConfigError

pytestmark = pytest.mark.unit

TYPED = [
    "kids clothing",
    "детская одежда",
    "home insurance",
    "rail travel",
    "event ticketing",
    "coffee shop",
    "hunting and fishing",
    "spaceship repair",
]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "tactful"


def _fresh() -> Taxonomy:
    return load_playbook(DEFAULT).sector_names


def test_an_index_read_from_the_cache_resolves_as_one_built_afresh(cache, monkeypatch):
    built = _fresh()
    taxonomy_cache.warm(built)
    [kept] = cache.glob("taxonomy-*.json")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600

    def not_again(self):
        raise AssertionError("the index was built again instead of read")

    monkeypatch.setattr(Taxonomy, "index", not_again)
    read = _fresh()
    taxonomy_cache.warm(read)
    assert read.indexed
    for typed in TYPED:
        assert read.resolve(typed) == built.resolve(typed), typed
        assert read.nearest(typed) == built.nearest(typed), typed


def test_a_broken_cache_file_is_rebuilt(cache):
    taxonomy_cache.warm(_fresh())
    [kept] = cache.glob("taxonomy-*.json")
    kept.write_text("{not json", encoding="utf-8")
    again = _fresh()
    taxonomy_cache.warm(again)
    assert again.resolve("kids clothing").ids == _fresh().resolve("kids clothing").ids
    assert "names" in json.loads(kept.read_text(encoding="utf-8"))


def test_other_names_get_another_index(cache):
    one = Taxonomy({"bakery": ["bread shop"]})
    two = Taxonomy({"bakery": ["bread shop", "pekárna"]})
    assert one.fingerprint("code") != two.fingerprint("code")
    assert one.fingerprint("code") != one.fingerprint("other code")
    taxonomy_cache.warm(one)
    taxonomy_cache.warm(two)
    assert len(list(cache.glob("taxonomy-*.json"))) == 2
    assert two.resolve("pekárna").ids == ("bakery",)


def test_the_same_names_in_another_order_get_another_index(cache):
    # the index lists names in the order of the entries, so the order is part of the key
    one = Taxonomy({"bakery": ["bread shop"], "cafe": ["coffee shop"]})
    two = Taxonomy({"cafe": ["coffee shop"], "bakery": ["bread shop"]})
    assert one.fingerprint("code") != two.fingerprint("code")


def test_the_key_follows_the_stemmers_and_unicode(monkeypatch):
    import unicodedata

    import Stemmer

    taxonomy_cache._code.cache_clear()
    before = taxonomy_cache._code()
    monkeypatch.setattr(Stemmer, "version", lambda: "0.0.0-other")
    taxonomy_cache._code.cache_clear()
    assert taxonomy_cache._code() != before
    monkeypatch.undo()
    monkeypatch.setattr(unicodedata, "unidata_version", "1.0.0")
    taxonomy_cache._code.cache_clear()
    assert taxonomy_cache._code() != before
    monkeypatch.undo()
    taxonomy_cache._code.cache_clear()


# -- a playbook found valid, and the sectors that resolve under it ----------------------


def _config(tmp_path, sectors, playbook=None):
    from scheduler.config import load_config
    from tests.conftest import base_config, write_config

    data = base_config()
    data["brands"][0]["sectors"] = sectors
    if playbook is not None:
        data["brands"][0]["playbook"] = playbook
    return load_config(write_config(tmp_path, data))


def _playbook_reads(monkeypatch) -> list[str]:
    """Count the playbook files read (the real reader still reads them)."""
    import policies.playbook

    reads: list[str] = []
    real = policies.playbook._read

    def counting(path):
        reads.append(path.name)
        return real(path)

    monkeypatch.setattr(policies.playbook, "_read", counting)
    policies.playbook.default_playbook.cache_clear()
    from scheduler import config

    config._load_brand_playbook.cache_clear()
    return reads


def test_a_config_checked_before_is_not_checked_against_the_playbook_again(
    cache, tmp_path, monkeypatch
):
    reads = _playbook_reads(monkeypatch)
    first = _config(tmp_path, ["kids clothing", "coffee"])
    assert reads  # the first time, the playbook is read to resolve the sectors
    assert [c.name for c in cache.glob("checked-*.json")]
    reads.clear()
    import policies.playbook

    policies.playbook.default_playbook.cache_clear()
    again = _config(tmp_path, ["coffee", "kids clothing"])
    assert reads == []
    assert again.sectors_of("stride") == first.sectors_of("stride")  # read when asked
    # a sector never resolved here still is, and one that resolves nowhere still fails
    reads.clear()
    policies.playbook.default_playbook.cache_clear()
    _config(tmp_path, ["coffee", "bakery"])
    assert reads
    with pytest.raises(ConfigError, match=r"brands\[0\]\.sectors\[1\]"):
        _config(tmp_path, ["coffee", "spaceship repair"])


def test_a_brand_playbook_changed_since_it_was_checked_is_read_again(cache, tmp_path, monkeypatch):
    own = tmp_path / "own.yaml"
    own.write_text("rules:\n  newsjacking: {from: watch}\n", encoding="utf-8")
    reads = _playbook_reads(monkeypatch)
    _config(tmp_path, ["coffee"], playbook="own.yaml")
    reads.clear()
    _config(tmp_path, ["coffee"], playbook="own.yaml")
    assert reads == []
    own.write_text("rules:\n  be-nice: {from: watch}\n", encoding="utf-8")
    _playbook_reads(monkeypatch)  # as a new command would: nothing read in this process
    with pytest.raises(ConfigError, match=r"brands\[0\]\.playbook:.*be-nice"):
        _config(tmp_path, ["coffee"], playbook="own.yaml")
