"""URL converters shared by every blueprint."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

#: Largest value of a PostgreSQL ``integer``: every id column is ``integer``/``serial``.
PG_INTEGER_MAX = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` bounded to what an id column can hold.

    Werkzeug's ``int`` accepts any number of digits; a larger value cannot name a row, and
    sending it to PostgreSQL fails with "integer out of range" (a 500). Out of range, the URL
    simply does not match: a 404 like any other unknown id."""

    def __init__(self, map, fixed_digits=0, min=None, max=PG_INTEGER_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def install(app) -> None:
    """Replace the ``int`` converter; call before any route is registered."""
    app.url_map.converters["int"] = DatabaseIdConverter
