"""Personal-data rights and retention (GDPR articles 5, 15, 17 and 20).

- ``export``: everything Entrepairs holds about a person, across every employer space and the
  network, as JSON and a printable HTML summary, produced by a job and kept a few days;
- ``erasure``: a person's data erased or anonymised in every schema (or in one employer space,
  at a référent's request), keeping anonymous counts only;
- ``retention``: per-employer retention periods applied by a scheduled job that stores a report.

Programme models contribute through ``ProgrammeModel.personal_data``, ``erase_person``,
``retention_kinds`` and ``apply_retention`` (plugins/base.py, docs/plugins.md). The register
of processing is docs/personal_data.md."""

from contextlib import contextmanager


@contextmanager
def any_space_context(slug: str):
    """Like ``tenants.tenant_context``, for any registered employer, suspended ones included:
    a person's rights do not wait for their employer's space to be reactivated."""
    import sqlalchemy as sa
    from flask import current_app

    from tenants import context as tenancy
    from tenants.registry import Tenant

    db = current_app.extensions["sqlalchemy"]
    db.session.remove()
    row = db.session.execute(sa.select(Tenant.id, Tenant.slug, Tenant.name)
                             .where(Tenant.slug == slug)).one()
    db.session.remove()
    token = tenancy.activate(tenancy.TenantRef(id=row.id, slug=row.slug, name=row.name))
    try:
        yield
    finally:
        db.session.remove()
        tenancy.reset(token)


def registered_spaces() -> list[str]:
    """Every employer's slug, in name order."""
    import sqlalchemy as sa
    from flask import current_app

    from tenants.registry import Tenant

    db = current_app.extensions["sqlalchemy"]
    slugs = db.session.execute(sa.select(Tenant.slug).order_by(Tenant.name)).scalars().all()
    db.session.remove()
    return list(slugs)


def render(template: str, **context) -> str:
    """A template rendered without the page context processors: jobs have no request nor
    current user."""
    from flask import current_app

    return current_app.jinja_env.get_template(template).render(**context)


def mail(to: str, subject: str, template: str, **context):
    """``mail/<template>.txt`` and ``.html`` as a ``server.mail.Message`` (from a job)."""
    from server.mail import Message

    return Message(to=to, subject=subject,
                   text=render(f"mail/{template}.txt", subject=subject, **context),
                   html=render(f"mail/{template}.html", subject=subject, **context))
