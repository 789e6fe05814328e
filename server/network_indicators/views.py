"""The network indicators page (animateurs and network admins), its CSV and « Recalculer »."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from server.auth.access import network_role
from server.extensions import db
from server.network_indicators import service
from server.network_indicators.aggregate import aggregate, start_run
from server.network_indicators.models import IndicatorRun

bp = Blueprint("network_indicators", __name__, url_prefix="/reseau/indicateurs")

#: Who reads the network indicators.
ROLES = ("animateur", "admin")


class RecomputeForm(FlaskForm):
    """« Recalculer »: a button only, with its CSRF token."""


@bp.route("/")
@network_role(*ROLES)
def page():
    run = service.latest_done()
    return render_template(
        "network_indicators/indicators.html", run=run, tables=service.tables_of(run),
        running=service.in_progress(), rules=service.rules(), form=RecomputeForm())


@bp.route("/recalculer", methods=["POST"])
@network_role(*ROLES)
def recompute():
    form = RecomputeForm()
    if not form.validate_on_submit():
        flash("Le formulaire a expiré. Rechargez la page et réessayez.", "error")
        return redirect(url_for("network_indicators.page"))
    if service.in_progress() is not None:
        flash("Un calcul est déjà en cours : les tableaux seront mis à jour à sa fin.", "info")
        return redirect(url_for("network_indicators.page"))
    run = start_run(requested_by=current_user.id)
    db.session.commit()
    from server.jobs import enqueue

    try:
        enqueue(aggregate, run.id, tenant=None)
    except Exception:  # Redis unreachable: say so, leave no run waiting forever
        current_app.logger.exception("Could not enqueue the network indicators")
        run.status = "failed"
        run.error = "Mise en file impossible."
        db.session.commit()
        flash("Le calcul n'a pas pu être lancé. Réessayez dans quelques minutes.", "error")
        return redirect(url_for("network_indicators.page"))
    flash("Le calcul des indicateurs est lancé. Il prend en général moins d'une minute ; "
          "rechargez la page pour voir les nouveaux tableaux.", "success")
    return redirect(url_for("network_indicators.page"))


@bp.route("/calcul-<int:run_id>.csv")
@network_role(*ROLES)
def export_csv(run_id: int):
    """The published cells of one finished computation (the page links to the last one)."""
    run = db.session.get(IndicatorRun, run_id)
    if run is None or run.status != "done":
        return Response("Ce calcul des indicateurs n'existe pas ou n'a pas abouti.", status=404,
                        mimetype="text/plain", headers={"Content-Language": "fr"})
    name = f"indicateurs-reseau-{run.finished_at:%Y-%m-%d}-{run.id}.csv"
    return Response(service.to_csv(run, service.tables_of(run)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})
