"""policies.lexicon: the crisis lexicons and the matcher that reads posts with them."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest
import yaml

from policies import lexicon as lexicon_module
from policies.engine import builtin_cues, met_combos
from policies.lexicon import (
    BUILTIN_CUES,
    CATEGORIES,
    LAYERS,
    PHRASE_GROUPS,
    Found,
    LexiconError,
    Matcher,
    Pattern,
    available_languages,
    combos_for,
    keyword_patterns,
    lexicon_patterns,
    lexicon_table,
    load_lexicon,
)
from policies.normalise import normalise
from policies.playbook import default_playbook

pytestmark = pytest.mark.unit

LANGS = ("en", "id", "ar", "az", "cs", "ru")
SAMPLES = Path(__file__).parent / "data" / "lexicon_samples"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@cache
def _matcher(lang: str, categories: tuple[str, ...] = (), groups: tuple[str, ...] = ()) -> Matcher:
    layers = sorted({layer for c in categories for layer in _layers(c)})
    return Matcher(lexicon_patterns([lang], layers=layers, groups=groups), [lang])


def _layers(category: str) -> frozenset[str]:
    return default_playbook().layers_of(category)


def _idioms(lang: str, category: str) -> Matcher:
    """The words a crisis of this category holds in this language: its layers' idioms
    and literal words."""
    return _matcher(lang, (category,))


def _phrases(lang: str, group: str) -> Matcher:
    return _matcher(lang, (), (group,))


def _found(matcher: Matcher, text: str, lang: str | None) -> list[Found]:
    return matcher.locate(text, lang, matcher.hits(normalise(text, lang)))


def _patterns_hit(matcher: Matcher, text: str, lang: str | None) -> set[str]:
    return {hit.pattern.text for hit in matcher.hits(normalise(text, lang))}


@cache
def _samples(lang: str) -> dict:
    data = yaml.safe_load((SAMPLES / f"{lang}.yaml").read_text(encoding="utf-8"))
    assert data["language"] == lang
    return data


def _overlaps(word: str, text: str, spans: Iterable[Found]) -> bool:
    spans = list(spans)
    return any(
        f.start < m.end() and m.start() < f.end
        for m in re.finditer(re.escape(word), text)
        for f in spans
    )


# --- the sample files -------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_the_samples_cover_every_category_and_group(lang):
    data = _samples(lang)
    assert {s["category"] for s in data["should_match"]} == set(CATEGORIES)
    assert {s["category"] for s in data["should_not_match"]} == set(CATEGORIES)
    assert {(p["group"], p["match"]) for p in data["phrases"]} == {
        (g, m) for g in PHRASE_GROUPS for m in (True, False)
    }


@pytest.mark.parametrize("lang", LANGS)
def test_every_should_match_sample_is_found_in_its_category(lang):
    missed = []
    for sample in _samples(lang)["should_match"]:
        text, category = sample["text"], sample["category"]
        assert sample["expect"], f"sample without expected words: {text!r}"
        found = _found(_idioms(lang, category), text, lang)
        assert all(
            f.label[0] in ("idiom", "event") and f.label[1] in _layers(category) for f in found
        )
        for word in sample["expect"]:
            assert word in text, f"sample problem: {word!r} is not in {text!r}"
            if not _overlaps(word, text, found):
                missed.append((category, word, text, [f.text for f in found]))
    assert not missed


@pytest.mark.parametrize("lang", LANGS)
def test_no_should_not_match_sample_hits_its_category(lang):
    wrong = []
    for sample in _samples(lang)["should_not_match"]:
        text, category = sample["text"], sample["category"]
        hits = _hits(_idioms(lang, category), text, lang)
        if hits:
            wrong.append((category, text, [h.pattern.text for h in hits]))
    assert not wrong


def _in_group(lang: str, group: str, text: str) -> tuple[bool, list[str]]:
    """Whether a text has a phrase group as the Judge reads it: one of the group's
    phrases, or every cue of one of its combos (cue words alone do not count)."""
    matcher = _phrases(lang, group)
    norm = normalise(text, lang)
    hits = _hits(matcher, text, lang)
    phrases = [h.pattern.text for h in hits if h.pattern.label == ("phrase", group)]
    cues = {h.pattern.label[1] for h in hits if h.pattern.label[0] == "cue"}
    met = met_combos({group: combos_for([lang]).get(group, [])}, cues, builtin_cues(norm))
    return bool(phrases or met), phrases + [f"combo {sorted(c)}" for c in met.values()]


def _hits(matcher: Matcher, text: str, lang: str) -> list:
    """The matcher's hits, with the accent check the Judge applies in languages where
    accents tell words apart."""
    hits = matcher.hits(normalise(text, lang))
    if load_lexicon(lang).morphology.accents:
        hits = matcher.accented(text, lang, hits)
    return hits


@pytest.mark.parametrize("lang", LANGS)
def test_phrase_samples_match_their_group_as_stated(lang):
    wrong = []
    for sample in _samples(lang)["phrases"]:
        text, group = sample["text"], sample["group"]
        found, why = _in_group(lang, group, text)
        if found != sample["match"]:
            wrong.append((group, sample["match"], text, why))
    assert not wrong


def test_a_phrase_sample_is_not_found_without_its_group():
    # the phrase tests above are only meaningful if the matcher honours `groups`
    text = "Our hearts go out to everyone affected. #PrayForTexas"
    assert _phrases("en", "condolence").hits(normalise(text, "en"))
    assert not _phrases("en", "promotion").hits(normalise(text, "en"))
    assert not _idioms("en", "bombing").hits(normalise(text, "en"))


# --- required examples ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "word"),
    [
        ("ru", "Это просто бомба!", "бомба"),
        ("ru", "Новый вкус получился бомбой!", "бомбой"),
        ("ru", "БОМБА", "БОМБА"),
        ("cs", "Tohle je bomba!", "bomba"),
        ("cs", "Bombový výprodej jen do neděle", "Bombový"),
        ("cs", "BOMBOVÁ CENA", "BOMBOVÁ"),
    ],
)
def test_bombing_idioms_in_russian_and_czech(lang, text, word):
    found = _found(_idioms(lang, "bombing"), text, lang)
    assert [f.text for f in found] == [word]


def test_a_stem_is_shown_to_the_end_of_its_word():
    [found] = _found(_idioms("ru", "bombing"), "Взрывные скидки", "ru")
    assert (found.pattern, found.text, found.start, found.end) == ("взрыв*", "Взрывные", 0, 8)


def test_a_hashtag_is_shown_whole():
    found = _found(_idioms("en", "bombing"), "Bath time #BathBombs", "en")
    assert [(f.text, f.start) for f in found] == [("#BathBombs", 10)]


@pytest.mark.parametrize(
    ("lang", "category", "text", "word"),
    [
        ("ru", "bombing", "Взрывно\u0301й эффект", "Взрывно\u0301й"),
        ("ar", "bombing", "قُنْبُلَةٌ الموسم", "قُنْبُلَةٌ"),
    ],
)
def test_a_stem_is_shown_to_the_end_of_a_word_with_marks(lang, category, text, word):
    assert [f.text for f in _found(_idioms(lang, category), text, lang)] == [word]


# --- word boundaries --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "category", "text"),
    [
        ("en", "bombing", "Explore our range"),
        ("en", "bombing", "An unexploded idea"),  # explod* only at a word start
        ("en", "bombing", "Business is booming"),  # boom is a whole word
        ("en", "bombing", "Bombay Sapphire"),
        ("cs", "bombing", "Let do Bombaje"),
        ("cs", "bombing", "Bombaj"),
        ("ru", "bombing", "Бомбей"),
        ("ru", "bombing", "Бумага"),  # бум is a whole word
        ("ru", "bombing", "невзрывной"),  # взрыв* only at a word start
        ("en", "shooting", "Say goodbye to gunk"),
        ("en", "shooting", "a shotty job"),
        ("az", "flood", "Selfi çək"),
        ("ar", "wildfire", "أسعار صرف الدينار"),
        ("ar", "bombing", "مقنبلة"),  # م is not a clitic
    ],
)
def test_a_pattern_does_not_match_inside_a_longer_word(lang, category, text):
    assert not _idioms(lang, category).hits(normalise(text, lang))


def test_kaboom_and_boom_are_different_words():
    matcher = _idioms("en", "bombing")
    assert _patterns_hit(matcher, "KABOOM!", "en") == {"kaboom"}
    assert _patterns_hit(matcher, "Boom!", "en") == {"boom"}
    assert _patterns_hit(matcher, "Our mascot photobombed us", "en") == {"photobomb*"}


@pytest.mark.parametrize(
    ("lang", "category", "word", "longer"),
    [
        ("en", "shooting", "gun", "gunk"),
        ("en", "shooting", "shot", "shotty"),
        ("en", "bombing", "bomb", "bomba"),
        ("ru", "bombing", "бум", "бумага"),
        ("ru", "hurricane", "буря", "бурят"),
        ("cs", "bombing", "bomba", "bombaj"),
        ("az", "flood", "sel", "selfi"),
        ("ar", "wildfire", "نار", "نارجيلة"),
    ],
)
def test_a_whole_word_pattern_needs_a_word_end(lang, category, word, longer):
    matcher = _idioms(lang, category)
    assert word in _patterns_hit(matcher, f"so {word}!", lang)
    assert not matcher.hits(normalise(f"so {longer}!", lang))


def test_a_stem_matches_any_word_it_begins():
    assert _patterns_hit(_idioms("ru", "bombing"), "бомбический", "ru") == {"бомби*"}
    assert _patterns_hit(_idioms("cs", "bombing"), "bombovka", "cs") == {"bombov*"}
    assert _patterns_hit(_idioms("cs", "bombing"), "vybuchla", "cs") == {"výbuch*"}


def test_a_pattern_with_a_non_letter_edge_has_no_boundary_there():
    assert _patterns_hit(_idioms("en", "bombing"), "ka💣pow", "en") == {"💣"}
    assert _patterns_hit(_phrases("en", "promotion"), "up to 30% off", "en") >= {"30% off"}


def test_a_multi_word_pattern_matches_across_separators():
    assert _patterns_hit(_idioms("en", "bombing"), "so mind-blowing", "en") == {"mind blowing"}
    assert not _idioms("en", "bombing").hits(normalise("mind the blowing", "en"))


# --- Arabic clitics ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "text", "pattern", "shown"),
    [
        ("bombing", "والقنبلة الحقيقية", "قنبل*", "والقنبلة"),
        ("bombing", "الإرهاب", "إرهاب*", "الإرهاب"),
        ("pandemic", "بالعدوى", "عدوى", "بالعدوى"),
        ("pandemic", "للحجر الصحي", "حجر الصحي", "للحجر الصحي"),
        ("wildfire", "كالنار في الهشيم", "نار", "كالنار"),
        ("wildfire", "فالنيران", "نيران", "فالنيران"),
    ],
)
def test_arabic_patterns_match_after_clitics(category, text, pattern, shown):
    found = _found(_idioms("ar", category), text, "ar")
    assert (pattern, shown) in {(f.pattern, f.text) for f in found}


def test_an_arabic_phrase_covers_the_words_inside_it():
    text = "تصميم يصيب في مقتل!"
    [found] = _found(_idioms("ar", "shooting"), text, "ar")
    assert found.text == "في مقتل"
    assert _overlaps("مقتل", text, [found])
    assert not _idioms("ar", "shooting").hits(normalise("مقتل", "ar"))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("النار", "النار"),
        ("بالنار", "بالنار"),
        ("للنار", "للنار"),
        ("النار!", "النار"),
        ("وبالنار", None),  # و + بال stacked: not one of the clitics
        ("مالنار", None),
        ("سالنار", None),  # letters before the article are not clitics
        ("كتابالنار", None),  # inside a longer word
    ],
)
def test_an_arabic_clitic_counts_only_where_it_begins_the_word(text, found):
    # the clitics are checked where a key is found (one key per pattern, not one per
    # clitic): the match must start at the word's start, with nothing else before it
    matcher = Matcher([Pattern("نار", ("idiom", "fire"), "ar")], ["ar"])
    shown = [f.text for f in matcher.locate(text, "ar", matcher.hits(normalise(text, "ar")))]
    assert shown == ([found] if found else [])


def test_clitics_are_only_for_arabic_patterns():
    matcher = Matcher([Pattern("bomb", ("idiom", "bombing"), "en")])
    assert matcher.hits(normalise("bomb"))
    assert not matcher.hits(normalise("وbomb"))


# --- keywords ---------------------------------------------------------------------------


def _keyword_matcher(*keywords: str) -> Matcher:
    # a post of unknown language: every lexicon's endings, as the Judge does
    return Matcher(keyword_patterns(keywords, "c1", LANGS), LANGS)


def test_keywords_inflect_within_endings_unless_their_author_asked_for_a_prefix():
    patterns = [
        p
        for p in keyword_patterns(["Boston", "#BostonStrong", "NYC", "  ", "UK*", "Kyiv"], "c1")
        if not p.in_hashtag
    ]
    assert [(p.text, p.inflects) for p in patterns] == [
        ("Boston~", True),
        ("#BostonStrong~", True),
        ("NYC", False),
        ("UK*", False),
        ("Kyiv~", True),
    ]
    assert {p.label for p in patterns} == {("keyword", "c1")}


def test_a_keyword_also_matches_under_its_stem_in_each_language():
    texts = {
        p.text: p.lang for p in keyword_patterns(["Praha"], "c1", ["cs", "en"]) if not p.in_hashtag
    }
    assert texts == {"Praha~": None, "prah~": "cs", "praz~": "cs"}


@pytest.mark.parametrize(
    ("keywords", "text", "shown"),
    [
        (("Boston",), "Modlíme se za Bostonu", "Bostonu"),
        (("Boston",), "boston", "boston"),
        (("#BostonStrong",), "We are BostonStrong", "BostonStrong"),
        (("#BostonStrong",), "#bostonstrong", "#bostonstrong"),
        (("NYC",), "Love NYC!", "NYC"),
        (("NYC",), "#NYC", "#NYC"),
        (("Kyiv",), "Kyivan bakers", "Kyivan"),
        (("UK*",), "UKs", "UKs"),
        (("Praha",), "Povodeň v Praze", "Praze"),
        (("Praha",), "z Prahy", "Prahy"),
        (("Plzeň",), "v Plzni", "Plzni"),
        (("vlak",), "nehoda vlaku", "vlaku"),
        (("vlak",), "vlakové nádraží", "vlakové"),
        (("Москва",), "в Москве", "Москве"),
        (("Bakı",), "Bakıda sel", "Bakıda"),
    ],
)
def test_a_keyword_matches_at_a_word_start(keywords, text, shown):
    found = _found(_keyword_matcher(*keywords), text, None)
    assert {f.text for f in found} == {shown}
    assert found[0].label == ("keyword", "c1")


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("NYC", "NYCE"),  # three letters or fewer: whole word only
        ("Rio", "Rioja on offer"),
        ("Boston", "MiniBoston"),  # a stem still starts at a word start
        ("#BostonStrong", "Boston Strong"),
        ("vlak", "Pečivo plné vlákniny"),  # accents stripped, vlak- starts vláknina
        ("Boston", "Bostonka"),  # not an ending
        ("Москва", "Москвич"),
    ],
)
def test_a_keyword_does_not_match_elsewhere(keyword, text):
    assert not _keyword_matcher(keyword).hits(normalise(text))


# --- the lexicon files ------------------------------------------------------------------


def test_every_sampled_language_has_a_lexicon():
    assert set(LANGS) <= set(available_languages())


@pytest.mark.parametrize("lang", available_languages())
def test_each_lexicon_validates_and_every_pattern_matches_its_own_spelling(lang):
    lexicon = load_lexicon(lang)
    assert lexicon.language == lang
    assert lexicon.name
    assert set(lexicon.layers) == set(LAYERS)
    assert set(lexicon.phrases) == set(PHRASE_GROUPS)
    tables = [(("idiom", name), layer.idioms) for name, layer in lexicon.layers.items()]
    tables += [(("event", name), layer.literal) for name, layer in lexicon.layers.items()]
    tables += [(("phrase", group), items) for group, items in lexicon.phrases.items()]
    tables += [(("cue", name), items) for name, items in lexicon.cues.items()]
    silent, empty = [], []
    for label, patterns in tables:
        if not patterns and label[0] in ("idiom", "phrase"):
            empty.append(label)
        for text in patterns:
            pattern = Pattern(text, label, lang)
            if not pattern.core or not Matcher([pattern], [lang]).hits(
                normalise(pattern.core, lang)
            ):
                silent.append((label, text))
    assert not empty
    assert not silent


def test_an_unknown_language_is_a_lexicon_error():
    with pytest.raises(LexiconError, match="no lexicon for language 'xx'"):
        load_lexicon("xx")


def test_a_broken_lexicon_is_a_lexicon_error_that_says_where(tmp_path, monkeypatch):
    data = {
        "language": "zz",
        "name": "Broken",
        "layers": {"flood": {"idioms": ["x"]}},
        "phrases": {g: ["y"] for g in PHRASE_GROUPS},
    }
    (tmp_path / "zz_broken.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setattr(lexicon_module, "LEXICONS", tmp_path)
    with pytest.raises(LexiconError, match=r"zz_broken\.yaml: layers: unknown layer.*flood"):
        load_lexicon("zz_broken")


def test_a_combo_of_unknown_cues_is_a_lexicon_error(tmp_path, monkeypatch):
    data = {
        "language": "zz",
        "name": "Broken",
        "layers": {},
        "phrases": {"donation": ["y"]},
        "cues": {"gave": ["gave"]},
        "combos": {"donation": [["gave", "amount"]]},
    }
    (tmp_path / "zz_combo.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setattr(lexicon_module, "LEXICONS", tmp_path)
    with pytest.raises(LexiconError, match=r"combos\.donation: unknown cue.*amount"):
        load_lexicon("zz_combo")


def test_a_lexicon_that_gives_a_layer_twice_is_refused_not_half_read(tmp_path, monkeypatch):
    # the second `fire:` would silently replace the first's words
    (tmp_path / "zz_twice.yaml").write_text(
        "language: zz\nname: Twice\nlayers:\n  fire:\n    idioms: [a]\n  fire:\n    idioms: [b]\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(lexicon_module, "LEXICONS", tmp_path)
    with pytest.raises(LexiconError, match=r"zz_twice\.yaml:6: .*'fire' is given twice"):
        load_lexicon("zz_twice")


# --- regression on the seed essays ------------------------------------------------------

# What the idioms and event words of every layer find in each seed essay, in the essay's
# language, as (layer, words in the essay). Each was reviewed as a genuine idiom use:
#   000 id: "garis bidik" (in the crosshairs) and "di sekitar api unggun" (round the
#           campfire, the essay's tribal-marketing metaphor);
#   001 ar: "اشتعلت التقنيات" (social tech caught fire), "في مرمى النيران" (in the line of
#           fire: a shooting phrase, and النيران = fires inside it) and "القصص حول النار"
#           (stories round the fire) - the four fire/shooting metaphors;
#   003 cs: "zaplavily se proudy" (the streams flooded) and "revoluční médium";
#   004 ru: nothing.
SEED_FINDINGS = {
    ("000", "id"): {("weapons", "bidik"), ("fire", "api unggun")},
    ("001", "ar"): {
        ("fire", "اشتعلت"),
        ("weapons", "مرمى النيران"),
        ("fire", "النيران"),
        ("fire", "النار"),
    },
    ("003", "cs"): {("water", "zaplavily"), ("violence", "revoluční")},
    ("004", "ru"): set(),
}


@pytest.mark.parametrize(("seed", "lang"), list(SEED_FINDINGS))
def test_the_idioms_found_in_a_seed_essay(seed, lang):
    if not SEEDS.is_dir():
        pytest.skip(f"no seed essays at {SEEDS}")
    [path] = SEEDS.glob(f"{seed}_*.txt")
    text = path.read_text(encoding="utf-8")
    found = _found(_matcher(lang, CATEGORIES), text, lang)
    assert {(f.label[1], f.text) for f in found} == SEED_FINDINGS[seed, lang]


@pytest.mark.parametrize("lang", LANGS)
def test_a_matcher_from_cached_tables_finds_what_one_from_patterns_finds(lang):
    # the Judge keys each lexicon once per process (`lexicon_table`) and adds the crisis's
    # keywords per epoch; that must find exactly what keying every pattern afresh finds
    langs = tuple(sorted({lang, "en"}))
    layers = tuple(sorted(_layers("bombing")))
    keywords = keyword_patterns(["Boston", "#BostonStrong", "marathon", "výbuch"], "c1", langs)
    flat = Matcher(lexicon_patterns(langs, layers=layers) + keywords, langs)
    tabled = Matcher(
        keywords, langs, tables=[lexicon_table(one, layers, PHRASE_GROUPS) for one in langs]
    )
    data = _samples(lang)
    texts = [
        case["text"] for part in ("should_match", "should_not_match") for case in data.get(part, ())
    ]
    assert len(texts) > 20
    for sample in [*texts, "Boston marathon bomb deals #BostonStrong"]:
        norm = normalise(sample, lang)
        assert tabled.hits(norm, sample) == flat.hits(norm, sample), sample


# The built-in cues as first written: clearer, 5x slower (a leading lookbehind is tried at
# every position). The fast forms must agree with them on whether a text has each cue.
_PLAIN_CUES = {
    "time": re.compile(
        r"(?<![\d.,])(?:[01]?\d|2[0-3])(?::[0-5]\d|\.(?:00|15|30|45))"
        r"(?!\d)(?![.,]\d)"
    ),
    "phone": re.compile(r"(?<![\d.,])\+?\d(?:[ -]?\d){5,}(?![\d.,]\d)"),
}


@pytest.mark.parametrize(
    ("text", "cues"),
    [
        ("open from 9:00", {"number", "time"}),
        ("until 23:59", {"number", "time"}),
        ("at 24:00", {"number"}),
        ("at 18.00", {"number", "time"}),
        ("only 12.50", {"number"}),
        ("9.99 $", {"number"}),
        ("1:300", {"number"}),
        ("call 0800 555 123", {"number", "phone"}),
        ("+62 812-555", {"number", "phone"}),
        ("12345", {"number"}),
        ("1.234567", {"number"}),
        ("no digits", set()),
        ("(5) 6:45", {"number", "time"}),
    ],
)
def test_builtin_cues(text, cues):
    assert builtin_cues(text) == cues


def test_fast_builtin_cues_agree_with_their_plain_forms():
    rng = random.Random(20261203)
    alphabet = "0123456789012345:.,+- a٣"
    for _ in range(50_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14)))
        for name, plain in _PLAIN_CUES.items():
            assert (BUILTIN_CUES[name].search(text) is None) == (plain.search(text) is None), (
                name,
                text,
            )
