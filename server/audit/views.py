"""The audit logs' pages: the employer's (référents) and the network's (network admins), each
filterable, paginated and exported as CSV — an export being itself an entry of the log."""
from __future__ import annotations


from flask import Blueprint, Response, render_template, request, url_for

from server import clock
from server.audit import record_access, record_network
from server.audit import journal
from server.audit.models import AuditEvent, NetworkAuditEvent
from server.auth.access import employer_role, network_role
from tenants import current_tenant

#: No prefix: the employer's log lives under /e/<tenant>/, the network's under /reseau/.
bp = Blueprint("audit", __name__)


def _page(model, endpoint: str, csv_endpoint: str, template: str):
    filters, errors = journal.parse_filters(request.args, model)
    rows, total, pages = journal.page_of(model, filters)
    return render_template(
        template, rows=rows, total=total, pages=pages, page=min(filters.page, pages),
        filters=filters, errors=errors, args=filters.query_args(),
        people=journal.actors(model), actions=journal.action_choices(model),
        objects=journal.object_choices(model), endpoint=endpoint,
        csv_url=url_for(csv_endpoint, **filters.query_args()),
    ), (400 if errors else 200)


def _csv(model, name: str, audit):
    filters, errors = journal.parse_filters(request.args, model)
    if errors:
        return Response("\n".join(errors.values()), status=400, mimetype="text/plain",
                        headers={"Content-Language": "fr"})
    body, count = journal.to_csv(model, filters)
    # The filters say what was exported ("action" would clash with the argument's name).
    audit("export", "audit_event", rows=count,
          **{f"filtre_{key}": value for key, value in filters.query_args().items()})
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}-{clock.today().isoformat()}.csv"',
        "Cache-Control": "no-store"})


@bp.route("/e/<tenant>/journal")
@employer_role("referent")
def employer_log():
    return _page(AuditEvent, "audit.employer_log", "audit.employer_log_csv", "audit/employer.html")


@bp.route("/e/<tenant>/journal.csv")
@employer_role("referent")
def employer_log_csv():
    return _csv(AuditEvent, f"journal-{current_tenant().slug}", record_access)


@bp.route("/reseau/journal")
@network_role("admin")
def network_log():
    return _page(NetworkAuditEvent, "audit.network_log", "audit.network_log_csv",
                 "audit/network.html")


@bp.route("/reseau/journal.csv")
@network_role("admin")
def network_log_csv():
    return _csv(NetworkAuditEvent, "journal-reseau", record_network)
