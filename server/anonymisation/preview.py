"""The author's preview: the text with every replacement highlighted, as safe HTML."""
from __future__ import annotations

from markupsafe import Markup, escape

from server.anonymisation.pipeline import Result


def preview_html(result: Result, *, show: str = "replacement") -> Markup:
    """``result`` as HTML, each replacement in a ``<mark>`` that starts with a visually hidden
    French label of its kind (screen readers say "nom de personne remplacé : [nom]").

    ``show="replacement"`` shows the published text, ``show="original"`` the author's text with
    what will be replaced highlighted. Everything is escaped; line breaks become ``<br>``.
    Wrap the result in an element with ``white-space: pre-wrap`` if spacing matters."""
    if show not in ("replacement", "original"):
        raise ValueError("show: 'replacement' ou 'original'")
    text = result.original
    parts: list[str] = []
    pos = 0
    for r in result.replacements:
        parts.append(_text(text[pos:r.start]))
        shown = r.replacement if show == "replacement" else r.original
        verb = "remplacé" if show == "replacement" else "à remplacer"
        parts.append(
            f'<mark class="anonymisation anonymisation-{r.kind}">'
            f'<span class="visually-hidden">{escape(r.label)} {verb} : </span>'
            f"{_text(shown)}</mark>")
        pos = r.end
    parts.append(_text(text[pos:]))
    return Markup("".join(parts))


def _text(s: str) -> str:
    return str(escape(s)).replace("\r\n", "\n").replace("\n", "<br>\n")
