"""What a network admin does for a person who cannot log in: unlock an account locked after
failed attempts, reset a lost second factor. Used by the « Comptes » page of the network space
and by ``entrepairs users``; each change is logged and the person is e-mailed a notice. The
caller commits."""
from __future__ import annotations

from server.auth import sessions, two_factor
from server.auth.models import User
from server.auth.notices import account_changed


def unlock(user: User) -> None:
    """End the lock and the row of failures: the next right password logs in."""
    user.failed_logins = 0
    user.locked_until = None
    account_changed(user, "account.unlocked")


def reset_second_factor(user: User) -> None:
    """Lost phone and recovery codes: the second factor is turned off and every open session
    ends (whoever holds the old device keeps nothing). Where it is required, the person sets
    it up again at their next log-in."""
    two_factor.disable(user)
    user.session_version += 1
    sessions.revoke(user)
    account_changed(user, "second_factor.reset")
