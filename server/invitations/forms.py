from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import EmailField, HiddenField, SelectField, StringField

from server.auth.models import EMPLOYER_ROLES
from server.invitations.service import NAME_MAX
from server.participation.forms import (
    ConsentFields,
    CriteriaFields,
    ExistingAccountFields,
    NewAccountFields,
    StatedFields,
)


class InviteForm(FlaskForm):
    """Checked by ``service.check_candidates``, which gives the messages."""

    email = EmailField("Adresse e-mail", description="L'invitation est envoyée à cette adresse.")
    display_name = StringField("Nom", description=(
        f"Prénom et nom, tels que la personne les verra. {NAME_MAX} caractères au plus."))
    role = SelectField("Rôle", choices=[("", "Choisir un rôle")] + list(EMPLOYER_ROLES.items()),
                       validate_choice=False)


class ImportForm(FlaskForm):
    file = FileField("Fichier CSV", description=(
        "Trois colonnes avec leur titre sur la première ligne : e-mail, nom, rôle "
        "(pair-aidant, pair-aidé, membre ou référent). Séparateur virgule ou point-virgule, "
        "encodage UTF-8. 500 personnes au plus."))


class ConfirmImportForm(FlaskForm):
    rows = HiddenField()


class InvitationActionForm(FlaskForm):
    """Resend or revoke: a button only, with its CSRF token."""


# One form class per situation: a new account or an existing one, a pair-aidé or another role.
class NewHelpedForm(FlaskForm, NewAccountFields, ConsentFields, CriteriaFields, StatedFields):
    pass


class NewMemberForm(FlaskForm, NewAccountFields, ConsentFields):
    pass


class ExistingHelpedForm(FlaskForm, ExistingAccountFields, ConsentFields, CriteriaFields,
                         StatedFields):
    pass


class ExistingMemberForm(FlaskForm, ExistingAccountFields, ConsentFields):
    pass


class SignedInHelpedForm(FlaskForm, ConsentFields, CriteriaFields, StatedFields):
    pass


class SignedInMemberForm(FlaskForm, ConsentFields):
    pass
