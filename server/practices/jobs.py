"""The anonymisation of an experience report, in the background (spaCy takes a second or two)."""
from __future__ import annotations

from datetime import UTC, datetime

from server.extensions import db
from server.practices import service
from server.practices.models import PracticeReport


def anonymise_report(report_id: int, text_version: int) -> str:
    """Anonymise the report if its text is still ``text_version``; a later edit queued its own
    job, so an outdated one does nothing (and can never mark a newer text as anonymised)."""
    report = db.session.get(PracticeReport, report_id, with_for_update=True)
    if report is None or report.text_version != text_version:
        db.session.rollback()
        return "outdated"
    if report.anonymised_version == text_version:
        db.session.rollback()
        return "already done"
    report.anonymisation = service.anonymise(report)
    report.anonymised_version = text_version
    report.anonymised_at = datetime.now(UTC)
    db.session.commit()
    return "done"
