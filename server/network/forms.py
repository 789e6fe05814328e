from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from tenants.context import SLUG_RE
from tenants.registry import SECTORS, SIZE_BANDS


class EmployerForm(FlaskForm):
    name = StringField(
        "Nom de l'employeur",
        validators=[DataRequired("Saisissez le nom de l'employeur."),
                    Length(max=200, message="Le nom doit faire 200 caractères au plus.")],
    )
    slug = StringField(
        "Identifiant dans les adresses",
        description="Par exemple « ville-de-rivebelle » : lettres minuscules sans accent, "
        "chiffres et tirets, de 2 à 40 caractères. Il ne pourra plus changer.",
        validators=[DataRequired("Saisissez un identifiant."),
                    Regexp(SLUG_RE, message="L'identifiant doit faire de 2 à 40 caractères : "
                           "lettres minuscules sans accent, chiffres et tirets simples.")],
    )
    sector = SelectField("Fonction publique", choices=list(SECTORS.items()),
                         validators=[DataRequired("Choisissez la fonction publique.")])
    size_band = SelectField("Effectif", choices=list(SIZE_BANDS.items()),
                            validators=[DataRequired("Choisissez la tranche d'effectif.")])


class StatusForm(FlaskForm):
    """Suspend or reactivate: a button only, with its CSRF token."""


class AccountActionForm(FlaskForm):
    """Unlock or reset the second factor: a button only, with its CSRF token."""
