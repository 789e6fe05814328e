"""Network jobs: close a poll at its closing time, and the sweep that closes any poll whose
job was lost (run by the periodic scheduler, ``server/periodic.py``)."""
from __future__ import annotations

from server.polls import service

#: Seconds between two sweeps.
SWEEP_INTERVAL = 300


def close_poll(poll_id: int) -> bool:
    """Enqueued with a delay when the poll opens; closing twice does nothing."""
    return service.close(poll_id)


def sweep_due_polls() -> list[int]:
    """Close every poll past its closing time that is still open. Returns the ids closed."""
    return [poll_id for poll_id in service.due_polls() if service.close(poll_id)]
