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
