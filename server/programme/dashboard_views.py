"""The programme dashboard (référents) and its CSV export."""
from __future__ import annotations

from flask import Response, render_template, request

from server.audit import record_access
from server.auth.access import employer_role
from server.programme import dashboard
from server.programme.blueprint import bp
from tenants import current_tenant


@bp.route("/tableau-de-bord")
@employer_role("referent")
def dashboard_page():
    period, errors, raw = dashboard.parse_period(request.args)
    board = dashboard.compute(period)
    return render_template("programme/dashboard.html", board=board, errors=errors, raw=raw,
                           units=dashboard.UNITS), (400 if errors else 200)


@bp.route("/tableau-de-bord.csv")
@employer_role("referent")
def dashboard_csv():
    period, errors, raw = dashboard.parse_period(request.args)
    if errors:
        return Response("\n".join(errors.values()), status=400,
                        mimetype="text/plain", headers={"Content-Language": "fr"})
    body = dashboard.to_csv(dashboard.compute(period))
    record_access("export", "dashboard", du=period.start.isoformat(), au=period.end.isoformat())
    name = f"tableau-de-bord-{current_tenant().slug}-{period.start}-{period.end}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store"})
