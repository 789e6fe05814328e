"""The network-level job that reads every active employer's schema, builds the network tables,
protects them and stores only the protected cells.

Per employer, inside ``tenant_context(slug)`` (its schema and nothing else), it reads:
- the models it enabled (``programme_model``) — programmes by model;
- (before the loop, in one query on the network tables: its pair-aidants and pair-aidés, the
  memberships, with their account ids — people enrolled, and the distinct people behind every
  figure of that employer);
- every enabled model's indicators through the plugin API (``ProgrammeModel.indicators``, the
  core names no plugin): additive ones (units ``count``, ``people``, ``hours``) — active
  binômes, sessions held...;
- its satisfaction answers (count and sum of scores) over the period.

What it keeps of one employer lives in this process's memory while the job runs: the tables'
inner cells remember each employer's contribution for the dominance rule and the account ids
for distinct-people counts; neither is stored. Stored: the run, and each cell's published value
or, for a hidden cell, NULL and the reason.
"""
from __future__ import annotations

import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import current_app

from plugins.base import Period
from server.extensions import db
from server.network_indicators.models import IndicatorCell, IndicatorRun
from server.network_indicators.protection import TOTAL, Cell, Rules, Table, protect
from tenants import current_tenant
from tenants.registry import SECTORS

#: Labels of the margins.
TOTAL_LABEL = "Ensemble"
#: Employer roles counted as "enrolled".
ENROLLED_ROLES = {"pair-aidant": "Pair-aidants et pair-aidantes",
                  "pair-aide": "Pair-aidés et pair-aidées"}
#: The worker's scheduler recomputes the indicators once a day (server/periodic.py).
SCHEDULE_INTERVAL = 24 * 3600
#: Plugin indicator units that add up across employers.
ADDITIVE_UNITS = ("count", "people", "hours")


def rules_from(config) -> Rules:
    return Rules(min_people=int(config["NETWORK_INDICATORS_MIN_PEOPLE"]),
                 min_employers=int(config["NETWORK_INDICATORS_MIN_EMPLOYERS"]),
                 max_share=float(config["NETWORK_INDICATORS_MAX_SHARE"]))


@dataclass
class EmployerFigures:
    """What the job read in one employer's schema (kept in memory only)."""

    slug: str
    sector: str
    enabled: set = field(default_factory=set)
    #: role → account ids of active participations.
    enrolled: dict = field(default_factory=dict)
    #: indicator key → (row label, unit, value, account ids behind it or None, anonymous)
    indicators: dict = field(default_factory=dict)
    #: survey kind → (answers, sum of the answers' mean scores)
    answers: dict = field(default_factory=dict)

    @property
    def participants(self) -> set:
        return set().union(*self.enrolled.values()) if self.enrolled else set()


@dataclass
class Acc:
    """An accumulating cell: its value, the distinct people and each employer's part."""

    value: float = 0
    people: set = field(default_factory=set)
    #: People counted without identities (anonymous answers), added to ``len(people)``.
    anonymous: int = 0
    parts: dict = field(default_factory=dict)

    def add(self, employer: str, value: float, people=(), anonymous: int = 0) -> None:
        self.value += value
        self.people |= set(people)
        self.anonymous += anonymous
        self.parts[employer] = self.parts.get(employer, 0) + value

    def merge(self, other: Acc) -> None:
        self.value += other.value
        self.people |= other.people
        self.anonymous += other.anonymous
        for who, v in other.parts.items():
            self.parts[who] = self.parts.get(who, 0) + v

    def cell(self) -> Cell:
        return Cell(self.value, len(self.people) + self.anonymous, dict(self.parts))


@dataclass
class Built:
    """One table before protection: keys and labels, and its cells."""

    key: str
    rows: list  # [(row key, label)]
    table: Table


def _build(key: str, rows: list, accs: dict, column_totals: bool = True) -> Built:
    """A table from inner ``Acc``s keyed (row, sector); margins merged (distinct people)."""
    cols = list(SECTORS)
    accs = {k: accs.get(k) or Acc() for k in ((r, c) for r, _ in rows for c in cols)}
    for r, _ in rows:
        total = Acc()
        for c in cols:
            total.merge(accs[(r, c)])
        accs[(r, TOTAL)] = total
    if column_totals:
        for c in cols + [TOTAL]:
            total = Acc()
            for r, _ in rows:
                total.merge(accs[(r, c)])
            accs[(TOTAL, c)] = total
    cells = {k: a.cell() for k, a in accs.items()}
    table = Table([r for r, _ in rows], cols, cells, row_totals=True,
                  column_totals=column_totals)
    return Built(key, rows, table)


def enrolled_by_employer() -> dict:
    """slug → role → account ids of the pair-aidants and pair-aidés (memberships, as on the
    programme dashboard) of every active employer: one query on the network tables."""
    from server.auth.models import Membership
    from tenants.registry import Tenant

    out: dict = {}
    for slug, role, user_id in db.session.execute(
            sa.select(Tenant.slug, Membership.role, Membership.user_id)
            .join(Membership, Membership.tenant_id == Tenant.id)
            .where(Tenant.status == "active", Membership.role.in_(list(ENROLLED_ROLES)))):
        out.setdefault(slug, {}).setdefault(role, set()).add(user_id)
    return out


def read_employer(slug: str, sector: str, period: Period, plugins: dict,
                  enrolled: dict) -> EmployerFigures:
    """Read one employer's figures in its schema; the caller holds ``tenant_context(slug)``
    and gives its people enrolled (``enrolled_by_employer``)."""
    from server.employers.models import Profile
    from server.programme.models import ProgrammeModelChoice
    from server.surveys.models import SurveyResponse

    assert current_tenant().slug == slug
    figures = EmployerFigures(slug=slug, sector=sector, enrolled=enrolled)
    figures.enabled = set(db.session.execute(
        sa.select(ProgrammeModelChoice.name).where(ProgrammeModelChoice.enabled)
    ).scalars()) & set(plugins)
    accounts: dict | None = None  # profile id → account id, read when a figure names people
    for name in sorted(figures.enabled):
        plugin = plugins[name]
        try:
            found = list(plugin.indicators(period))
        except Exception:  # one model's failure must not stop the network's figures
            current_app.logger.exception("Indicators of %s failed for %s", name, slug)
            db.session.rollback()
            continue
        for ind in found:
            if ind.unit in ADDITIVE_UNITS and isinstance(ind.value, (int, float)):
                people = None
                if ind.people is not None:
                    if accounts is None:
                        accounts = dict(db.session.execute(
                            sa.select(Profile.id, Profile.user_id)).all())
                    people = {accounts[p] for p in ind.people if p in accounts}
                figures.indicators[ind.key] = (f"{plugin.label} — {ind.label}", ind.unit,
                                               float(ind.value), people, ind.anonymous_people)
    for kind, n, total in db.session.execute(
            sa.select(SurveyResponse.kind, sa.func.count(),
                      sa.func.coalesce(sa.func.sum(SurveyResponse.mean_score), 0))
            .where(SurveyResponse.answered_on >= period.start,
                   SurveyResponse.answered_on <= period.end)
            .group_by(SurveyResponse.kind)).all():
        figures.answers[kind] = (int(n), float(total))
    return figures


def build_tables(employers: list[EmployerFigures], plugins: dict) -> tuple[list[Built], dict]:
    """The network tables before protection, and the satisfaction score sums by cell."""
    from server.surveys.service import KINDS

    programmes, people, activity, answers = {}, {}, {}, {}
    scores: dict = {}
    activity_rows: dict = {}
    for e in employers:
        everyone = e.participants
        for name in e.enabled:
            programmes.setdefault((name, e.sector), Acc()).add(e.slug, 1, everyone)
        for role, ids in e.enrolled.items():
            people.setdefault((role, e.sector), Acc()).add(e.slug, len(ids), ids)
        for key, (label, unit, value, behind, anonymous) in e.indicators.items():
            activity_rows.setdefault(key, label)
            if value:
                # The people the plugin names; when it cannot say, every participant (an
                # upper bound that can only publish more than it should — plugins say).
                activity.setdefault((key, e.sector), Acc()).add(
                    e.slug, value, everyone if behind is None else behind, anonymous)
        for kind, (n, total) in e.answers.items():
            # Answers are anonymous: at most one person per answer, and no more people than
            # the employer has participants.
            answers.setdefault((kind, e.sector), Acc()).add(
                e.slug, n, anonymous=min(n, len(everyone)))
            scores[(kind, e.sector)] = scores.get((kind, e.sector), 0.0) + total
    tables = [
        _build("programmes", [(n, p.label) for n, p in plugins.items()], programmes),
        _build("personnes", list(ENROLLED_ROLES.items()), people),
        _build("activite", sorted(activity_rows.items(), key=lambda kv: kv[0]), activity,
               column_totals=False),
        _build("satisfaction", [(k, v.label) for k, v in KINDS.items()], answers),
    ]
    return tables, scores


def _score_sums(built: Built, scores: dict) -> dict:
    """Sum of scores for every cell of the satisfaction table, margins included."""
    table = built.table
    out = {}
    for r, c in table.keys():
        rows = table.rows if r == TOTAL else [r]
        cols = table.columns if c == TOTAL else [c]
        out[(r, c)] = sum(scores.get((rr, cc), 0.0) for rr in rows for cc in cols)
    return out


def _labels(built: Built) -> tuple[dict, dict]:
    rows = dict(built.rows)
    rows[TOTAL] = TOTAL_LABEL
    cols = dict(SECTORS)
    cols[TOTAL] = TOTAL_LABEL
    return rows, cols


def protected_cells(tables: list[Built], scores: dict, rules: Rules,
                    min_answers: int) -> list[dict]:
    """Every stored cell: published value, or NULL and the reason."""
    out = []
    for built in tables:
        status = protect(built.table, rules)
        row_labels, col_labels = _labels(built)
        for key in built.table.keys():
            reason = status[key]
            cell = built.table.cells[key]
            out.append(dict(table_key=built.key, row_key=key[0], row_label=row_labels[key[0]],
                            column_key=key[1], column_label=col_labels[key[1]],
                            value=None if reason else round(float(cell.value), 2),
                            reason=reason))
        if built.key == "satisfaction":
            sums = _score_sums(built, scores)
            for key in built.table.keys():
                cell = built.table.cells[key]
                # A mean follows its count: shown when the count is published and counts at
                # least the surveys' minimum of answers. (Answers are never fewer than the
                # people counted, so a published count has at least MIN_PEOPLE answers: with
                # MIN_PEOPLE >= 5, means are hidden exactly where counts are, and their sums
                # of scores are protected like the counts.)
                reason = status[key]
                if reason is None and cell.value < min_answers:
                    reason = "primary"
                out.append(dict(
                    table_key="satisfaction_moyenne", row_key=key[0],
                    row_label=row_labels[key[0]], column_key=key[1],
                    column_label=col_labels[key[1]],
                    value=None if reason else round(sums[key] / cell.value, 2),
                    reason=reason))
    return out


def _read_chunk(app, chunk: list, period: Period, plugins: dict) -> list[EmployerFigures]:
    """One reading thread: its own application context, hence its own session; each employer
    read inside its own ``tenant_context``."""
    from tenants import tenant_context

    out = []
    with app.app_context():
        try:
            for slug, sector, enrolled in chunk:
                with tenant_context(slug):
                    out.append(read_employer(slug, sector, period, plugins, enrolled))
        finally:
            db.session.remove()
    return out


def read_all(app, employers: list, period: Period, plugins: dict) -> list[EmployerFigures]:
    """Every employer's figures, read by ``NETWORK_INDICATORS_READ_THREADS`` threads: the work
    is mostly waiting for PostgreSQL, one schema after another."""
    threads = max(1, int(app.config["NETWORK_INDICATORS_READ_THREADS"]))
    if threads == 1 or len(employers) < 2 * threads:
        return _read_chunk(app, list(employers), period, plugins)
    chunks = [list(employers[i::threads]) for i in range(threads)]
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="indicateurs") as pool:
        parts = list(pool.map(lambda c: _read_chunk(app, c, period, plugins), chunks))
    return [f for part in parts for f in part]


def _now() -> datetime:
    return datetime.now(UTC)


def start_run(requested_by: int | None = None) -> IndicatorRun:
    """A pending run (the caller commits and enqueues ``aggregate(run.id)``)."""
    run = IndicatorRun(status="pending", requested_by=requested_by)
    db.session.add(run)
    db.session.flush()
    return run


def aggregate(run_id: int | None = None, today: date | None = None) -> dict:
    """The job: read every active employer, protect, store. Network-level (no tenant)."""
    from server.programme.choices import installed_models
    from server.programme.dashboard import default_period
    from server.surveys.service import MIN_ANSWERS
    from tenants.registry import Tenant

    if run_id is None:
        run_id = start_run().id
    period = default_period(today)
    run = db.session.get(IndicatorRun, run_id)
    run.status, run.started_at = "running", _now()
    run.period_start, run.period_end = period.start, period.end
    db.session.commit()
    try:
        plugins = dict(installed_models())
        enrolled = enrolled_by_employer()
        employers = [(slug, sector, enrolled.get(slug, {})) for slug, sector in db.session.execute(
            sa.select(Tenant.slug, Tenant.sector).where(Tenant.status == "active")
            .order_by(Tenant.slug)).all()]
        figures = read_all(current_app._get_current_object(), employers, period, plugins)
        tables, scores = build_tables(figures, plugins)
        cells = protected_cells(tables, scores, rules_from(current_app.config), MIN_ANSWERS)
        db.session.execute(sa.insert(IndicatorCell), [dict(c, run_id=run_id) for c in cells])
        run = db.session.get(IndicatorRun, run_id)
        run.status, run.finished_at, run.employers_read = "done", _now(), len(figures)
        db.session.commit()
    except Exception:
        db.session.rollback()
        run = db.session.get(IndicatorRun, run_id)
        run.status, run.finished_at = "failed", _now()
        run.error = traceback.format_exc()[-4000:]
        db.session.commit()
        raise
    return {"run": run_id, "employers": len(figures), "cells": len(cells)}
