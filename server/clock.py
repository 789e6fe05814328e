"""The network's clock: instants are stored in UTC, days are counted in Europe/Paris.

"Today", a meeting's day or a journal's « du … au … » are always days in Paris, whatever the
server's own time zone: at 00:30 in Paris a server on UTC is still on the day before, and
``date.today()`` would give that day. Use ``today()`` here instead.
"""
from datetime import date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def today(now: datetime | None = None) -> date:
    """The current day in Paris (or the day in Paris of the aware instant ``now``)."""
    return (now or datetime.now(PARIS)).astimezone(PARIS).date()
