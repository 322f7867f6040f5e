"""The sector taxonomy's index kept in the user's cache folder between commands: the
same answers as built afresh, rebuilt when missing or broken, readable by its owner only."""

from __future__ import annotations

import json
import stat

import pytest

from policies.playbook import DEFAULT, load_playbook
from policies.taxonomy import Taxonomy
from scheduler import taxonomy_cache

TYPED = ["kids clothing", "детская одежда", "home insurance", "rail travel",
         "event ticketing", "coffee shop", "hunting and fishing", "spaceship repair"]


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
