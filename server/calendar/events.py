"""Collecting a person's events from the enabled models, and writing them as iCalendar."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from icalendar import Calendar, Event

from server.clock import PARIS, day_of
from server.programme.choices import enabled_names, installed_models

PRODID = "-//Entrepairs//Agenda//FR"


@dataclass(frozen=True)
class Item:
    """An event with the label of the model it comes from."""

    model: str
    label: str
    event: object  # plugins.base.CalendarEvent

    @property
    def all_day(self) -> bool:
        return not isinstance(self.event.start, datetime)

    @property
    def day(self) -> date:
        start = self.event.start
        return day_of(start) if isinstance(start, datetime) else start

    @property
    def sort_key(self):
        start = self.event.start
        if isinstance(start, datetime):
            return start.astimezone(UTC)
        return datetime.combine(start, datetime.min.time(), tzinfo=PARIS).astimezone(UTC)


def window(days_before: int = 90, days_after: int = 365) -> tuple[datetime, datetime]:
    now = datetime.now(PARIS).replace(hour=0, minute=0, second=0, microsecond=0)
    return now - timedelta(days=days_before), now + timedelta(days=days_after)


def collect(profile_id: int, start: datetime, end: datetime) -> list[Item]:
    """The person's events between ``start`` and ``end`` from every model the current employer
    has enabled, in time order. A model that fails is logged and left out, so that one broken
    model does not take the whole agenda down."""
    items: list[Item] = []
    plugins = installed_models()
    for name in sorted(enabled_names()):
        plugin = plugins[name]
        try:
            events = plugin.calendar_events(profile_id, start, end) or []
        except Exception:
            current_app.logger.exception("calendar_events of %s failed", name)
            continue
        items.extend(Item(name, plugin.label, e) for e in events)
    return sorted(items, key=lambda i: (i.sort_key, i.event.uid))


def _utc(value):
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def to_calendar(items: list[Item], name: str, base_url: str) -> Calendar:
    """A VCALENDAR of ``items``: times in UTC, all-day events as dates."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Paris")
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    stamp = datetime.now(UTC).replace(microsecond=0)
    for item in items:
        e = item.event
        ev = Event()
        ev.add("uid", e.uid)
        ev.add("dtstamp", stamp)
        ev.add("dtstart", _utc(e.start))
        end = e.end
        if end is None:
            end = e.start + (timedelta(days=1) if item.all_day else timedelta(hours=1))
        ev.add("dtend", _utc(end))
        ev.add("summary", e.title)
        if e.location:
            ev.add("location", e.location)
        if e.url:
            ev.add("url", base_url.rstrip("/") + e.url if e.url.startswith("/") else e.url)
        if e.description:
            ev.add("description", e.description)
        ev.add("categories", [item.label])
        ev.add("status", "CANCELLED" if e.cancelled else "CONFIRMED")
        ev.add("transp", "TRANSPARENT" if item.all_day else "OPAQUE")
        cal.add_component(ev)
    return cal
