"""Job functions for tests/test_faults.py (importable by a real worker process)."""
from __future__ import annotations

import os
import time
from pathlib import Path

from server.mail import deliver


def deliver_then_stall(message: dict, pid_file: str) -> str:
    """Deliver ``message``, then, on the first run only, say where the work horse is and stall:
    the test kills it there, after the effect and before the job ends — the window where a
    retry could repeat the effect."""
    result = deliver(message)
    marker = Path(pid_file)
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(60)
    return result


def deliver_then_fail_once(message: dict, marker_file: str) -> str:
    """Deliver ``message``, then fail on the first run only (a crash right after the SMTP
    server accepted the message)."""
    result = deliver(message)
    marker = Path(marker_file)
    if not marker.exists():
        marker.write_text("failed once")
        raise RuntimeError("crash after delivery")
    return result
