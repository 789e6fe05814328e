"""E-clubs as iCalendar: the invitation attached to e-mails (METHOD:REQUEST, or CANCEL when an
e-club is cancelled) and the network's public feed (METHOD:PUBLISH).

Times are written in Europe/Paris with its VTIMEZONE; the UID of an e-club never changes
(``eclub-<id>@entrepairs``) and its SEQUENCE goes up at each change, so that calendars update
the event they already have instead of adding another one."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

from icalendar import Calendar, Event, vCalAddress, vText

from server.eclubs.models import EClub
from server.clock import PARIS

PRODID = "-//Entrepairs//E-clubs//FR"


def page_url(base_url: str, eclub_id: int) -> str:
    return f"{base_url.rstrip('/')}/reseau/e-clubs/{eclub_id}"


def _calendar(method: str, name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", "Europe/Paris")
    return cal


def _event(eclub: EClub, base_url: str, members: bool) -> Event:
    """The VEVENT; ``members``: with the video link (invitations to registered members only)."""
    ev = Event()
    ev.add("uid", eclub.uid)
    ev.add("sequence", eclub.sequence)
    ev.add("dtstamp", datetime.now(UTC).replace(microsecond=0))
    ev.add("dtstart", eclub.starts_at.astimezone(PARIS))
    ev.add("dtend", eclub.ends_at.astimezone(PARIS))
    ev.add("summary", f"E-club : {eclub.title}")
    url = page_url(base_url, eclub.id)
    ev.add("url", url)
    lines = [eclub.description] if eclub.description else []
    if eclub.agenda:
        lines.append("Ordre du jour :")
        for item in eclub.agenda:
            who = ", ".join(f"{s['name']} ({s['role']})" if s.get("role") else s["name"]
                            for s in item.speakers)
            lines.append(f"- {item.title}" + (f" — {who}" if who else ""))
    if members and eclub.video_url:
        ev.add("location", eclub.video_url)
        lines.append(f"Lien de la visioconférence : {eclub.video_url}")
    lines.append(f"Page de l'e-club : {url}")
    ev.add("description", "\n".join(lines))
    ev.add("status", "CANCELLED" if eclub.is_cancelled else "CONFIRMED")
    ev.add("transp", "OPAQUE")
    return ev


def invitation(eclub: EClub, attendee: str, organizer: str, base_url: str,
               cancel: bool = False) -> bytes:
    """The ``.ics`` attached to a registration, a change or a cancellation."""
    cal = _calendar("CANCEL" if cancel else "REQUEST")
    ev = _event(eclub, base_url, members=True)
    name, address = parseaddr(organizer)
    org = vCalAddress(f"mailto:{address}")
    if name:
        org.params["cn"] = vText(name)
    ev.add("organizer", org)
    att = vCalAddress(f"mailto:{attendee}")
    att.params["role"] = vText("REQ-PARTICIPANT")
    att.params["partstat"] = vText("ACCEPTED")
    att.params["rsvp"] = vText("FALSE")
    ev.add("attendee", att)
    cal.add_component(ev)
    cal.add_missing_timezones()
    return cal.to_ical()


def feed(eclubs, base_url: str) -> bytes:
    """The public feed: titles, times, agenda and page links; never the video link."""
    cal = _calendar("PUBLISH", "E-clubs du réseau — Entrepairs")
    cal.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT6H")
    for eclub in eclubs:
        cal.add_component(_event(eclub, base_url, members=False))
    cal.add_missing_timezones()
    return cal.to_ical()
