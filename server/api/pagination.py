"""The one pagination of the API: ``?page=1&page_size=20``, with an ``X-Pagination`` header."""
from __future__ import annotations

import sqlalchemy as sa
from flask_smorest import Page

from server.extensions import db

BIGINT_MAX = 2**63 - 1


class SelectPage(Page):
    """Pages through a SQLAlchemy ``select()`` with LIMIT/OFFSET and one COUNT."""

    @property
    def items(self):
        if self.page_params.first_item > BIGINT_MAX:
            return []  # far past the last row, and past what PostgreSQL's OFFSET accepts
        stmt = self.collection.limit(self.page_params.page_size).offset(
            self.page_params.first_item
        )
        return db.session.execute(stmt).scalars().all()

    @property
    def item_count(self):
        count = sa.select(sa.func.count()).select_from(self.collection.order_by(None).subquery())
        return db.session.execute(count).scalar_one()
