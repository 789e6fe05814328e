"""The référent's forms: the provider's settings, and the decision on an identity."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from server.sso.client import acceptable_url, normalise_issuer


class SsoConfigForm(FlaskForm):
    issuer = StringField(
        "Adresse du fournisseur d'identité (issuer)",
        description=("Donnée par le service informatique de votre employeur, par exemple "
                     "https://connexion.mairie-exemple.fr/realms/agents. Entrepairs y lit la "
                     "configuration publiée à « /.well-known/openid-configuration »."),
        validators=[DataRequired("Saisissez l'adresse du fournisseur d'identité."),
                    Length(max=500, message="L'adresse est trop longue (500 caractères au plus).")],
    )
    client_id = StringField(
        "Identifiant client",
        description="L'identifiant qui a été attribué à Entrepairs chez ce fournisseur.",
        validators=[DataRequired("Saisissez l'identifiant client."),
                    Length(max=255, message="L'identifiant client est trop long "
                                            "(255 caractères au plus).")],
    )
    client_secret = PasswordField(
        "Secret client",
        validators=[Length(max=1000, message="Le secret client est trop long "
                                             "(1 000 caractères au plus).")],
    )
    label = StringField(
        "Nom affiché sur le bouton de connexion",
        description=("Le bouton dira « Se connecter avec le compte de … » suivi de ce nom, par "
                     "exemple « la Ville de Rivebelle ». 100 caractères au plus."),
        validators=[DataRequired("Saisissez le nom affiché sur le bouton de connexion."),
                    Length(max=100, message="Le nom affiché doit faire 100 caractères au plus.")],
    )
    enabled = BooleanField("Proposer la connexion unique aux personnes de l'espace")

    def __init__(self, *args, has_secret: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_secret = has_secret
        self.client_secret.description = (
            "Laissez vide pour garder le secret enregistré ; il n'est jamais réaffiché."
            if has_secret else "Donné par le fournisseur avec l'identifiant client.")

    def validate_issuer(self, field):
        value = normalise_issuer(field.data)
        if value and not acceptable_url(value):
            raise ValidationError("L'adresse du fournisseur doit commencer par https:// et "
                                  "ne contenir ni identifiant ni mot de passe.")
        if "?" in value or "#" in value:
            raise ValidationError("L'adresse du fournisseur ne doit contenir ni « ? » ni « # ».")

    def validate_client_secret(self, field):
        if not (field.data or "").strip() and not self.has_secret:
            raise ValidationError("Saisissez le secret client.")


class LinkForm(FlaskForm):
    """Link a pending (or refused) identity to one of the employer's members."""

    #: Checked against the employer's memberships by the view, not by a list of choices.
    user_id = SelectField("Compte Entrepairs", choices=[], validate_choice=False,
                          validators=[DataRequired("Choisissez la personne à associer.")])


class DecisionForm(FlaskForm):
    """Refuse or unlink: the CSRF token only."""
