"""A person's copy of their data: one job reads the network and every employer space, writes
a JSON file and a printable HTML summary under a random name in a private directory, and
e-mails the person. The files are kept ``PERSONAL_DATA_EXPORT_DAYS`` days (then the retention
sweep deletes them)."""
from __future__ import annotations

import json
import os
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from server.auth.models import User
from server.extensions import db
from server.personal_data import network, space
from server.personal_data.models import DataExport

FORMATS = {"json": "application/json", "html": "text/html"}


# --- storage ------------------------------------------------------------------------------

def storage_dir() -> Path:
    configured = current_app.config.get("PERSONAL_DATA_EXPORT_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "personal_data"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def path_of(storage_key: str, fmt: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32,64}", storage_key or "") or fmt not in FORMATS:
        raise ValueError("invalid export file")
    return storage_dir() / f"{storage_key}.{fmt}"


def _write(target: Path, data: bytes) -> None:
    temporary = target.with_name(target.name + ".part")
    with open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(temporary, 0o600)
    os.replace(temporary, target)


def remove_files(storage_key: str | None) -> None:
    if storage_key:
        for fmt in FORMATS:
            path_of(storage_key, fmt).unlink(missing_ok=True)


# --- requesting -----------------------------------------------------------------------------

#: A request still queued after this is taken as lost (its job failed for good): the person
#: may ask again, and the daily sweep marks it failed.
STALE_AFTER = timedelta(hours=1)


def is_pending(export: DataExport) -> bool:
    return export.status == "queued" and export.requested_at > datetime.now(UTC) - STALE_AFTER


def pending_export(user_id: int) -> DataExport | None:
    return db.session.execute(sa.select(DataExport).where(
        DataExport.user_id == user_id, DataExport.status == "queued",
        DataExport.requested_at > datetime.now(UTC) - STALE_AFTER)).scalars().first()


def request_export(user_id: int, base_url: str) -> DataExport:
    """Record the request and enqueue the job (after commit). One at a time per person."""
    from server.jobs import enqueue

    existing = pending_export(user_id)
    if existing is not None:
        return existing
    export = DataExport(user_id=user_id)
    db.session.add(export)
    db.session.commit()
    enqueue(build_export, export.id, base_url, tenant=None)
    return export


# --- the job --------------------------------------------------------------------------------

def gather(user_id: int) -> dict:
    """Everything held about the person: the network, then each employer space where
    something is held (suspended spaces included)."""
    from server.personal_data import any_space_context, registered_spaces

    user = db.session.get(User, user_id)
    data = {"generated_at": datetime.now(UTC), "person": user.display_name,
            "network": network.collect(user), "spaces": []}
    for slug in registered_spaces():
        with any_space_context(slug):
            part = space.collect(user_id)
        if part is not None:
            data["spaces"].append(part)
    return data


def build_export(export_id: int, base_url: str) -> str:
    """The job: gather, write both files, mark the request ready, tell the person."""
    from server.mail import send
    from server.personal_data import mail, render

    export = db.session.get(DataExport, export_id)
    if export is None or export.status != "queued":
        return "skipped"
    user_id = export.user_id
    db.session.remove()
    data = gather(user_id)
    key = secrets.token_hex(16)
    days = current_app.config["PERSONAL_DATA_EXPORT_DAYS"]
    ready_at = datetime.now(UTC)
    expires_at = ready_at + timedelta(days=days)
    _write(path_of(key, "json"), to_json(data))
    _write(path_of(key, "html"), render(
        "personal_data/export_document.html", data=data, expires_at=expires_at, show=display,
        network_name=current_app.config["NETWORK_NAME"]).encode())
    export = db.session.get(DataExport, export_id)
    user = db.session.get(User, user_id)
    export.storage_key, export.status = key, "ready"
    export.ready_at, export.expires_at = ready_at, expires_at
    export.spaces = len(data["spaces"])
    db.session.commit()
    link = base_url.rstrip("/") + "/mes-donnees"
    send(mail(user.email, "Votre copie de vos données est prête", "personal_data_export",
              name=user.display_name, link=link, expires_at=expires_at), tenant=None)
    return "ready"


def display(value) -> str:
    """A value as the HTML summary shows it (French dates, « oui »/« non »)."""
    from flask_babel import format_date, format_datetime

    if value is None or value == "":
        return "—"
    if value is True:
        return "oui"
    if value is False:
        return "non"
    if isinstance(value, datetime):
        return format_datetime(value, "EEEE d MMMM y 'à' H 'h' mm")
    if isinstance(value, date):
        return format_date(value, "EEEE d MMMM y")
    if isinstance(value, (float, Decimal)):
        return f"{value:g}".replace(".", ",")
    return str(value)


def _default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot export {type(value).__name__}")


def to_json(data: dict) -> bytes:
    return json.dumps(data, default=_default, ensure_ascii=False, indent=2).encode()


def expire_exports(now: datetime | None = None) -> int:
    """Delete the files of exports past their date; the request row stays, marked expired."""
    now = now or datetime.now(UTC)
    due = db.session.execute(sa.select(DataExport).where(
        DataExport.status == "ready", DataExport.expires_at <= now)).scalars().all()
    for export in due:
        remove_files(export.storage_key)
        export.status, export.storage_key = "expired", None
    db.session.execute(sa.update(DataExport).where(
        DataExport.status == "queued", DataExport.requested_at < now - timedelta(days=1))
        .values(status="failed"))
    db.session.commit()
    return len(due)
