"""Forms of the référent's workspace: the framing sheet and the peer helpers' records.

Messages are French and specific: they say which field, which limit, and how far over it the
text is. No ``maxlength`` reaches the browser (see ``_forms.html``): a pasted text is never cut
silently, the server says it is too long and keeps it in the form."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from wtforms import (DateField, DecimalField, Field, RadioField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import InputRequired, Optional, ValidationError
from wtforms.widgets import TextInput

from server.programme.models import (ASSESSMENTS, CRITERIA, DECISIONS, ITEM_MAX_LENGTH,
                                     MAX_POSITIVES, MAX_PROBLEMS, TEXT_MAX_LENGTH, TRAINING_KINDS)

COMMENT_MAX_LENGTH = 1000
MISSIONS_MAX_LENGTH = 5000
MAX_HOURS_PER_MONTH = Decimal(160)
MAX_TRAINING_HOURS = Decimal(500)


def at_most(limit: int, what: str):
    """A length check that says how long the text is, not only the limit."""

    def check(form, field):
        length = len(field.data or "")
        if length > limit:
            raise ValidationError(f"{what} doit faire {limit} caractères au plus "
                                  f"(le texte saisi en fait {length}).")

    return check


# --- the framing sheet ---------------------------------------------------------------------------

class ItemsField(Field):
    """A numbered list of short texts (one input per item, all with the same name). Positions
    are kept as typed, blanks included, so that a refused form comes back exactly as sent."""

    def __init__(self, label=None, *, slots: int, item_label: str, feminine: bool = True,
                 **kwargs):
        super().__init__(label, **kwargs)
        self.slots = slots
        self.item_label = item_label
        self.feminine = feminine

    def process_formdata(self, valuelist):
        self.data = [v.replace("\r\n", "\n").strip() for v in valuelist]

    def _value(self):  # pragma: no cover - rendered item by item in the template
        return ""

    @property
    def items(self) -> list[str]:
        """The filled items, in their order."""
        return [v for v in (self.data or []) if v]

    @property
    def rows(self) -> list[str]:
        """What the form shows: every submitted value, padded to the number of slots."""
        values = list(self.data or [])
        return values + [""] * max(0, self.slots - len(values))

    def pre_validate(self, form):
        count = len(self.items)
        plural = self.label.text.lower()
        if count > self.slots:
            raise ValidationError(
                f"Indiquez {self.slots} {plural} au plus : vous en avez saisi {count}. "
                "Regroupez-en ou retirez-en.")
        for number, value in enumerate(self.data or [], start=1):
            if len(value) > ITEM_MAX_LENGTH:
                pronoun = "elle" if self.feminine else "il"
                raise ValidationError(
                    f"{self.item_label} {number} doit faire {ITEM_MAX_LENGTH} caractères au plus "
                    f"({pronoun} en fait {len(value)}).")


class FramingForm(FlaskForm):
    problems = ItemsField(
        "Problématiques", slots=MAX_PROBLEMS, item_label="La problématique",
        description=(f"Les {MAX_PROBLEMS} principales problématiques auxquelles le programme "
                     f"répond, au plus. {ITEM_MAX_LENGTH} caractères au plus chacune."),
        default=list)
    positives = ItemsField(
        "Éléments positifs", slots=MAX_POSITIVES, item_label="L'élément positif",
        feminine=False,
        description=(f"Les {MAX_POSITIVES} éléments positifs sur lesquels le programme "
                     f"s'appuie, au plus. {ITEM_MAX_LENGTH} caractères au plus chacun."),
        default=list)
    objectives = TextAreaField(
        "Objectifs",
        description=("Ce que le programme cherche à obtenir, pour les agents et pour "
                     f"l'organisation. {TEXT_MAX_LENGTH} caractères au plus."),
        validators=[at_most(TEXT_MAX_LENGTH, "Le texte des objectifs")])
    expected_results = TextAreaField(
        "Résultats attendus",
        description=("Ce que vous observerez si le programme fonctionne, et comment vous le "
                     f"mesurerez. {TEXT_MAX_LENGTH} caractères au plus."),
        validators=[at_most(TEXT_MAX_LENGTH, "Le texte des résultats attendus")])
    policy_link = TextAreaField(
        "Lien avec la politique handicap et de maintien dans l'emploi",
        description=("Comment le programme s'inscrit dans votre politique handicap, de maintien "
                     "dans l'emploi et de prévention de la désinsertion professionnelle. "
                     f"{TEXT_MAX_LENGTH} caractères au plus."),
        validators=[at_most(TEXT_MAX_LENGTH, "Le texte du lien avec la politique handicap")])

    def content(self) -> dict:
        return {"problems": self.problems.items, "positives": self.positives.items,
                "objectives": (self.objectives.data or "").strip(),
                "expected_results": (self.expected_results.data or "").strip(),
                "policy_link": (self.policy_link.data or "").strip()}

    def fill(self, content: dict) -> None:
        self.problems.data = list(content["problems"])
        self.positives.data = list(content["positives"])
        self.objectives.data = content["objectives"]
        self.expected_results.data = content["expected_results"]
        self.policy_link.data = content["policy_link"]


# --- peer helpers ----------------------------------------------------------------------------------

class FrenchDecimalField(DecimalField):
    """A number typed the French way (« 2,5 ») or the English way (« 2.5 »), in a text box
    (``type="number"`` refuses the comma in some browsers) shown the French way."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(label, validators, places=None, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format(self.data.normalize(), "f").replace(".", ",")

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        raw = valuelist[0].strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
        try:
            self.data = Decimal(raw)
        except InvalidOperation:
            self.data = None
            raise ValueError("Saisissez un nombre, par exemple 4 ou 2,5.")
        if not self.data.is_finite():
            self.data = None
            raise ValueError("Saisissez un nombre, par exemple 4 ou 2,5.")


class FrenchDateField(DateField):
    """A date typed « 03/03/2026 » (or « 2026-03-03 ») in a text box. Like GOV.UK Frontend we
    avoid ``type="date"``: its segments behave differently across browsers and assistive
    technologies."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("description", "Au format jj/mm/aaaa, par exemple 03/03/2026.")
        kwargs.setdefault("render_kw", {"inputmode": "numeric"})
        super().__init__(label, validators, format=["%d/%m/%Y", "%Y-%m-%d"], **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None  # ``InputRequired`` or ``Optional`` decide
            return
        try:
            super().process_formdata([valuelist[0].strip()])
        except ValueError:
            raise ValueError("Saisissez une date valide au format jj/mm/aaaa, par exemple "
                             "03/03/2026.")

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%d/%m/%Y") if self.data else ""


def one_of(choices, message: str):
    """Radio buttons and lists check their choice here, with our message (WTForms' own check
    would add an English one)."""

    def check(form, field):
        if field.data not in choices:
            raise ValidationError(message)

    return check


def hours_between(low: Decimal, high: Decimal, what: str):
    def check(form, field):
        if field.data is None:
            return
        if field.data <= 0 or field.data > high:
            raise ValidationError(f"{what} doit être supérieur à 0 et au plus de "
                                  f"{str(high).replace('.', ',')} heures.")
        if field.data != field.data.quantize(Decimal("0.1")):
            raise ValidationError(f"{what} se saisit au dixième d'heure près, par exemple 2,5.")

    return check


def _int_or_zero(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class NewPeerHelperForm(FlaskForm):
    kind = RadioField(
        "Le pair-aidant est", choices=[
            ("internal", "Un membre de votre espace (pair-aidant interne)"),
            ("external", ("Une personne extérieure, sans compte sur la plateforme "
                         "(pair-aidant externe)"))],
        validate_choice=False,
        validators=[one_of(("internal", "external"),
                           "Choisissez un pair-aidant interne ou externe.")])
    profile_id = SelectField(
        "Membre de votre espace", coerce=lambda v: _int_or_zero(v), choices=[],
        validate_choice=False,
        description="Pour un pair-aidant interne : la personne doit déjà être inscrite dans "
                    "votre espace.")
    name = StringField(
        "Nom et prénom",
        description="Pour un pair-aidant externe. 120 caractères au plus.",
        validators=[at_most(120, "Le nom")])
    organisation = StringField(
        "Organisation",
        description="Pour un pair-aidant externe : association, autre employeur… "
                    "160 caractères au plus.",
        validators=[at_most(160, "L'organisation")])

    def validate_profile_id(self, field):
        if self.kind.data != "internal":
            return
        valid = {value for value, _label in field.choices if value}
        if not field.data or field.data not in valid:
            raise ValidationError("Choisissez le membre de votre espace qui est candidat.")

    def validate_name(self, field):
        if self.kind.data == "external" and not (field.data or "").strip():
            raise ValidationError("Saisissez le nom du pair-aidant externe.")


class CriteriaForm(FlaskForm):
    """The seed's selection criteria, one assessment and comment each, and the decision.
    The fields ``critere-<key>`` and ``commentaire-<key>`` are added by ``criteria_form``."""

    decision = RadioField(
        "Décision", choices=list(DECISIONS.items()), validate_choice=False,
        validators=[one_of(DECISIONS, "Choisissez une décision.")])


def criteria_form(**kwargs) -> CriteriaForm:
    class Form(CriteriaForm):
        pass

    for key, label in CRITERIA.items():
        setattr(Form, f"critere_{key}", RadioField(
            label, choices=list(ASSESSMENTS.items()), default="not_assessed",
            validate_choice=False,
            validators=[one_of(ASSESSMENTS, f"Choisissez une évaluation pour « {label} ».")]))
        setattr(Form, f"commentaire_{key}", TextAreaField(
            f"Commentaire : {label.lower()}",
            description=f"Facultatif. {COMMENT_MAX_LENGTH} caractères au plus.",
            validators=[at_most(COMMENT_MAX_LENGTH, f"Le commentaire « {label} »")]))
    return Form(**kwargs)


class MissionForm(FlaskForm):
    missions = TextAreaField(
        "Missions",
        description=("Ce que fait le pair-aidant : binômes, groupe, permanences, "
                     "sensibilisations, comités de maintien dans l'emploi… "
                     f"{MISSIONS_MAX_LENGTH} caractères au plus."),
        validators=[at_most(MISSIONS_MAX_LENGTH, "Le texte des missions")])
    hours_per_month = FrenchDecimalField(
        "Temps dédié, en heures par mois",
        description=f"Par exemple 4 ou 2,5. Au plus {MAX_HOURS_PER_MONTH} heures.",
        validators=[Optional(), hours_between(Decimal(0), MAX_HOURS_PER_MONTH,
                                              "Le temps dédié")])
    mission_start = FrenchDateField("Début de la mission", validators=[Optional()])
    mission_end = FrenchDateField(
        "Fin de la mission",
        description="Facultative. Elle doit suivre le début. Au format jj/mm/aaaa.",
        validators=[Optional()])

    def validate_mission_end(self, field):
        if field.data is None:
            return
        if self.mission_start.data is None:
            raise ValidationError("Saisissez aussi le début de la mission.")
        if field.data <= self.mission_start.data:
            raise ValidationError("La fin de la mission doit être postérieure à son début.")


class TrainingForm(FlaskForm):
    kind = SelectField(
        "Type", choices=[("", "Choisissez…"), *TRAINING_KINDS.items()], validate_choice=False,
        validators=[one_of(TRAINING_KINDS, "Choisissez le type : formation, supervision ou "
                                           "travail pluridisciplinaire.")])
    title = StringField(
        "Intitulé", description="200 caractères au plus.",
        validators=[InputRequired(message="Saisissez l'intitulé."),
                    at_most(200, "L'intitulé")])
    on_date = FrenchDateField(
        "Date", validators=[InputRequired(message="Saisissez la date.")])
    hours = FrenchDecimalField(
        "Durée, en heures", description="Par exemple 3 ou 1,5.",
        validators=[InputRequired(message="Saisissez la durée en heures."),
                    hours_between(Decimal(0), MAX_TRAINING_HOURS, "La durée")])
    provider = StringField(
        "Organisme ou intervenant", description="Facultatif. 160 caractères au plus.",
        validators=[at_most(160, "L'organisme")])
