"""What best practices hold about a person, for their copy and their erasure
(``server/personal_data``).

- In an employer space: the experience reports they wrote. Their words, with the names they
  mention, stay in that schema: erasure deletes the reports. What was shared with the network
  is the anonymised copy, which names nobody, so it stays (a published practice keeps helping
  other employers).
- In the network: their comments (signed: deleted), the "utile" marks they made for their
  employer (kept, no longer naming them), the reviews they made as animateur (kept, detached).
"""
from __future__ import annotations

import sqlalchemy as sa

from server.extensions import db
from server.practices.models import (
    REPORT_STATUSES, SECTIONS, PracticeComment, PracticeReport, SharedPractice, UsefulMark,
)


def space_rows(user_id: int) -> dict[str, list[dict]]:
    reports = db.session.execute(sa.select(PracticeReport).where(
        PracticeReport.author_id == user_id).order_by(PracticeReport.created_at)).scalars().all()
    return {"Retours d'expérience que vous avez écrits": [{
        "Titre": r.title, "Modèle": r.model, "Programme démarré en": r.programme_since,
        **{label: getattr(r, name) for name, label, _hint in SECTIONS},
        "Nom de l'employeur montré": "oui" if r.show_employer_name else "non",
        "État": REPORT_STATUSES[r.status], "Écrit le": r.created_at,
        "Soumis le": r.submitted_at} for r in reports]}


def erase_in_space(user_id: int) -> dict[str, int]:
    return {"Retours d'expérience supprimés": db.session.execute(sa.delete(PracticeReport).where(
        PracticeReport.author_id == user_id)).rowcount}


def network_rows(user) -> dict[str, list[dict]]:
    comments = db.session.execute(
        sa.select(PracticeComment.body, PracticeComment.created_at, SharedPractice.title)
        .join(SharedPractice, SharedPractice.id == PracticeComment.practice_id)
        .where(PracticeComment.author_id == user.id)
        .order_by(PracticeComment.created_at)).all()
    marks = db.session.execute(
        sa.select(SharedPractice.title, UsefulMark.marked_at)
        .join(UsefulMark, UsefulMark.practice_id == SharedPractice.id)
        .where(UsefulMark.marked_by == user.id).order_by(UsefulMark.marked_at)).all()
    return {
        "Vos commentaires sur les bonnes pratiques": [
            {"Pratique": c.title, "Commentaire": c.body, "Écrit le": c.created_at}
            for c in comments],
        "Bonnes pratiques que vous avez marquées utiles pour votre employeur": [
            {"Pratique": m.title, "Le": m.marked_at} for m in marks],
    }


def erase_network(user) -> dict[str, int]:
    return {
        "Commentaires sur les bonnes pratiques supprimés": db.session.execute(
            sa.delete(PracticeComment).where(PracticeComment.author_id == user.id)).rowcount,
        "Mentions « utile » et relectures détachées de votre compte": (
            db.session.execute(sa.update(UsefulMark).where(UsefulMark.marked_by == user.id)
                               .values(marked_by=None)).rowcount
            + db.session.execute(sa.update(SharedPractice).where(
                SharedPractice.reviewer_id == user.id).values(reviewer_id=None)).rowcount),
    }
