"""A small programme model used to prove the plugin API end to end: "cafés-rencontres",
informal meetings a référent announces. Installed in the tests through a real entry point
(a ``.dist-info`` folder on ``sys.path``), exactly as pip would install a third-party plugin.

It imports from ``plugins.base`` and ``server.signals`` only."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint as ApiBlueprint
from marshmallow import Schema, fields, validate

from plugins.base import (Indicator, ProgrammeModel, db, employer_role, record)
from server import signals
from tests.example_plugin.models import Rencontre, Welcome

HERE = Path(__file__).parent


class Settings(Schema):
    max_participants = fields.Integer(
        load_default=12, validate=validate.Range(min=2, max=50),
        metadata={"label": "Participants au plus", "description": "Par café-rencontre."})
    ouvert_aux_membres = fields.Boolean(
        load_default=True, metadata={"label": "Ouvert à tous les membres de l'espace"})


bp = Blueprint("exemple", __name__, template_folder=str(HERE / "templates"))
api = ApiBlueprint("exemple_api", __name__, description="Cafés-rencontres (exemple)")


class RencontreSchema(Schema):
    id = fields.Integer(dump_only=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))


@bp.route("/", methods=["GET", "POST"])
@employer_role()
def index():
    if request.method == "POST":
        title = request.form.get("title", "").strip()
        if title:
            db.session.add(Rencontre(title=title))
            record("create", "exemple_rencontre", title=title)
            db.session.commit()
            flash("Le café-rencontre est annoncé.", "success")
        return redirect(url_for("exemple.index"))
    rencontres = db.session.execute(db.select(Rencontre).order_by(Rencontre.id)).scalars().all()
    return render_template("exemple/index.html", rencontres=rencontres)


@api.route("/rencontres")
@employer_role()
class Rencontres(MethodView):
    @api.response(200, RencontreSchema(many=True))
    def get(self):
        return db.session.execute(db.select(Rencontre).order_by(Rencontre.id)).scalars().all()


class Exemple(ProgrammeModel):
    name = "exemple"
    label = "Cafés-rencontres"
    description = "Des rencontres informelles entre collègues, annoncées par le référent."
    settings_schema = Settings
    models = (Rencontre, Welcome)
    migrations = HERE / "migrations"
    blueprint = bp
    api_blueprint = api

    def init(self) -> None:
        signals.person_enrolled.connect(self._welcome, weak=False)

    @staticmethod
    def _welcome(profile, role, **_):
        db.session.add(Welcome(profile_id=profile.id, role=role))

    def indicators(self, period):
        count = db.session.execute(db.select(db.func.count()).select_from(Rencontre)).scalar()
        return [Indicator(key="exemple.rencontres", label="Cafés-rencontres annoncés",
                          value=count)]
