"""Forms of the personal-data pages (French messages)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField
from wtforms.validators import DataRequired


class ExportForm(FlaskForm):
    """Asking for a copy: nothing to fill in, the CSRF token only."""


class EraseMineForm(FlaskForm):
    password = PasswordField(
        "Votre mot de passe",
        description="Pour vérifier que c'est bien vous qui demandez l'effacement.",
        validators=[DataRequired("Saisissez votre mot de passe.")])
    confirm = BooleanField(
        "Je comprends que mes données seront effacées et mon compte fermé, sans retour possible",
        validators=[DataRequired("Cochez la case pour confirmer l'effacement.")])


class ErasePersonForm(FlaskForm):
    #: ``apercu`` shows what will be erased; ``effacer`` asks for it.
    action = HiddenField(default="apercu")
    #: Checked by the view against the people of the space (French message, no 500 on junk).
    person = SelectField(
        "Personne", validate_choice=False,
        description="Les personnes qui ont un rôle ou un profil dans cet espace.")
    confirm = BooleanField(
        "Je confirme l'effacement des données de cette personne dans cet espace, sans retour "
        "possible")
