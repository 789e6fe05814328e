from flask import Blueprint

#: The référent's workspace: framing sheet, models, people.
bp = Blueprint("programme", __name__, url_prefix="/e/<tenant>/programme")


@bp.app_template_filter("jour_fr")
def french_day(value, fmt: str = "EEEE d MMMM y") -> str:
    """A calendar date in French (« mardi 3 mars 2026 »); no time zone is involved."""
    from flask_babel import format_date

    return format_date(value, fmt) if value else ""
