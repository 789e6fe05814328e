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


@bp.route("/healthz")
@public
def health():
    """For load balancers and the compose healthcheck: the database and Redis answer (503
    only when the database does not: see docs/operations.md, "When Redis is down")."""
    import sqlalchemy as sa
    from flask import jsonify

    from server.extensions import db
    from server.jobs import redis_connection

    checks = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:
        db.session.rollback()
        checks["database"] = "indisponible"
    try:
        redis_connection().ping()
        checks["redis"] = "ok"
    except Exception:
        checks["redis"] = "indisponible"
    healthy = all(v == "ok" for v in checks.values())
    response = jsonify({"status": "ok" if healthy else "dégradé", **checks})
    # Without Redis the pages still work (jobs wait in PostgreSQL): the process stays in the
    # load balancer. Without PostgreSQL it cannot serve anything.
    response.status_code = 200 if checks["database"] == "ok" else 503
    response.headers["Cache-Control"] = "no-store"
    return response
