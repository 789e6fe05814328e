"""Forms of the library. The rules live in ``service.clean`` (shared with the API); the forms
carry the fields, their labels and hints, and the CSRF token."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField

from server.library.models import AUDIENCES, KINDS, THEMES, TOOLS, WORKFLOW_KINDS


class ResourceForm(FlaskForm):
    kind = SelectField("Type de ressource", choices=[("", "Choisissez un type")]
                       + [(k, v) for k, v in KINDS.items() if k not in WORKFLOW_KINDS],
                       validate_choice=False)
    title = StringField("Titre", description="200 caractères au plus.")
    summary = TextAreaField("Résumé", description="Quelques lignes montrées dans la liste "
                            "et les résultats de recherche (1 000 caractères au plus).")
    body = TextAreaField("Texte", description="Facultatif. Le contenu de la ressource ; "
                         "laissez une ligne vide entre deux paragraphes.")
    themes = SelectMultipleField("Thèmes", choices=list(THEMES.items()), validate_choice=False)
    audience = SelectField("Public", choices=list(AUDIENCES.items()), validate_choice=False,
                           description="Pour qui elle est écrite. Tous les membres du réseau "
                           "peuvent lire une ressource publiée.")
    published_on = StringField("Date", description="Date de la ressource (édition du guide, "
                               "jour de l'actualité ou de la séance), au format jj/mm/aaaa, "
                               "par exemple 12/09/2025.")
    tool = SelectField("Outil de l'espace employeur",
                       choices=[("", "Aucun")] + list(TOOLS.items()), validate_choice=False,
                       description="Pour une fiche outil seulement : les référents pourront "
                       "démarrer leur propre fiche dans leur espace employeur.")
    version = HiddenField()

    def load(self, data: dict) -> None:
        for name, value in data.items():
            getattr(self, name).data = value

    def raw(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("kind", "title", "summary", "body", "themes", "audience", "published_on",
                 "tool")}

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            getattr(self, name).errors = [message]


class StatusForm(FlaskForm):
    """Publish, archive or turn back into a draft: buttons with the version they were shown."""

    version = HiddenField()


class UploadForm(FlaskForm):
    file = FileField("Fichier", description="PDF, document Word, Excel ou PowerPoint, document "
                     "OpenDocument, image PNG, JPEG ou WebP ; {max} au plus. Le type est "
                     "vérifié d'après le contenu du fichier.")


class CopyForm(FlaskForm):
    space = SelectField("Espace employeur", choices=[], validate_choice=False)
