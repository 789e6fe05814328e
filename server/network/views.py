"""The network space: its home and, for network admins, the employer spaces."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for

from server.audit import record_network_change
from server.auth.access import network_role, signed_in
from server.extensions import db
from server.network.blueprint import bp
from server.network.forms import EmployerForm, StatusForm
from tenants import provision
from tenants.provisioning import ProvisioningError, set_status
from tenants.registry import Tenant


@bp.route("/")
@signed_in
def home():
    return render_template("network/home.html")


@bp.route("/employeurs", methods=["GET", "POST"])
@network_role("admin")
def employers():
    form = EmployerForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                ref = provision(form.slug.data, form.name.data, form.sector.data,
                                form.size_band.data)
            except ProvisioningError as exc:
                form.slug.errors.append(str(exc))
                status = 400
            else:
                # Provisioning commits on a connection of its own: the entry follows it.
                record_network_change("create", "tenant", ref.id, slug=ref.slug)
                db.session.commit()
                flash(f"L'espace « {ref.name} » est créé.", "success")
                return redirect(url_for("network.employers"))
        else:
            status = 400
    rows = db.session.execute(sa.select(Tenant).order_by(Tenant.name)).scalars().all()
    return render_template("network/employers.html", form=form, employers=rows,
                           status_form=StatusForm()), status


@bp.route("/employeurs/<slug>/statut", methods=["POST"])
@network_role("admin")
def employer_status(slug: str):
    form = StatusForm()
    tenant = db.session.execute(sa.select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()
    if tenant is None or not form.validate_on_submit():
        abort(404 if tenant is None else 400)
    new_status = "suspended" if tenant.is_active else "active"
    name = tenant.name
    # set_status commits the session: the entry goes with the change, or not at all.
    record_network_change("update", "tenant", tenant.id, slug=slug, status=new_status)
    try:
        set_status(slug, new_status)
    except ProvisioningError:
        abort(404)
    flash(f"L'espace « {name} » est {'suspendu' if new_status == 'suspended' else 'réactivé'}.",
          "success")
    return redirect(url_for("network.employers"))


@bp.route("/courriels")
@network_role("admin")
def outbox():
    """Messages kept instead of sent where no SMTP server is configured (``make run``)."""
    from server.mail import OutboxMessage

    messages = db.session.execute(
        sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)).scalars().all()
    return render_template("network/outbox.html", messages=messages)
