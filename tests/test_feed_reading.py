"""How an alert reads as a crisis (scheduler.feeds.reading): hazards in six languages
from the frozen evaluation file, severities from each format's signals, and rules."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scheduler.config import Feed
from scheduler.feeds.alerts import Alert, Area
from scheduler.feeds.reading import at_most, hazard_of, places, read_alert, severity_of

pytestmark = pytest.mark.unit

CASES = yaml.safe_load(
    (Path(__file__).parent.parent / "evals" / "feed_hazards.yaml").read_text(encoding="utf-8")
)["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["event"] for c in CASES])
def test_each_frozen_event_name_reads_as_its_category(case: dict):
    assert hazard_of(Alert(identifier="x", event=case["event"])) == case["category"]


def test_the_event_decides_before_the_headline_and_codes_come_last():
    alert = Alert(
        identifier="x",
        event="Hurricane Warning",
        headline="Flooding likely along the coast",
        categories=("FL",),
    )
    assert hazard_of(alert) == "hurricane"
    assert hazard_of(Alert(identifier="x", headline="Flash flooding in the valley")) == "flood"
    assert hazard_of(Alert(identifier="x", categories=("EQ",))) == "earthquake"
    assert hazard_of(Alert(identifier="x", categories=("VO",))) is None


@pytest.mark.parametrize(
    ("fields", "severity"),
    [
        ({"severity": "Extreme", "certainty": "Observed"}, "severe"),
        ({"severity": "Severe", "certainty": "Likely"}, "serious"),
        ({"severity": "Severe", "certainty": "Possible"}, "watch"),
        ({"severity": "Moderate", "certainty": "Possible"}, None),
        ({"severity": "Extreme", "certainty": "Unlikely"}, None),
        ({"severity": "Extreme", "urgency": "Past"}, None),
        ({"severity": "Minor"}, None),
        ({"level": "Red"}, "severe"),
        ({"level": "Orange"}, "serious"),
        ({"level": "yellow"}, "watch"),
        ({"level": "Green", "magnitude": 5.4}, None),
        ({"level": "Green", "magnitude": 6.3}, "watch"),
        ({"magnitude": 7.1}, "severe"),
        ({"magnitude": 6.0}, "serious"),
        ({"magnitude": 5.2}, "watch"),
        ({"magnitude": 4.9}, None),
        ({}, None),
    ],
)
def test_severity_from_each_formats_signals(fields: dict, severity: str | None):
    assert severity_of(Alert(identifier="x", **fields))[0] == severity


def feed(**kw) -> Feed:
    return Feed(id="f", url="http://127.0.0.1/f.xml", **kw)


def flood(**kw) -> Alert:
    base = {
        "identifier": "a1",
        "event": "Flood Warning",
        "severity": "Severe",
        "certainty": "Likely",
        "headline": "Flood Warning for Suffolk County",
        "areas": (Area(description="Suffolk County; Middlesex County"),),
    }
    return Alert(**{**base, **kw})


def test_a_plain_flood_warning_reads_as_a_serious_flood_with_its_places():
    reading = read_alert(flood(), ["us-ma"], feed())
    assert (reading.category, reading.severity, reading.outcome) == ("flood", "serious", None)
    assert reading.keywords == ("Suffolk County", "Middlesex County")
    assert reading.name == "Flood Warning for Suffolk County"
    assert "CAP severity Severe" in reading.why


def test_rules_go_first_in_order_and_the_builtin_reading_fills_the_rest():
    rules = [
        {"match": {"event": "thunderstorm"}, "category": "hurricane"},
        {"match": {"level": ["Severe"], "region": ["cz"]}, "ignore": True},
        {"match": {"event": "flood*"}, "severity": "severe", "keywords": ["Charles River"]},
    ]
    storm = Alert(identifier="s", event="Severe Thunderstorm Warning", severity="Severe")
    assert read_alert(storm, ["us-ma"], feed(rules=rules)).category == "hurricane"
    ignored = read_alert(flood(), ["cz-10"], feed(rules=rules))
    assert ignored.outcome == "ignored"
    fixed = read_alert(flood(), ["us-ma"], feed(rules=rules))
    assert (fixed.category, fixed.severity, fixed.why) == ("flood", "severe", "fixed by a rule")
    assert fixed.keywords[0] == "Charles River"


def test_what_raises_nothing_says_why():
    assert read_alert(flood(status="exercise"), ["us-ma"], feed()).outcome == "not-actual"
    heat = Alert(identifier="h", event="Heat Advisory", severity="Severe", certainty="Likely")
    assert read_alert(heat, ["us-ma"], feed()).outcome == "no-category"
    moderate = flood(severity="Moderate")
    assert read_alert(moderate, ["us-ma"], feed()).outcome is None
    assert read_alert(moderate, ["us-ma"], feed(min_severity="serious")).outcome == (
        "below-severity"
    )


def test_min_magnitude_rules_and_usgs_places():
    quake = Alert(
        identifier="us7000",
        event="earthquake",
        categories=("earthquake",),
        magnitude=5.6,
        areas=(Area(description="12 km SSW of Banda Aceh, Indonesia"),),
    )
    rules = [{"match": {"category": "earthquake", "min_magnitude": 5.5}, "severity": "serious"}]
    reading = read_alert(quake, ["id"], feed(rules=rules))
    assert (reading.category, reading.severity) == ("earthquake", "serious")
    assert places(quake) == ("Banda Aceh", "Indonesia")
    assert read_alert(quake, ["id"], feed()).severity == "watch"


def test_auto_never_goes_above_its_ceiling():
    assert at_most("severe", "serious") == "serious"
    assert at_most("watch", "serious") == "watch"
    assert at_most("serious", "watch") == "watch"


def test_a_region_spelled_out_in_full_also_gives_its_short_name():
    prague = Alert(
        identifier="p",
        event="Povodňová pohotovost",
        severity="Severe",
        areas=(Area(description="Hlavní město Praha"),),
    )
    assert read_alert(prague, ["cz-10"], feed()).keywords == ("Hlavní město Praha", "Praha")
    # a region the place names do not spell out adds nothing (Massachusetts is too wide)
    assert read_alert(flood(), ["us-ma"], feed()).keywords == ("Suffolk County", "Middlesex County")


def test_a_long_cap_headline_gives_way_to_the_event_and_its_places():
    nws = flood(
        headline="Flood Warning issued April 10 at 9:15AM EDT until April 11 at 9:15AM EDT "
        "by NWS Boston/Norton MA"
    )
    assert read_alert(nws, ["us-ma"], feed()).name == (
        "Flood Warning: Suffolk County, Middlesex County"
    )
    many = flood(
        headline="x" * 70,
        areas=(Area(description="; ".join(f"Township number {i}" for i in range(8))),),
    )
    name = read_alert(many, ["us-ma"], feed()).name
    assert name.startswith("Flood Warning: Township number 0") and name.endswith("…")
    assert len(name) <= 60
