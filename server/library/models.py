"""Resources of the library and their attachments (``network`` schema)."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db

NETWORK = "network"

#: Kinds of resource (stored value → label).
KINDS = {
    "guide": "Guide",
    "fiche-outil": "Fiche outil",
    "actualite": "Actualité",
    "replay": "Replay",
    "histoire": "Histoire",
    #: Written by an employer, anonymised and reviewed (server/practices); never typed here.
    "bonne-pratique": "Bonne pratique d'employeur",
}
#: Kinds that only come from their own workflow, not from the library's form or API.
WORKFLOW_KINDS = ("bonne-pratique",)
#: A resource is written as a draft, published to members, then archived.
STATUSES = {"brouillon": "Brouillon", "publie": "Publié", "archive": "Archivé"}
#: Who a resource is written for. A label for readers, not an access rule.
AUDIENCES = {
    "tous": "Tous les membres",
    "referents": "Référents et référentes",
    "pair-aidants": "Pair-aidants et pair-aidantes",
}
#: Theme tags: a fixed list, so that filters stay meaningful.
THEMES = {
    "pair-aidance": "Pair-aidance",
    "cadre-projet": "Cadre du projet",
    "maintien-emploi": "Maintien dans l'emploi",
    "sante-mentale": "Santé mentale",
    "risques-psychosociaux": "Risques psychosociaux",
    "qvct": "Qualité de vie au travail",
    "pair-aidants": "Choix et formation des pair-aidants",
    "evaluation": "Suivi et évaluation",
    "fiphfp": "FIPHFP",
    "histoire": "Histoire de la pair-aidance",
}
#: Tools of the employer space that a tool sheet can open (value → label).
TOOLS = {"cadrage": "Fiche de cadrage du programme (Fiche outil #1)"}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Resource(db.Model):
    __tablename__ = "library_resource"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", KINDS), name="kind"),
        sa.CheckConstraint(_in("status", STATUSES), name="status"),
        sa.CheckConstraint(_in("audience", AUDIENCES), name="audience"),
        sa.CheckConstraint(f"tool IS NULL OR {_in('tool', TOOLS)}", name="tool"),
        sa.Index("ix_library_resource_search", "search_vector", postgresql_using="gin"),
        sa.Index("ix_library_resource_themes", "themes", postgresql_using="gin"),
        sa.Index("ix_library_resource_status_date", "status", "published_on"),
        {"schema": NETWORK},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(1000))
    body: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    themes: Mapped[list[str]] = mapped_column(postgresql.ARRAY(sa.String(40)),
                                              default=list, server_default="{}")
    audience: Mapped[str] = mapped_column(sa.String(20), default="tous", server_default="tous")
    #: The date shown to readers (the guide's edition, the news' day, the replay's session).
    published_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(20), default="brouillon",
                                        server_default="brouillon")
    #: Interactive tool sheets: the employer-space tool a référent starts their copy in.
    tool: Mapped[str | None] = mapped_column(sa.String(40))
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    #: Optimistic version: every change names the version it was made on (409 otherwise).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    #: Accent-free French text-search vector, written with every change (see search.py).
    search_vector: Mapped[str | None] = mapped_column(postgresql.TSVECTOR)

    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="resource", order_by="Attachment.id", cascade="all, delete-orphan",
        passive_deletes=True)

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]

    @property
    def audience_label(self) -> str:
        return AUDIENCES[self.audience]

    @property
    def theme_labels(self) -> list[str]:
        return [THEMES.get(t, t) for t in self.themes]


class Attachment(db.Model):
    """A checked file. Stored under a random name outside the web root; the person's file
    name is kept only to build a safe download name."""

    __tablename__ = "library_attachment"
    __table_args__ = {"schema": NETWORK}

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.library_resource.id", ondelete="CASCADE"), index=True)
    #: Random name of the stored file (hex), never derived from the uploaded name.
    storage_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    #: The type found by reading the content (files.py), sent as Content-Type.
    media_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    created_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="SET NULL"))

    resource: Mapped[Resource] = relationship(back_populates="attachments")
