"""Days are counted in Paris, whatever the server's time zone."""
from datetime import UTC, date, datetime

from server import clock


def test_just_after_midnight_in_paris_is_already_the_next_day():
    # 23:30 UTC on 24 November is 00:30 on 25 November in Paris (UTC+1 in winter).
    assert clock.day_of(datetime(2026, 11, 24, 23, 30, tzinfo=UTC)) == date(2026, 11, 25)


def test_summer_time_shifts_the_boundary_by_an_hour():
    # In summer Paris is UTC+2: 22:30 UTC is already the next day, 21:30 UTC not yet.
    assert clock.day_of(datetime(2026, 7, 1, 22, 30, tzinfo=UTC)) == date(2026, 7, 2)
    assert clock.day_of(datetime(2026, 7, 1, 21, 30, tzinfo=UTC)) == date(2026, 7, 1)
