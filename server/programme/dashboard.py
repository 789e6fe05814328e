"""The programme dashboard's figures (référents): people by role, every enabled model's
indicators (the core names none), the time each pair-aidant spent by activity (reported by the
models through ``ProgrammeModel.time_spent``) against the time planned by their mission sheet,
and satisfaction from the surveys (aggregated, from 5 answers on). Also its CSV export
and the period form's validation."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, date, timedelta

import sqlalchemy as sa
from flask import current_app

from plugins.base import Indicator, Period, TimeSpent
from server.employers.models import Profile
from server import clock, signals
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
    today = today or clock.today()
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
class HelperTime:
    """One pair-aidant's time over a period: spent by activity, planned by the mission sheet."""

    name: str
    #: The peer helper's record (None: someone who spent time without a peer-helper record).
    peer_helper_id: int | None
    profile_id: int | None
    #: From the mission sheet; None when it gives no hours.
    hours_per_month: float | None
    #: Days of the period inside the mission dates.
    mission_days: int
    #: {activity label: hours}
    by_activity: dict[str, float] = field(default_factory=dict)
    #: The row summing the people without a selected peer-helper record: how many they are.
    others: int = 0

    @property
    def months(self) -> float:
        return round(self.mission_days / MONTH_DAYS, 1)

    @property
    def planned(self) -> float | None:
        if self.hours_per_month is None:
            return None
        return round(self.hours_per_month * self.mission_days / MONTH_DAYS, 1)

    @property
    def spent(self) -> float:
        return round(sum(self.by_activity.values()), 2)

    @property
    def ratio(self) -> int | None:
        """Time spent as a percentage of the time planned (None when nothing is planned)."""
        planned = self.planned
        return round(100 * self.spent / planned) if planned else None


@dataclass
class Dashboard:
    period: Period
    people_by_role: list[tuple[str, int]]
    joined_by_role: list[tuple[str, int]]
    sections: list[Section]
    #: Per pair-aidant, in name order.
    helpers: list[HelperTime]
    #: Activity labels found in the period, sorted (the columns of the time table).
    activities: list[str]
    planned_hours: float
    spent_hours: float
    satisfaction: list[dict]
    minimum: int = MIN_ANSWERS


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


def mission_days(peer: PeerHelper, period: Period) -> int:
    """Days of ``period`` inside the mission dates (both ends included; an open end is the
    period's)."""
    start = max(period.start, peer.mission_start or period.start)
    end = min(period.end, peer.mission_end or period.end)
    return max(0, (end - start).days + 1)


def time_spent(period: Period) -> list[TimeSpent]:
    """What every enabled model reports of people's time over the period."""
    plugins = installed_models()
    rows: list[TimeSpent] = []
    for name in sorted(enabled_names() & set(plugins)):
        try:
            rows.extend(r for r in plugins[name].time_spent(period) or ()
                        if isinstance(r, TimeSpent))
        except Exception:  # one model's failure must not hide the others
            current_app.logger.exception("time_spent of %s failed", name)
            db.session.rollback()
    return rows


def helper_times(period: Period, profile_id: int | None = None,
                 peer_helper_id: int | None = None) -> list[HelperTime]:
    """Time spent and planned per pair-aidant: every selected peer helper, then the time the
    models report for anyone else (someone running activities without a selected peer-helper
    record) — named when ``profile_id`` narrows it to that one person, otherwise summed in one
    last row (``others``), so that the dashboard stays one row per mission sheet.
    ``peer_helper_id`` narrows it to one peer helper, selected or not."""
    query = sa.select(PeerHelper).where(PeerHelper.decision == "selected")
    if peer_helper_id is not None:
        query = sa.select(PeerHelper).where(PeerHelper.id == peer_helper_id)
    elif profile_id is not None:
        query = query.where(PeerHelper.profile_id == profile_id)
    peers = db.session.execute(query.order_by(PeerHelper.id)).unique().scalars().all()
    out: dict[object, HelperTime] = {}
    for peer in peers:
        out[peer.profile_id or f"peer-{peer.id}"] = HelperTime(
            name=peer.display_name, peer_helper_id=peer.id, profile_id=peer.profile_id,
            hours_per_month=(float(peer.hours_per_month) if peer.hours_per_month is not None
                             else None),
            mission_days=mission_days(peer, period))
    wanted = None
    if peer_helper_id is not None:
        wanted = {p.profile_id for p in peers if p.profile_id is not None}
    elif profile_id is not None:
        wanted = {profile_id}
    spent = [r for r in time_spent(period) if wanted is None or r.profile_id in wanted]
    unknown = {r.profile_id for r in spent} - set(out)
    others = None
    if unknown and profile_id is not None:
        name = db.session.execute(sa.select(Profile.display_name)
                                  .where(Profile.id == profile_id)).scalar_one_or_none()
        out[profile_id] = HelperTime(name=name or "Membre de l'espace", peer_helper_id=None,
                                     profile_id=profile_id, hours_per_month=None,
                                     mission_days=0)
    elif unknown:
        n = len(unknown)
        others = HelperTime(
            name=f"Sans fiche de mission retenue ({n} personne{'s' if n > 1 else ''})",
            peer_helper_id=None, profile_id=None, hours_per_month=None, mission_days=0,
            others=n)
    for row in spent:
        helper = out.get(row.profile_id, others)
        helper.by_activity[row.activity] = round(
            helper.by_activity.get(row.activity, 0.0) + float(row.hours), 2)
    listed = sorted(out.values(), key=lambda h: (h.name.casefold(), h.peer_helper_id or 0))
    return listed + ([others] if others is not None else [])


def compute(period: Period) -> Dashboard:
    people, joined = _people(period)
    sections = _indicators(period)
    helpers = helper_times(period)
    return Dashboard(
        period=period, people_by_role=people, joined_by_role=joined, sections=sections,
        helpers=helpers,
        activities=sorted({a for h in helpers for a in h.by_activity}, key=str.casefold),
        planned_hours=round(sum(h.planned or 0 for h in helpers), 1),
        spent_hours=round(sum(h.spent for h in helpers), 2),
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
    section = "Temps consacré par les pair-aidants"
    for h in board.helpers:
        for activity in board.activities:
            if activity in h.by_activity:
                w.writerow([section, h.name, activity, _fr(h.by_activity[activity]), "heures"])
        w.writerow([section, h.name, "heures consacrées sur la période", _fr(h.spent), "heures"])
        w.writerow([section, h.name, "heures prévues par mois",
                    _fr(h.hours_per_month) if h.hours_per_month is not None else "pas de fiche",
                    "heures"])
        w.writerow([section, h.name, "mois de mission dans la période", _fr(h.months), "mois"])
        w.writerow([section, h.name, "heures prévues sur la période",
                    _fr(h.planned) if h.planned is not None else "pas de fiche", "heures"])
        w.writerow([section, h.name, "part du temps prévu",
                    h.ratio if h.ratio is not None else "", "%"])
    w.writerow([section, "Total consacré", "", _fr(board.spent_hours), "heures"])
    w.writerow([section, "Total prévu (fiches de mission)", "", _fr(board.planned_hours),
                "heures"])
    for s in board.satisfaction:
        w.writerow(["Satisfaction", s["label"], "réponses", s["count"], "nombre"])
        w.writerow(["Satisfaction", s["label"], "note moyenne",
                    _fr(s["mean"]) if s["mean"] is not None
                    else "pas assez de réponses pour préserver l'anonymat", "note sur 5"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
