"""The binômes matching engine: propose a whole set of pairs pair-aidant / pair-aidé at once.

Pure Python + NumPy/SciPy, no Flask and no database: the plugin loads helpers and seekers from
its tables, calls :func:`match`, shows the proposals with their explanations to the référent,
who adjusts and publishes them.

The problem
-----------
Each pair-aidant (:class:`Helper`) has a remaining ``capacity``; each pair-aidé (:class:`Seeker`)
gets at most one pair-aidant. A pair is *allowed* when :func:`compatible` says so (the helper
has a place, the seeker did not exclude them — by name or by "not from my department" — and
they share at least one availability slot). Its *score* (:func:`score`) is a weighted sum of
shared lived experiences, same site and common slots (capped), the weights coming from the
plugin's settings (:class:`Weights`). :func:`match` returns a set of allowed pairs with positive
score that **maximises the total score**: a maximum-weight bipartite *b-matching*.

Why :func:`match` is optimal
----------------------------
It is solved exactly, not greedily, by reduction to the assignment problem, which
``scipy.optimize.linear_sum_assignment`` solves exactly (shortest augmenting paths, Crouse 2016
— a proven polynomial algorithm, O(n³)):

1. *Capacity → slots.* A helper with capacity ``c`` becomes ``c`` identical columns ("places").
   A matching in which every seeker has at most one helper and every helper at most ``c``
   seekers is exactly a matching of seekers to places in which each place is used at most once
   (give the seekers of a helper its places in any order), with the same total score.
2. *Forbidden and non-positive cells → 0.* The profit matrix holds ``max(score, 0)`` for allowed
   pairs and ``0`` for forbidden ones. ``linear_sum_assignment`` returns an assignment of
   maximum cardinality ``min(rows, columns)`` (every row or every column is used) maximising the
   sum; afterwards the cells worth 0 are dropped, which leaves only allowed pairs with a
   positive score. This is optimal: (a) dropping 0-cells does not change the total, so the
   result is worth the solver's optimum; (b) conversely any admissible partial matching of
   positive cells can be completed into a maximum-cardinality assignment of the complete
   rectangular matrix with 0-cells without changing its total, so no admissible matching is
   worth more than the solver's optimum. No dummy "unmatched" columns are needed.
3. *Shrinking, without loss.* Seekers with no positive allowed cell and helpers with none are
   dropped; a helper's capacity is capped at the number of seekers it could take (more places
   could never all be used). The matrix stays at most seekers × min(Σ capacities, …): for 2,000
   seekers and 500 helpers of capacity 1–4 about 2,000 × 1,250 float64 (20 MB).

Determinism: helpers and seekers are sorted by id before the matrix is built, so the result
depends only on the *sets* given (not on their order), and among equally good solutions the
solver's deterministic choice on that canonical matrix is returned. Proposals are sorted by
(helper id, seeker id).

Scores are computed in bulk with NumPy (experiences and slots one-hot encoded, shared counts by
matrix product); :func:`score` computes the same figures for one pair, with the same floating-
point operations in the same order, and the proposals carry :func:`score`'s explanation so that
the explanation always sums to the proposal's score.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = [
    "Helper",
    "Proposal",
    "Seeker",
    "Weights",
    "compatible",
    "experience_label",
    "greedy_match",
    "match",
    "score",
    "slot_label",
    "total_score",
]


@dataclass(frozen=True)
class Helper:
    """A pair-aidant."""
    id: int
    capacity: int                    # remaining places (0 = none)
    experiences: frozenset[str]      # lived experiences they can share (e.g. "sante-mentale")
    site: str | None
    availability: frozenset[str]     # slots like "lundi-matin", "mardi-apres-midi"
    department: str | None = None    # their service/department


@dataclass(frozen=True)
class Seeker:
    """A pair-aidé."""
    id: int
    looking_for: frozenset[str]      # experiences they hope to share
    site: str | None
    availability: frozenset[str]
    department: str | None = None
    exclude_same_department: bool = False
    excluded_helpers: frozenset[int] = frozenset()   # e.g. their manager, a colleague


@dataclass(frozen=True)
class Weights:
    """The weights of the score, set in the plugin's settings."""
    experience: float = 3.0     # per shared experience
    site: float = 1.0           # same site
    availability: float = 1.0   # per common slot, capped by max_common_slots
    max_common_slots: int = 3

    def __post_init__(self):
        for name in ("experience", "site", "availability"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"Le poids « {name} » doit être un nombre fini.")
        if self.max_common_slots < 0:
            raise ValueError("Le nombre maximal de créneaux comptés ne peut pas être négatif.")


@dataclass(frozen=True)
class Proposal:
    """A proposed pair, with the reasons of its score (French text, points)."""
    helper_id: int
    seeker_id: int
    score: float
    explanation: tuple[tuple[str, float], ...]


# --- French labels -------------------------------------------------------------------------

EXPERIENCE_LABELS = {
    "sante-mentale": "santé mentale",
    "retour-emploi": "retour à l'emploi",
    "retour-a-l-emploi": "retour à l'emploi",
    "maladie-chronique": "maladie chronique",
    "handicap-moteur": "handicap moteur",
    "handicap-psychique": "handicap psychique",
    "handicap-sensoriel": "handicap sensoriel",
    "handicap-auditif": "handicap auditif",
    "handicap-visuel": "handicap visuel",
    "handicap-cognitif": "handicap cognitif",
    "troubles-dys": "troubles dys",
    "cancer": "cancer",
    "addiction": "addiction",
    "aidant-familial": "aidant familial",
    "maintien-emploi": "maintien dans l'emploi",
    "maintien-dans-l-emploi": "maintien dans l'emploi",
    "reconversion": "reconversion professionnelle",
    "epuisement-professionnel": "épuisement professionnel",
    "accident-travail": "accident du travail",
}
_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_PERIODS = {"matin": "matin", "midi": "midi", "apres-midi": "après-midi", "soir": "soir"}
_PERIOD_ORDER = {p: i for i, p in enumerate(_PERIODS)}
_ACCENTS = {"sante": "santé", "apres": "après", "epuisement": "épuisement", "a": "à",
            "evenement": "événement", "deces": "décès", "agee": "âgée", "etudes": "études"}


def _humanise(code: str) -> str:
    """A slug made readable ("apres-midi" → "après midi"); any other text is kept as is."""
    if not re.fullmatch(r"[a-z0-9_-]+", code):
        return code          # already a label, e.g. "Santé mentale" from the settings
    return " ".join(_ACCENTS.get(w, w) for w in code.replace("_", "-").split("-") if w)


def experience_label(code: str) -> str:
    """French label of an experience code ("sante-mentale" → "santé mentale")."""
    return EXPERIENCE_LABELS.get(code) or _humanise(code)


def slot_label(code: str) -> str:
    """French label of a slot code ("mardi-apres-midi" → "mardi après-midi")."""
    day, _, period = code.partition("-")
    if day in _DAYS and period in _PERIODS:
        return f"{day} {_PERIODS[period]}"
    return _humanise(code)


def _slot_key(code: str):
    day, _, period = code.partition("-")
    return (_DAYS.index(day) if day in _DAYS else len(_DAYS),
            _PERIOD_ORDER.get(period, len(_PERIOD_ORDER)), code)


def _plural(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


# --- One pair --------------------------------------------------------------------------------

def compatible(helper: Helper, seeker: Seeker) -> str | None:
    """``None`` when the pair is allowed, else the French reason why not (hard constraints)."""
    if helper.capacity <= 0:
        return "Le pair-aidant n'a plus de place disponible."
    if helper.id in seeker.excluded_helpers:
        return "Le pair-aidé a exclu ce pair-aidant (par exemple son encadrant ou un collègue)."
    if (seeker.exclude_same_department and helper.department is not None
            and helper.department == seeker.department):
        return "Le pair-aidé ne souhaite pas de pair-aidant de son propre service."
    if not helper.availability & seeker.availability:
        return "Aucun créneau de disponibilité en commun."
    return None


def score(helper: Helper, seeker: Seeker,
          weights: Weights = Weights()) -> tuple[float, tuple[tuple[str, float], ...]]:
    """The pair's score and its explanation: French reasons with their points, summing to it.

    Components worth 0 points are left out of the explanation. Compatibility is *not* checked
    here (see :func:`compatible`).
    """
    parts: list[tuple[str, float]] = []
    shared = sorted(helper.experiences & seeker.looking_for, key=experience_label)
    if shared:
        points = weights.experience * float(len(shared))
        text = (_plural(len(shared), "expérience partagée", "expériences partagées")
                + " : " + ", ".join(experience_label(e) for e in shared))
        if points:
            parts.append((text, points))
    if helper.site is not None and helper.site == seeker.site and weights.site:
        parts.append((f"Même site : {helper.site}", weights.site * 1.0))
    common = sorted(helper.availability & seeker.availability, key=_slot_key)
    if common:
        counted = min(len(common), weights.max_common_slots)
        points = weights.availability * float(counted)
        head = _plural(len(common), "créneau commun", "créneaux communs")
        if counted < len(common):
            head += f" ({_plural(counted, 'compté', 'comptés')})"
        if points:
            parts.append((head + " : " + ", ".join(slot_label(s) for s in common), points))
    total = 0.0
    for _, points in parts:
        total += points
    return total, tuple(parts)


def total_score(proposals: Iterable[Proposal]) -> float:
    return math.fsum(p.score for p in proposals)


# --- Bulk scoring ---------------------------------------------------------------------------

def _canonical(helpers: Iterable[Helper], seekers: Iterable[Seeker]):
    helpers = sorted(helpers, key=lambda h: h.id)
    seekers = sorted(seekers, key=lambda s: s.id)
    for kind, items in (("pair-aidant", helpers), ("pair-aidé", seekers)):
        ids = [x.id for x in items]
        if len(set(ids)) != len(ids):
            raise ValueError(f"Identifiant de {kind} en double.")
    return helpers, seekers


def _one_hot(rows: Sequence[frozenset[str]], vocabulary: dict[str, int]) -> np.ndarray:
    out = np.zeros((len(rows), max(len(vocabulary), 1)), dtype=np.float64)
    for i, labels in enumerate(rows):
        for label in labels:
            j = vocabulary.get(label)
            if j is not None:
                out[i, j] = 1.0
    return out


def _codes(values: Sequence[str | None], table: dict[str, int], missing: int) -> np.ndarray:
    return np.fromiter((table.setdefault(v, len(table)) if v is not None else missing
                        for v in values), dtype=np.int64, count=len(values))


def _profit_matrix(helpers: Sequence[Helper], seekers: Sequence[Seeker],
                   weights: Weights) -> np.ndarray:
    """Seekers × helpers matrix of ``score`` for allowed pairs with positive score, else 0.

    Same operations as :func:`score`/:func:`compatible`, vectorised: shared counts are products
    of one-hot float64 matrices (exact integers), and the float64 sum is done in the same
    order (experience, site, availability) so the values equal :func:`score`'s bit for bit.
    """
    experiences = {e: i for i, e in enumerate(sorted(set().union(*(h.experiences
                                                                   for h in helpers))))}
    slots = {s: i for i, s in enumerate(sorted(set().union(*(h.availability
                                                             for h in helpers))))}
    # float64 products: exact small integers, and no extra full-size conversion.
    shared = (_one_hot([s.looking_for for s in seekers], experiences)
              @ _one_hot([h.experiences for h in helpers], experiences).T)
    common = (_one_hot([s.availability for s in seekers], slots)
              @ _one_hot([h.availability for h in helpers], slots).T)

    # In place, to keep a single seekers × helpers float64 array plus a boolean mask alive.
    profit = np.multiply(shared, weights.experience, out=shared)
    if weights.site:
        sites: dict[str, int] = {}
        h_site = _codes([h.site for h in helpers], sites, -1)
        s_site = _codes([s.site for s in seekers], sites, -2)
        profit += np.where(s_site[:, None] == h_site[None, :], weights.site * 1.0, 0.0)
    allowed = common > 0
    np.minimum(common, float(weights.max_common_slots), out=common)
    profit += np.multiply(common, weights.availability, out=common)
    del common

    allowed &= np.array([h.capacity > 0 for h in helpers], dtype=bool)[None, :]
    wants = np.array([s.exclude_same_department for s in seekers], dtype=bool)
    if wants.any():
        departments: dict[str, int] = {}
        h_dep = _codes([h.department for h in helpers], departments, -1)
        s_dep = _codes([s.department for s in seekers], departments, -2)
        allowed[wants] &= s_dep[wants][:, None] != h_dep[None, :]
    column = {h.id: j for j, h in enumerate(helpers)}
    for i, s in enumerate(seekers):
        for helper_id in s.excluded_helpers:
            j = column.get(helper_id)
            if j is not None:
                allowed[i, j] = False
    allowed &= profit > 0
    profit[~allowed] = 0.0
    return profit


def _proposals(pairs: Iterable[tuple[Helper, Seeker]], weights: Weights) -> list[Proposal]:
    out = []
    for h, s in pairs:
        value, explanation = score(h, s, weights)
        out.append(Proposal(helper_id=h.id, seeker_id=s.id, score=value, explanation=explanation))
    out.sort(key=lambda p: (p.helper_id, p.seeker_id))
    return out


# --- Matchings ------------------------------------------------------------------------------

def match(helpers: Iterable[Helper], seekers: Iterable[Seeker],
          weights: Weights = Weights()) -> list[Proposal]:
    """A maximum-total-score set of pairs (see the module docstring for why it is optimal).

    Each seeker appears at most once, each helper at most ``capacity`` times, only
    :func:`compatible` pairs with a score > 0 are proposed. Deterministic; sorted by
    (helper id, seeker id).
    """
    helpers, seekers = _canonical(helpers, seekers)
    helpers = [h for h in helpers if h.capacity > 0]
    if not helpers or not seekers:
        return []
    profit = _profit_matrix(helpers, seekers, weights)
    positive = profit > 0
    rows = np.flatnonzero(positive.any(axis=1))
    if rows.size == 0:
        return []
    capacity = np.array([h.capacity for h in helpers], dtype=np.int64)
    capacity = np.minimum(capacity, positive[rows].sum(axis=0))
    columns = np.repeat(np.arange(len(helpers)), capacity)   # one column per usable place
    reduced = profit[np.ix_(rows, columns)]
    r, c = linear_sum_assignment(reduced, maximize=True)
    keep = reduced[r, c] > 0
    return _proposals(((helpers[columns[j]], seekers[rows[i]])
                       for i, j in zip(r[keep], c[keep])), weights)


def greedy_match(helpers: Iterable[Helper], seekers: Iterable[Seeker],
                 weights: Weights = Weights()) -> list[Proposal]:
    """Baseline for the benchmark only: take the best remaining allowed pair while one fits.

    Pairs by decreasing score, ties by (seeker id, helper id). A ½-approximation of the
    optimum, no better in general.
    """
    helpers, seekers = _canonical(helpers, seekers)
    helpers = [h for h in helpers if h.capacity > 0]
    if not helpers or not seekers:
        return []
    profit = _profit_matrix(helpers, seekers, weights)
    si, hj = np.nonzero(profit)                    # row-major: by seeker, then helper
    order = np.argsort(-profit[si, hj], kind="stable")
    left = [h.capacity for h in helpers]
    taken = np.zeros(len(seekers), dtype=bool)
    free_seekers, free_places = len(seekers), sum(left)
    chosen = []
    for i, j in zip(si[order].tolist(), hj[order].tolist()):
        if taken[i] or not left[j]:
            continue
        taken[i] = True
        left[j] -= 1
        chosen.append((helpers[j], seekers[i]))
        free_seekers -= 1
        free_places -= 1
        if not free_seekers or not free_places:
            break
    return _proposals(chosen, weights)
