"""Best practices shared by employers.

An experience report is written and anonymised in the employer's schema
(``practice_report``: the author's text and the anonymisation's originals never leave it).
Submitting copies the *anonymised* text only into ``network.shared_practice``, which the
animateurs review; publishing makes it a library resource of kind ``bonne-pratique``.
Comments and "utile" marks of employers hang on the shared practice."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models import TenantModel, tenant_table_args

NETWORK = "network"

#: The sections of a report: (field, label, hint).
SECTIONS = (
    ("what_worked", "Ce qui a fonctionné",
     "Les actions, les façons de faire et les résultats dont vous êtes fiers."),
    ("difficulties", "Les difficultés rencontrées",
     "Ce qui a freiné le programme et comment vous y avez fait face."),
    ("advice", "Vos conseils à un autre employeur",
     "Ce que vous feriez de la même façon, ou autrement, si vous recommenciez."),
)
#: Where a report is in the employer's space.
REPORT_STATUSES = {"brouillon": "Brouillon", "soumis": "Soumis au réseau"}
#: Where a shared practice is in the animateurs' review.
REVIEW_STATUSES = {
    "soumise": "En attente de relecture",
    "a-modifier": "Modifications demandées",
    "refusee": "Refusée",
    "publiee": "Publiée",
}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PracticeReport(TenantModel):
    """An experience report, in the author's words, and its last anonymisation.

    ``text_version`` grows with every change of what is published (texts and the choice of
    showing the employer's name); ``anonymised_version`` is the version the anonymisation job
    last ran on. Only when both are equal can the report be submitted."""

    __tablename__ = "practice_report"
    __table_args__ = tenant_table_args(
        sa.CheckConstraint(_in("status", REPORT_STATUSES), name="status"),
        sa.CheckConstraint("anonymised_version IS NULL OR anonymised_version <= text_version",
                           name="anonymised_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    #: The programme model the practice is about (a plugin name, or "autre").
    model: Mapped[str] = mapped_column(sa.String(40))
    #: The year the employer's programme started: its age is said from it.
    programme_since: Mapped[int] = mapped_column()
    what_worked: Mapped[str] = mapped_column(sa.Text)
    difficulties: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    advice: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: Figures the author chose from the employer's own indicators: [{key, label, value, unit}].
    figures: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    show_employer_name: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    status: Mapped[str] = mapped_column(sa.String(20), default="brouillon",
                                        server_default="brouillon")
    text_version: Mapped[int] = mapped_column(default=1, server_default="1")
    anonymised_version: Mapped[int | None] = mapped_column()
    #: The anonymisation of each section (``Result.as_dict()``): holds the originals.
    anonymisation: Mapped[dict | None] = mapped_column(JSONB)
    anonymised_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())

    @property
    def is_anonymised(self) -> bool:
        """The anonymisation ran on the text as it is now."""
        return self.anonymised_version == self.text_version and self.anonymisation is not None

    @property
    def status_label(self) -> str:
        return REPORT_STATUSES[self.status]


class SharedPractice(db.Model):
    """What left the employer's schema: the anonymised text and its context, under review or
    published. ``tenant_id`` routes the review back to the employer; it is never shown."""

    __tablename__ = "shared_practice"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "report_id"),
        sa.CheckConstraint(_in("status", REVIEW_STATUSES), name="status"),
        sa.CheckConstraint("status <> 'publiee' OR resource_id IS NOT NULL", name="published"),
        {"schema": NETWORK},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.tenant.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(20), default="soumise",
                                        server_default="soumise")
    title: Mapped[str] = mapped_column(sa.String(400))
    what_worked: Mapped[str] = mapped_column(sa.Text)
    difficulties: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    advice: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    model: Mapped[str] = mapped_column(sa.String(40))
    sector: Mapped[str] = mapped_column(sa.String(20))
    size_band: Mapped[str] = mapped_column(sa.String(20))
    programme_since: Mapped[int] = mapped_column()
    #: The employer's name, or "un employeur du secteur …", as the author chose.
    employer_display: Mapped[str] = mapped_column(sa.String(300))
    figures: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    #: The report's text version this copy was anonymised and submitted from.
    text_version: Mapped[int] = mapped_column()
    submitted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                   server_default=sa.func.now())
    reviewed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reviewer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="SET NULL"))
    #: The animateurs' message: changes asked, or the reason of a refusal.
    review_message: Mapped[str | None] = mapped_column(sa.Text)
    resource_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.library_resource.id", ondelete="SET NULL"), unique=True)
    #: Optimistic version: a review made on an older submission is refused.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    @property
    def status_label(self) -> str:
        return REVIEW_STATUSES[self.status]

    @property
    def sector_label(self) -> str:
        from tenants.registry import SECTORS

        return SECTORS[self.sector]

    @property
    def size_band_label(self) -> str:
        from tenants.registry import SIZE_BANDS

        return SIZE_BANDS[self.size_band]


class PracticeComment(db.Model):
    """A comment of a référent (for one of their employers) or of the animation team."""

    __tablename__ = "practice_comment"
    __table_args__ = {"schema": NETWORK}

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.shared_practice.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="SET NULL"))
    #: The employer the author speaks for; none for the animation team.
    tenant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.tenant.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())


class UsefulMark(db.Model):
    """"Utile" for one employer: one mark per employer and practice, by the primary key."""

    __tablename__ = "practice_useful"
    __table_args__ = {"schema": NETWORK}

    practice_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.shared_practice.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.tenant.id", ondelete="CASCADE"), primary_key=True)
    marked_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                server_default=sa.func.now())
