"""``anonymise``: run every detector, settle overlaps, replace, and say what was replaced."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from server.anonymisation import numbers, people
from server.anonymisation.text import Span, fold

#: Replacement token of each kind (what the published text shows).
TOKENS = {
    "courriel": "[courriel]",
    "telephone": "[téléphone]",
    "nir": "[numéro de sécurité sociale]",
    "siret": "[SIRET]",
    "siren": "[SIREN]",
    "iban": "[IBAN]",
    "numero": "[numéro]",
    "adresse": "[adresse]",
    "membre": "[nom]",
    "personne": "[nom]",
}
#: What each kind is, in French (the preview's hidden label, lists of replacements).
LABELS = {
    "courriel": "adresse électronique",
    "telephone": "numéro de téléphone",
    "nir": "numéro de sécurité sociale",
    "siret": "numéro SIRET",
    "siren": "numéro SIREN",
    "iban": "IBAN",
    "numero": "numéro à chiffres",
    "adresse": "adresse postale",
    "membre": "nom d'une personne de l'employeur",
    "personne": "nom de personne",
    "employeur": "nom de l'employeur",
}
#: Which detection wins when two overlap (lower first); then the longer one.
PRIORITY = {"courriel": 0, "iban": 1, "nir": 1, "siret": 1, "siren": 1, "telephone": 1,
            "numero": 3, "adresse": 4, "employeur": 5, "membre": 6, "personne": 7}
_NAME_KINDS = ("membre", "personne")


@dataclass(frozen=True)
class Replacement:
    """``original`` (at ``start:end`` in the original text) became ``replacement``."""

    start: int
    end: int
    kind: str
    original: str
    replacement: str

    @property
    def label(self) -> str:
        return LABELS[self.kind]


@dataclass(frozen=True)
class Result:
    """The anonymised ``text`` and, in order, every replacement made in ``original``."""

    original: str
    text: str
    replacements: tuple[Replacement, ...] = field(default_factory=tuple)

    def counts(self) -> dict[str, int]:
        """Number of replacements per kind."""
        return dict(Counter(r.kind for r in self.replacements))

    def as_dict(self) -> dict:
        """JSON-ready form, to store with the draft. It holds the *originals*: keep it in the
        employer's schema, never in ``network``."""
        return {"text": self.text,
                "replacements": [{"start": r.start, "end": r.end, "kind": r.kind,
                                  "original": r.original, "replacement": r.replacement}
                                 for r in self.replacements]}


def employer_label(sector: str, size_band: str) -> str:
    """The words that replace the employer's name when its author hides it."""
    return f"un employeur du secteur {sector}, tranche de taille {size_band}"


def _union_names(spans: list[Span]) -> list[Span]:
    """Overlapping name spans become their union ("Aimé" of a member and "Aimé Le Gall" found
    by the model: "Aimé Le Gall", as a member)."""
    names = sorted(s for s in spans if s.kind in _NAME_KINDS)
    others = [s for s in spans if s.kind not in _NAME_KINDS]
    merged: list[Span] = []
    for s in names:
        if merged and s.start < merged[-1].end:
            prev = merged[-1]
            kind = "membre" if "membre" in (prev.kind, s.kind) else "personne"
            merged[-1] = Span(prev.start, max(prev.end, s.end), kind)
        else:
            merged.append(s)
    return others + merged


def _resolve(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans: by priority of kind, then longest first."""
    spans = _union_names(spans)
    chosen: list[Span] = []
    taken: list[tuple[int, int]] = []
    for s in sorted(spans, key=lambda s: (PRIORITY[s.kind], -(s.end - s.start), s.start)):
        if s.end <= s.start or any(s.start < e and b < s.end for b, e in taken):
            continue
        chosen.append(s)
        taken.append((s.start, s.end))
    return sorted(chosen)


def _merge_names(text: str, spans: list[Span]) -> list[Span]:
    """"[nom] [nom]" for "Claire" + "Dubois" found apart becomes one "[nom]"."""
    merged: list[Span] = []
    for s in spans:
        prev = merged[-1] if merged else None
        if (prev and prev.kind in _NAME_KINDS and s.kind in _NAME_KINDS
                and re.fullmatch(r"[ \u00a0\-]*", text[prev.end:s.start])):
            kind = "membre" if "membre" in (prev.kind, s.kind) else "personne"
            merged[-1] = Span(prev.start, s.end, kind)
        else:
            merged.append(s)
    return merged


def find_employer(text: str, employer_name: str | None) -> list[Span]:
    if not employer_name or not employer_name.strip():
        return []
    pattern = r"[\s\u00a0\-]+".join(re.escape(w) for w in fold(employer_name).split())
    return [Span(m.start(), m.end(), "employeur")
            for m in re.finditer(rf"(?<![\w]){pattern}(?![\w])", fold(text))]


def detect(text: str, *, known_people=(), employer_name: str | None = None) -> list[Span]:
    """Every span of personal data in ``text``, overlaps settled, in order."""
    spans = (numbers.find_emails(text) + numbers.find_identifiers(text)
             + numbers.find_phones(text) + numbers.find_addresses(text)
             + find_employer(text, employer_name)
             + people.find_known_people(text, list(known_people))
             + people.find_other_people(text))
    return _merge_names(text, _resolve(spans))


def anonymise(text: str, *, known_people=(), employer_name: str | None = None,
              employer_label: str | None = None) -> Result:
    """Replace every name, e-mail address, phone number, postal address and identifier.

    ``known_people``: full names ("Prénom Nom") of the employer's people, removed wherever they
    appear; ``employer_name``: replaced by ``employer_label`` (e.g. "un employeur du secteur
    hospitalier, de 1 000 à 5 000 agents") when one is given, else kept as written (and
    protected from the other detectors)."""
    out: list[str] = []
    replacements: list[Replacement] = []
    pos = 0
    for s in detect(text, known_people=known_people, employer_name=employer_name):
        if s.kind == "employeur" and not employer_label:
            continue
        token = employer_label if s.kind == "employeur" else TOKENS[s.kind]
        out.append(text[pos:s.start])
        out.append(token)
        replacements.append(Replacement(s.start, s.end, s.kind, text[s.start:s.end], token))
        pos = s.end
    out.append(text[pos:])
    return Result(original=text, text="".join(out), replacements=tuple(replacements))
