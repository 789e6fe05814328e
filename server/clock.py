"""The network's clock: instants are stored in UTC, days are counted in Europe/Paris.

"Today", a meeting's day or a journal's « du … au … » are always days in Paris, whatever the
server's own time zone: at 00:30 in Paris a server on UTC is still on the day before, and
``date.today()`` would give that day. Use ``today()`` and ``day_of()`` here instead.
"""
from datetime import date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def day_of(instant: datetime) -> date:
    """The day in Paris of the aware ``instant``."""
    return instant.astimezone(PARIS).date()


def today() -> date:
    return day_of(datetime.now(PARIS))
