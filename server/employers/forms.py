from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

WELCOME_MAX = 2000


class WelcomeForm(FlaskForm):
    welcome = TextAreaField(
        "Message d'accueil de l'espace",
        description=(
            "Visible par toutes les personnes de votre espace. N'y mettez aucune information "
            f"de santé ni aucun nom. {WELCOME_MAX} caractères au plus."
        ),
        validators=[
            Length(max=WELCOME_MAX,
                   message=f"Le message d'accueil doit faire {WELCOME_MAX} caractères au plus."),
        ],
    )
