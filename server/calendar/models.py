"""Private calendar feed links (``network.calendar_feed``).

A feed link is ``/calendrier/<secret>.ics``; only the SHA-256 of the secret is stored. It
belongs to one person in one employer space; revoking or regenerating it makes the old link a
404. At most one live link per person and space (a partial unique index)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db

NETWORK = "network"


def feed_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class CalendarFeed(db.Model):
    __tablename__ = "calendar_feed"
    __table_args__ = (
        sa.Index("uq_calendar_feed_live", "user_id", "tenant_id", unique=True,
                 postgresql_where=sa.text("revoked_at IS NULL")),
        {"schema": NETWORK},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.tenant.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    @classmethod
    def live(cls, user_id: int, tenant_id: int) -> CalendarFeed | None:
        return db.session.execute(sa.select(cls).where(
            cls.user_id == user_id, cls.tenant_id == tenant_id,
            cls.revoked_at.is_(None))).scalar_one_or_none()

    @classmethod
    def revoke(cls, user_id: int, tenant_id: int) -> bool:
        """Revoke the person's live link in this space; whether there was one."""
        result = db.session.execute(sa.update(cls).where(
            cls.user_id == user_id, cls.tenant_id == tenant_id, cls.revoked_at.is_(None)
        ).values(revoked_at=sa.func.now()))
        return bool(result.rowcount)

    @classmethod
    def issue(cls, user_id: int, tenant_id: int) -> tuple[CalendarFeed, str]:
        """A new link (the previous one stops working); the secret is returned once."""
        cls.revoke(user_id, tenant_id)
        db.session.flush()
        secret = secrets.token_urlsafe(32)
        feed = cls(user_id=user_id, tenant_id=tenant_id, digest=feed_digest(secret))
        db.session.add(feed)
        return feed, secret
