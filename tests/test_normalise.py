"""policies.normalise: the one text form that posts, keywords and lexicon patterns share."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.normalise import normalise, normalise_with_offsets

pytestmark = pytest.mark.unit

# Characters the normaliser treats specially, so that hypothesis meets them far more often
# than it would by drawing from the whole of Unicode.
TRICKY = list(
    "aAiIİıəƏşŞçÇğĞöÖüÜéÉýÝřŘčČůŮ"  # Latin with diacritics, Turkic I, schwa
    "бомбаБОМБАйЙёЁиеИ"  # Cyrillic, й and ё
    "قنبلةأإآٱىيـ"  # Arabic letters, alef forms, alef maqsura, tatweel
    "\u064b\u064e\u064f\u0650\u0651\u0652\u0670\u0654"  # harakat, shadda, sukun, hamza
    "\u0301\u0306\u0308\u0307\u0327\u0903"  # combining marks (stress, breve, ...)
    "-\u2010\u2011\u2013\u2014\u2212#_/\\| \t\n\u00a0\u2028\x1c\x85"  # separators
    "'\u2019\u2018\u02bc`"  # apostrophes
    "\u200b\u200d\u00ad\ufeff\ufe0e\ufe0f\u20e3"  # format characters, selectors, keycap
    "ﬁßẞǅΣσςΐᾼǰ¨˜ﷺ"  # compatibility forms, casefold expansions
    "😀❤☺💣.,!?%0"
)
LANGS = st.sampled_from([None, "az", "ru", "ar"])
ANY_TEXT = st.one_of(st.text(), st.text(st.sampled_from(TRICKY)))
NFC_TEXT = ANY_TEXT.map(lambda text: unicodedata.normalize("NFC", text))


# --- case -------------------------------------------------------------------------------


def test_case_is_folded_not_just_lowered():
    assert normalise("Hello WORLD") == "hello world"
    assert normalise("STRASSE Straße") == "strasse strasse"
    assert normalise("ΌΣΟΣ") == "οσοσ"


def test_azerbaijani_dotted_and_dotless_i():
    assert normalise("IŞIQ", "az") == "ısıq"
    assert normalise("İLƏ", "az") == "ilə"
    assert normalise("İstanbul", "az") == "istanbul"
    assert normalise("QASIRĞA", "az") == "qasırga"
    assert normalise("IŞIQ", "tr") == "ısıq"  # Turkish cases I the same way


def test_without_a_turkic_language_i_folds_the_usual_way():
    assert normalise("IŞIQ") == "isiq"
    assert normalise("IŞIQ", "cs") == "isiq"
    # the dot of İ does not survive as a combining mark
    assert normalise("İstanbul") == "istanbul"
    assert "\u0307" not in normalise("İSTANBUL")


def test_schwa_and_dotless_i_are_letters_and_stay():
    assert normalise("Əla qızıl") == "əla qızıl"
    assert normalise("Ə", "az") == "ə"


# --- diacritics and scripts -------------------------------------------------------------


def test_latin_diacritics_are_stripped():
    assert normalise("bombový") == "bombovy"
    assert normalise("Žluťoučký kůň úpěl ďábelské ódy") == "zlutoucky kun upel dabelske ody"
    assert normalise("şok çay ğ ö ü", "az") == "sok cay g o u"


def test_decomposed_latin_gives_the_same_form_as_precomposed():
    assert normalise("bombove\u0301") == normalise("bombové") == "bombove"


def test_cyrillic_short_i_is_kept_and_yo_becomes_ye():
    assert normalise("Йогурт") == "йогурт"
    assert normalise("ЁЛКА ещё") == "елка еще"
    result = normalise("бой")
    assert result == "бой"
    assert "\u0439" in result  # one precomposed й, not и + a breve or a bare и


def test_russian_stress_accents_are_dropped():
    assert normalise("бо\u0301мба") == "бомба"
    assert normalise("Взрывно\u0301й") == "взрывной"


def test_arabic_harakat_and_tatweel_are_dropped():
    assert normalise("قُنْبُلَةٌ") == "قنبلة"
    assert normalise("مُحَمَّد") == "محمد"
    assert normalise("عـــرض") == "عرض"
    assert normalise("هٰذا") == "هذا"  # superscript alef


def test_arabic_alef_forms_are_unified():
    assert normalise("أإآٱ") == "اااا"
    assert normalise("إرهاب") == "ارهاب"
    assert normalise("فوضى") == "فوضي"  # alef maqsura -> ya


# --- separators, apostrophes, format characters ------------------------------------------


@pytest.mark.parametrize(
    "separator",
    [
        "-",
        "\u2010",
        "\u2011",
        "\u2012",
        "\u2013",
        "\u2014",
        "\u2015",
        "\u2212",
        "#",
        "_",
        "/",
        "\\",
        "|",
        " ",
        "\t",
        "\n",
        "\u00a0",
        "\u2028",
    ],
)
def test_dashes_hash_and_whitespace_separate_words(separator):
    assert normalise(f"mind{separator}blowing") == "mind blowing"
    assert normalise(f"žár{separator}blowing") == "zar blowing"  # the non-ASCII path too


def test_runs_of_separators_become_one_space_and_ends_are_trimmed():
    assert normalise("  lots \t of\n\n space — here – #tag  ") == "lots of space here tag"
    assert normalise("#BostonStrong") == "bostonstrong"
    assert normalise(" - # ") == ""


def test_curly_apostrophes_become_straight():
    assert normalise("it’s we‘re itʼs it`s") == "it's we're it's it's"


def test_emoji_variation_selectors_and_joiners_are_dropped():
    assert normalise("❤️") == "❤"
    assert normalise("☺︎") == "☺"
    assert normalise("🔥\ufe0f🔥") == "🔥🔥"
    assert normalise("👩\u200d💻") == "👩💻"
    assert normalise("bom\u00adba") == "bomba"  # soft hyphen
    assert normalise("bom\u200bba") == "bomba"  # zero-width space


def test_compatibility_forms_are_unfolded():
    assert normalise("ﬁne") == "fine"
    assert normalise("Ｂｏｍｂ") == "bomb"


def test_acute_accent_used_as_apostrophe_becomes_straight():
    assert normalise("we´ve donated") == "we've donated"


def test_private_use_characters_are_not_turned_into_letters():
    assert normalise("\ue000\ue001") == "\ue000\ue001"


# --- offsets ----------------------------------------------------------------------------


def test_offsets_of_a_plain_word():
    assert normalise_with_offsets("Bombový") == ("bombovy", [0, 1, 2, 3, 4, 5, 6])


def test_offsets_skip_dropped_characters():
    assert normalise_with_offsets("عـــرض") == ("عرض", [0, 4, 5])
    assert normalise_with_offsets("бо\u0301мба") == ("бомба", [0, 1, 3, 4, 5])
    assert normalise_with_offsets("  a\u200b-b") == ("a b", [2, 5, 5])


def test_offsets_of_an_expansion_point_at_one_source_character():
    assert normalise_with_offsets("ﬁne") == ("fine", [0, 0, 1, 2])
    assert normalise_with_offsets("Straße") == ("strasse", [0, 1, 2, 3, 4, 4, 5])


def test_offsets_honour_the_language():
    assert normalise_with_offsets("IŞIQ", "az") == ("ısıq", [0, 1, 2, 3])


@pytest.mark.parametrize(
    "text",
    [
        "a  b",
        "  a b",
        "a #b #c",
        "a\n\n b",
        "a\u00a0 b",
        "a b  ",
        " \ta",
        "x - y -- z",
        "a  b\tc  d",
        "sale!  #BostonStrong  now",
    ],
)
def test_offsets_across_cut_whitespace_point_at_the_words(text):
    # runs of spaces alone and runs with other whitespace are found two ways; both must
    # land every letter on its source and every kept space on the word after it
    norm, where = normalise_with_offsets(text)
    assert norm == normalise(text)
    for index, char in enumerate(norm):
        if char == " ":
            assert normalise(text[where[index]]) and where[index] > where[index - 1]
        else:
            assert normalise(text[where[index]]) == char


def _source_character(text: str, index: int) -> str:
    """The character at `index` with the combining marks that follow it."""
    end = index + 1
    while end < len(text) and unicodedata.category(text[end]).startswith("M"):
        end += 1
    return text[index:end]


@settings(max_examples=300, deadline=None)
@given(NFC_TEXT, LANGS)
def test_offsets_give_the_normal_form_and_point_at_its_sources(text, lang):
    norm, where = normalise_with_offsets(text, lang)
    assert norm == normalise(text, lang)
    assert len(where) == len(norm)
    assert where == sorted(where)
    assert all(0 <= index < len(text) for index in where)
    # Partition the output by offset: the characters that point at source index o are
    # exactly what the source from o up to the next offset normalises to (spaces aside),
    # and the character at o itself contributes to them.
    starts = sorted(set(where))
    for k, start in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else len(text)
        mapped = "".join(c for c, w in zip(norm, where, strict=True) if w == start)
        assert mapped.replace(" ", "") == normalise(text[start:stop], lang).replace(" ", "")
        assert normalise(_source_character(text, start), lang).strip()


# --- idempotence ------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(ANY_TEXT, LANGS)
def test_normalise_is_idempotent(text, lang):
    once = normalise(text, lang)
    assert normalise(once, lang) == once


@pytest.mark.parametrize(
    "text", ["İSTANBUL", "QASIRĞA", "ǅemal", "ẞ", "قُنْبُلَةٌ", "ЁЖИК", "ﷺ", "a\u0301\u0301", "I\u0307"]
)
@pytest.mark.parametrize("lang", [None, "az"])
def test_normalise_is_idempotent_on_known_hard_cases(text, lang):
    once = normalise(text, lang)
    assert normalise(once, lang) == once
