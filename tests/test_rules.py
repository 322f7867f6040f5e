"""The playbook's rules, one by one and in six languages, through the pure Judge."""

from __future__ import annotations

import pytest

from policies.engine import Judge, in_scope, regions_overlap
from policies.models import Action, BrandFacts, Crisis, Ops, PostFacts, Severity

pytestmark = pytest.mark.unit

BOSTON = dict(
    id=1,
    name="Boston Marathon bombing",
    category="bombing",
    keywords=("marathon", "Boston", "#BostonStrong"),
    contexts=("marathon",),
    regions=("us-ma",),
)
STRIDE = BrandFacts(
    id="stride",
    sectors=frozenset({"athletic-apparel"}),
    regions=("us-ma",),
    languages=("en",),
    alternatives={"en": "We support the One Fund for the victims."},
)
BAKERY = BrandFacts(id="bakery", sectors=frozenset({"food"}), regions=("us-ma",), languages=("en",))


def crisis(severity: str = "serious", **overrides) -> Crisis:
    return Crisis(**{**BOSTON, "severity": Severity(severity), **overrides})


def judge(
    text: str,
    *,
    brand: BrandFacts = BAKERY,
    severity: str = "serious",
    tags=(),
    automated: bool = False,
    lang: str | None = "en",
    crisis_text: str | None = None,
    **crisis_overrides,
):
    post = PostFacts(
        text=text,
        brand=brand,
        channel="main",
        tags=frozenset(tags),
        lang=lang,
        automated=automated,
        crisis_text=crisis_text,
    )
    return Judge([crisis(severity, **crisis_overrides)]).judge(post)


def rules(decision) -> set[str]:
    return {r.rule for r in decision.reasons if r.action is not Action.PUBLISH}


# -- rule 1: follow the business ----------------------------------------------------------
def test_reduced_operations_pause_promotion_and_keep_service():
    promo = judge("Fresh muffins, two for one", tags=["promo"], ops=Ops.REDUCED)
    service = judge("We open at 9 tomorrow", tags=["service"], ops=Ops.REDUCED)
    assert promo.action is Action.PAUSE and rules(promo) == {"follow-the-business"}
    assert service.action is Action.PUBLISH


def test_closed_operations_pause_every_automated_post_but_not_a_person_writing():
    automated = judge("Our story in pictures", automated=True, ops=Ops.CLOSED, severity="watch")
    human = judge("We are closed today.", ops=Ops.CLOSED, severity="watch")
    assert automated.action is Action.PAUSE and "follow-the-business" in rules(automated)
    assert human.action is Action.PUBLISH


# -- rule 2: sensitive words -------------------------------------------------------------
def test_the_event_words_and_the_idioms_are_held_with_the_matches_shown():
    decision = judge("Our new bagel is DA BOMB, see you at the marathon!")
    assert decision.action is Action.HOLD
    [reason] = [r for r in decision.reasons if r.rule == "sensitive-words"]
    shown = {(m.text, m.start) for m in reason.matches}
    assert shown == {("DA BOMB", 17), ("marathon", 41)}
    assert "da bomb" in reason.advice.lower()


def test_watch_holds_only_posts_with_the_event_words():
    assert judge("Killer deal on bagels", severity="watch").action is Action.HOLD
    assert (
        judge("Morning bagels are warm", severity="watch", tags=["promo"], automated=True).action
        is Action.PUBLISH
    )


@pytest.mark.parametrize(
    "lang, text, word",
    [
        ("ru", "Новый вкус получился бомбой! Пробуйте сегодня", "бомбой"),
        ("ru", "Это просто БОМБА", "БОМБА"),
        ("cs", "Bombový výprodej jen do neděle!", "Bombový"),
        ("cs", "Tahle bomba chutná skvěle", "bomba"),
        ("id", "Promo meledak akhir pekan ini!", "meledak"),
        ("az", "Bu endirim əsl bombadır!", "bombadır"),
        ("ar", "عرض متفجر على جميع المنتجات", "متفجر"),
    ],
)
def test_idioms_are_found_in_each_language(lang, text, word):
    decision = judge(text, lang=lang)
    assert decision.action is Action.HOLD, decision
    found = {m.text for r in decision.reasons for m in r.matches}
    assert any(word in f or f in word for f in found), found


def test_english_idioms_are_checked_in_every_language():
    assert judge("Naše bagely jsou DA BOMB", lang="cs").action is Action.HOLD


def test_no_false_hits_inside_other_words():
    for text in (
        "Explore our new trail maps",
        "Bombay sapphire cocktails tonight",
        "The boombox is back in stock",
        "Marathi recipes this week",
    ):
        assert judge(text, severity="watch").action is Action.PUBLISH, text


# -- rule 3: how close the business is ----------------------------------------------------
def test_a_close_brand_promotion_is_rewritten_with_its_prepared_alternative():
    decision = judge("New racing flats: 15% off this week", brand=STRIDE, tags=["promo"])
    assert decision.action is Action.REWRITE
    assert decision.proposed_text == "We support the One Fund for the victims."
    assert "sector-proximity" in rules(decision)


def test_the_posts_own_crisis_text_wins_and_no_alternative_means_pause():
    own = judge(
        "New racing flats",
        brand=STRIDE,
        tags=["promo"],
        crisis_text="Our Boylston store is closed today.",
    )
    assert own.proposed_text == "Our Boylston store is closed today."
    bare = BrandFacts(id="b", sectors=frozenset({"athletic-apparel"}), regions=("us-ma",))
    assert judge("New racing flats", brand=bare, tags=["promo"]).action is Action.PAUSE


def test_the_same_promotion_from_a_distant_sector_goes_out():
    assert judge("New bagels: 15% off this week", tags=["promo"]).action is Action.PUBLISH


def test_sector_closeness_is_not_in_force_at_watch():
    assert (
        judge("New racing flats", brand=STRIDE, tags=["promo"], severity="watch").action
        is Action.PUBLISH
    )


@pytest.mark.parametrize(
    "sector, category, contexts",
    [
        ("athletic-apparel", "bombing", ("marathon",)),
        ("automotive", "bombing", ("vehicle", "car-bomb")),
        ("fireworks", "shooting", ()),
        ("childrens-clothing", "shooting", ("school",)),
        ("airline", "transport-accident", ("aircraft",)),
        ("insurance", "flood", ()),
    ],
)
def test_the_design_sector_pairs_are_close(sector, category, contexts):
    brand = BrandFacts(id="b", sectors=frozenset({sector}), regions=())
    decision = judge(
        "Spring offers are here",
        brand=brand,
        tags=["promo"],
        category=category,
        contexts=contexts,
        keywords=(),
    )
    assert decision.action is Action.PAUSE and "sector-proximity" in rules(decision)


# -- rule 4: careful with feelings ---------------------------------------------------------
@pytest.mark.parametrize(
    "lang, donated, giving_blood",
    [
        (
            "en",
            "We donated $10,000 to the relief fund",
            "Our staff are giving blood today, so replies will be slow.",
        ),
        (
            "cs",
            "Darovali jsme 100 000 Kč na pomoc obětem",
            "Naši zaměstnanci dnes darují krev, odpovědi budou pomalejší.",
        ),
        (
            "ru",
            "Мы пожертвовали 100 000 рублей пострадавшим",
            "Наши сотрудники сегодня сдают кровь, поэтому ответы будут медленнее.",
        ),
        (
            "az",
            "Zərərçəkənlərə 10 000 manat ianə etdik",
            "Əməkdaşlarımız bu gün qan verir, cavablar gecikə bilər.",
        ),
        (
            "id",
            "Kami donasikan Rp100 juta untuk para korban",
            "Tim kami hari ini donor darah, jadi balasan akan lebih lambat.",
        ),
        (
            "ar",
            "تبرعنا بمبلغ 10000 دولار للضحايا",
            "موظفونا يتبرعون بالدم اليوم لذا قد تتأخر الردود",
        ),
    ],
)
def test_a_donation_boast_is_held_and_an_honest_operational_notice_goes_out(
    lang, donated, giving_blood
):
    boast = judge(donated, lang=lang, severity="watch")
    notice = judge(giving_blood, lang=lang, severity="watch")
    assert boast.action is Action.HOLD and rules(boast) == {"donation-boast"}, boast
    assert notice.action is Action.PUBLISH, notice
    # where the notice needs its allowance (it names the event), the decision says so
    named = judge(f"#BostonStrong {giving_blood}", lang=lang, severity="watch")
    assert named.action is Action.PUBLISH, named
    assert [r.rule for r in named.reasons] == ["operational-notice"]


def test_newsjacking_is_blocked():
    decision = judge("#BostonStrong? Stay strong with 20% off all shoes!")
    assert decision.action is Action.BLOCK and "newsjacking" in rules(decision)
    matched = {m.text for r in decision.reasons if r.rule == "newsjacking" for m in r.matches}
    assert {"#BostonStrong", "20% off"} <= matched


def test_an_empty_condolence_is_held_but_one_that_helps_is_not():
    empty = judge("Our hearts go out to everyone affected.", severity="watch")
    useful = judge(
        "Our hearts go out to everyone affected. Here is how you can help: "
        "donate blood at the Red Cross.",
        severity="watch",
    )
    assert empty.action is Action.HOLD and rules(empty) == {"empty-condolence"}
    assert "empty-condolence" not in rules(useful)


def test_an_operational_notice_may_name_the_event_but_not_use_idioms():
    plain = judge(
        "Because of the marathon attack our store is closed today; replies will be slow.",
        severity="watch",
    )
    idiom = judge(
        "Because of the marathon attack our store is closed today; replies "
        "will be slow. Killer deals return next week!",
        severity="watch",
    )
    assert plain.action is Action.PUBLISH
    assert idiom.action is not Action.PUBLISH


# -- rule 5: slow automation ---------------------------------------------------------------
def test_automated_sequences_pause_from_serious_and_all_automation_at_severe():
    starter = dict(tags=["conversation-starter"], automated=True)
    recycled = dict(automated=True)
    assert judge("Favourite bagel?", severity="watch", **starter).action is Action.PUBLISH
    assert judge("Favourite bagel?", severity="serious", **starter).action is Action.PAUSE
    assert judge("Bagels at 7", severity="serious", **recycled).action is Action.PUBLISH
    assert judge("Bagels at 7", severity="severe", **recycled).action is Action.PAUSE
    assert judge("Bagels at 7", severity="severe").action is Action.PUBLISH  # a person


# -- rule 6: scope ---------------------------------------------------------------------------
def test_regions_are_hierarchical_and_a_brand_without_regions_is_everywhere():
    assert regions_overlap(["us-ma"], ["us"]) and regions_overlap(["us"], ["us-ma"])
    assert not regions_overlap(["us-ny"], ["us-ma"]) and not regions_overlap(["cz"], ["us"])
    assert regions_overlap([], ["us-ma"])
    assert not regions_overlap(["usa"], ["us"])  # a prefix is not a parent


def test_posts_out_of_scope_keep_going():
    prague = BrandFacts(id="kvasek", regions=("cz",), languages=("cs",))
    assert judge("DA BOMB bagels", brand=prague).action is Action.PUBLISH
    post = PostFacts(text="x", brand=BAKERY, channel="main", lang="en")
    assert not in_scope(post, crisis(brands=("other",)))
    assert not in_scope(post, crisis(channels=("other",)))
    assert not in_scope(post, crisis(langs=("cs",)))
    assert in_scope(post, crisis(langs=("en",), channels=("main",), brands=("bakery",)))


def test_several_crises_combine_to_the_strictest():
    flood = Crisis(
        id=2, name="Floods", category="flood", severity=Severity.WATCH, keywords=("flood",)
    )
    post = PostFacts(
        text="A flood of new arrivals, and the marathon route", brand=BAKERY, channel="m", lang="en"
    )
    decision = Judge([crisis("watch"), flood]).judge(post)
    assert decision.action is Action.HOLD
    assert {r.crisis for r in decision.reasons} == {1, 2}


# -- issue 7: judgement that generalises ------------------------------------------------------
def test_closed_stops_a_persons_ordinary_post_and_lets_a_notice_through():
    closed = dict(ops=Ops.CLOSED, severity="watch")
    assert judge("Meet Ana, our new head baker", **closed).action is Action.PAUSE
    assert judge("Fresh rye from seven", tags=["promo"], **closed).action is Action.PAUSE
    notice = judge("Our bakery is closed today and tomorrow; orders will ship on Monday.", **closed)
    assert notice.action is Action.PUBLISH, notice


def test_closed_stops_at_least_what_reduced_stops():
    for text, tags in (
        ("New autumn collection now in store!", ()),
        ("Book your table for Friday", ()),
        ("Rye is back", ("promo",)),
        ("What is your favourite bread?", ("conversation-starter",)),
    ):
        reduced = judge(text, tags=tags, ops=Ops.REDUCED, severity="watch")
        closed = judge(text, tags=tags, ops=Ops.CLOSED, severity="watch")
        assert reduced.action is Action.PAUSE, (text, reduced)
        assert closed.action.rank >= reduced.action.rank, (text, closed)


def test_promotion_is_read_from_the_text_and_an_offer_in_a_notice_is_not_promotion():
    promo = judge("New autumn collection now in store!", ops=Ops.REDUCED, severity="watch")
    priced = judge("Sourdough loaves from $6 each this week", ops=Ops.REDUCED, severity="watch")
    refund = judge(
        "All tickets for Saturday's show will be refunded automatically.",
        ops=Ops.REDUCED,
        severity="watch",
    )
    assert promo.action is Action.PAUSE and priced.action is Action.PAUSE
    assert refund.action is Action.PUBLISH, refund


@pytest.mark.parametrize(
    "text",
    [
        "Our bank has donated $50,000 to families who lost their homes",
        "The company transferred 5 million tenge to the relief fund",
        "We are sending 200 blankets and drinking water to the shelters",
        "This week we delivered 500 hot meals to the doctors at City Hospital",
    ],
)
def test_a_donation_boast_in_any_person_tense_currency_or_kind_is_held(text):
    decision = judge(text, severity="watch")
    assert decision.action is Action.HOLD and "donation-boast" in rules(decision), decision


def test_an_invitation_to_give_is_help_not_a_boast():
    decision = judge("You can help: donate to the Red Cross flood appeal.", severity="watch")
    assert decision.action is Action.PUBLISH, decision


def test_a_notice_may_name_the_event_in_plain_words():
    flood = dict(category="flood", keywords=("Vltava",), contexts=())
    notice = judge(
        "Our Karlín branch is closed today because the street is flooded.",
        severity="watch",
        **flood,
    )
    ordinary = judge("The river is flooded, come and see our new cakes", severity="watch", **flood)
    assert notice.action is Action.PUBLISH, notice
    assert ordinary.action is Action.HOLD, ordinary


@pytest.mark.parametrize(
    ("category", "text"),
    [
        ("flood", "A chocolate cake to die for"),
        ("earthquake", "Killer prices all weekend"),
        ("bombing", "Our prices will blow you away"),
        ("unrest", "This sale is dynamite"),
        ("transport-accident", "Drop-dead gorgeous dresses"),
    ],
)
def test_death_and_explosion_idioms_are_checked_wherever_they_fit(category, text):
    decision = judge(text, severity="watch", category=category, keywords=(), contexts=())
    assert decision.action is Action.HOLD and "sensitive-words" in rules(decision), decision


def test_a_keyword_that_is_a_word_for_the_event_makes_an_idiom_not_newsjacking():
    decision = judge(
        "An explosion of flavour: 20% off all pastries",
        tags=["promo"],
        keywords=("explosion",),
        contexts=(),
    )
    assert decision.stops and decision.action is not Action.BLOCK, decision


def test_a_short_keyword_takes_endings_but_does_not_swallow_other_words():
    crash = dict(category="transport-accident", keywords=("vlak",), contexts=(), regions=())
    prague = BrandFacts(id="kvasek", languages=("cs",))
    held = judge(
        "Dnes jezdíme i s vlakem do Brna", brand=prague, lang="cs", severity="watch", **crash
    )
    fibre = judge("Pečivo plné vlákniny", brand=prague, lang="cs", severity="watch", **crash)
    assert held.action is Action.HOLD, held
    assert fibre.action is Action.PUBLISH, fibre


def test_a_keyword_typed_with_accents_matches_only_words_that_agree_on_them():
    prague = BrandFacts(id="kvasek", languages=("cs",))

    def held(text: str, keyword: str) -> bool:
        decision = judge(
            text,
            brand=prague,
            lang="cs",
            severity="watch",
            category="flood",
            keywords=(keyword,),
            contexts=(),
            regions=(),
        )
        return "sensitive-words" in rules(decision)

    # typed with its accents: only the word with those accents (byt, a flat; být, to be)
    assert held("Chceme být s vámi i v těžkých chvílích", "být")
    assert not held("Zatopený byt v Karlíně: nabízíme úklid", "být")
    # typed without accents: the operator did not type them, so any accents agree
    assert held("Studénka: pobočka otevřena, káva zdarma", "Studenka")
    assert held("Zatopený byt v Karlíně", "byt") and held("Chceme být s vámi", "byt")
    # a text typed without any accents agrees with any keyword
    assert held("Zatopeny byt v Karline", "být")


def test_a_text_in_decomposed_unicode_is_judged_as_the_composed_one():
    import unicodedata

    prague = BrandFacts(id="kvasek", languages=("cs",))
    for text in ("Výbušná chuť našich koláčů!", "Studénka: sleva 20 % na jízdenky"):
        composed = judge(
            text,
            brand=prague,
            lang="cs",
            severity="watch",
            category="bombing",
            keywords=("Studénka",),
            contexts=(),
            regions=(),
        )
        decomposed = judge(
            unicodedata.normalize("NFD", text),
            brand=prague,
            lang="cs",
            severity="watch",
            category="bombing",
            keywords=("Studénka",),
            contexts=(),
            regions=(),
        )
        assert composed.stops and decomposed.action is composed.action, text


def test_an_english_idiom_in_another_language_must_be_spelled_in_english():
    baku = BrandFacts(id="b", languages=("az",))
    shooting = dict(category="shooting", keywords=(), contexts=(), regions=())
    day = judge("Bu gün yeni menyu!", brand=baku, lang="az", severity="watch", **shooting)
    gun = judge("Yeni GUN SHOW oyunu!", brand=baku, lang="az", severity="watch", **shooting)
    assert day.action is Action.PUBLISH, day
    assert gun.action is Action.HOLD, gun


def test_a_keyword_starts_a_hashtag_whose_words_run_together():
    camel = judge("#BostonMarathon 20% off today", tags=["promo"], keywords=("Boston",))
    joined = judge("#bostonmarathon memories", severity="watch", keywords=("Boston",))
    plain = judge("Bostonka is our new kettle", severity="watch", keywords=("Boston",))
    assert camel.action is Action.BLOCK, camel
    assert joined.action is Action.HOLD, joined
    assert plain.action is Action.PUBLISH, plain


@pytest.mark.parametrize(
    "text",
    [
        "Nice deals this weekend: 20% off all lattes!",  # a sentence starts with the word
        "Reading list for the weekend: 30% off",
    ],
)
def test_a_name_that_starts_a_sentence_is_held_not_blocked(text):
    keyword = text.split()[0]
    decision = judge(text, tags=["promo"], keywords=(keyword,))
    assert decision.stops and decision.action is not Action.BLOCK, decision


def test_a_short_keyword_with_an_ending_is_held_not_blocked():
    decision = judge(
        "Registration davam edir: 20% endirim", lang="az", tags=["promo"], keywords=("dava",)
    )
    assert decision.action is not Action.BLOCK, decision
