"""Signals of the binômes model (its own namespace: the core does not know them)."""
from blinker import Namespace

_signals = Namespace()

reminder_due = _signals.signal(
    "binomes-reminder-due",
    doc="""Sent by the reminder job for each binôme that has not met for ``reminder_days``,
    after the reminder was recorded and before commit, inside the employer's context.
    *sender* is the ``Binome``; keywords ``idle_days`` and ``recipients`` (profile ids of the
    two members). The job itself e-mails both members after commit; receivers may add
    their own follow-up and must not commit.""",
)
