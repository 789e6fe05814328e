"""Forms of topic proposals and polls. Dates and times are text fields (jj/mm/aaaa, hh:mm),
read in Europe/Paris."""
from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import (BooleanField, IntegerField, RadioField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from server.polls.models import METHODS, SCOPES

DAY_RE = re.compile(r"^\s*\d{1,2}/\d{1,2}/\d{4}\s*$")
TIME_RE = re.compile(r"^\s*\d{1,2}:\d{2}\s*$")


def _id_or_zero(value) -> int:
    """A select's value as an id; anything else is 0 (« nothing chosen »), never an error in
    English from WTForms."""
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else 0


class TopicForm(FlaskForm):
    title = StringField(
        "Thème proposé", description="200 caractères au plus.",
        validators=[DataRequired("Saisissez le thème proposé."),
                    Length(max=200, message="Le thème doit faire 200 caractères au plus.")])
    reason = TextAreaField(
        "Pourquoi ce thème compte", description="2 000 caractères au plus. Ne citez aucune "
        "situation personnelle ni aucune personne.",
        validators=[DataRequired("Expliquez pourquoi ce thème compte."),
                    Length(max=2000, message="L'explication doit faire 2 000 caractères "
                           "au plus.")])


class SupportForm(FlaskForm):
    """A button only, with its CSRF token."""


class DecisionForm(FlaskForm):
    action = RadioField("Décision", choices=[
        ("keep", "Retenir ce thème pour un sondage"),
        ("reject", "Écarter ce thème (le motif sera montré à la personne qui l'a proposé)"),
        ("merge", "Fusionner avec un autre thème (les soutiens sont conservés)")],
        validate_choice=False, validators=[DataRequired("Choisissez une décision."),
                                           AnyOf(("keep", "reject", "merge"),
                                                 message="Choisissez une décision.")])
    reason = TextAreaField("Motif (si vous écartez le thème)",
                           description="2 000 caractères au plus.",
                           validators=[Length(max=2000, message="Le motif doit faire 2 000 "
                                              "caractères au plus.")])
    target = SelectField("Thème avec lequel fusionner (si vous fusionnez)",
                         coerce=_id_or_zero, validate_choice=False)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PollForm(FlaskForm):
    title = StringField("Intitulé du sondage",
                        description="Par exemple « Thème du prochain e-club ». 200 caractères "
                        "au plus.",
                        validators=[DataRequired("Saisissez l'intitulé du sondage."),
                                    Length(max=200, message="L'intitulé doit faire 200 "
                                           "caractères au plus.")])
    topics = MultiCheckboxField("Thèmes soumis au vote", coerce=_id_or_zero,
                                validate_choice=False)
    method = RadioField("Méthode de vote", choices=list(METHODS.items()), default="approval",
                        validate_choice=False,
                        validators=[DataRequired("Choisissez la méthode de vote."),
                                    AnyOf(list(METHODS), message="Choisissez la méthode de "
                                          "vote.")])
    max_choices = StringField(
        "Nombre de thèmes qu'une personne peut choisir (vote par approbation)",
        description="Un nombre entier, par exemple 3.",
        validators=[Optional(), Regexp(r"^\s*\d{1,2}\s*$", message="Saisissez un nombre "
                                       "entier de thèmes, par exemple 3.")])
    scope = RadioField("Qui dépose un bulletin", choices=list(SCOPES.items()), default="person",
                       validate_choice=False,
                       validators=[DataRequired("Choisissez qui dépose un bulletin."),
                                   AnyOf(list(SCOPES), message="Choisissez qui dépose un "
                                         "bulletin.")])
    opens_day = StringField("Date d'ouverture", description="Format jj/mm/aaaa, par exemple "
                            "03/03/2026 (heure de Paris).",
                            validators=[DataRequired("Saisissez la date d'ouverture."),
                                        Regexp(DAY_RE, message="La date d'ouverture doit "
                                               "s'écrire jj/mm/aaaa.")])
    opens_time = StringField("Heure d'ouverture", description="Format hh:mm, par exemple 09:00.",
                             validators=[DataRequired("Saisissez l'heure d'ouverture."),
                                         Regexp(TIME_RE, message="L'heure d'ouverture doit "
                                                "s'écrire hh:mm.")])
    closes_day = StringField("Date de clôture", description="Format jj/mm/aaaa.",
                             validators=[DataRequired("Saisissez la date de clôture."),
                                         Regexp(DAY_RE, message="La date de clôture doit "
                                                "s'écrire jj/mm/aaaa.")])
    closes_time = StringField("Heure de clôture", description="Format hh:mm, par exemple 18:00.",
                              validators=[DataRequired("Saisissez l'heure de clôture."),
                                          Regexp(TIME_RE, message="L'heure de clôture doit "
                                                 "s'écrire hh:mm.")])
    results_during_vote = BooleanField(
        "Montrer les résultats pendant le vote",
        description="Sinon, les résultats ne sont visibles qu'après la clôture.")


class EclubForm(FlaskForm):
    """Turn a winning topic into the next e-club: a button per winning option."""
    option = IntegerField("Thème gagnant", validators=[DataRequired()])
