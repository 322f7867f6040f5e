"""Which crisis an alert's words name (scheduler.feeds.reading.hazard_of with
scheduler/feeds/hazards.yaml), beyond the frozen cases of evals/feed_hazards.yaml: what
sounds like a crisis and is not one (fire danger and fire weather, an ordinary fire, an
ordinary low, a bomb cyclone), and tsunamis, in the six languages Tactful reads.

Written before the table was changed; each case is what the words mean, not what the
table happens to say."""

from __future__ import annotations

import pytest

from policies import yaml_text
from scheduler.feeds.alerts import Alert
from scheduler.feeds.reading import HAZARDS_FILE, hazard_of

pytestmark = pytest.mark.unit

# (text as an alert's event, the category it names; None: no crisis)
CASES = [
    # -- fire danger and fire weather: a forecast of conditions, not a fire ----------
    ("Fire Weather Watch", None),
    ("Fire Weather Warning", None),
    ("Extreme Fire Danger", None),
    ("Red Flag Warning", None),
    ("Forest Fire Danger Index: very high", None),
    ("Grass fire danger: severe", None),
    ("Bushfire Danger Rating: Catastrophic", None),
    ("High wildfire risk", None),
    ("Vysoké nebezpečí požárů", None),
    ("Zvýšené nebezpečí vzniku požárů", None),
    ("Nebezpečí lesních požárů", None),
    ("Potensi kebakaran hutan dan lahan", None),
    ("Bahaya kebakaran hutan tinggi", None),
    ("Высокая пожароопасность", None),
    ("Чрезвычайная пожароопасность лесов", None),
    ("4 класс пожарной опасности", None),
    ("Yanğın təhlükəsi", None),
    ("Yüksək yanğın təhlükəsi", None),
    ("Meşə yanğını təhlükəsi yüksəkdir", None),
    ("خطر الحرائق", None),
    ("خطر حرائق الغابات", None),
    ("خطر اندلاع الحرائق مرتفع", None),
    # -- an ordinary fire (a building, a warehouse) is no wildfire ----------------------
    ("Structure Fire", None),
    ("Warehouse fire", None),
    ("Požár skladu", None),
    ("Požár v obchodním centru", None),
    ("Kebakaran gedung", None),
    ("Пожар на складе", None),
    ("Пожар в торговом центре", None),
    ("Anbarda yanğın", None),
    ("Yaşayış binasında yanğın", None),
    ("حريق في مستودع", None),
    ("حريق في مبنى سكني", None),
    # -- a fire in a forest, bush, grass or the countryside is -------------------------
    ("Fire Warning", "wildfire"),
    ("Bushfire Emergency Warning", "wildfire"),
    ("Grass fire", "wildfire"),
    ("Lesní požár", "wildfire"),
    ("Požár lesa u Hřenska", "wildfire"),
    ("Požár v přírodě", "wildfire"),
    ("Požár vegetace", "wildfire"),
    ("Kebakaran hutan dan lahan", "wildfire"),
    ("Karhutla", "wildfire"),
    ("Лесной пожар", "wildfire"),
    ("Природный пожар", "wildfire"),
    ("Ландшафтный пожар", "wildfire"),
    ("Пожар в лесу", "wildfire"),
    ("Meşə yanğını", "wildfire"),
    ("Meşədə yanğın", "wildfire"),
    ("حرائق الغابات", "wildfire"),
    ("حريق غابات في اللاذقية", "wildfire"),
    ("حريق حرجي", "wildfire"),
    # -- cyclones: tropical ones are hurricanes, an ordinary low is not ----------------
    ("Cyclone Warning", "hurricane"),  # Australia and India: a tropical cyclone
    ("Tropical Cyclone Advice", "hurricane"),
    ("Post-Tropical Cyclone Advisory", "hurricane"),
    ("Extratropical cyclone", None),
    ("Tlaková níže / cyklona", None),
    ("Tropická cyklóna", "hurricane"),
    ("Siklon tropis", "hurricane"),
    ("Bibit siklon tropis 93S", "hurricane"),
    ("Южный циклон: сильный снег", None),
    ("Внетропический циклон", None),
    ("Тропический циклон", "hurricane"),
    ("Тайфун", "hurricane"),
    ("Циклон принесёт подтопления", "flood"),  # the low names nothing; the flooding does
    ("Ураганный ветер", None),  # a wind of hurricane force, no hurricane
    ("Siklon", None),
    ("Tropik siklon", "hurricane"),
    # -- a bomb cyclone is a winter storm, not a bombing ----------------------------------
    ("Bomb Cyclone Warning", None),
    ("Bombogenesis expected tonight", None),
    ("Bomb threat", "bombing"),
    ("Bombová cyklóna", None),
    ("Bombový útok", "bombing"),
    ("Взрывной циклон", None),
    ("الإعصار القنبلة", None),
    # -- a tsunami floods the coast: the closest crisis category -------------------------
    ("Tsunami Warning", "flood"),
    ("Tsunami Watch", "flood"),
    ("Tsunami Advisory", "flood"),
    ("No tsunami threat", None),
    ("Varování před tsunami", "flood"),
    ("Peringatan Dini Tsunami", "flood"),
    ("Tidak berpotensi tsunami", None),
    ("Gempa Mag:5.4, tidak berpotensi tsunami", "earthquake"),
    ("Угроза цунами", "flood"),
    ("Отбой угрозы цунами", None),
    ("Tsunami xəbərdarlığı", "flood"),
    ("تحذير من تسونامي", "flood"),
    ("إنذار التسونامي", "flood"),
]


@pytest.mark.parametrize(("text", "category"), CASES, ids=[text for text, _ in CASES])
def test_each_event_reads_as_the_crisis_it_names(text: str, category: str | None):
    assert hazard_of(Alert(identifier="x", event=text)) == category


def test_a_tsunamis_type_code_reads_as_a_flood():
    assert hazard_of(Alert(identifier="x", categories=("TS",))) == "flood"


def test_the_longest_phrase_at_a_place_wins_and_a_none_phrase_covers_its_words():
    # "bomb cyclone" (none) beats "bomb*" (bombing) and hides "cyclone*" (hurricane)
    assert hazard_of(Alert(identifier="x", event="Bomb Cyclone Warning")) is None
    # "fire danger" (none) shares "fire" with "forest fire" (wildfire) before it
    assert hazard_of(Alert(identifier="x", event="Forest Fire Danger Index")) is None


def test_in_one_text_the_first_named_decides_a_none_phrase_included():
    first_danger = Alert(
        identifier="x", headline="Extreme fire danger: a grass fire would spread fast"
    )
    assert hazard_of(first_danger) is None
    first_fire = Alert(identifier="x", headline="Grass fire near Bendigo; fire danger extreme")
    assert hazard_of(first_fire) == "wildfire"


def test_an_event_that_names_no_crisis_leaves_the_name_and_headline_to_say():
    # the event names no crisis (as one that names nothing): the headline may name one
    advisory = Alert(
        identifier="x", event="Extreme Fire Danger", headline="Grass fire near Bendigo: leave now"
    )
    assert hazard_of(advisory) == "wildfire"
    storm = Alert(
        identifier="x", event="Bomb Cyclone Warning", name="", headline="Coastal flooding"
    )
    assert hazard_of(storm) == "flood"
    assert hazard_of(Alert(identifier="x", event="Fire Weather Watch")) is None


def _phrases() -> list[tuple[str | None, str]]:
    table = yaml_text.load(HAZARDS_FILE.read_text(encoding="utf-8"), HAZARDS_FILE)
    return [
        (None if category == "none" else category, phrase)
        for category, entry in table.items()
        for words in entry.get("words", {}).values()
        for phrase in words
    ]


@pytest.mark.parametrize(("category", "phrase"), _phrases(), ids=[p for _, p in _phrases()])
def test_each_phrase_of_the_table_read_alone_names_its_own_category(
    category: str | None, phrase: str
):
    # a phrase another entry overrides would be dead (or, under `none`, a contradiction)
    assert hazard_of(Alert(identifier="x", event=phrase.replace("*", ""))) == category
