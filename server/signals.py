"""Signals between the core and plugins. Receivers must not raise for ordinary conditions and
must not commit the session: the sender owns the transaction.
"""
from blinker import Namespace

_signals = Namespace()

app_created = _signals.signal(
    "app-created",
    doc="""Sent once ``create_app`` has loaded every extension, blueprint and plugin.
    *sender* is the application. Receivers may register template globals or CLI commands.""",
)

employer_provisioned = _signals.signal(
    "employer-provisioned",
    doc="""Sent after an employer's schema was built, inside the provisioning transaction and
    inside the new employer's tenant context. *sender* is the ``TenantRef``. Receivers may
    insert default rows in the employer's schema.""",
)

person_enrolled = _signals.signal(
    "person-enrolled",
    doc="""Sent when a person joins an employer space with a role, inside the tenant context and
    before commit. *sender* is the ``Profile``; keyword ``role`` is the role given.""",
)

person_left = _signals.signal(
    "person-left",
    doc="""Sent when a person leaves an employer's programme (status ``left``), inside the tenant
    context and before commit. *sender* is the ``Profile``.""",
)

model_configured = _signals.signal(
    "model-configured",
    doc="""Sent when a référent enables, disables or changes the settings of a programme model,
    inside the tenant context and before commit. *sender* is the model's name; keywords
    ``enabled`` (bool) and ``settings`` (dict).""",
)

session_held = _signals.signal(
    "session-held",
    doc="""Sent when a programme activity took place (a binôme meeting, a group session, a
    drop-in slot, an intervention), inside the tenant context and before commit. *sender* is
    the model's name; keywords ``kind``, ``held_at`` and ``minutes``, and optionally
    ``participants`` (the programme profile ids of the people who took part; the core's surveys
    invite them to a short satisfaction survey). Receivers may update counts or schedule a
    survey; they must not read the activity's private content.""",
)

engagement_ended = _signals.signal(
    "engagement-ended",
    doc="""Sent when a lasting accompaniment ends (a binôme closes, a person leaves a group),
    inside the tenant context and before commit. *sender* is the model's name; keywords
    ``kind`` (e.g. ``"binome"``) and ``participants`` (programme profile ids). The core's
    surveys invite the participants to an end-of-accompaniment survey.""",
)

survey_answered = _signals.signal(
    "survey-answered",
    doc="""Sent when someone answers a satisfaction survey, inside the tenant context and
    before commit. *sender* is the survey's kind; keyword ``model`` names the programme model
    it is about (or None). The answer itself is not passed: it is anonymous.""",
)

indicators_requested = _signals.signal(
    "indicators-requested",
    doc="""Sent when the programme dashboard is computed, inside the tenant context. *sender* is
    the ``Period``. Receivers return a list of ``plugins.base.Indicator``; the dashboard shows
    what they return (plugins usually implement ``ProgrammeModel.indicators`` instead).""",
)
