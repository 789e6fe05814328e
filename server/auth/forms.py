from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from server.auth.passwords import MAX_LENGTH, MIN_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(
        "Adresse e-mail",
        validators=[
            DataRequired("Saisissez votre adresse e-mail."),
            Email("Saisissez une adresse e-mail valide, par exemple nom@exemple.fr."),
            Length(max=254, message="L'adresse e-mail est trop longue (254 caractères au plus)."),
        ],
    )
    password = PasswordField(
        "Mot de passe",
        validators=[
            DataRequired("Saisissez votre mot de passe."),
            Length(max=1024, message="Le mot de passe est trop long."),
        ],
    )


class SecondFactorForm(FlaskForm):
    code = StringField(
        "Code de vérification",
        description=("Les 6 chiffres affichés par votre application d'authentification, "
                     "ou l'un de vos codes de secours."),
        validators=[DataRequired("Saisissez le code de vérification."),
                    Length(max=40, message="Ce code est trop long.")],
    )


class EnrolForm(FlaskForm):
    code = StringField(
        "Code à 6 chiffres",
        description="Le code que votre application affiche après avoir ajouté Entrepairs.",
        validators=[DataRequired("Saisissez le code à 6 chiffres de votre application."),
                    Length(max=40, message="Ce code est trop long.")],
        render_kw={"inputmode": "numeric"},
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Mot de passe actuel",
        validators=[DataRequired("Saisissez votre mot de passe actuel."),
                    Length(max=1024, message="Le mot de passe est trop long.")],
    )
    new_password = PasswordField(
        "Nouveau mot de passe",
        description=(f"{MIN_LENGTH} caractères au moins, {MAX_LENGTH} au plus. Une phrase de "
                     "plusieurs mots facile à retenir convient ; évitez votre nom et les mots de "
                     "passe courants."),
        validators=[DataRequired("Choisissez un nouveau mot de passe.")],
    )
    new_password_confirm = PasswordField(
        "Confirmez le nouveau mot de passe",
        validators=[DataRequired("Saisissez à nouveau le nouveau mot de passe."),
                    EqualTo("new_password", "Les deux mots de passe ne sont pas identiques.")],
    )


class ConfirmPasswordForm(FlaskForm):
    """A sensitive change to the account: the password is asked again."""

    current_password = PasswordField(
        "Votre mot de passe",
        validators=[DataRequired("Saisissez votre mot de passe."),
                    Length(max=1024, message="Le mot de passe est trop long.")],
    )
