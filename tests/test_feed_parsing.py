"""scheduler.feeds.parsing: feed bodies (CAP, GDACS RSS, Atom, USGS GeoJSON) read into
Alerts, and every bad body refused with a FeedError that names the problem."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import defusedxml
import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.feeds.alerts import Alert, Area
from scheduler.feeds.parsing import FORMATS, FeedError, detect_format, parse_feed

pytestmark = pytest.mark.unit

FEEDS = Path(__file__).parent / "feeds"
EDT = timedelta(hours=-4)


def body(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def only(name: str, **kwargs: str) -> Alert:
    alerts = parse_feed(body(name), **kwargs)
    assert len(alerts) == 1
    return alerts[0]


def in_boston(ring: tuple[tuple[float, float], ...]) -> bool:
    return all(42.2 <= lat <= 42.5 and -71.3 <= lon <= -70.9 for lat, lon in ring)


def cap(inner: str, ns: str = "urn:oasis:names:tc:emergency:cap:1.2") -> bytes:
    """A small CAP document around `inner`, for the cases the samples do not show."""
    xmlns = f' xmlns="{ns}"' if ns else ""
    return (
        f'<?xml version="1.0"?><alert{xmlns}><identifier>T-1</identifier>'
        f"<sender>t@example.org</sender>{inner}</alert>"
    ).encode()


def feature_collection(*features: str) -> bytes:
    return ('{"type": "FeatureCollection", "features": [' + ",".join(features) + "]}").encode()


# --- CAP ------------------------------------------------------------------------------


def test_cap_thunderstorm_prefers_the_english_info_and_reads_its_area():
    alert = only("cap_thunderstorm.xml")
    assert alert.identifier == "NWS-BOX-2024-SVR-0142"
    assert (alert.kind, alert.status, alert.references) == ("alert", "actual", ())
    # the Spanish <info> comes first in the document; the English one is read
    assert alert.language == "en-US"
    assert alert.event == "Severe Thunderstorm Warning"
    assert alert.categories == ("Met",)
    assert (alert.urgency, alert.severity, alert.certainty) == ("Immediate", "Severe", "Observed")
    assert alert.headline == "SEVERE THUNDERSTORM WARNING"
    assert alert.description.startswith("AT 402 PM EDT")
    assert alert.link == "https://alerts.weather.gov/box/"
    assert alert.sent == datetime(2024, 7, 16, 20, 2, tzinfo=UTC)
    assert alert.sent.utcoffset() == EDT
    assert alert.expires == datetime(2024, 7, 16, 20, 45, tzinfo=UTC)
    assert alert.extra["sender"] == "w-nws.webmaster@noaa.gov"
    (area,) = alert.areas
    assert area.description == "Middlesex County; Suffolk County; Norfolk County"
    assert area.geocodes == (
        ("ISO 3166-2", "US-MA"),
        ("SAME", "025017"),
        ("SAME", "025025"),
        ("SAME", "025021"),
    )
    (ring,) = area.polygons
    assert ring[0] == (42.46, -71.29) and ring[-1] == ring[0] and len(ring) == 6
    assert all(isinstance(n, float) for point in ring for n in point)
    assert in_boston(ring)
    assert area.circles == () and area.points == ()


def test_cap_flood_polygon_without_geocode():
    alert = only("cap_flood_polygon.xml")
    assert alert.identifier == "NWS-BOX-2024-FLW-0007"
    assert alert.kind == "alert"
    assert alert.event == "Flood Warning"
    assert alert.categories == ("Met",)
    assert (alert.severity, alert.urgency, alert.certainty) == ("Severe", "Immediate", "Likely")
    assert alert.expires == datetime(2024, 4, 11, 13, 15, tzinfo=UTC)
    assert alert.expires.utcoffset() == EDT
    (area,) = alert.areas
    assert area.description == "Suffolk County; Middlesex County"
    assert area.geocodes == ()
    (ring,) = area.polygons
    assert ring == (
        (42.45, -71.25),
        (42.43, -70.98),
        (42.30, -70.95),
        (42.25, -71.10),
        (42.33, -71.27),
        (42.45, -71.25),
    )
    assert in_boston(ring)


def test_cap_update_references_the_alert_it_replaces():
    alert = only("cap_flood_update.xml")
    assert alert.kind == "update"
    assert alert.identifier == "NWS-BOX-2024-FLW-0008"
    assert alert.references == ("NWS-BOX-2024-FLW-0007",)
    assert alert.severity == "Extreme"
    assert alert.event == "Flood Warning"


def test_cap_cancel_without_info_references_alert_and_update():
    alert = only("cap_flood_cancel.xml")
    assert alert.kind == "cancel"
    assert alert.references == ("NWS-BOX-2024-FLW-0007", "NWS-BOX-2024-FLW-0008")
    assert alert.sent == datetime(2024, 4, 11, 11, 5, tzinfo=UTC)
    # no <info>: nothing to say about the event, and no guessing
    assert (alert.event, alert.headline, alert.language, alert.expires) == ("", "", None, None)
    assert alert.areas == ()
    assert alert.extra["note"].startswith("The Flood Warning for Suffolk and Middlesex")


def test_cap_homeland_security_has_an_area_without_geometry():
    alert = only("cap_homeland.xml")
    assert alert.categories == ("Security",)
    assert alert.status == "actual"
    assert alert.event == "National Terrorism Advisory System Bulletin"
    # no <language>: CAP's default is en-US
    assert alert.language == "en-US"
    assert alert.link == "https://www.dhs.gov/national-terrorism-advisory-system"
    assert alert.areas == (Area(description="U.S. nationwide and interests worldwide"),)


def test_cap_czech_flood_keeps_its_language_and_emma_geocode():
    alert = only("cap_cz_flood.xml")
    assert alert.language == "cs-CZ"
    assert alert.event == "Povodeň"
    assert alert.headline == "Výstraha před povodní – Vltava v Praze"
    assert alert.extra["senderName"] == "Český hydrometeorologický ústav"
    assert alert.expires == datetime(2024, 9, 16, 10, 0, tzinfo=UTC)
    assert alert.areas == (Area(description="Praha", geocodes=(("EMMA_ID", "CZ010"),)),)


def test_cap_without_english_info_reads_the_first():
    alert = parse_feed(
        cap(
            "<msgType>Alert</msgType><info><language>de-DE</language><event>Sturm</event></info>"
            "<info><language>fr-FR</language><event>Tempête</event></info>"
        )
    )[0]
    assert (alert.language, alert.event) == ("de-DE", "Sturm")


@pytest.mark.parametrize(
    "ns", ["urn:oasis:names:tc:emergency:cap:1.1", "http://www.incident.com/cap/1.0", ""]
)
def test_cap_older_versions_and_no_namespace(ns: str):
    inner = (
        "<sent>2024-01-02T03:04:05Z</sent><msgType>Update</msgType>"
        "<references>t@example.org,T-0,2024-01-01T00:00:00-00:00</references>"
        "<info><category>Geo</category><category>Safety</category><event>Quake</event>"
        "<area><areaDesc>Imperial</areaDesc><circle>32.9525,-115.5527 0.5</circle>"
        "<polygon>33.0,-115.6 33.0,-115.4 32.8,-115.4</polygon></area></info>"
    )
    assert detect_format(cap(inner, ns), None) == "cap"
    alert = parse_feed(cap(inner, ns))[0]
    assert alert.kind == "update"
    assert alert.references == ("T-0",)
    assert alert.categories == ("Geo", "Safety")
    assert alert.sent == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    (area,) = alert.areas
    assert area.circles == ((32.9525, -115.5527, 0.5),)
    # the ring was left open; it is closed for the reader
    assert area.polygons == (((33.0, -115.6), (33.0, -115.4), (32.8, -115.4), (33.0, -115.6)),)


@pytest.mark.parametrize("msg_type", ["Ack", "Error"])
def test_cap_ack_and_error_messages_announce_nothing(msg_type: str):
    assert parse_feed(cap(f"<msgType>{msg_type}</msgType>")) == []


@pytest.mark.parametrize(
    ("inner", "message"),
    [
        ("<sent>yesterday</sent>", "CAP <sent> 'yesterday' is not an ISO 8601 time"),
        ("<sent>2024-04-10T09:15:00</sent>", "CAP <sent> '2024-04-10T09:15:00' has no UTC offset"),
        ("<info><expires>soon</expires></info>", "CAP <expires> 'soon' is not an ISO 8601 time"),
        ("<msgType>Warning</msgType>", "CAP <msgType> 'Warning' is not one of Alert, Update"),
        ("<references>a,b</references>", "CAP <references> entry 'a,b' is not sender,identifier"),
        (
            "<info><area><polygon>42.1;-71.0 42.2,-71.1 42.3,-71.0</polygon></area></info>",
            "CAP <polygon> point '42.1;-71.0' is not lat,lon",
        ),
        (
            "<info><area><polygon>-71.0,42.1 -71.1,42.2 -71.0,200</polygon></area></info>",
            "CAP <polygon> point (-71.0, 200.0) is out of range for lat,lon",
        ),
        (
            "<info><area><polygon>42.1,-71.0 42.2,-71.1</polygon></area></info>",
            "has fewer than 3 corners",
        ),
        ("<info><area><circle>42.1,-71.0</circle></area></info>", "is not 'lat,lon radius'"),
        (
            "<info><area><circle>42.1,-71.0 far</circle></area></info>",
            "CAP <circle> radius 'far' is not a distance in km",
        ),
    ],
)
def test_cap_bad_fields_are_named(inner: str, message: str):
    with pytest.raises(FeedError) as raised:
        parse_feed(cap(inner))
    assert message in str(raised.value)


def test_cap_without_identifier():
    with pytest.raises(FeedError, match=r"^CAP alert has no <identifier>$"):
        parse_feed(b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><sent/></alert>')


# --- GDACS RSS ------------------------------------------------------------------------


def test_gdacs_flood_in_indonesia():
    flood, _cyclone, _quake = parse_feed(body("gdacs_rss.xml"))
    # stable across episodes: eventtype + eventid, not the guid
    assert flood.identifier == "gdacs:FL1102983"
    assert (flood.kind, flood.status) == ("alert", "actual")
    assert flood.event == "flood"
    assert flood.categories == ("FL",)
    assert flood.level == "Orange"
    assert flood.magnitude is None
    assert flood.countries == ("IDN", "Indonesia")
    assert flood.headline == "Orange flood alert in Indonesia"
    assert flood.link == "https://www.gdacs.org/report.aspx?eventtype=FL&eventid=1102983"
    assert flood.sent == datetime(2024, 4, 15, 6, 10, tzinfo=UTC)
    assert flood.expires is None
    # geo:Point and georss:point give the same place: one point, (lat, lon)
    assert flood.areas == (Area(description="Indonesia", points=((-0.9471, 100.4172),)),)
    assert flood.extra["gdacs_episodeid"] == "2"


def test_gdacs_tropical_cyclone_reads_html_description_as_text():
    cyclone = parse_feed(body("gdacs_rss.xml"))[1]
    assert cyclone.identifier == "gdacs:TC1000911"
    assert cyclone.event == "tropical cyclone"
    assert cyclone.categories == ("TC",)
    assert cyclone.name == "KIRRA-24"
    assert cyclone.level == "Red"
    # its severity is a wind speed, not a magnitude
    assert cyclone.magnitude is None
    assert cyclone.extra["gdacs_severity"] == "Typhoon  (maximum wind speed of 213 km/h)"
    assert cyclone.countries == ("PHL", "Philippines", "Taiwan")
    assert cyclone.areas[0].description == "Philippines, Taiwan"
    assert cyclone.areas[0].points == ((18.25, 123.6),)
    assert "<" not in cyclone.description and "&nbsp;" not in cyclone.description
    assert cyclone.description.startswith("From 12/04/2024 to 15/04/2024, a Typhoon (maximum")
    assert "(vulnerability High)" in cyclone.description
    assert cyclone.description.endswith("is 2.1 million.")


def test_gdacs_earthquake_magnitude():
    quake = parse_feed(body("gdacs_rss.xml"))[2]
    assert quake.identifier == "gdacs:EQ1428765"
    assert (quake.event, quake.categories, quake.level) == ("earthquake", ("EQ",), "Green")
    assert quake.magnitude == 6.2
    assert quake.countries == ("CHL", "Chile")
    assert quake.areas[0].points == ((-31.6124, -71.7281),)
    assert quake.sent == datetime(2024, 4, 15, 4, 21, 38, tzinfo=UTC)


def test_gdacs_magnitude_from_the_text_when_there_is_no_value_attribute():
    # feedparser keeps only the attributes of <gdacs:severity>, never its text
    without_value = body("gdacs_rss.xml").replace(b' unit="M" value="6.2"', b"")
    assert parse_feed(without_value)[2].magnitude == 6.2


def test_gdacs_fields_are_found_by_namespace_not_by_prefix():
    renamed = body("gdacs_rss.xml").replace(b"gdacs:", b"g:").replace(b"xmlns:gdacs=", b"xmlns:g=")
    flood, cyclone, quake = parse_feed(renamed)
    assert (flood.identifier, flood.level, flood.countries) == (
        "gdacs:FL1102983",
        "Orange",
        ("IDN", "Indonesia"),
    )
    assert (cyclone.name, quake.magnitude) == ("KIRRA-24", 6.2)


def test_gdacs_without_eventid_keeps_the_guid():
    no_ids = body("gdacs_rss.xml").replace(b"<gdacs:eventid>1102983</gdacs:eventid>", b"")
    assert parse_feed(no_ids)[0].identifier == "FL1102983"


def rss(*items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        + "".join(f"<item>{item}</item>" for item in items)
        + "</channel></rss>"
    ).encode()


def test_plain_rss_identifier_falls_back_from_guid_to_link_to_title():
    alerts = parse_feed(
        rss(
            "<title>A</title><guid isPermaLink='false'>g-1</guid><link>https://x.test/a</link>",
            "<title>B</title><link>https://x.test/b</link>",
            "<title>C &amp; D</title><description>&lt;b&gt;bold&lt;/b&gt; text</description>",
        )
    )
    assert [a.identifier for a in alerts] == ["g-1", "https://x.test/b", "C & D"]
    assert alerts[2].headline == "C & D"
    assert alerts[2].description == "bold text"
    assert all(a.event == "" and a.categories == () and a.areas == () for a in alerts)


def test_rss_item_with_nothing_to_know_it_by():
    with pytest.raises(FeedError, match=r"^RSS item 2 has no guid, link or title"):
        parse_feed(rss("<title>A</title>", "<description>anonymous</description>"))


def test_rss_unreadable_date_is_named():
    with pytest.raises(FeedError, match=r"^RSS item 1 date 'next Tuesday' is not a date$"):
        parse_feed(rss("<title>A</title><pubDate>next Tuesday</pubDate>"))


def test_rss_geo_lat_without_long():
    item = (
        "<title>A</title><geo:lat xmlns:geo='http://www.w3.org/2003/01/geo/wgs84_pos#'>1</geo:lat>"
    )
    with pytest.raises(FeedError, match="geo:lat or geo:long without the other"):
        parse_feed(rss(item))


# --- Atom -----------------------------------------------------------------------------


def test_nws_atom_with_cap_fields():
    flood, wind = parse_feed(body("nws_atom_cap.xml"))
    assert flood.identifier.startswith("https://alerts.weather.gov/cap/wwacapget.php?x=MA126")
    assert flood.kind == "update"
    assert (flood.event, flood.severity, flood.certainty) == (
        "Flood Warning",
        "Extreme",
        "Observed",
    )
    assert flood.categories == ("Met",)
    # <updated> dates this version of the entry
    assert flood.sent == datetime(2024, 4, 10, 19, 40, tzinfo=UTC)
    assert flood.expires == datetime(2024, 4, 11, 19, 40, tzinfo=UTC)
    assert flood.headline.startswith("Flood Warning issued April 10 at 3:40PM EDT")
    assert flood.link == flood.identifier
    (area,) = flood.areas
    assert area.description == "Middlesex; Suffolk"
    # several valueName/value pairs in one cap:geocode, each kept (feedparser keeps the last)
    assert area.geocodes == (("FIPS6", "025017 025025"), ("UGC", "MAC017 MAC025"))
    assert len(area.polygons) == 1 and in_boston(area.polygons[0])

    assert (wind.kind, wind.event, wind.severity) == ("alert", "Wind Advisory", "Moderate")
    # an empty cap:polygon is no polygon
    assert wind.areas[0].polygons == ()
    assert wind.description == (
        "...WIND ADVISORY IN EFFECT UNTIL 6 AM EDT THURSDAY... "
        "Northeast winds 20 to 30 mph with gusts up to 55 mph."
    )


def atom(*entries: str) -> bytes:
    return (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"'
        ' xmlns:georss="http://www.georss.org/georss"'
        ' xmlns:cap="urn:oasis:names:tc:emergency:cap:1.2">'
        "<id>urn:feed</id><title>T</title><updated>2024-05-01T00:00:00Z</updated>"
        + "".join(f"<entry>{entry}</entry>" for entry in entries)
        + "</feed>"
    ).encode()


def test_atom_entry_with_georss_point_and_polygon():
    (alert,) = parse_feed(
        atom(
            "<id>urn:e:1</id><title type='html'>Fire &lt;b&gt;near&lt;/b&gt; Lyon</title>"
            "<updated>2024-05-01T12:00:00+02:00</updated>"
            "<link rel='alternate' href='https://x.test/e1'/>"
            "<summary>Evacuate the valley</summary>"
            "<georss:point>45.76 4.84</georss:point>"
            "<georss:polygon>45.7 4.8 45.8 4.8 45.8 4.9 45.7 4.8</georss:polygon>"
        )
    )
    assert alert.identifier == "urn:e:1"
    assert alert.headline == "Fire near Lyon"
    assert alert.description == "Evacuate the valley"
    assert alert.link == "https://x.test/e1"
    assert alert.sent == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    (area,) = alert.areas
    assert area.points == ((45.76, 4.84),)
    assert area.polygons == (((45.7, 4.8), (45.8, 4.8), (45.8, 4.9), (45.7, 4.8)),)


def test_atom_entry_embedding_a_whole_cap_alert():
    (alert,) = parse_feed(
        atom(
            "<id>urn:e:2</id><title>wrapped</title><updated>2024-05-01T12:00:00Z</updated>"
            "<link href='https://x.test/e2'/>"
            "<cap:alert><cap:identifier>C-9</cap:identifier><cap:msgType>Cancel</cap:msgType>"
            "<cap:references>s,C-8,2024-05-01T11:00:00Z</cap:references></cap:alert>"
        )
    )
    assert (alert.identifier, alert.kind, alert.references) == ("C-9", "cancel", ("C-8",))
    assert alert.link == "https://x.test/e2"


# --- GeoJSON --------------------------------------------------------------------------


def test_usgs_summary():
    big, ridgecrest, alaska = parse_feed(body("usgs_summary.geojson"))
    assert big.identifier == "us7000zq4k"
    assert (big.kind, big.status) == ("alert", "actual")
    assert big.event == "earthquake" and big.categories == ("earthquake",)
    assert big.magnitude == 6.1
    assert big.level == "yellow"
    assert big.headline == "M 6.1 - 12 km SSW of Somewhere, Country"
    assert big.description == "12 km SSW of Somewhere, Country"
    assert big.link == "https://earthquake.usgs.gov/earthquakes/eventpage/us7000zq4k"
    assert big.sent == datetime(2024, 4, 15, 4, 21, 38, 120000, tzinfo=UTC)
    # GeoJSON writes [lon, lat, depth]; areas are (lat, lon)
    assert big.areas == (
        Area(description="12 km SSW of Somewhere, Country", points=((-31.6124, -71.7281),)),
    )
    assert big.extra["depth_km"] == 10.0
    assert big.extra["tsunami"] == 1
    assert big.extra["updated"] == "2024-04-15T04:58:02.040000+00:00"
    assert ridgecrest.level is None and alaska.level is None
    assert (ridgecrest.magnitude, alaska.magnitude) == (4.2, 2.7)
    assert ridgecrest.areas[0].points == ((35.6842, -117.6121),)
    assert alaska.extra["status"] == "automatic"


def test_geojson_polygons_become_lat_lon_rings_without_holes():
    polygon = (
        '{"id": "p", "properties": {"title": "Zone"}, "geometry": {"type": "Polygon",'
        ' "coordinates": [[[4.8, 45.7], [4.9, 45.7], [4.9, 45.8]],'
        " [[4.85, 45.72], [4.86, 45.72], [4.86, 45.73], [4.85, 45.72]]]}}"
    )
    multi = (
        '{"id": 7, "properties": null, "geometry": {"type": "MultiPolygon", "coordinates":'
        " [[[[1, 2], [3, 2], [3, 4], [1, 2]]], [[[10, 20], [30, 20], [30, 40], [10, 20]]]]}}"
    )
    zone, multiple = parse_feed(feature_collection(polygon, multi))
    assert zone.headline == "Zone"
    # the open ring is closed; the hole is not an area
    assert zone.areas[0].polygons == (((45.7, 4.8), (45.7, 4.9), (45.8, 4.9), (45.7, 4.8)),)
    assert multiple.identifier == "7"
    assert multiple.areas[0].polygons == (
        ((2.0, 1.0), (2.0, 3.0), (4.0, 3.0), (2.0, 1.0)),
        ((20.0, 10.0), (20.0, 30.0), (40.0, 30.0), (20.0, 10.0)),
    )


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (['{"id": "a", "properties": {"mag": "6.1"}}'], "feature 1 (a): 'mag' is not a number"),
        (['{"id": "a"}', '{"id": "b", "properties": {"mag": true}}'], "feature 2 (b): 'mag'"),
        (['{"id": "a", "properties": {"place": 3}}'], "feature 1 (a): 'place' is not a string"),
        (['{"id": "a", "properties": {"time": 1e300}}'], "'time' 1e+300 is not a time in ms"),
        (['{"id": "a", "properties": {"mag": 1' + "0" * 400 + "}}"], "'mag' is not a number"),
        (['{"properties": {}}'], "feature 1 has no 'id'"),
        (["[1, 2]"], "feature 1 is not a JSON object"),
        (
            ['{"id": "a", "geometry": {"type": "Point", "coordinates": [-71]}}'],
            "feature 1 (a): position [-71] is not [lon, lat]",
        ),
        (
            ['{"id": "a", "geometry": {"type": "Point", "coordinates": [42.3, -171]}}'],
            "point (-171.0, 42.3) is out of range",
        ),
        (
            ['{"id": "a", "geometry": {"type": "Polygon", "coordinates": 5}}'],
            "feature 1 (a): Polygon coordinates are not GeoJSON positions",
        ),
    ],
)
def test_geojson_bad_features_are_named(features: list[str], message: str):
    with pytest.raises(FeedError) as raised:
        parse_feed(feature_collection(*features))
    assert message in str(raised.value)


def test_invalid_json_gives_line_and_column():
    with pytest.raises(
        FeedError, match=r"^invalid JSON at line 3, column 1: Expecting property name"
    ):
        parse_feed(b'{"type": "FeatureCollection",\n "features": [],\n}')


def test_a_single_feature_is_not_a_feature_collection():
    with pytest.raises(FeedError, match=r"^not a GeoJSON FeatureCollection: type is 'Feature'$"):
        parse_feed(b'{"type": "Feature", "features": []}')


def test_deeply_nested_json_is_a_feed_error():
    with pytest.raises(FeedError, match="nested too deeply"):
        parse_feed(b"[" * 100_000)


# --- detection, content type, expected format -----------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("cap_thunderstorm.xml", "cap"),
        ("cap_flood_polygon.xml", "cap"),
        ("cap_flood_update.xml", "cap"),
        ("cap_flood_cancel.xml", "cap"),
        ("cap_homeland.xml", "cap"),
        ("cap_cz_flood.xml", "cap"),
        ("gdacs_rss.xml", "rss"),
        ("nws_atom_cap.xml", "atom"),
        ("usgs_summary.geojson", "geojson"),
    ],
)
def test_detect_format_from_the_body(name: str, fmt: str):
    assert detect_format(body(name), None) == fmt
    # naming the format the body has reads the same alerts as "auto"
    assert parse_feed(body(name), fmt) == parse_feed(body(name))


def test_detect_format_sees_through_a_byte_order_mark_and_utf16():
    text = body("cap_homeland.xml").decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    assert detect_format(text.encode("utf-16"), None) == "cap"
    assert only_alert(text.encode("utf-16")).identifier == "dhs-ntas-2024-0311"
    assert detect_format(b"\xef\xbb\xbf" + body("usgs_summary.geojson"), None) == "geojson"


def only_alert(raw: bytes) -> Alert:
    (alert,) = parse_feed(raw)
    return alert


def test_rss_1_0_is_rss():
    rdf = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>T</title></channel>'
        b'<item rdf:about="https://x.test/1"><title>One</title><link>https://x.test/1</link></item>'
        b"</rdf:RDF>"
    )
    assert detect_format(rdf, None) == "rss"
    assert [a.identifier for a in parse_feed(rdf)] == ["https://x.test/1"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/cap+xml",
        "application/xml; charset=utf-8",
        "text/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/geo+json",
        "application/json",
        "text/plain; charset=UTF-8",
        "application/octet-stream",
        "",
        None,
    ],
)
def test_content_types_a_feed_may_come_with(content_type: str | None):
    assert parse_feed(body("cap_flood_polygon.xml"), content_type=content_type)[0].kind == "alert"


@pytest.mark.parametrize(
    ("content_type", "named"),
    [
        ("text/html; charset=utf-8", "text/html"),
        ("application/xhtml+xml", "application/xhtml+xml"),
        ("image/svg+xml", "image/svg+xml"),
        ("image/png", "image/png"),
        ("application/pdf", "application/pdf"),
    ],
)
def test_content_types_that_are_clearly_not_a_feed(content_type: str, named: str):
    message = f"^{re.escape(f'expected JSON or XML, got content type {named}')}$"
    with pytest.raises(FeedError, match=message):
        parse_feed(body("cap_flood_polygon.xml"), content_type=content_type)
    with pytest.raises(FeedError, match=message):
        detect_format(body("cap_flood_polygon.xml"), content_type)


def test_the_format_asked_for_must_be_the_format_found():
    with pytest.raises(FeedError, match=r"^expected a CAP alert, got an RSS feed$"):
        parse_feed(body("gdacs_rss.xml"), "cap")
    with pytest.raises(FeedError, match=r"^expected GeoJSON, got a CAP alert$"):
        parse_feed(body("cap_homeland.xml"), "geojson")
    with pytest.raises(FeedError, match=r"^expected an Atom feed, got GeoJSON$"):
        parse_feed(body("usgs_summary.geojson"), "atom")
    # NWS's Atom carries CAP: asking for "cap" reads it
    assert [a.event for a in parse_feed(body("nws_atom_cap.xml"), "cap")] == [
        "Flood Warning",
        "Wind Advisory",
    ]


def test_unknown_format_name():
    with pytest.raises(FeedError, match=r"^unknown feed format 'kml' \(expected one of cap,"):
        parse_feed(body("cap_homeland.xml"), "kml")
    assert FORMATS == ("cap", "atom", "rss", "geojson", "auto")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty body: expected JSON or XML"),
        (b"  \n ", "empty body: expected JSON or XML"),
        (b"Service Unavailable", "expected JSON or XML, got text starting 'Service Unavailable'"),
        (b"<kml xmlns='http://www.opengis.net/kml/2.2'/>", "XML root <kml> in namespace"),
        (b"<html><body>hi</body></html>", "expected JSON or XML, got an HTML page"),
    ],
)
def test_bodies_that_are_no_feed(raw: bytes, message: str):
    with pytest.raises(FeedError) as raised:
        parse_feed(raw)
    assert message in str(raised.value)


# --- the bad samples ------------------------------------------------------------------


def test_malformed_xml_names_line_and_column():
    with pytest.raises(
        FeedError, match=r"^malformed XML at line 4, column 37: mismatched tag$"
    ):  # at the `sent` of the </sent> that closes <sender>
        parse_feed(body("bad_malformed.xml"))


@pytest.fixture
def feedparser_must_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        pytest.fail("feedparser saw a body defusedxml should have refused")

    monkeypatch.setattr(feedparser, "parse", refuse)


@pytest.mark.usefixtures("feedparser_must_not_run")
def test_billion_laughs_is_refused_at_its_first_declaration():
    with pytest.raises(
        FeedError, match=r"^XML entity declarations are refused \(a possible XML bomb\)$"
    ) as raised:
        parse_feed(body("bad_bomb.xml"))
    # refused at the first <!ENTITY>, so nothing was ever expanded
    cause = raised.value.__cause__
    assert isinstance(cause, defusedxml.EntitiesForbidden)
    assert (cause.name, cause.value) == ("lol", "lol")
    with pytest.raises(FeedError, match="XML bomb"):
        detect_format(body("bad_bomb.xml"), "application/rss+xml")


@pytest.mark.usefixtures("feedparser_must_not_run")
def test_external_entity_is_refused_and_never_read():
    with pytest.raises(FeedError) as raised:
        parse_feed(body("bad_external_entity.xml"))
    assert str(raised.value) == "XML external entity 'xxe' (file:///etc/passwd) is refused"
    assert "root:" not in str(raised.value)


def test_not_geojson():
    with pytest.raises(FeedError, match=r'^not GeoJSON: no "features" list$'):
        parse_feed(body("bad_not_geojson.json"), content_type="application/json")


def test_html_page_is_refused_by_content_type_and_by_its_body():
    with pytest.raises(FeedError, match=r"^expected JSON or XML, got content type text/html$"):
        parse_feed(body("bad_html.html"), content_type="text/html; charset=utf-8")
    # mislabelled as XML, or not labelled at all: the body gives it away
    for content_type in ("application/xml", None):
        with pytest.raises(FeedError, match=r"^expected JSON or XML, got an HTML page$"):
            parse_feed(body("bad_html.html"), content_type=content_type)


# --- nothing but FeedError ------------------------------------------------------------

SAMPLES = [path.read_bytes() for path in sorted(FEEDS.iterdir())]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SAMPLES),
    st.integers(min_value=0, max_value=20_000),
    st.binary(max_size=8),
    st.integers(min_value=0, max_value=64),
)
def test_a_damaged_feed_is_a_feed_error_or_alerts(sample: bytes, at: int, insert: bytes, cut: int):
    """Samples with bytes replaced or cut off: either read, or refused with a FeedError."""
    at %= len(sample) + 1
    damaged = sample[:at] + insert + sample[at + cut :]
    try:
        alerts = parse_feed(damaged)
    except FeedError as exc:
        assert "\n" not in str(exc) and str(exc)
    else:
        assert all(isinstance(alert, Alert) for alert in alerts)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_are_a_feed_error_or_alerts(raw: bytes):
    try:
        parse_feed(raw)
    except FeedError as exc:
        assert "\n" not in str(exc)


# --- one bad item is not a bad feed (problems=[...]) ----------------------------------

GOOD_ENTRY = "<id>urn:good</id><title>Good</title><updated>2024-05-01T12:00:00Z</updated>"
GOOD_FEATURE = '{"id": "us7000good", "properties": {"mag": 5.0, "title": "M 5.0"}}'


def lenient(raw: bytes) -> tuple[list[Alert], list[str]]:
    problems: list[str] = []
    return parse_feed(raw, problems=problems), problems


def embedded(inner: str) -> str:
    """An Atom entry wrapping a whole CAP alert."""
    return f"<id>urn:x</id><title>Bad</title><cap:alert>{inner}</cap:alert>"


#: (feed, the identifiers read, the one problem line) for feeds of one bad item and one
#: good one: the bad item is skipped, the line names it
SKIPPED = {
    "rss item with no guid, link or title": (
        rss("<description>anonymous</description>", "<title>B</title><guid>g-b</guid>"),
        ["g-b"],
        "RSS item 1 has no guid, link or title to know it by",
    ),
    "rss date that is not a date": (
        rss("<title>B</title><guid>g-b</guid>", "<title>A</title><pubDate>next Tuesday</pubDate>"),
        ["g-b"],
        "RSS item 2 (A) date 'next Tuesday' is not a date",
    ),
    "atom entry date that is not a date": (
        atom("<id>urn:x</id><title>Bad</title><updated>soon</updated>", GOOD_ENTRY),
        ["urn:good"],
        "Atom entry 1 (urn:x) date 'soon' is not a date",
    ),
    "atom entry cap:sent without an offset": (
        atom(
            "<id>urn:x</id><title>Bad</title><cap:event>Flood</cap:event>"
            "<cap:sent>2024-04-10T09:15:00</cap:sent>",
            GOOD_ENTRY,
        ),
        ["urn:good"],
        "Atom entry 1 (urn:x): CAP <sent> '2024-04-10T09:15:00' has no UTC offset",
    ),
    "embedded CAP alert without identifier": (
        atom(GOOD_ENTRY, embedded("<cap:msgType>Alert</cap:msgType>")),
        ["urn:good"],
        "Atom entry 2 (urn:x): CAP alert has no <identifier>",
    ),
    "embedded CAP expires without an offset": (
        atom(
            embedded(
                "<cap:identifier>C-1</cap:identifier>"
                "<cap:info><cap:expires>2024-05-01T12:00:00</cap:expires></cap:info>"
            ),
            GOOD_ENTRY,
        ),
        ["urn:good"],
        "Atom entry 1 (urn:x): CAP alert (C-1) <expires> '2024-05-01T12:00:00' has no UTC offset",
    ),
    "embedded CAP with an unknown msgType": (
        atom(
            embedded("<cap:identifier>C-1</cap:identifier><cap:msgType>Warn</cap:msgType>"),
            GOOD_ENTRY,
        ),
        ["urn:good"],
        "Atom entry 1 (urn:x): CAP alert (C-1) <msgType> 'Warn' is not one of Alert, Update,"
        " Cancel, Ack, Error",
    ),
    "feature without id": (
        feature_collection('{"properties": {"title": "x"}}', GOOD_FEATURE),
        ["us7000good"],
        "feature 1 has no 'id' (a string or number)",
    ),
    "feature that is no object": (
        feature_collection(GOOD_FEATURE, "[1, 2]"),
        ["us7000good"],
        "feature 2 is not a JSON object",
    ),
    "feature whose magnitude is a string": (
        feature_collection(GOOD_FEATURE, '{"id": "us7000abc", "properties": {"mag": "6.1"}}'),
        ["us7000good"],
        "feature 2 (us7000abc): 'mag' is not a number",
    ),
}


@pytest.mark.parametrize(("raw", "kept", "problem"), SKIPPED.values(), ids=SKIPPED.keys())
def test_a_bad_item_is_skipped_and_named(raw: bytes, kept: list[str], problem: str):
    alerts, problems = lenient(raw)
    assert [a.identifier for a in alerts] == kept
    assert problems == [problem]


@pytest.mark.parametrize(("raw", "kept", "problem"), SKIPPED.values(), ids=SKIPPED.keys())
def test_strict_parsing_still_refuses_the_feed_of_a_bad_item(
    raw: bytes, kept: list[str], problem: str
):
    with pytest.raises(FeedError):
        parse_feed(raw)


CAP_AREA = (
    "<info><event>Flood</event><area><areaDesc>Suffolk County</areaDesc>"
    "<geocode><valueName>SAME</valueName><value>025025</value></geocode>"
    "<circle>42.3,-71.0 5</circle>{bad}</area></info>"
)

#: (feed, the identifiers read, the one problem line, the bad item's areas afterwards)
#: for feeds where one item has an unreadable shape: the shape is left out, the item kept
SHAPE_LEFT_OUT = {
    "CAP polygon of two points": (
        cap(CAP_AREA.format(bad="<polygon>42.1,-71.0 42.2,-71.1</polygon>")),
        ["T-1"],
        "CAP alert (T-1) <polygon> '42.1,-71.0 42.2,-71.1' has fewer than 3 corners;"
        " that polygon is left out",
        (
            Area(
                description="Suffolk County",
                geocodes=(("SAME", "025025"),),
                circles=((42.3, -71.0, 5.0),),
            ),
        ),
    ),
    "CAP circle without a radius": (
        cap(CAP_AREA.format(bad="<circle>42.1,-71.0</circle>")),
        ["T-1"],
        "CAP alert (T-1) <circle> '42.1,-71.0' is not 'lat,lon radius'; that circle is left out",
        (
            Area(
                description="Suffolk County",
                geocodes=(("SAME", "025025"),),
                circles=((42.3, -71.0, 5.0),),
            ),
        ),
    ),
    "Atom georss polygon of two points": (
        atom(
            "<id>urn:x</id><title>Bad</title><updated>2024-05-01T12:00:00Z</updated>"
            "<georss:point>45.76 4.84</georss:point>"
            "<georss:polygon>45.7 4.8 45.8 4.8</georss:polygon>",
            GOOD_ENTRY,
        ),
        ["urn:x", "urn:good"],
        "Atom entry 1 (urn:x) georss:polygon has fewer than 3 corners; that polygon is left out",
        (Area(points=((45.76, 4.84),)),),
    ),
    "RSS geo:lat without geo:long": (
        rss(
            "<title>A</title><geo:lat xmlns:geo='http://www.w3.org/2003/01/geo/wgs84_pos#'>1"
            "</geo:lat><georss:point xmlns:georss='http://www.georss.org/georss'>2 3"
            "</georss:point>",
            "<title>B</title>",
        ),
        ["A", "B"],
        "RSS item 1 (A) has geo:lat or geo:long without the other; that point is left out",
        (Area(points=((2.0, 3.0),)),),
    ),
    "GeoJSON position that is not numbers": (
        feature_collection(
            GOOD_FEATURE,
            '{"id": "us7000abc", "properties": {"place": "Near Lyon", "mag": 4.0},'
            ' "geometry": {"type": "Point", "coordinates": ["4.8", 45.7, 10]}}',
        ),
        ["us7000good", "us7000abc"],
        "feature 2 (us7000abc): position ['4.8', 45.7, 10] is not [lon, lat];"
        " that geometry is left out",
        (Area(description="Near Lyon"),),
    ),
    "GeoJSON MultiPolygon with one ring of two positions": (
        feature_collection(
            GOOD_FEATURE,
            '{"id": "us7000abc", "geometry": {"type": "MultiPolygon", "coordinates":'
            " [[[[1, 2], [3, 2]]], [[[10, 20], [30, 20], [30, 40], [10, 20]]]]}}",
        ),
        ["us7000good", "us7000abc"],
        "feature 2 (us7000abc): polygon ring has fewer than 3 corners; that polygon is left out",
        (Area(polygons=(((20.0, 10.0), (20.0, 30.0), (40.0, 30.0), (20.0, 10.0)),)),),
    ),
}


@pytest.mark.parametrize(
    ("raw", "kept", "problem", "areas"), SHAPE_LEFT_OUT.values(), ids=SHAPE_LEFT_OUT.keys()
)
def test_an_unreadable_shape_is_left_out_and_the_item_kept(
    raw: bytes, kept: list[str], problem: str, areas: tuple[Area, ...]
):
    alerts, problems = lenient(raw)
    assert [a.identifier for a in alerts] == kept
    assert problems == [problem]
    (bad,) = (a for a in alerts if a.identifier in ("T-1", "urn:x", "A", "us7000abc"))
    assert bad.areas == areas


def test_a_dropped_point_takes_its_depth_along():
    raw = SHAPE_LEFT_OUT["GeoJSON position that is not numbers"][0]
    alerts, _ = lenient(raw)
    # the depth was the point's third number: no point, no depth
    assert alerts[1].extra == {} and alerts[1].magnitude == 4.0


@pytest.mark.parametrize("raw", [case[0] for case in SHAPE_LEFT_OUT.values()])
def test_strict_parsing_still_refuses_an_unreadable_shape(raw: bytes):
    with pytest.raises(FeedError):
        parse_feed(raw)


def test_a_skipped_item_gets_one_line_not_one_per_fault():
    # the polygon is read (and would be left out) before <sent> makes the alert bad: one
    # line, about <sent>
    raw = atom(
        embedded(
            "<cap:identifier>C-1</cap:identifier><cap:sent>2024-05-01T12:00:00</cap:sent>"
            "<cap:info><cap:area><cap:areaDesc>X</cap:areaDesc>"
            "<cap:polygon>1,2 3,4</cap:polygon></cap:area></cap:info>"
        ),
        GOOD_ENTRY,
    )
    alerts, problems = lenient(raw)
    assert [a.identifier for a in alerts] == ["urn:good"]
    assert problems == [
        "Atom entry 1 (urn:x): CAP alert (C-1) <sent> '2024-05-01T12:00:00' has no UTC offset"
    ]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (cap("<sent>2024-04-10T09:15:00</sent>"), "CAP alert (T-1) <sent> '2024-04-10T09:15:00'"),
        (b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>', "CAP alert has no <identifier>"),
        (cap("<references>a,b</references>"), "CAP alert (T-1) <references> entry 'a,b' is not"),
    ],
)
def test_a_bad_cap_document_is_one_bad_item(raw: bytes, problem: str):
    alerts, problems = lenient(raw)
    assert alerts == []
    (line,) = problems
    assert line.startswith(problem)


def test_problems_are_added_to_the_list_given():
    problems = ["from before"]
    parse_feed(SKIPPED["feature without id"][0], problems=problems)
    assert problems == ["from before", "feature 1 has no 'id' (a string or number)"]


def test_good_feeds_read_the_same_with_and_without_problems():
    for path in sorted(FEEDS.glob("[!b]*")):
        problems: list[str] = []
        assert parse_feed(path.read_bytes(), problems=problems) == parse_feed(path.read_bytes())
        assert problems == [], path.name


@pytest.mark.parametrize(
    ("raw", "fmt", "content_type", "message"),
    [
        (body("bad_malformed.xml"), "auto", None, "malformed XML at line 4"),
        (body("bad_bomb.xml"), "auto", None, "XML entity declarations are refused"),
        (body("bad_external_entity.xml"), "auto", None, "XML external entity 'xxe'"),
        (body("bad_html.html"), "auto", "text/html", "got content type text/html"),
        (body("bad_not_geojson.json"), "auto", None, 'not GeoJSON: no "features" list'),
        (b'{"type": "FeatureCollection", "features": [}', "auto", None, "invalid JSON"),
        (b'{"type": "Feature", "features": []}', "auto", None, "not a GeoJSON Feature"),
        (body("cap_homeland.xml"), "kml", None, "unknown feed format 'kml'"),
        (body("gdacs_rss.xml"), "cap", None, "expected a CAP alert, got an RSS feed"),
    ],
)
def test_a_bad_document_is_still_a_feed_error(
    raw: bytes, fmt: str, content_type: str | None, message: str
):
    problems: list[str] = []
    with pytest.raises(FeedError, match=re.escape(message)):
        parse_feed(raw, fmt, content_type, problems=problems)
    assert problems == []


# --- the same identifier twice in one document ----------------------------------------


def test_repeated_identifiers_keep_the_first():
    raw = rss(
        "<title>Flood</title><description>first</description>",
        "<title>Other</title>",
        "<title>Wind</title><guid>w</guid>",
        "<title>Flood</title><description>second</description>",
    )
    alerts, problems = lenient(raw)
    assert [(a.identifier, a.description) for a in alerts] == [
        ("Flood", "first"),
        ("Other", ""),
        ("w", ""),
    ]
    assert problems == ["RSS item 4: the same identifier as item 1 ('Flood')"]
    # strict parsing returns every item, as it always has
    assert [a.identifier for a in parse_feed(raw)] == ["Flood", "Other", "w", "Flood"]


def test_repeated_feature_ids_number_and_string_alike():
    raw = feature_collection('{"id": 7}', '{"id": "x"}', '{"id": "7"}')
    alerts, problems = lenient(raw)
    assert [a.identifier for a in alerts] == ["7", "x"]
    assert problems == ["feature 3: the same identifier as feature 1 ('7')"]


def test_a_bad_item_does_not_claim_its_identifier():
    raw = feature_collection(
        '{"id": "a", "properties": {"mag": "big"}}', '{"id": "a", "properties": {"mag": 3}}'
    )
    alerts, problems = lenient(raw)
    assert [(a.identifier, a.magnitude) for a in alerts] == [("a", 3.0)]
    assert problems == ["feature 1 (a): 'mag' is not a number"]


# --- strings PostgreSQL will store ----------------------------------------------------

UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def strings(value: object) -> list[str]:
    """Every string in an Alert: its fields, areas, tuples, extra keys and values."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, tuple | list):
        return [s for item in value for s in strings(item)]
    if isinstance(value, dict):
        return [s for pair in value.items() for s in strings(pair)]
    if isinstance(value, Alert | Area):
        return [s for name in value.__slots__ for s in strings(getattr(value, name))]
    return []


DIRTY_FEATURE = (
    r'{"id": "us\u0001abc", "geometry": {"type": "Point", "coordinates": [4.8, 45.7]},'
    r' "properties": {"title": "\u0000", "place": "Near\u0000 Lyon\u0007", "url": "\u0000",'
    r' "type": "earth\u001fquake\ud800", "alert": "red\u000b", "status": "re\u0000viewed",'
    r' "name": "tab\tnewline\ncr\r"}}'
)


@pytest.mark.parametrize("with_problems", [False, True])
def test_control_characters_are_stripped_from_every_string(with_problems: bool):
    problems: list[str] | None = [] if with_problems else None
    (alert,) = parse_feed(feature_collection(DIRTY_FEATURE), problems=problems)
    assert alert.identifier == "usabc"
    assert alert.headline == ""  # "title" was only a NUL, and "name" is not the headline
    assert alert.description == "Near Lyon"
    assert alert.areas == (Area(description="Near Lyon", points=((45.7, 4.8),)),)
    assert alert.link is None  # nothing but a NUL is no link
    assert (alert.event, alert.categories) == ("earthquake\ufffd", ("earthquake\ufffd",))
    assert alert.level == "red"
    assert alert.extra["status"] == "reviewed"
    assert not [s for s in strings(alert) if UNSTORABLE.search(s)]
    assert problems in (None, [])


def test_tab_newline_and_carriage_return_are_kept():
    raw = feature_collection('{"id": "a", "properties": {"title": "one\\ttwo\\nthree\\r"}}')
    assert parse_feed(raw)[0].headline == "one\ttwo\nthree\r"


def test_an_identifier_of_nothing_but_control_characters():
    raw = feature_collection(r'{"id": "\u0000\u0001"}', GOOD_FEATURE)
    message = r"feature 1 identifier '\x00\x01' is nothing but control characters"
    with pytest.raises(FeedError, match=f"^{re.escape(message)}$"):
        parse_feed(raw)
    alerts, problems = lenient(raw)
    assert [a.identifier for a in alerts] == ["us7000good"]
    assert problems == [message]


def test_messages_carry_no_control_characters():
    raw = feature_collection(r'{"id": "a\u0000b", "properties": {"mag": "x"}}')
    with pytest.raises(FeedError, match=r"^feature 1 \(ab\): 'mag' is not a number$"):
        parse_feed(raw)
    _, problems = lenient(raw)
    assert problems == ["feature 1 (ab): 'mag' is not a number"]


def test_geocodes_and_nested_extra_values_are_cleaned_too():
    # XML cannot carry a control character at all (not even as &#1;), so no feed gives
    # the parser a dirty geocode today; the cleaning reaches every string regardless
    from scheduler.feeds.parsing import _clean

    dirty = Alert(
        identifier="x\x00",
        references=("r\x01",),
        areas=(Area(description="d\x00", geocodes=(("SAME\x00", "025\x00025"),)),),
        extra={"note\x00": ["a\x00", {"b": "c\x1f"}], "n": 3},
    )
    assert _clean(dirty) == Alert(
        identifier="x",
        references=("r",),
        areas=(Area(description="d", geocodes=(("SAME", "025025"),)),),
        extra={"note": ["a", {"b": "c"}], "n": 3},
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SAMPLES),
    st.integers(min_value=0, max_value=20_000),
    st.binary(max_size=8),
    st.integers(min_value=0, max_value=64),
)
def test_a_damaged_feed_read_leniently(sample: bytes, at: int, insert: bytes, cut: int):
    """Damaged samples with `problems`: a FeedError, or alerts whose every string can be
    stored, with one line per problem."""
    at %= len(sample) + 1
    problems: list[str] = []
    try:
        alerts = parse_feed(sample[:at] + insert + sample[at + cut :], problems=problems)
    except FeedError as exc:
        assert "\n" not in str(exc) and str(exc)
    else:
        assert not [s for a in alerts for s in strings(a) if UNSTORABLE.search(s)]
        assert len({a.identifier for a in alerts}) == len(alerts)
    assert all(p and "\n" not in p and not UNSTORABLE.search(p) for p in problems)
