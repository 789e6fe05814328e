from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length


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
