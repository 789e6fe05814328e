"""The programme dashboard's figures (référents): people by role, every enabled model's
indicators (the core names none), peer helpers' planned time against the hours the models
report, and satisfaction from the surveys (aggregated, from 5 answers on). Also its CSV export
and the period form's validation."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from plugins.base import Indicator, Period
from server import signals
from server.auth.models import EMPLOYER_ROLES, Membership
from server.extensions import db
from server.participation.models import Participation
from server.programme.choices import enabled_names, installed_models
from server.programme.models import PeerHelper
from server.surveys.service import MIN_ANSWERS, satisfaction
from tenants import current_tenant

#: Average length of a month in days, to turn a period into months of mission.
MONTH_DAYS = 365.25 / 12
MAX_PERIOD_DAYS = 10 * 366


def default_period(today: date | None = None) -> Period:
    today = today or date.today()
    try:
        start = today.replace(year=today.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - 1, day=28) + timedelta(days=1)
    return Period(start=start, end=today)


def _parse_day(text: str) -> date:
    """« 2026-03-03 » or « 03/03/2026 »."""
    if "/" in text:
        return datetime.strptime(text, "%d/%m/%Y").date()
    return date.fromisoformat(text)


def parse_period(args) -> tuple[Period, dict[str, str], dict[str, str]]:
    """The period from the query string (``debut``, ``fin``, ISO dates), French errors by field,
    and the raw values to show again. On error, the default period is used for the figures."""
    default = default_period()
    raw = {"debut": (args.get("debut") or "").strip(), "fin": (args.get("fin") or "").strip()}
    errors: dict[str, str] = {}
    values = {}
    for key, label, fallback in (("debut", "de début", default.start),
                                 ("fin", "de fin", default.end)):
        if not raw[key]:
            values[key] = fallback
            continue
        try:
            values[key] = _parse_day(raw[key])
        except ValueError:
            errors[key] = (f"La date {label} doit être une date réelle au format "
                           "AAAA-MM-JJ, par exemple 2026-03-03.")
    if not errors:
        if values["fin"] < values["debut"]:
            errors["fin"] = "La date de fin doit être égale ou postérieure à la date de début."
        elif (values["fin"] - values["debut"]).days > MAX_PERIOD_DAYS:
            errors["fin"] = "La période doit durer dix ans au plus."
    if errors:
        return default, errors, raw
    return Period(start=values["debut"], end=values["fin"]), {}, {
        "debut": values["debut"].isoformat(), "fin": values["fin"].isoformat()}


@dataclass
class Section:
    """One model's indicators."""
    label: str
    indicators: list[Indicator] = field(default_factory=list)


@dataclass
class Dashboard:
    period: Period
    people_by_role: list[tuple[str, int]]
    joined_by_role: list[tuple[str, int]]
    sections: list[Section]
    #: [(peer helper, hours per month, months in the period, planned hours)]
    helpers: list[tuple[str, float, float, float]]
    planned_hours: float
    reported_hours: float | None
    satisfaction: list[dict]
    minimum: int = MIN_ANSWERS


def months_between(start: date, end: date) -> float:
    """Months covered by [start, end], both days included."""
    return max(0.0, ((end - start).days + 1) / MONTH_DAYS)


def _people(period: Period):
    tenant = current_tenant()
    by_role = dict(db.session.execute(
        sa.select(Membership.role, sa.func.count()).where(Membership.tenant_id == tenant.id)
        .group_by(Membership.role)).all())
    joined = dict(db.session.execute(
        sa.select(Participation.role, sa.func.count())
        .where(Participation.consented_at >= period.start,
               Participation.consented_at < period.end + timedelta(days=1))
        .group_by(Participation.role)).all())
    return ([(label, by_role.get(key, 0)) for key, label in EMPLOYER_ROLES.items()],
            [(EMPLOYER_ROLES[key], joined.get(key, 0)) for key in EMPLOYER_ROLES
             if key != "referent"])


def _indicators(period: Period) -> list[Section]:
    plugins = installed_models()
    sections = []
    for name in sorted(enabled_names() & set(plugins)):
        plugin = plugins[name]
        try:
            found = list(plugin.indicators(period))
        except Exception:  # one model's failure must not hide the others
            current_app.logger.exception("Indicators of %s failed", name)
            db.session.rollback()
            found = []
        sections.append(Section(plugin.label, found))
    extra = []
    for _receiver, result in signals.indicators_requested.send(period):
        extra.extend(i for i in (result or ()) if isinstance(i, Indicator))
    if extra:
        sections.append(Section("Autres indicateurs", extra))
    return sections


def _helpers(period: Period):
    rows = db.session.execute(
        sa.select(PeerHelper).where(PeerHelper.decision == "selected",
                                    PeerHelper.hours_per_month.is_not(None))
        .order_by(PeerHelper.id)).unique().scalars().all()
    out = []
    for peer in rows:
        start = max(period.start, peer.mission_start or period.start)
        end = min(period.end, peer.mission_end or period.end)
        months = round(months_between(start, end), 1) if end >= start else 0.0
        hours = float(peer.hours_per_month or Decimal(0))
        out.append((peer.display_name, hours, months, round(hours * months, 1)))
    return out


def compute(period: Period) -> Dashboard:
    people, joined = _people(period)
    sections = _indicators(period)
    hour_values = [i.value for s in sections for i in s.indicators if i.unit == "hours"]
    helpers = _helpers(period)
    return Dashboard(
        period=period, people_by_role=people, joined_by_role=joined, sections=sections,
        helpers=helpers, planned_hours=round(sum(h[3] for h in helpers), 1),
        reported_hours=round(sum(hour_values), 1) if hour_values else None,
        satisfaction=satisfaction(period.start, period.end))


UNITS = {"people": "personnes", "count": "nombre", "hours": "heures", "score": "note sur 5"}


def _fr(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(value)


def to_csv(board: Dashboard) -> bytes:
    """UTF-8 with a BOM and semicolons, as French Excel opens it."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(["Rubrique", "Indicateur", "Détail", "Valeur", "Unité"])
    w.writerow(["Période", "Du", "", board.period.start.isoformat(), "date"])
    w.writerow(["Période", "Au", "", board.period.end.isoformat(), "date"])
    for label, n in board.people_by_role:
        w.writerow(["Personnes inscrites", label, "", n, "personnes"])
    for label, n in board.joined_by_role:
        w.writerow(["Entrées pendant la période", label, "", n, "personnes"])
    for section in board.sections:
        for ind in section.indicators:
            w.writerow([section.label, ind.label, "", _fr(ind.value), UNITS.get(ind.unit, ind.unit)])
            for part, value in ind.breakdown:
                w.writerow([section.label, ind.label, part, _fr(value),
                            UNITS.get(ind.unit, ind.unit)])
    for name, per_month, months, planned in board.helpers:
        w.writerow(["Temps des pair-aidants", name, "heures prévues par mois", _fr(per_month), "heures"])
        w.writerow(["Temps des pair-aidants", name, "mois de mission dans la période", _fr(months), "mois"])
        w.writerow(["Temps des pair-aidants", name, "heures prévues sur la période", _fr(planned), "heures"])
    w.writerow(["Temps des pair-aidants", "Total prévu (fiches de mission)", "",
                _fr(board.planned_hours), "heures"])
    w.writerow(["Temps des pair-aidants", "Total déclaré par les modèles", "",
                _fr(board.reported_hours) if board.reported_hours is not None else "non déclaré",
                "heures"])
    for s in board.satisfaction:
        w.writerow(["Satisfaction", s["label"], "réponses", s["count"], "nombre"])
        w.writerow(["Satisfaction", s["label"], "note moyenne",
                    _fr(s["mean"]) if s["mean"] is not None
                    else "pas assez de réponses pour préserver l'anonymat", "note sur 5"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
