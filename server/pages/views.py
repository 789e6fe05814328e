"""Pages every footer links to."""
from flask import render_template

from server.auth.access import public
from server.pages.blueprint import bp


@bp.route("/accessibilite")
@public
def accessibility():
    return render_template("pages/accessibility.html")


@bp.route("/mentions-legales")
@public
def legal():
    return render_template("pages/legal.html")


@bp.route("/donnees-personnelles")
@public
def personal_data():
    return render_template("pages/personal_data.html")
