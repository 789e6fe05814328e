"""Settings forms drawn from a plugin's marshmallow schema, with French error messages.

Fields read ``metadata={"label": ..., "description": ...}``; the kind of input follows the
field: number, checkbox, list of choices (``validate.OneOf``), one value per line
(``List(String)``) or text."""
from __future__ import annotations

import re
from dataclasses import dataclass

from marshmallow import Schema, fields, validate

#: marshmallow's default messages, in French.
_FRENCH = [
    (r"^Missing data for required field\.$", "Ce champ est obligatoire."),
    (r"^Not a valid integer\.$", "Saisissez un nombre entier."),
    (r"^Not a valid number\.$", "Saisissez un nombre."),
    (r"^Not a valid boolean\.$", "Choisissez oui ou non."),
    (r"^Not a valid string\.$", "Saisissez un texte."),
    (r"^Not a valid list\.$", "Saisissez une liste."),
    (r"^Unknown field\.$", "Ce paramètre n'existe pas."),
    (r"^Field may not be null\.$", "Ce champ est obligatoire."),
    (r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$",
     r"La valeur doit être comprise entre \1 et \2."),
    (r"^Must be greater than or equal to (\S+)\.$", r"La valeur doit être au moins \1."),
    (r"^Must be less than or equal to (\S+)\.$", r"La valeur doit être au plus \1."),
    (r"^Shorter than minimum length (\d+)\.$", r"Saisissez au moins \1 caractères."),
    (r"^Longer than maximum length (\d+)\.$", r"Saisissez au plus \1 caractères."),
    (r"^Length must be between (\d+) and (\d+)\.$", r"Saisissez entre \1 et \2 éléments."),
    (r"^Must be one of: (.*)\.$", r"Choisissez parmi : \1."),
]


def french(message: str) -> str:
    for pattern, replacement in _FRENCH:
        if re.match(pattern, message):
            return re.sub(pattern, replacement, message)
    return message


def french_messages(messages):
    """marshmallow's error messages (dict / list / str), translated where we know them."""
    if isinstance(messages, dict):
        return {k: french_messages(v) for k, v in messages.items()}
    if isinstance(messages, list):
        return [french_messages(m) for m in messages]
    return french(str(messages))


@dataclass
class SettingField:
    name: str
    label: str
    description: str
    kind: str  # number, checkbox, select, lines, text
    value: object
    choices: tuple = ()
    step: str = "1"
    error: str = ""


def describe(schema: type[Schema], values: dict, errors: dict | None = None) -> list[SettingField]:
    errors = errors or {}
    out = []
    for name, f in schema._declared_fields.items():
        meta = f.metadata or {}
        choices: tuple = ()
        kind, step = "text", "1"
        if isinstance(f, fields.Boolean):
            kind = "checkbox"
        elif isinstance(f, (fields.Integer, fields.Float, fields.Decimal)):
            kind = "number"
            step = "1" if isinstance(f, fields.Integer) else "any"
        elif isinstance(f, fields.List):
            kind = "lines"
        one_of = next((v for v in _validators(f) if isinstance(v, validate.OneOf)), None)
        if one_of is not None:
            kind = "select"
            labels = meta.get("choices", {})
            choices = tuple((c, labels.get(c, c)) for c in one_of.choices)
        value = values.get(name)
        if kind == "lines" and isinstance(value, list):
            value = "\n".join(str(v) for v in value)
        error = errors.get(name)
        if isinstance(error, dict):  # list fields report per item
            error = " ".join(" ".join(v) for v in error.values())
        elif isinstance(error, list):
            error = " ".join(error)
        out.append(SettingField(name=name, label=meta.get("label", name),
                                description=meta.get("description", ""), kind=kind,
                                value=value, choices=choices, step=step, error=error or ""))
    return out


def _validators(f):
    validators = f.validators or []
    if isinstance(f, fields.List):
        validators = list(validators) + list(f.inner.validators or [])
    return validators


def from_form(schema: type[Schema], form) -> dict:
    """Raw settings from a submitted form, for ``schema.load``."""
    data = {}
    for name, f in schema._declared_fields.items():
        if isinstance(f, fields.Boolean):
            data[name] = name in form
        elif isinstance(f, fields.List):
            data[name] = [line.strip() for line in form.get(name, "").splitlines() if line.strip()]
        elif name in form:
            data[name] = form.get(name, "").strip()
    return data
