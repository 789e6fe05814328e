"""Detectors by pattern: e-mail addresses, French phone numbers, postal addresses, identifiers.

Identifiers (NIR, SIRET, SIREN, IBAN) are *validated* with python-stdnum: a figure of the right
shape whose check key is right gets its precise kind. A figure of an identifier's shape whose key
is wrong is still replaced, as ``numero`` ("[numéro]"): a mistyped social-security number is still
someone's number, and a 9–15-digit figure is almost never needed to understand a practice, so for
safety we over-replace rather than leak (docs/anonymisation.md)."""
from __future__ import annotations

import re

from stdnum import iban as std_iban
from stdnum.fr import nir as std_nir
from stdnum.fr import siren as std_siren
from stdnum.fr import siret as std_siret

from server.anonymisation.text import UPPER, Span

EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]+(?:@|\s?\[(?:at|arobase)\]\s?)[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}\b")

# 0X XX XX XX XX, +33 X XX XX XX XX, +33 (0)X…, 0033 X…, separated by spaces, dots, dashes or
# nothing; the separator may vary within the number.
PHONE = re.compile(r"""
    (?<![\w+])
    (?:(?:\+|00)\s?33[\s.\-]?(?:\(0\)[\s.\-]?)?|\(0\)|0)
    [1-9](?:[\s.\-\u00a0]?\d{2}){4}
    (?!\d)""", re.VERBOSE)

#: Digits that may be separated by one space, dot or dash (as people write long numbers).
_D = r"[\s.\-\u00a0]?"
# Sécurité sociale: sex, year, month, département (2A/2B for Corsica), commune, order, key.
NIR = re.compile(rf"(?<![\w])[1-478]{_D}\d\d{_D}\d\d{_D}(?:\d\d|2[AaBb]){_D}\d{{3}}{_D}\d{{3}}"
                 rf"(?:{_D}\d\d)(?![\w])")
# Any long figure: 9 to 15 digits, possibly grouped (SIREN 9, SIRET 14, NIR 15).
LONG_NUMBER = re.compile(r"(?<![\w,.])\d(?:[\s.\-\u00a0]?\d){8,14}(?![\w]|[.,]\d)")
IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d\d(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?(?![\w])")

VOIE = (r"rue|avenue|av\.|bd|boulevard|place|pl\.|allée|allee|impasse|chemin|route|quai|cours|"
        r"square|passage|esplanade|rond-point|voie|cité|cite|résidence|residence|parvis|faubourg|"
        r"sentier|lotissement|hameau|mail|promenade|villa|ruelle|traverse|montée|montee|"
        r"chaussée|chaussee|parc|domaine|zone|za|zi|zac")
_PART = r"(?:de|du|des|la|le|les|aux|au|sur|sous|en|lès|les)"
_CAPW = rf"(?:[{UPPER}0-9][\w'’\-]*|[dlDL]['’][{UPPER}][\w'’\-]*)"
_STREET_NAME = rf"(?:{_PART}[ \u00a0]+)*{_CAPW}(?:[ \u00a0]+(?:{_PART}[ \u00a0]+)*{_CAPW})*"
# "12 bis, rue de la Paix", "3 allée des Tilleuls", "27 avenue du Général-Leclerc"
STREET = re.compile(rf"""
    (?<![\w])\d{{1,4}}(?:[ \u00a0]?(?:bis|ter|quater|[A-Da-d])\b)?,?[ \u00a0]+
    (?i:{VOIE})[ \u00a0]+{_STREET_NAME}
    """, re.VERBOSE)
# Any street line right before a postcode and city, even in lower case: "12 rue du général
# leclerc, 29200 Brest".
STREET_BEFORE_POSTCODE = re.compile(rf"""
    (?<![\w])\d{{1,4}}(?:[ \u00a0]?(?:bis|ter|quater|[A-Da-d])\b)?,?[ \u00a0]+
    (?i:{VOIE})[ \u00a0][^,\n.;:()]{{1,50}}?,?[ \u00a0]+
    (?=(?:0[1-9]|[1-8]\d|9[0-8])\d{{3}}[ \u00a0]+[{UPPER}])
    """, re.VERBOSE)
# "75012 Paris", "69003 LYON CEDEX 03", "97411 Saint-Paul"
POSTCODE_CITY = re.compile(rf"""
    (?<![\w])(?:0[1-9]|[1-8]\d|9[0-8])\d{{3}}[ \u00a0]+
    [{UPPER}][\w'’\-]*(?:[ \u00a0]+(?:(?:sur|sous|en|lès|les|le|la|de|du|des|aux|d'|l')[ \u00a0]+)?
    [{UPPER}][\w'’\-]*)*(?:(?<=CEDEX|Cedex|cedex)[ \u00a0]+\d{{1,2}}(?!\w))?
    """, re.VERBOSE)
# "BP 123", "B.P. 45", "CS 70001", "TSA 12345"
POSTBOX = re.compile(r"(?<![\w])(?:B\.?P\.?|CS|TSA)[ \u00a0]?\d{1,6}(?![\w])")
_ADDRESS_JOIN = re.compile(r"^[\s,–\-]*$")


def find_emails(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), "courriel") for m in EMAIL.finditer(text)]


def find_phones(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), "telephone") for m in PHONE.finditer(text)]


def _digits(s: str) -> str:
    return re.sub(r"[\s.\-\u00a0]", "", s)


def identifier_kind(figure: str) -> str:
    """The kind of a figure that looks like an identifier: the one whose check key it passes,
    else ``numero``."""
    compact = _digits(figure).upper()
    if len(compact) == 15 and std_nir.is_valid(compact):
        return "nir"
    if len(compact) == 14 and compact.isdigit() and std_siret.is_valid(compact):
        return "siret"
    if len(compact) == 9 and compact.isdigit() and std_siren.is_valid(compact):
        return "siren"
    return "numero"


def find_identifiers(text: str) -> list[Span]:
    """NIR (Corsican ones too), SIRET, SIREN, IBAN; invalid long figures as ``numero``."""
    spans = [Span(m.start(), m.end(), identifier_kind(m.group())) for m in NIR.finditer(text)]
    spans += [Span(m.start(), m.end(), identifier_kind(m.group()))
              for m in LONG_NUMBER.finditer(text)]
    for m in IBAN.finditer(text):
        if std_iban.is_valid(m.group()):
            spans.append(Span(m.start(), m.end(), "iban"))
    return spans


def find_addresses(text: str) -> list[Span]:
    """Street lines, postcodes with their city and postal boxes; pieces of one address that
    follow each other (separated by commas, spaces or dashes) become one span."""
    pieces = sorted((m.start(), m.end()) for rx in (STREET, STREET_BEFORE_POSTCODE, POSTCODE_CITY, POSTBOX)
                    for m in rx.finditer(text))
    merged: list[list[int]] = []
    for start, end in pieces:
        if merged and (start <= merged[-1][1]
                       or _ADDRESS_JOIN.match(text[merged[-1][1]:start])):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [Span(s, e, "adresse") for s, e in merged]
