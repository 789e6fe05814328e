"""Password rules (OWASP ASVS 5.0 §6.2): long enough, not common, not the person's own name.

No composition rules (no "one digit, one capital"): length and the common-password check are
what make a password hard to guess. ``password_problem`` is the one check, called wherever a
password is set (account creation on the command line and in the demo, invitations, the
"change my password" page). The password is stored exactly as typed; only the checks below
fold case and strip separators.

``common_passwords.txt`` holds the 10,000 most common passwords, most common first, taken from
the list Django ships (``django/contrib/auth/common-passwords.txt.gz``, BSD licence; see
docs/security.md for how it is regenerated).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from wtforms.validators import ValidationError

MIN_LENGTH = 12
#: Counted in Unicode characters (code points after NFC normalisation), not bytes.
MAX_LENGTH = 128

#: Words from the service itself, which anyone would try first (ASVS 6.2.11).
CONTEXT_WORDS = ("entrepairs", "pairaidance", "pairaidant", "pairaide", "handipacte", "fiphfp",
                 "motdepasse")

#: Rows of keys and runs of characters: "azertyuiopqs", "123456789012" and their reverse.
_SEQUENCES = ("01234567890123456789", "abcdefghijklmnopqrstuvwxyz",
              "azertyuiopqsdfghjklmwxcvbn", "qwertyuiopasdfghjklzxcvbnm",
              "qwertzuiopasdfghjklyxcvbnm")

TOO_SHORT = f"Le mot de passe doit faire au moins {MIN_LENGTH} caractères."
TOO_LONG = f"Le mot de passe doit faire {MAX_LENGTH} caractères au plus."
COMMON = ("Ce mot de passe est trop courant ou trop facile à deviner. Choisissez-en un autre, "
          "par exemple une phrase de plusieurs mots.")
PERSONAL = ("Le mot de passe ne doit pas reprendre votre adresse e-mail ou votre nom. "
            "Choisissez-en un autre, par exemple une phrase de plusieurs mots.")
SERVICE = ("Le mot de passe ne doit pas reposer sur le nom du service. Choisissez-en un autre, "
           "par exemple une phrase de plusieurs mots.")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip() for line in path.read_text("utf-8").splitlines() if line.strip())


def _fold(text: str) -> str:
    """Lower case, accents removed: "Élodie" and "elodie" are the same guess."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _letters_and_digits(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


def _core(text: str) -> str:
    """The word under the decoration: "Soleil2024!!" -> "soleil"."""
    return re.sub(r"^[\W\d_]+|[\W\d_]+$", "", text)


def _is_repetition(text: str) -> bool:
    """"azertyazerty", "aaaaaaaaaaaa", "abcabcabcabc": a short or common unit repeated."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            unit = text[:size]
            if size <= 4 or unit in common_passwords() or _is_sequence(unit):
                return True
    return False


def _is_sequence(text: str) -> bool:
    return len(text) >= 4 and any(text in seq or text in seq[::-1] for seq in _SEQUENCES)


def _guessable(text: str) -> bool:
    if not text:
        return True
    return text in common_passwords() or _is_repetition(text) or _is_sequence(text)


def _personal_words(user) -> list[str]:
    """The person's address, its parts and their name, compared without separators."""
    if user is None:
        return []
    words = []
    for text in (getattr(user, "email", None), getattr(user, "display_name", None)):
        folded = _fold(text or "")
        words.append(_letters_and_digits(folded))
        words += [part for part in re.split(r"[\W_]+", folded) if len(part) >= 3]
    return sorted({w for w in words if w}, key=len, reverse=True)


def _without(text: str, words) -> str:
    for word in words:
        text = text.replace(word, "")
    return text


def password_problem(password: str | None, user=None) -> str | None:
    """What is wrong with ``password`` as a new password, in French; ``None`` when it is fine.

    ``user``: anything with ``email`` and ``display_name`` (an account, or the data of one
    being created), so that the person's own address and name are refused."""
    password = unicodedata.normalize("NFC", password or "")
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    folded = _fold(password)
    compact = _letters_and_digits(folded)
    if any(_guessable(candidate) for candidate in
           {folded, folded.strip(), compact, _core(compact), _core(folded.strip())}):
        return COMMON
    personal = _personal_words(user)
    # What is left once the person's words are removed must be more than decoration.
    if personal and len(_core(_without(compact, personal))) < 4:
        return PERSONAL
    if len(_core(_without(compact, CONTEXT_WORDS))) < 4:
        return SERVICE
    return None


class StrongPassword:
    """WTForms validator: ``password_problem`` without the person (forms that create an
    account check the person's own words again once they are known)."""

    def __call__(self, form, field):
        problem = password_problem(field.data)
        if problem:
            raise ValidationError(problem)
