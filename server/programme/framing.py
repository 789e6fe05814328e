"""The framing sheet of the current employer: saving versions and validating one.

Versions are append-only. A save names the version it was made on (``base``); when someone
saved another version meanwhile, the save is refused with ``StaleFraming`` and nothing is
written, so the caller can give the person their text back. The unique version number is
the last guard when two saves race past the check."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.audit import record
from server.extensions import db
from server.programme.models import FramingVersion


class StaleFraming(Exception):
    """Another version was saved since the form was opened."""

    def __init__(self, latest: FramingVersion | None):
        super().__init__(latest.number if latest else 0)
        self.latest = latest


class Unchanged(Exception):
    """The form holds exactly the latest version: nothing to save."""


def latest_version() -> FramingVersion | None:
    return db.session.execute(
        sa.select(FramingVersion).order_by(FramingVersion.number.desc()).limit(1)
    ).scalar_one_or_none()


def validated_version() -> FramingVersion | None:
    return db.session.execute(
        sa.select(FramingVersion).where(FramingVersion.validated)
    ).scalar_one_or_none()


def version(number: int) -> FramingVersion | None:
    return db.session.execute(
        sa.select(FramingVersion).where(FramingVersion.number == number)
    ).scalar_one_or_none()


def history() -> list[FramingVersion]:
    return list(db.session.execute(
        sa.select(FramingVersion).order_by(FramingVersion.number.desc())).scalars())


def save_version(content: dict, *, base: int, by_user_id: int | None) -> FramingVersion:
    """Write ``content`` as the next version, made on version ``base`` (0: none yet).
    Raises ``StaleFraming`` or ``Unchanged``; commits on success."""
    latest = latest_version()
    current = latest.number if latest else 0
    if base != current:
        raise StaleFraming(latest)
    if latest is not None and latest.content() == content:
        raise Unchanged()
    saved = FramingVersion(number=current + 1, created_by=by_user_id, **content)
    db.session.add(saved)
    try:
        db.session.flush()
    except IntegrityError:
        # Someone saved the same number in the meantime.
        db.session.rollback()
        raise StaleFraming(latest_version()) from None
    record("save", "framing_version", saved.number)
    db.session.commit()
    return saved


def validate(number: int, *, by_user_id: int | None) -> tuple[FramingVersion, int | None]:
    """Mark version ``number`` as the validated one; returns it and the number of the version
    it replaces (if any). Commits."""
    chosen = db.session.execute(
        sa.select(FramingVersion).where(FramingVersion.number == number).with_for_update()
    ).scalar_one()
    previous = db.session.execute(
        sa.select(FramingVersion).where(FramingVersion.validated).with_for_update()
    ).scalar_one_or_none()
    replaced = None
    if previous is not None and previous.id != chosen.id:
        previous.validated = False
        replaced = previous.number
        db.session.flush()  # the partial unique index allows one validated version
    if not chosen.validated:
        chosen.validated = True
        chosen.validated_at = sa.func.now()
        chosen.validated_by = by_user_id
        record("validate", "framing_version", chosen.number, replaces=replaced)
    db.session.commit()
    return chosen, replaced
