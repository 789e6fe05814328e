from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from server.accounts import MIN_PASSWORD_LENGTH
from server.auth.passwords import MAX_LENGTH, StrongPassword
from server.participation.consent import CRITERIA
from server.participation.models import ON_WITHDRAWAL

NAME_MAX = 120
STATED_MAX = 2000
CONSENT_MAX = 10000
WHO_SEES = ("Facultatif. Seuls le ou la référente du programme et votre futur pair-aidant le "
            "liront. N'écrivez que ce que vous voulez partager ; vous pourrez le changer ou "
            f"l'effacer à tout moment. {STATED_MAX} caractères au plus.")

#: Checkbox field name → criterion key.
CRITERIA_FIELDS = {f"critere_{key.replace('-', '_')}": key for key in CRITERIA}


# Fields are declared in the order of the page: the error summary lists them in that order.

class NewAccountFields:
    display_name = StringField("Votre nom", description=(
        f"Prénom et nom, visibles par les personnes de l'espace. {NAME_MAX} caractères au plus."),
        validators=[DataRequired("Saisissez votre nom."),
                    Length(max=NAME_MAX, message=f"Le nom doit faire {NAME_MAX} caractères au plus.")])
    password = PasswordField("Choisissez un mot de passe", description=(
        f"{MIN_PASSWORD_LENGTH} caractères au moins, {MAX_LENGTH} au plus. Une phrase de "
        "plusieurs mots facile à retenir convient ; évitez votre nom et les mots de passe "
        "courants."),
        validators=[DataRequired("Choisissez un mot de passe."), StrongPassword()])
    password_confirm = PasswordField("Confirmez le mot de passe", validators=[
        DataRequired("Saisissez à nouveau le mot de passe."),
        EqualTo("password", "Les deux mots de passe ne sont pas identiques.")])


class ExistingAccountFields:
    current_password = PasswordField("Votre mot de passe Entrepairs", validators=[
        DataRequired("Saisissez le mot de passe de votre compte."),
        Length(max=1024, message="Le mot de passe est trop long.")])


def _criteria_fields():
    messages = {
        "volontariat": "Confirmez que vous participez de votre plein gré.",
        "relation-horizontale": "Confirmez que vous acceptez une relation d'égal à égal.",
        "besoins-exprimes": "Confirmez que vous pouvez exprimer vos attentes.",
        "relation-de-confiance": "Confirmez que vous êtes prêt ou prête à entrer dans une "
                                 "relation de confiance.",
    }
    return {name: BooleanField(CRITERIA[key], validators=[DataRequired(messages[key])])
            for name, key in CRITERIA_FIELDS.items()}


CriteriaFields = type("CriteriaFields", (), _criteria_fields())



class StatedFields:
    needs = TextAreaField(
        "Mes besoins", description=WHO_SEES + " Par exemple : reprendre le travail après un "
        "arrêt, parler de l'annonce de ma situation à mon équipe.",
        validators=[Optional(), Length(max=STATED_MAX, message=(
            f"Vos besoins doivent faire {STATED_MAX} caractères au plus."))])
    preferences = TextAreaField(
        "Mes préférences", description=WHO_SEES + " Par exemple : rencontrer quelqu'un d'un "
        "autre service, échanger plutôt en visioconférence.",
        validators=[Optional(), Length(max=STATED_MAX, message=(
            f"Vos préférences doivent faire {STATED_MAX} caractères au plus."))])


class ConsentFields:
    """The consent checkbox, and the version read (the text may change meanwhile)."""

    consent_version = HiddenField()
    consent = BooleanField(
        "J'ai lu ces informations et je donne mon consentement",
        validators=[DataRequired("Cochez la case de consentement pour continuer.")])


class JoinForm(FlaskForm, ConsentFields, CriteriaFields, StatedFields):
    """A pair-aidé already in the space (enrolled before consents were recorded) consents."""


class StatedForm(FlaskForm, StatedFields):
    """Changing what one chose to state."""


class WithdrawForm(FlaskForm):
    confirm = BooleanField(
        "Je confirme que j'arrête ma participation",
        validators=[DataRequired("Cochez la case pour confirmer que vous arrêtez.")])


class ConsentTextForm(FlaskForm):
    body = TextAreaField(
        "Texte du consentement",
        description=("Ce que le programme garde, qui le voit, combien de temps, comment arrêter. "
                     "Les personnes déjà inscrites gardent la version qu'elles ont acceptée ; "
                     f"les nouvelles lisent celle-ci. {CONSENT_MAX} caractères au plus."),
        validators=[DataRequired("Saisissez le texte du consentement."),
                    Length(max=CONSENT_MAX, message=(
                        f"Le texte doit faire {CONSENT_MAX} caractères au plus."))])
    on_withdrawal = RadioField(
        "Quand une personne arrête, ses besoins et préférences…",
        choices=list(ON_WITHDRAWAL.items()), default="delete",
        validators=[DataRequired("Choisissez ce que deviennent les besoins et préférences.")])
