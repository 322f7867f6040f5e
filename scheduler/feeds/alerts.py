"""An alert as Tactful reads it from any feed (CAP 1.2, GDACS-style RSS/Atom, USGS
GeoJSON): the fields the rules and the region mapping need, whatever the format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: (latitude, longitude), in the order CAP writes them
LatLon = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Area:
    """Where an alert applies: a CAP <area>, an RSS item's point, a GeoJSON geometry."""

    #: CAP areaDesc, a GDACS country list, a USGS `place`
    description: str = ""
    #: (valueName, value) pairs, e.g. ("ISO 3166-2", "US-MA"), ("EMMA_ID", "CZ010")
    geocodes: tuple[tuple[str, str], ...] = ()
    #: closed rings of (lat, lon)
    polygons: tuple[tuple[LatLon, ...], ...] = ()
    #: (lat, lon, radius in km)
    circles: tuple[tuple[float, float, float], ...] = ()
    points: tuple[LatLon, ...] = ()


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert of one feed, as published."""

    #: stable across Updates: CAP identifier, RSS guid (else link), GeoJSON feature id
    identifier: str
    #: CAP msgType, lowercased (alert, update, cancel); RSS items and GeoJSON features
    #: are always "alert"
    kind: str = "alert"
    #: identifiers an Update or Cancel replaces (CAP `references`: sender,identifier,sent)
    references: tuple[str, ...] = ()
    #: CAP status lowercased (actual, exercise, system, test, draft); others: "actual"
    status: str = "actual"
    sent: datetime | None = None
    expires: datetime | None = None
    #: CAP event; GDACS event type name; USGS `type`
    event: str = ""
    #: CAP category codes (Met, Geo, ...); GDACS eventtype code (FL, EQ, TC, ...)
    categories: tuple[str, ...] = ()
    #: CAP severity / urgency / certainty as published (Extreme, Immediate, Observed, ...)
    severity: str | None = None
    urgency: str | None = None
    certainty: str | None = None
    #: GDACS alertlevel (Green, Orange, Red); USGS `alert` (green .. red)
    level: str | None = None
    magnitude: float | None = None
    #: CAP headline; RSS/Atom title; USGS title
    headline: str = ""
    description: str = ""
    #: the event's own name when the feed gives one (GDACS eventname, "Hurricane Maria")
    name: str = ""
    link: str | None = None
    language: str | None = None
    #: country codes or names as the feed gives them (GDACS iso3 "IDN", "Czech Republic")
    countries: tuple[str, ...] = ()
    areas: tuple[Area, ...] = ()
    #: anything else worth keeping for the audit log (sender, source, ...)
    extra: dict[str, Any] = field(default_factory=dict)
