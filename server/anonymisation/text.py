"""Text helpers shared by the detectors: spans, accent- and case-free folding, sentence starts."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

#: Upper- and lower-case letters of French (and the Latin-1/Latin Extended-A names we meet).
UPPER = "A-ZÀ-ÖØ-ÞŒŸ"
LOWER = "a-zß-öø-ÿœ"


@dataclass(frozen=True, order=True)
class Span:
    """A detected piece of personal data: ``text[start:end]`` is of ``kind``."""

    start: int
    end: int
    kind: str


def fold_char(c: str) -> str:
    """One character, lower-cased and without its accent; always one character long."""
    base = unicodedata.normalize("NFD", c)[0].lower()
    return base[0] if base else c


class _FoldTable(dict):
    """``str.translate`` table filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        self[code] = folded = fold_char(chr(code))
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """``text`` lower-cased and without accents, *same length* so offsets carry over.

    ``fold("Hélène DUPRÉ") == "helene dupre"``. Ligatures stay one character (``œ``)."""
    return text.translate(_FOLD)


def sentence_start(text: str, start: int) -> bool:
    """Whether ``text[start:]`` begins a sentence (or a line, a quotation, a list item)."""
    i = start - 1
    while i >= 0 and text[i] in " \t\u00a0\u202f":
        i -= 1
    return i < 0 or text[i] in ".!?:;\n\r«\"“(—–-•*"
