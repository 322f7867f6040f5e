"""Read the body of a public alert feed into Alerts: CAP 1.2 (and 1.1, 1.0), GDACS-style
RSS, Atom (including NWS's Atom with CAP fields), USGS GeoJSON.

Pure: bytes in, Alerts out; no network, no database, no files. Every XML body goes
through defusedxml first, so an entity bomb or an external entity is refused before
anything else (feedparser included) reads it. Anything wrong with the input is a
FeedError whose message is one line naming the problem and its place.

feedparser reads the parts of RSS and Atom it is good at (dates in any RFC 822 dialect,
sanitised HTML summaries, guid/link rules). The namespaced fields come from the XML tree
instead, because feedparser names them after the document's own prefixes, drops the
text of any namespaced element that has attributes (GDACS's `<gdacs:severity value=..>
Magnitude 6.2M..</gdacs:severity>` becomes just its attributes), keeps only the last
valueName/value of a `cap:geocode`, and gives georss points in (lon, lat) order.

One bad item need not cost the feed. A feed is a document of items: a CAP document is
one item (the whole <alert>, its <info> and <area> blocks included), an RSS <item>, an
Atom <entry> and a GeoJSON feature are one each. Called without `problems`, parse_feed is
strict: anything wrong, anywhere, is a FeedError. Called with a `problems` list:

- a bad item is skipped, and one line naming it goes into `problems` ("Atom entry 3
  (urn:x) date 'soon' is not a date", "feature 2 (us7000abc): 'mag' is not a number");
  the other items are read as usual. An item is bad when a part that says what or when
  the alert is cannot be read: its identifier, msgType, references, sent/expires/dates,
  or a GeoJSON property (magnitude, level, times, text).
- a shape is an optional part: a CAP <polygon> or <circle>, a georss point or polygon,
  a geo:lat/geo:long pair, a GeoJSON position, ring or geometry that cannot be read is
  left out, with a line in `problems`, and the rest of the item (area description,
  geocodes, other shapes, countries) is kept. The region mapping still places the alert
  from what is left, and an alert left with no place is stored as "no-region", not
  raised in the wrong place; skipping it would hide a real alert over one bad corner.
- an identifier seen earlier in the same document (RSS items without a guid falling back
  to the same title) is kept the first time; the later items are skipped, with a line
  ("RSS item 4: the same identifier as item 2 ('Flood warning')"). Strict mode returns
  them all, as it always has.
- whatever is wrong with the document as a whole (malformed or unsafe XML, a content
  type or body that is no feed, invalid JSON, no FeatureCollection, an unknown format
  name, RSS or Atom that feedparser and the XML tree count differently) is a FeedError
  still: there are no items to keep.

Every string the Alerts carry (identifiers, text, area descriptions, geocodes, extra
values) is free of C0 control characters but tab, newline and carriage return, and of
lone surrogates (replaced by U+FFFD): JSON can carry "\\u0000", which PostgreSQL will
not store, and "\\ud800", which cannot be encoded as UTF-8. An identifier that was
nothing but such characters makes its item bad. The messages (FeedError and `problems`)
are one line each and free of them too.
"""

from __future__ import annotations

import codecs
import io
import json
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from functools import partial
from html.parser import HTMLParser
from typing import Any, TypeVar
from xml.etree.ElementTree import Element, ParseError
from xml.parsers import expat

import defusedxml
import defusedxml.ElementTree as SafeElementTree
import feedparser

from scheduler.feeds.alerts import Alert, Area, LatLon


class FeedError(Exception):
    """A feed that cannot be read; str() is one clear line naming the problem (e.g.
    'malformed XML at line 3, column 5: mismatched tag', 'XML entity declarations are
    refused (a possible XML bomb)', 'expected JSON or XML, got content type text/html',
    'not GeoJSON: no "features" list')."""


FORMATS = ("cap", "atom", "rss", "geojson", "auto")

#: how each format is named in "expected X, got Y"
_FORMAT_NAMES = {
    "cap": "a CAP alert",
    "atom": "an Atom feed",
    "rss": "an RSS feed",
    "geojson": "GeoJSON",
}

#: CAP 1.2, 1.1 and 1.0; a root <alert> in no namespace is read as CAP too
CAP_NAMESPACES = (
    "urn:oasis:names:tc:emergency:cap:1.2",
    "urn:oasis:names:tc:emergency:cap:1.1",
    "http://www.incident.com/cap/1.0",
)
ATOM_NAMESPACES = ("http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#")
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RSS1_NS = "http://purl.org/rss/1.0/"
GDACS_NS = "http://www.gdacs.org"
GEO_NS = "http://www.w3.org/2003/01/geo/wgs84_pos#"
GEORSS_NS = "http://www.georss.org/georss"

#: GDACS eventtype codes and the words the rules match on
GDACS_EVENTS = {
    "EQ": "earthquake",
    "FL": "flood",
    "TC": "tropical cyclone",
    "WF": "wildfire",
    "VO": "volcano",
    "DR": "drought",
    "TS": "tsunami",
}

#: CAP msgType -> Alert.kind; Ack and Error answer another message and announce nothing
_CAP_KINDS: dict[str, str | None] = {
    "alert": "alert",
    "update": "update",
    "cancel": "cancel",
    "ack": None,
    "error": None,
}

#: servers label feeds with these often enough that refusing them would refuse real feeds
_VAGUE_CONTENT_TYPES = ("text/plain", "application/octet-stream", "binary/octet-stream")


# -- the API -------------------------------------------------------------------------


def parse_feed(
    body: bytes,
    fmt: str = "auto",
    content_type: str | None = None,
    problems: list[str] | None = None,
) -> list[Alert]:
    """The alerts in `body`. `fmt` is what the caller expects ("auto": whatever the body
    is); `content_type` is the HTTP Content-Type, refused when clearly not a feed.

    Without `problems`, any bad item is a FeedError. With a list, each bad item is
    skipped and a one-line description of it appended to the list (as is each optional
    part left out, and each repeated identifier); a FeedError then means the document as
    a whole could not be read. The module's docstring says which is which."""
    if fmt not in FORMATS:
        raise FeedError(f"unknown feed format {_quote(fmt)} (expected one of {', '.join(FORMATS)})")
    document = _read(body, content_type)
    _check_expected(fmt, document)
    if document.format == "geojson":
        items = _geojson_items(document.json)
    elif document.format == "cap":
        items = _cap_document_items(document.xml)
    else:
        items = _entry_items(document, lenient=problems is not None)
    return _collect(items, problems)


def detect_format(body: bytes, content_type: str | None) -> str:
    """The body's format: cap, atom, rss or geojson (the content type only refuses).
    Reads the whole body, so a malformed or unsafe one is a FeedError here too."""
    return _read(body, content_type).format


# -- items, problems, clean strings ---------------------------------------------------

_T = TypeVar("_T")

#: a place for notes about the item being read; None when parsing strictly
_Notes = list[str] | None


@dataclass(frozen=True, slots=True)
class _Item:
    """One item of a document, not yet read."""

    #: "item", "entry", "feature", "alert": how a duplicate's line names the first
    noun: str
    number: int
    #: how messages about the item start ("RSS item 3", "feature 2")
    where: str
    #: reads the item; None for one that announces nothing (a CAP Ack or Error)
    read: Callable[[_Notes], Alert | None]


def _collect(items: Iterable[_Item], problems: list[str] | None) -> list[Alert]:
    """Each item read: strictly without `problems`, else skipping the bad ones (see the
    module's docstring)."""
    alerts: list[Alert] = []
    first: dict[str, int] = {}
    for item in items:
        # an item's notes count only when the item is kept: a bad one gets one line
        notes: _Notes = None if problems is None else []
        try:
            alert = item.read(notes)
            if alert is not None:
                alert = _cleaned(alert, item.where)
        except FeedError as exc:
            if problems is None:
                raise
            problems.append(str(exc))
            continue
        if problems is not None:
            if alert is not None:
                seen = first.setdefault(alert.identifier, item.number)
                if seen != item.number:
                    problems.append(
                        f"{item.where}: the same identifier as {item.noun} {seen}"
                        f" ({_quote(alert.identifier)})"
                    )
                    continue
            problems.extend(notes or ())
        if alert is not None:
            alerts.append(alert)
    return alerts


def _optional(read: Callable[[], _T], notes: _Notes, what: str) -> _T | None:
    """read() an optional part of an item. When it cannot be read: strictly, its
    FeedError; else None, and a note that the part is left out."""
    try:
        return read()
    except FeedError as exc:
        if notes is None:
            raise
        notes.append(f"{exc}; that {what} is left out")
        return None


def _parts(reads: Iterable[Callable[[], _T]], notes: _Notes, what: str) -> tuple[_T, ...]:
    """The optional parts that can be read (see _optional)."""
    found = (_optional(read, notes, what) for read in reads)
    return tuple(part for part in found if part is not None)


#: C0 controls but tab, newline and CR: PostgreSQL refuses NUL in text, and none of
#: them is text anyone wrote
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: half a UTF-16 pair, which JSON's \ud800 can give and UTF-8 cannot encode
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def _clean_text(text: str) -> str:
    return _SURROGATES.sub("\ufffd", _CONTROLS.sub("", text))


def _clean(value: Any) -> Any:
    """`value` with every string in it cleaned (_clean_text): through tuples, lists,
    dicts (keys too), Alerts and Areas. An optional field (None by default) that was
    only control characters becomes None rather than ""."""
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, tuple):
        return tuple(_clean(item) for item in value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    if isinstance(value, Alert | Area):
        changes = {}
        for field in fields(value):
            old = getattr(value, field.name)
            new = _clean(old)
            if new != old:
                changes[field.name] = None if new == "" and field.default is None else new
        return replace(value, **changes) if changes else value
    return value


def _cleaned(alert: Alert, where: str) -> Alert:
    cleaned: Alert = _clean(alert)
    if cleaned.identifier != alert.identifier and not cleaned.identifier.strip():
        raise FeedError(
            f"{where} identifier {_quote(alert.identifier)} is nothing but control characters"
        )
    return cleaned


# -- reading the body ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Document:
    format: str
    body: bytes
    xml: Element | None = None
    json: Any = None


def _read(body: bytes, content_type: str | None) -> _Document:
    _check_content_type(content_type)
    if _syntax(body) == "json":
        return _Document("geojson", body, json=_load_geojson(body))
    root = _load_xml(body)
    return _Document(_xml_format(root), body, xml=root)


def _check_content_type(content_type: str | None) -> None:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if not media or media in _VAGUE_CONTENT_TYPES:
        return
    top, _, sub = media.partition("/")
    feedish = sub.endswith(("xml", "json")) and "html" not in sub
    if top not in ("application", "text") or not feedish:
        raise FeedError(f"expected JSON or XML, got content type {media}")


def _syntax(body: bytes) -> str:
    """Which syntax the body is in, json or xml, from its first characters."""
    head = _head_text(body)
    if not head:
        raise FeedError("empty body: expected JSON or XML")
    if head[0] in "{[":
        return "json"
    if head.lower().startswith(("<!doctype html", "<html")):
        raise FeedError("expected JSON or XML, got an HTML page")
    if head[0] == "<":
        return "xml"
    raise FeedError(f"expected JSON or XML, got text starting {head[:20]!r}")


def _head_text(body: bytes) -> str:
    # UTF-32 before UTF-16: the UTF-32-LE byte order mark starts with UTF-16-LE's
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            return body[:512].decode(encoding, errors="ignore").lstrip()
    return body[:512].decode("utf-8", errors="replace").lstrip()


def _load_xml(body: bytes) -> Element:
    # A DOCTYPE alone is harmless (old RSS 0.91 feeds carry Netscape's); entity
    # declarations are what bombs and external entities are made of, so those are refused.
    try:
        return SafeElementTree.fromstring(
            body, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except defusedxml.EntitiesForbidden as exc:
        if exc.sysid or exc.pubid:
            target = _one_line(exc.sysid or exc.pubid)
            raise FeedError(
                f"XML external entity {_quote(exc.name)} ({target}) is refused"
            ) from exc
        raise FeedError("XML entity declarations are refused (a possible XML bomb)") from exc
    except defusedxml.ExternalReferenceForbidden as exc:
        raise FeedError(f"XML external reference ({_one_line(str(exc.sysid))}) is refused") from exc
    except defusedxml.DefusedXmlException as exc:
        raise FeedError(f"unsafe XML refused: {exc}") from exc
    except ParseError as exc:
        line, column = exc.position
        # expat counts columns from 0; editors and JSON errors count from 1
        reason = expat.ErrorString(exc.code)
        raise FeedError(f"malformed XML at line {line}, column {column + 1}: {reason}") from exc


def _xml_format(root: Element) -> str:
    namespace, name = _split_tag(root.tag)
    if name == "alert" and (namespace in CAP_NAMESPACES or not namespace):
        return "cap"
    if (name == "rss" and not namespace) or (name == "RDF" and namespace == RDF_NS):
        return "rss"
    if name == "feed" and namespace in ATOM_NAMESPACES:
        return "atom"
    if name.lower() == "html":
        raise FeedError("expected JSON or XML, got an HTML page")
    where = f" in namespace {namespace}" if namespace else ""
    raise FeedError(f"not an alert feed: XML root <{name}>{where} is not CAP, RSS or Atom")


def _load_geojson(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise FeedError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise FeedError(f"invalid JSON: not UTF-8, UTF-16 or UTF-32 ({exc.reason})") from exc
    except ValueError as exc:  # an integer of more digits than Python will convert
        raise FeedError(f"invalid JSON: {exc}") from exc
    except RecursionError as exc:
        raise FeedError("invalid JSON: nested too deeply") from exc
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        raise FeedError('not GeoJSON: no "features" list')
    kind = data.get("type", "FeatureCollection")
    if kind != "FeatureCollection":
        raise FeedError(f"not a GeoJSON FeatureCollection: type is {_quote(kind)}")
    return data


def _check_expected(fmt: str, document: _Document) -> None:
    if fmt in ("auto", document.format):
        return
    # NWS publishes CAP as Atom entries with cap: fields; a caller who says "cap" means those
    if fmt == "cap" and document.xml is not None and _carries_cap(document.xml):
        return
    raise FeedError(f"expected {_FORMAT_NAMES[fmt]}, got {_FORMAT_NAMES[document.format]}")


def _carries_cap(root: Element) -> bool:
    return any(_split_tag(element.tag)[0] in CAP_NAMESPACES for element in root.iter())


# -- helpers -------------------------------------------------------------------------


def _quote(value: object) -> str:
    """A feed's value quoted for a message, kept short: feeds can be hostile."""
    return _one_line(repr(value))


def _one_line(text: str, limit: int = 80) -> str:
    """Feed text fit for a one-line message: whitespace collapsed, cut at `limit`."""
    text = " ".join(_clean_text(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _split_tag(tag: str) -> tuple[str, str]:
    """(namespace, local name); namespace "" when there is none."""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}" if namespace else name


def _text(parent: Element, tag: str) -> str | None:
    """The stripped text of the first `tag` child; None when absent or empty."""
    child = parent.find(tag)
    return _element_text(child) if child is not None else None


def _texts(parent: Element, tag: str) -> list[str]:
    found = (_element_text(child) for child in parent.findall(tag))
    return [text for text in found if text]


def _element_text(element: Element) -> str | None:
    text = (element.text or "").strip()
    return text or None


# -- CAP -----------------------------------------------------------------------------


def _cap_document_items(root: Element | None) -> list[_Item]:
    """A CAP document is one item: its alert, <info> and <area> blocks included."""
    assert root is not None
    return [_Item("alert", 1, "CAP alert", partial(_cap_alert, root, "CAP"))]


def _cap_alert(element: Element, where: str, notes: _Notes) -> Alert | None:
    """One CAP <alert>; None for an Ack or Error message, which announces nothing."""
    ns = _split_tag(element.tag)[0]
    identifier = _text(element, _q(ns, "identifier"))
    if identifier is None:
        raise FeedError(f"{where} alert has no <identifier>")
    if notes is not None:  # a line in `problems` must say which alert it is about
        where = f"{where} alert ({_one_line(identifier)})"
    kind = _cap_kind(_text(element, _q(ns, "msgType")), where)
    if kind is None:
        return None
    references = _text(element, _q(ns, "references"))
    info = _pick_info(element.findall(_q(ns, "info")), ns)
    fields = _cap_info_fields(info, ns, where, notes) if info is not None else {}
    return Alert(
        identifier=identifier,
        kind=kind,
        references=_cap_references(references, where) if references else (),
        status=(_text(element, _q(ns, "status")) or "actual").lower(),
        sent=_iso_time(_text(element, _q(ns, "sent")), where, "sent"),
        **fields,
        extra=_cap_extra(element, info, ns),
    )


def _cap_kind(msg_type: str | None, where: str) -> str | None:
    if msg_type is None:
        return "alert"
    try:
        return _CAP_KINDS[msg_type.lower()]
    except KeyError:
        raise FeedError(
            f"{where} <msgType> {_quote(msg_type)} is not one of Alert, Update, Cancel, Ack, Error"
        ) from None


def _cap_references(text: str, where: str) -> tuple[str, ...]:
    """The identifiers in CAP's space-separated "sender,identifier,sent" triples."""
    identifiers = []
    for reference in text.split():
        parts = reference.split(",")
        if len(parts) == 1:
            identifiers.append(reference)  # CAP 1.0 listed bare identifiers
        elif len(parts) == 3 and parts[1]:
            identifiers.append(parts[1])
        else:
            raise FeedError(
                f"{where} <references> entry {_quote(reference)} is not sender,identifier,sent"
            )
    return tuple(identifiers)


def _info_language(info: Element, ns: str) -> str:
    # CAP: "If not present, an implicit default value of 'en-US' SHALL be assumed"
    return _text(info, _q(ns, "language")) or "en-US"


def _pick_info(infos: list[Element], ns: str) -> Element | None:
    """The English <info> when there is one (the rules and lexicons are English), else
    the first."""
    for info in infos:
        if _info_language(info, ns).lower().startswith("en"):
            return info
    return infos[0] if infos else None


def _cap_info_fields(info: Element, ns: str, where: str, notes: _Notes) -> dict[str, Any]:
    return {
        "expires": _iso_time(_text(info, _q(ns, "expires")), where, "expires"),
        "event": _text(info, _q(ns, "event")) or "",
        "categories": tuple(_texts(info, _q(ns, "category"))),
        "severity": _text(info, _q(ns, "severity")),
        "urgency": _text(info, _q(ns, "urgency")),
        "certainty": _text(info, _q(ns, "certainty")),
        "headline": _text(info, _q(ns, "headline")) or "",
        "description": _text(info, _q(ns, "description")) or "",
        "link": _text(info, _q(ns, "web")),
        "language": _info_language(info, ns),
        "areas": tuple(_cap_area(a, ns, where, notes) for a in info.findall(_q(ns, "area"))),
    }


def _cap_extra(alert: Element, info: Element | None, ns: str) -> dict[str, Any]:
    """What the audit log may want to show; raw text, so it stays JSON."""
    extra: dict[str, Any] = {}
    for parent, names in (
        (alert, ("sender", "source", "scope", "note")),
        (info, ("senderName", "instruction", "effective", "onset")),
    ):
        if parent is None:
            continue
        for name in names:
            value = _text(parent, _q(ns, name))
            if value is not None:
                extra[name] = value
    return extra


def _cap_area(area: Element, ns: str, where: str, notes: _Notes) -> Area:
    """A CAP <area>; a polygon or circle that cannot be read is an optional part."""
    polygons = (partial(_cap_polygon, text, where) for text in _texts(area, _q(ns, "polygon")))
    circles = (partial(_cap_circle, text, where) for text in _texts(area, _q(ns, "circle")))
    return Area(
        description=_text(area, _q(ns, "areaDesc")) or "",
        geocodes=_geocodes(area.findall(_q(ns, "geocode"))),
        polygons=_parts(polygons, notes, "polygon"),
        circles=_parts(circles, notes, "circle"),
    )


def _geocodes(geocodes: list[Element]) -> tuple[tuple[str, str], ...]:
    """(valueName, value) pairs. Pairs are read in order, whatever their namespace:
    CAP has one pair per <geocode>, NWS's Atom puts several in one, in the Atom
    namespace."""
    pairs: list[tuple[str, str]] = []
    for geocode in geocodes:
        name: str | None = None
        for child in geocode:
            local = _split_tag(child.tag)[1]
            if local == "valueName":
                name = _element_text(child)
            elif local == "value" and name is not None:
                pairs.append((name, _element_text(child) or ""))
                name = None
    return tuple(pairs)


def _cap_polygon(text: str, where: str) -> tuple[LatLon, ...]:
    ring = tuple(_lat_lon(pair.split(","), pair, where, "<polygon>") for pair in text.split())
    # Some producers leave out the closing pair; the ring they mean is the same
    if ring and ring[0] != ring[-1]:
        ring += (ring[0],)
    if len(ring) < 4:
        raise FeedError(f"{where} <polygon> {_quote(text)} has fewer than 3 corners")
    return ring


def _cap_circle(text: str, where: str) -> tuple[float, float, float]:
    parts = text.split()
    if len(parts) != 2:
        raise FeedError(f"{where} <circle> {_quote(text)} is not 'lat,lon radius'")
    lat, lon = _lat_lon(parts[0].split(","), parts[0], where, "<circle>")
    radius = _float(parts[1])
    if radius is None or radius < 0:
        raise FeedError(f"{where} <circle> radius {_quote(parts[1])} is not a distance in km")
    return lat, lon, radius


def _lat_lon(parts: list[str], written: str, where: str, what: str) -> LatLon:
    """(lat, lon) from two strings in that order, range-checked."""
    lat, lon = (_float(parts[0]), _float(parts[1])) if len(parts) == 2 else (None, None)
    if lat is None or lon is None:
        raise FeedError(f"{where} {what} point {_quote(written)} is not lat,lon")
    return _checked_lat_lon(lat, lon, where, what)


def _checked_lat_lon(lat: float, lon: float, where: str, what: str) -> LatLon:
    # written this way round so NaN fails too
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise FeedError(f"{where} {what} point ({lat}, {lon}) is out of range for lat,lon")
    return lat, lon


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _iso_time(text: str | None, where: str, tag: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise FeedError(f"{where} <{tag}> {_quote(text)} is not an ISO 8601 time") from None
    # CAP requires the offset; guessing one could move an alert by a day
    if moment.tzinfo is None:
        raise FeedError(f"{where} <{tag}> {_quote(text)} has no UTC offset")
    return moment


# -- RSS and Atom --------------------------------------------------------------------


def _entry_items(document: _Document, lenient: bool) -> list[_Item]:
    """The items or entries of an RSS or Atom feed. Read leniently, a message about one
    names it by what feedparser knows it by (guid, link or title) as well as its number."""
    assert document.xml is not None
    items = _xml_entries(document.xml, document.format)
    parsed = _feedparser(document.body)
    if len(parsed.entries) != len(items):
        raise FeedError(
            f"{_FORMAT_NAMES[document.format]} read two ways disagrees: "
            f"{len(items)} entries in the XML, {len(parsed.entries)} in feedparser"
        )
    noun = "item" if document.format == "rss" else "entry"
    label = "RSS item" if document.format == "rss" else "Atom entry"
    found = []
    for number, (entry, item) in enumerate(zip(parsed.entries, items, strict=True), 1):
        where = f"{label} {number}"
        known = entry.get("id") or entry.get("link") or entry.get("title")
        named = f"{where} ({_one_line(known, 60)})" if lenient and known else where
        read = partial(_entry_alert, entry, item, document.format, named)
        found.append(_Item(noun, number, where, read))
    return found


def _feedparser(body: bytes) -> Any:
    # a stream, never the bytes: feedparser.parse(bytes) first tries them as a file name
    try:
        return feedparser.parse(io.BytesIO(body))
    except Exception as exc:  # a third-party parser on untrusted input: say so, not crash
        raise FeedError(f"feedparser could not read the feed: {_one_line(str(exc))}") from exc


def _xml_entries(root: Element, fmt: str) -> list[Element]:
    """The items or entries, in document order, as feedparser finds them."""
    tags = (
        {"item", _q(RSS1_NS, "item")}
        if fmt == "rss"
        else {_q(ns, "entry") for ns in ATOM_NAMESPACES}
    )
    return [element for element in root.iter() if element.tag in tags]


def _entry_alert(entry: Any, item: Element, fmt: str, where: str, notes: _Notes) -> Alert | None:
    embedded = next((c for c in item if _split_tag(c.tag) in _CAP_ALERT_TAGS), None)
    if embedded is not None:
        alert = _cap_alert(embedded, f"{where}: CAP", notes)
        if alert is not None and alert.link is None:
            alert = replace(alert, link=entry.get("link"))
        return alert
    cap, cap_area = _cap_entry_fields(item, where, notes)
    if cap.get("kind", "alert") is None:
        return None
    gdacs = _gdacs_fields(item)
    extra = {**gdacs.pop("extra", {}), **cap.pop("extra", {})}
    fields = _feed_fields(entry, fmt, where) | gdacs | cap
    area = _entry_area(item, where, cap_area, notes)
    return Alert(**fields, areas=(area,) if area else (), extra=extra)


_CAP_ALERT_TAGS = {(ns, "alert") for ns in CAP_NAMESPACES}


def _feed_fields(entry: Any, fmt: str, where: str) -> dict[str, Any]:
    """What feedparser reads well: identifier, title, summary, link, date."""
    identifier = entry.get("id") or entry.get("link") or entry.get("title")
    if not identifier:
        raise FeedError(f"{where} has no guid, link or title to know it by")
    summary = entry.get("summary")
    summary_detail = entry.get("summary_detail")
    if summary is None and entry.get("content"):
        summary, summary_detail = entry["content"][0].get("value"), entry["content"][0]
    return {
        "identifier": identifier,
        "headline": _detail_text(entry.get("title", ""), entry.get("title_detail")),
        "description": _detail_text(summary or "", summary_detail),
        "link": entry.get("link"),
        # Atom's <updated> dates this version, as CAP's <sent> does; RSS has pubDate
        "sent": _entry_time(
            entry, ("updated", "published") if fmt == "atom" else ("published", "updated"), where
        ),
    }


def _entry_time(entry: Any, keys: tuple[str, ...], where: str) -> datetime | None:
    for key in keys:
        written = entry.get(key)
        if not written:
            continue
        parsed: time.struct_time | None = entry.get(f"{key}_parsed")
        if parsed is None:
            raise FeedError(f"{where} date {_quote(written)} is not a date")
        try:
            # feedparser has already converted to UTC
            return datetime(*parsed[:6], tzinfo=UTC)
        except (TypeError, ValueError):
            raise FeedError(f"{where} date {_quote(written)} is not a date") from None
    return None


def _detail_text(value: str, detail: Any) -> str:
    kind = (detail or {}).get("type", "text/plain")
    if "html" in kind:
        return _html_to_text(value)
    return " ".join(value.split())


class _TextOnly(HTMLParser):
    #: tags that separate words, so "<p>a</p><p>b</p>" does not read "ab"
    BREAKS = frozenset(("br", "p", "div", "li", "tr", "td", "h1", "h2", "h3", "h4", "h5", "h6"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _html_to_text(html: str) -> str:
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def _gdacs_fields(item: Element) -> dict[str, Any]:
    def field(name: str) -> str | None:
        return _text(item, _q(GDACS_NS, name))

    code, event_id = field("eventtype"), field("eventid")
    if code is None and event_id is None:
        return {}
    severity = item.find(_q(GDACS_NS, "severity"))
    fields: dict[str, Any] = {
        "level": field("alertlevel"),
        "name": field("eventname") or "",
        "countries": _gdacs_countries(field("iso3"), field("country")),
        "magnitude": _gdacs_magnitude(severity),
    }
    if code:
        fields["categories"] = (code,)
        fields["event"] = GDACS_EVENTS.get(code.upper(), code)
    if code and event_id:
        # the guid may change with each episode; an event's later episodes must match it
        fields["identifier"] = f"gdacs:{code}{event_id}"
    extra = {
        "gdacs_eventid": event_id,
        "gdacs_episodeid": field("episodeid"),
        "gdacs_severity": _element_text(severity) if severity is not None else None,
        "gdacs_fromdate": field("fromdate"),
        "gdacs_todate": field("todate"),
    }
    fields["extra"] = {key: value for key, value in extra.items() if value is not None}
    return fields


def _gdacs_countries(iso3: str | None, names: str | None) -> tuple[str, ...]:
    found: list[str] = []
    for text in (iso3, names):
        for country in (text or "").split(","):
            if country.strip() and country.strip() not in found:
                found.append(country.strip())
    return tuple(found)


_MAGNITUDE = re.compile(r"\bmagnitude\s*([-+]?\d+(?:\.\d+)?)", re.IGNORECASE)


def _gdacs_magnitude(severity: Element | None) -> float | None:
    """The magnitude when <gdacs:severity> gives one ("Magnitude 6.2M, Depth:10km"):
    its `value` attribute, else the number in the text. Cyclones give a wind speed."""
    if severity is None:
        return None
    text = _element_text(severity) or ""
    if "magnitude" not in text.lower() and severity.get("unit") != "M":
        return None
    value = _float(severity.get("value", ""))
    if value is not None:
        return value
    match = _MAGNITUDE.search(text)
    return float(match.group(1)) if match else None


def _cap_entry_fields(
    item: Element, where: str, notes: _Notes
) -> tuple[dict[str, Any], Area | None]:
    """CAP fields written straight into an entry (NWS's Atom: cap:event, cap:polygon...)
    and the area they describe; ({}, None) when there are none."""
    ns = next(
        (n for n in (_split_tag(c.tag)[0] for c in item) if n in CAP_NAMESPACES),
        None,
    )
    if ns is None:
        return {}, None
    where = f"{where}: CAP"

    def field(name: str) -> str | None:
        return _text(item, _q(ns, name))

    fields: dict[str, Any] = {
        "kind": _cap_kind(field("msgType"), where),
        "status": (field("status") or "actual").lower(),
        "expires": _iso_time(field("expires"), where, "expires"),
        "event": field("event") or "",
        "categories": tuple(_texts(item, _q(ns, "category"))),
        "severity": field("severity"),
        "urgency": field("urgency"),
        "certainty": field("certainty"),
    }
    optional = {
        "identifier": field("identifier"),
        "sent": _iso_time(field("sent"), where, "sent"),
        "references": _cap_references(field("references") or "", where) or None,
        "language": field("language"),
    }
    fields |= {key: value for key, value in optional.items() if value is not None}
    effective = field("effective")
    if effective:
        fields["extra"] = {"effective": effective}
    return fields, _cap_area(item, ns, where, notes)


def _entry_area(item: Element, where: str, cap_area: Area | None, notes: _Notes) -> Area | None:
    """One area for an item: the CAP area (if any) plus the georss / W3C geo points and
    polygons, described by CAP's areaDesc or GDACS's country list. A point or polygon
    that cannot be read is an optional part."""
    countries = _text(item, _q(GDACS_NS, "country")) or ""
    points = _geo_points(item, where, notes)
    polygons = _parts(
        (partial(_georss_polygon, text, where) for text in _texts(item, _q(GEORSS_NS, "polygon"))),
        notes,
        "polygon",
    )
    base = cap_area or Area()
    area = replace(
        base,
        description=base.description or countries,
        points=base.points + points,
        polygons=base.polygons + polygons,
    )
    return area if area != Area() else None


def _geo_points(item: Element, where: str, notes: _Notes) -> tuple[LatLon, ...]:
    reads = [
        partial(_lat_lon, text.split(), text, where, "georss:point")
        for text in _texts(item, _q(GEORSS_NS, "point"))
    ]
    lat = item.find(f".//{_q(GEO_NS, 'lat')}")
    lon = item.find(f".//{_q(GEO_NS, 'long')}")
    if lat is not None or lon is not None:
        reads.append(partial(_geo_lat_long, lat, lon, where))
    # GDACS writes the same point both ways
    return tuple(dict.fromkeys(_parts(reads, notes, "point")))


def _geo_lat_long(lat: Element | None, lon: Element | None, where: str) -> LatLon:
    if lat is None or lon is None:
        raise FeedError(f"{where} has geo:lat or geo:long without the other")
    written = [_element_text(lat) or "", _element_text(lon) or ""]
    return _lat_lon(written, " ".join(written), where, "geo:lat/geo:long")


def _georss_polygon(text: str, where: str) -> tuple[LatLon, ...]:
    numbers = text.split()
    if len(numbers) % 2:
        raise FeedError(f"{where} georss:polygon has an odd count of numbers")
    ring = tuple(
        _lat_lon(numbers[i : i + 2], " ".join(numbers[i : i + 2]), where, "georss:polygon")
        for i in range(0, len(numbers), 2)
    )
    if ring and ring[0] != ring[-1]:
        ring += (ring[0],)
    if len(ring) < 4:
        raise FeedError(f"{where} georss:polygon has fewer than 3 corners")
    return ring


# -- GeoJSON -------------------------------------------------------------------------


def _geojson_items(data: dict[str, Any]) -> list[_Item]:
    return [
        _Item("feature", n, f"feature {n}", partial(_feature_alert, feature, n))
        for n, feature in enumerate(data["features"], 1)
    ]


def _feature_alert(feature: Any, number: int, notes: _Notes) -> Alert:
    where = f"feature {number}"
    if not isinstance(feature, dict):
        raise FeedError(f"{where} is not a JSON object")
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise FeedError(f"{where}: 'properties' is not an object")
    identifier = feature.get("id")
    if identifier is None or isinstance(identifier, bool) or not isinstance(identifier, str | int):
        raise FeedError(f"{where} has no 'id' (a string or number)")
    where = f"feature {number} ({_one_line(str(identifier))})"
    kind = _string(properties, "type", where)
    place = _string(properties, "place", where) or _string(properties, "description", where)
    points, polygons, depth = _geometry(feature.get("geometry"), where, notes)
    extra = {
        "status": _string(properties, "status", where),
        "tsunami": _flag(properties, "tsunami", where),
        "updated": _epoch_ms(properties, "updated", where),
        "depth_km": depth,
    }
    return Alert(
        identifier=str(identifier),
        event=kind or "",
        categories=(kind,) if kind else (),
        magnitude=_number(properties, "mag", where),
        level=_string(properties, "alert", where),
        headline=_string(properties, "title", where) or _string(properties, "name", where) or "",
        description=place or "",
        link=_string(properties, "url", where),
        sent=_epoch_ms(properties, "time", where),
        areas=(Area(description=place or "", points=points, polygons=polygons),)
        if place or points or polygons
        else (),
        extra={
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in extra.items()
            if value is not None
        },
    )


def _string(properties: dict[str, Any], key: str, where: str) -> str | None:
    value = properties.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FeedError(f"{where}: {key!r} is not a string")
    return value


def _number(properties: dict[str, Any], key: str, where: str) -> float | None:
    value = properties.get(key)
    if value is None:
        return None
    number = _json_float(value)
    if number is None:
        raise FeedError(f"{where}: {key!r} is not a number")
    return number


def _json_float(value: Any) -> float | None:
    """A finite float from a JSON number; None for anything else (booleans included,
    which Python counts as int)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _flag(properties: dict[str, Any], key: str, where: str) -> int | None:
    """USGS's 0/1 flags, kept as the integer they are."""
    value = _number(properties, key, where)
    return None if value is None else int(value)


def _epoch_ms(properties: dict[str, Any], key: str, where: str) -> datetime | None:
    millis = _number(properties, key, where)
    if millis is None:
        return None
    try:
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise FeedError(f"{where}: {key!r} {millis:g} is not a time in ms since 1970") from None


_Shapes = tuple[tuple[LatLon, ...], tuple[tuple[LatLon, ...], ...], float | None]


def _geometry(geometry: Any, where: str, notes: _Notes) -> _Shapes:
    """(points, polygons, depth in km) of a GeoJSON geometry. Only the outer ring of a
    polygon is kept: a hole is not an area the alert applies to. Lines say nothing
    about an area and are left out. A geometry that cannot be read is an optional part,
    and so is each point of a MultiPoint and each polygon of a MultiPolygon."""
    if geometry is None:
        return (), (), None
    shapes = _optional(partial(_shapes, geometry, where, notes), notes, "geometry")
    return shapes if shapes is not None else ((), (), None)


def _shapes(geometry: Any, where: str, notes: _Notes) -> _Shapes:
    if not isinstance(geometry, dict):
        raise FeedError(f"{where}: 'geometry' is not an object")
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "Point":
        return _coordinates(kind, where, partial(_point, coordinates, where))
    if kind == "Polygon":
        return (), (_coordinates(kind, where, partial(_outer_ring, coordinates, where)),), None
    if kind not in ("MultiPoint", "MultiPolygon"):
        return (), (), None
    if not isinstance(coordinates, list):
        raise FeedError(f"{where}: {kind} coordinates are not GeoJSON positions")
    if kind == "MultiPoint":
        points = (
            partial(_coordinates, kind, where, partial(_position, p, where)) for p in coordinates
        )
        return _parts(points, notes, "point"), (), None
    rings = (
        partial(_coordinates, kind, where, partial(_outer_ring, p, where)) for p in coordinates
    )
    return (), _parts(rings, notes, "polygon"), None


def _coordinates(kind: str, where: str, read: Callable[[], _T]) -> _T:
    """read(), with coordinates of the wrong shape (a number for a list, a list too
    short) a FeedError."""
    try:
        return read()
    except (TypeError, IndexError, KeyError):
        raise FeedError(f"{where}: {kind} coordinates are not GeoJSON positions") from None


def _point(coordinates: Any, where: str) -> _Shapes:
    depth = _json_float(coordinates[2]) if len(coordinates) > 2 else None
    return (_position(coordinates, where),), (), depth


def _outer_ring(polygon: Any, where: str) -> tuple[LatLon, ...]:
    return _ring(polygon[0], where)


def _position(position: Any, where: str) -> LatLon:
    """GeoJSON's [lon, lat, ...] as (lat, lon)."""
    if isinstance(position, list) and len(position) >= 2:
        lon, lat = _json_float(position[0]), _json_float(position[1])
        if lat is not None and lon is not None:
            return _checked_lat_lon(lat, lon, where, "geometry")
    raise FeedError(f"{where}: position {_one_line(repr(position))} is not [lon, lat]")


def _ring(ring: Any, where: str) -> tuple[LatLon, ...]:
    if not isinstance(ring, list):
        raise FeedError(f"{where}: polygon ring is not a list of positions")
    points = tuple(_position(p, where) for p in ring)
    if points and points[0] != points[-1]:
        points += (points[0],)
    if len(points) < 4:
        raise FeedError(f"{where}: polygon ring has fewer than 3 corners")
    return points
