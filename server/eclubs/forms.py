"""The e-club forms: posted fields → the data ``service.validate`` checks, and back.

The pages have no JavaScript: the agenda and the resources are a fixed number of rows (the
filled ones plus a few empty ones), and each agenda item's speakers are written one per line,
« Nom, rôle »."""
from __future__ import annotations

from server.eclubs.service import MAX_AGENDA_ITEMS, MAX_RESOURCES, PARIS

#: Empty rows shown below the filled ones.
SPARE_ROWS = 2
MIN_AGENDA_ROWS = 4
MIN_RESOURCE_ROWS = 3

LABELS = {"title": "Titre", "description": "Présentation", "date": "Date",
          "time": "Heure de début", "duration_minutes": "Durée", "video_url":
          "Lien de la visioconférence", "replay_url": "Lien du replay", "summary": "Compte rendu",
          "body": "Votre question", "into": "Question qui la regroupe"}


def parse_speakers(text: str) -> list[dict]:
    speakers = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        name, _, role = line.partition(",")
        speakers.append({"name": name.strip(), "role": role.strip()})
    return speakers


def speakers_text(speakers) -> str:
    return "\n".join(f"{s['name']}, {s['role']}" if s.get("role") else s["name"]
                     for s in speakers)


def _rows(form, prefix: str, keys, limit: int) -> list[dict]:
    rows = []
    for i in range(1, limit + 1):
        if not any(f"{prefix}-{i}-{k}" in form for k in keys):
            break
        rows.append({k: form.get(f"{prefix}-{i}-{k}", "") for k in keys})
    return rows


def eclub_data(form) -> dict:
    """The data of the e-club form, for ``service.validate``."""
    data = {k: form.get(k, "") for k in ("title", "description", "date", "time",
                                         "duration_minutes", "video_url")}
    data["agenda"] = [{"title": r["title"], "speakers": parse_speakers(r["speakers"])}
                      for r in _rows(form, "agenda", ("title", "speakers"), MAX_AGENDA_ITEMS + 1)]
    data["resources"] = _rows(form, "resources", ("label", "url"), MAX_RESOURCES + 1)
    return data


def after_data(form) -> dict:
    data = {k: form.get(k, "") for k in ("replay_url", "summary")}
    data["resources"] = _rows(form, "after", ("label", "url"), MAX_RESOURCES + 1)
    return data


def _pad(rows: list[dict], keys, minimum: int, limit: int) -> list[dict]:
    rows = list(rows)
    while len(rows) < min(limit, max(minimum, len(rows) + SPARE_ROWS)):
        rows.append({k: "" for k in keys})
    return rows


def eclub_values(form=None, eclub=None) -> dict:
    """Values to show in the form: what was posted, or the e-club, or empty."""
    if form is not None:
        values = {k: form.get(k, "") for k in ("title", "description", "date", "time",
                                               "duration_minutes", "video_url")}
        agenda = _rows(form, "agenda", ("title", "speakers"), MAX_AGENDA_ITEMS)
        resources = _rows(form, "resources", ("label", "url"), MAX_RESOURCES)
    elif eclub is not None:
        local = eclub.starts_at.astimezone(PARIS)
        values = {"title": eclub.title, "description": eclub.description,
                  "date": local.strftime("%d/%m/%Y"), "time": local.strftime("%H:%M"),
                  "duration_minutes": str(eclub.duration_minutes),
                  "video_url": eclub.video_url or ""}
        agenda = [{"title": a.title, "speakers": speakers_text(a.speakers)}
                  for a in eclub.agenda]
        resources = [{"label": r.label, "url": r.url} for r in eclub.resources
                     if r.phase == "before"]
    else:
        values = {"title": "", "description": "", "date": "", "time": "",
                  "duration_minutes": "90", "video_url": ""}
        agenda, resources = [], []
    values["agenda"] = _pad(agenda, ("title", "speakers"), MIN_AGENDA_ROWS, MAX_AGENDA_ITEMS)
    values["resources"] = _pad(resources, ("label", "url"), MIN_RESOURCE_ROWS, MAX_RESOURCES)
    return values


def after_values(form=None, eclub=None) -> dict:
    if form is not None:
        values = {k: form.get(k, "") for k in ("replay_url", "summary")}
        rows = _rows(form, "after", ("label", "url"), MAX_RESOURCES)
    else:
        values = {"replay_url": eclub.replay_url or "", "summary": eclub.summary}
        rows = [{"label": r.label, "url": r.url} for r in eclub.resources if r.phase == "after"]
    values["resources"] = _pad(rows, ("label", "url"), MIN_RESOURCE_ROWS, MAX_RESOURCES)
    return values
