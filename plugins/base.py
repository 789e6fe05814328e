"""The plugin API: the base class of a programme model, and everything a plugin may use.

A plugin is a package that subclasses ``ProgrammeModel``, is declared in the
``entrepairs.plugins`` entry-point group, and is enabled by name in the ``PLUGINS`` allow-list.
It imports from ``plugins.base`` and ``server.signals`` only; this module re-exports what it
needs from the core (the database, the tenant model base, access declarations, jobs, audit).

What the loader checks at start-up (a failure stops start-up with the plugin's name):
- ``name`` is lowercase (``[a-z][a-z0-9_]{1,30}``) and equals the entry-point name;
- ``label`` (French) and ``description`` are set;
- ``settings_schema`` is a marshmallow ``Schema`` whose every field has a default;
- every table in ``models`` lives in the tenant schema and is named ``<name>_...``;
- ``migrations`` is a folder of Alembic revisions whose branch is labelled ``<name>``;
- the blueprint is named ``<name>``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ClassVar

from marshmallow import Schema, ValidationError, missing

# Re-exported for plugins (their only door into the core besides server.signals).
from server.api import check_json_body  # noqa: F401
from server.api.pagination import SelectPage  # noqa: F401
from server.audit import record, record_access  # noqa: F401
from server.clock import PARIS, day_of, today  # noqa: F401
from server.auth.access import employer_role  # noqa: F401
from server.employers.models import Profile  # noqa: F401
from server.extensions import db  # noqa: F401
from server.jobs import enqueue  # noqa: F401
from server.mail import notify_people  # noqa: F401
from server.models import TenantModel, tenant_table_args  # noqa: F401
from server.programme.choices import settings_of  # noqa: F401
from tenants import TENANT_SCHEMA, current_tenant  # noqa: F401

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


class EmptySettings(Schema):
    """Settings of a model that has none."""


@dataclass(frozen=True)
class Indicator:
    """One figure a plugin contributes to the programme dashboard."""

    #: Stable key, namespaced by the plugin (``binomes.active``).
    key: str
    #: French label ("Binômes actifs").
    label: str
    value: int | float
    #: "people", "count", "hours", "score" — how to read and protect the figure.
    unit: str = "count"
    #: Breakdown for a chart and its data table: [(label, value), ...].
    breakdown: tuple[tuple[str, int | float], ...] = ()
    #: Profile ids of the distinct people the figure is about (both members of the binômes
    #: counted, the facilitator and participants of the sessions...). The network indicators
    #: publish a figure only when at least 11 people are behind it; ``None`` means unknown, and
    #: then all the employer's pair-aidants and pair-aidés are assumed (an upper bound).
    people: frozenset[int] | None = None
    #: People behind the figure who have no profile (an intervention's audience), added to
    #: ``people``.
    anonymous_people: int = 0


@dataclass(frozen=True)
class PeriodicJob:
    """A job the worker's scheduler runs for every employer that enabled the model."""

    func: Callable[..., Any]
    #: Seconds between two runs.
    interval: int
    description: str = ""


class Refused(Exception):
    """An action refused for a reason the person can act on, said once for pages and API.

    ``status`` is the HTTP status (409 a conflict with the current state, 422 invalid data,
    403 someone else's item, 404 not visible), ``code`` the API error code, ``message``
    French, ``message_en`` English; ``field`` names the form field at fault, if any;
    ``details`` holds per-field messages."""

    def __init__(self, status: int, code: str, message: str, message_en: str,
                 field: str | None = None, details=None):
        super().__init__(message)
        self.status, self.code, self.message, self.message_en = status, code, message, message_en
        self.field = field
        self.details = details


def raise_refusal(refused: Refused):
    """Raise a refusal as the API's HTTP error, in the one error shape (server/errors.py)."""
    from werkzeug.exceptions import default_exceptions

    exc = default_exceptions[refused.status]()
    exc.api_code = refused.code
    exc.api_message = refused.message
    exc.api_message_en = refused.message_en
    if refused.details is not None:
        exc.data = {"messages": refused.details}
    raise exc


def enqueue_after_commit(func, *args) -> None:
    """Enqueue the job ``func(*args)`` for the current employer once the current transaction
    commits, never after a rollback: for the messages about a change made inside a caller's
    transaction (an erasure's cancellations, ``erase_person``)."""
    import sqlalchemy as sa

    session = db.session()
    pending = session.info.get("entrepairs_after_commit")
    if pending is None:
        pending = session.info["entrepairs_after_commit"] = []

        def run(_session):
            todo, pending[:] = list(pending), []
            for job, job_args, slug in todo:
                enqueue(job, *job_args, tenant=slug)

        sa.event.listen(session, "after_commit", run)
        sa.event.listen(session, "after_soft_rollback", lambda *_: pending.clear())
    pending.append((func, args, current_tenant().slug))


def event_ics(event, label: str, calendar_name: str, base_url: str) -> bytes:
    """One ``CalendarEvent`` as an iCalendar file, written as the agenda's .ics download
    writes it (``server.calendar.events.to_calendar``); ``label`` is the model's label."""
    from server.calendar.events import Item, to_calendar

    return to_calendar([Item("", label, event)], calendar_name, base_url).to_ical()


@dataclass(frozen=True)
class CalendarEvent:
    """Something in a person's agenda that a programme model knows about (a meeting, a group
    session, a booked slot, an intervention). Shown on the agenda page and in the person's
    iCalendar feed; it holds nothing about anyone's health."""

    #: Stable and unique across models and employers: "<model>-<kind>-<id>@<tenant slug>".
    uid: str
    title: str
    #: Timezone-aware datetimes; or ``date`` objects for an all-day event (``end`` is then the
    #: day after the last day, as in iCalendar).
    start: Any
    end: Any
    location: str | None = None
    #: Path of the page about it inside Entrepairs (``/e/<tenant>/...``).
    url: str | None = None
    description: str = ""
    cancelled: bool = False


@dataclass(frozen=True)
class TimeSpent:
    """Time a person spent on one of the model's activities over a period, for the mission
    sheet's dedicated-time tracking. Only hours, never what happened."""

    #: Programme profile id of the person who spent the time (a pair-aidant).
    profile_id: int
    #: French label of the activity ("Rencontres de binôme"), stable across periods.
    activity: str
    hours: float


@dataclass(frozen=True)
class RetentionKind:
    """A kind of record a model removes after a period the employer sets (personal data)."""

    #: Stable key, namespaced by the plugin (``binomes.notes``).
    key: str
    #: French label ("Notes des binômes clos").
    label: str
    #: Safe default period, in days.
    default_days: int
    #: French sentence: from when the period runs and what happens at its end.
    description: str
    #: The shortest period an employer may set, in days.
    minimum_days: int = 30


@dataclass
class Period:
    """The period an indicator request covers (dates, Europe/Paris)."""

    start: Any
    end: Any


class ProgrammeModel:
    """Base class of a programme model (binômes, groupes, permanences, interventions...)."""

    #: Entry-point name; also the namespace of its blueprint, templates, tables and revisions.
    name: ClassVar[str] = ""
    #: French label shown to people ("Binômes").
    label: ClassVar[str] = ""
    #: One sentence saying what the model is, for the référent choosing models.
    description: ClassVar[str] = ""
    #: marshmallow schema of the model's settings; every field has a ``load_default``.
    settings_schema: ClassVar[type[Schema]] = EmptySettings
    #: Tenant models (``TenantModel`` subclasses) the plugin owns.
    models: ClassVar[tuple[type, ...]] = ()
    #: Folder of the plugin's Alembic revisions (branch labelled with ``name``), or None.
    migrations: ClassVar[Path | None] = None
    #: Pages, mounted at ``/e/<tenant>/<name>/`` (a ``flask.Blueprint`` named ``name``).
    blueprint: ClassVar[Any] = None
    #: JSON API, mounted at ``/api/v1/e/<tenant>/<name>`` (a ``flask_smorest.Blueprint``).
    api_blueprint: ClassVar[Any] = None
    #: Jobs the scheduler runs for each employer that enabled the model.
    periodic_jobs: ClassVar[tuple[PeriodicJob, ...]] = ()
    #: French labels of the kinds of record the model writes to the audit log (``record``,
    #: ``record_access``), by object type: {"binomes_binome": "Binôme"}.
    audit_labels: ClassVar[dict[str, str]] = {}

    def __init__(self, app):
        self.app = app

    def init(self) -> None:
        """Connect to signals (``server.signals``) and register what the plugin brings.
        Called once at start-up, after the loader's checks."""

    # --- settings -------------------------------------------------------------------------
    @classmethod
    def default_settings(cls) -> dict:
        return cls.settings_schema().load({})

    @classmethod
    def validate_settings(cls, data: dict) -> dict:
        """Validated settings, or ``marshmallow.ValidationError`` with French messages."""
        return cls.settings_schema().load(data)

    # --- indicators -----------------------------------------------------------------------
    def indicators(self, period: Period) -> list[Indicator]:
        """Figures for the programme dashboard, read in the current tenant's schema."""
        return []

    # --- time spent -----------------------------------------------------------------------
    def time_spent(self, period: Period) -> list[TimeSpent]:
        """Hours each person spent on the model's activities between ``period.start`` and
        ``period.end`` (dates, both included), one row per person and activity, read in the
        current tenant's schema. The programme dashboard sets them against the pair-aidants'
        mission sheets; only activities that took place count."""
        return []

    # --- calendar -------------------------------------------------------------------------
    def calendar_events(self, profile_id: int, start, end) -> list[CalendarEvent]:
        """The events of one person (by programme profile id) between ``start`` and ``end``
        (aware datetimes), read in the current tenant's schema."""
        return []

    # --- personal data (docs/personal_data.md) ---------------------------------------------
    #: Kinds of records removed after a period the employer sets (retention settings page).
    retention_kinds: ClassVar[tuple[RetentionKind, ...]] = ()

    def personal_data(self, profile_id: int) -> dict[str, list[dict]]:
        """Everything the model holds about one person (by programme profile id), read in the
        current tenant's schema, for the person's copy of their data: French section title →
        rows, each a dict of French field label → value (text, number, bool, date, datetime or
        None). Include what others wrote about the person that the person may read."""
        return {}

    def erase_person(self, profile_id: int) -> dict[str, int]:
        """Erase or anonymise what the model holds about one person, in the current tenant's
        schema, inside the caller's transaction (never commit). The core keeps the person's
        profile as an anonymous placeholder (« Personne effacée »), so rows naming the person
        by profile id stay readable for the others; delete what the person declared or wrote
        and cancel what was still to come. Returns French label → number of rows. Must be
        idempotent: a failed erasure is run again."""
        return {}

    def apply_retention(self, key: str, before) -> int:
        """Remove the records of retention kind ``key`` whose period ended before ``before``
        (an aware datetime), inside the caller's transaction; returns how many."""
        return 0

    # --- checks ---------------------------------------------------------------------------
    @classmethod
    def check(cls) -> list[str]:
        """What is wrong with this plugin's declaration, as sentences (empty when valid)."""
        problems = []
        if not NAME_RE.match(cls.name or ""):
            problems.append("its `name` must be lowercase letters, digits or underscores")
        if not cls.label:
            problems.append("it has no French `label`")
        if not cls.description:
            problems.append("it has no `description`")
        if not (isinstance(cls.settings_schema, type) and issubclass(cls.settings_schema, Schema)):
            problems.append("its `settings_schema` is not a marshmallow Schema")
        else:
            for fname, f in cls.settings_schema._declared_fields.items():
                if f.load_default is missing:
                    problems.append(f"setting `{fname}` has no load_default")
            if not problems:
                try:
                    cls.default_settings()
                except ValidationError as exc:
                    problems.append(f"its default settings do not validate: {exc.messages}")
        for model in cls.models:
            table = getattr(model, "__table__", None)
            if table is None or table.schema != TENANT_SCHEMA:
                problems.append(f"model {model.__name__} is not a tenant model")
            elif not table.name.startswith(f"{cls.name}_"):
                problems.append(f"table {table.name} is not named {cls.name}_...")
        for kind in cls.retention_kinds:
            if not kind.key.startswith(f"{cls.name}."):
                problems.append(f"retention kind {kind.key} is not named {cls.name}.…")
        if cls.models and cls.migrations is None:
            problems.append("it has tables but no `migrations` folder")
        if cls.migrations is not None and not Path(cls.migrations).is_dir():
            problems.append(f"its migrations folder {cls.migrations} does not exist")
        if cls.blueprint is not None and cls.blueprint.name != cls.name:
            problems.append(f"its blueprint is named {cls.blueprint.name!r}, not {cls.name!r}")
        return problems


__all__ = [
    "ProgrammeModel", "Indicator", "PeriodicJob", "Period", "TimeSpent", "CalendarEvent",
    "RetentionKind",
    "EmptySettings",
    "Refused", "raise_refusal", "event_ics", "notify_people", "enqueue_after_commit",
    "ValidationError",
    "db", "TenantModel", "tenant_table_args", "employer_role", "current_tenant", "enqueue",
    "record", "Profile", "settings_of", "check_json_body", "SelectPage",
]
