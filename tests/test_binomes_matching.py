"""The binômes matching engine (plugins/binomes/matching.py): pure unit tests, no database.

Optimality is checked against exhaustive enumeration on small random instances and against the
linear-programming relaxation (exact for bipartite b-matching: its constraint matrix is totally
unimodular) on medium ones; every hard constraint is checked by property-based tests on larger
random instances and on one instance of the benchmark's size.
"""
from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.sparse import lil_matrix

from plugins.binomes.matching import (
    Helper,
    Proposal,
    Seeker,
    Weights,
    compatible,
    experience_label,
    greedy_match,
    match,
    score,
    slot_label,
    total_score,
)

EXPERIENCES = ["sante-mentale", "retour-emploi", "maladie-chronique", "handicap-moteur",
               "cancer", "troubles-dys"]
SLOTS = [f"{d}-{p}" for d in ("lundi", "mardi", "mercredi", "jeudi")
         for p in ("matin", "apres-midi")]
SITES = ["Lyon", "Grenoble", "Clermont"]
DEPARTMENTS = ["RH", "Voirie", "Finances"]


# --- Random instances -----------------------------------------------------------------------

def random_instance(rng: random.Random, n_helpers: int, n_seekers: int, *, max_capacity=3,
                    n_exp=None, n_slots=None):
    exp, slots = EXPERIENCES[:n_exp], SLOTS[:n_slots]

    def some(pool, lo, hi):
        return frozenset(rng.sample(pool, rng.randint(lo, min(hi, len(pool)))))

    helper_ids = rng.sample(range(1, 10 * n_helpers + 10), n_helpers)
    helpers = [Helper(id=i, capacity=rng.randint(0, max_capacity), experiences=some(exp, 0, 3),
                      site=rng.choice(SITES + [None]), availability=some(slots, 0, 4),
                      department=rng.choice(DEPARTMENTS + [None]))
               for i in helper_ids]
    seekers = [Seeker(id=i, looking_for=some(exp, 0, 2), site=rng.choice(SITES + [None]),
                      availability=some(slots, 0, 4), department=rng.choice(DEPARTMENTS + [None]),
                      exclude_same_department=rng.random() < 0.4,
                      excluded_helpers=frozenset(rng.sample(helper_ids,
                                                            rng.randint(0, min(2, n_helpers)))))
               for i in rng.sample(range(1, 10 * n_seekers + 10), n_seekers)]
    return helpers, seekers


def random_weights(rng: random.Random) -> Weights:
    return Weights(experience=rng.choice([3.0, 0.0, 1.5, 2.25, -1.0]),
                   site=rng.choice([1.0, 0.0, 0.5, 4.0]),
                   availability=rng.choice([1.0, 0.0, 0.75, -0.5]),
                   max_common_slots=rng.randint(0, 4))


def brute_force_optimum(helpers, seekers, weights) -> float:
    """The best total over every admissible assignment, by exhaustive enumeration."""
    options = [[(h, score(h, s, weights)[0]) for h in helpers
                if compatible(h, s) is None and score(h, s, weights)[0] > 0] for s in seekers]
    left = {h.id: h.capacity for h in helpers}
    best = 0.0

    def explore(k: int, total: float):
        nonlocal best
        if k == len(seekers):
            best = max(best, total)
            return
        explore(k + 1, total)                      # this seeker stays unmatched
        for h, value in options[k]:
            if left[h.id] > 0:
                left[h.id] -= 1
                explore(k + 1, total + value)
                left[h.id] += 1

    explore(0, 0.0)
    return best


def lp_optimum(helpers, seekers, weights) -> float:
    """Optimum of the LP relaxation, integral here (bipartite b-matching is totally unimodular)."""
    cells = [(i, j, score(h, s, weights)[0]) for i, s in enumerate(seekers)
             for j, h in enumerate(helpers)
             if compatible(h, s) is None and score(h, s, weights)[0] > 0]
    if not cells:
        return 0.0
    a = lil_matrix((len(seekers) + len(helpers), len(cells)))
    for k, (i, j, _) in enumerate(cells):
        a[i, k] = 1
        a[len(seekers) + j, k] = 1
    b = [1] * len(seekers) + [max(h.capacity, 0) for h in helpers]
    result = linprog(c=[-v for _, _, v in cells], A_ub=a.tocsr(), b_ub=b, bounds=(0, 1),
                     method="highs")
    assert result.status == 0
    return -result.fun


def assert_admissible(helpers, seekers, weights, proposals: list[Proposal]):
    """Every hard constraint, checked directly (not only through ``compatible``)."""
    by_helper = {h.id: h for h in helpers}
    by_seeker = {s.id: s for s in seekers}
    seeker_counts = Counter(p.seeker_id for p in proposals)
    assert all(n == 1 for n in seeker_counts.values()), "a seeker is matched twice"
    helper_counts = Counter(p.helper_id for p in proposals)
    for helper_id, n in helper_counts.items():
        assert n <= by_helper[helper_id].capacity, "a helper is over capacity"
    for p in proposals:
        h, s = by_helper[p.helper_id], by_seeker[p.seeker_id]
        assert h.capacity > 0
        assert h.id not in s.excluded_helpers
        assert not (s.exclude_same_department and h.department is not None
                    and h.department == s.department)
        assert len(h.availability & s.availability) >= 1
        assert compatible(h, s) is None
        assert p.score > 0
        assert (p.score, p.explanation) == score(h, s, weights)
        assert sum(points for _, points in p.explanation) == pytest.approx(p.score)
    assert proposals == sorted(proposals, key=lambda p: (p.helper_id, p.seeker_id))


@st.composite
def instances(draw, max_helpers=30, max_seekers=80):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = random.Random(seed)
    helpers, seekers = random_instance(
        rng, draw(st.integers(0, max_helpers)), draw(st.integers(0, max_seekers)),
        max_capacity=draw(st.integers(0, 4)),
        n_exp=draw(st.integers(1, len(EXPERIENCES))), n_slots=draw(st.integers(1, len(SLOTS))))
    return helpers, seekers, random_weights(rng)


# --- Optimality -----------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(400))
def test_optimal_against_brute_force_on_small_instances(seed):
    rng = random.Random(seed)
    helpers, seekers = random_instance(rng, rng.randint(1, 4), rng.randint(1, 6),
                                       max_capacity=rng.choice([1, 2, 3]))
    weights = random_weights(rng) if seed % 3 == 0 else Weights()
    proposals = match(helpers, seekers, weights)
    assert_admissible(helpers, seekers, weights, proposals)
    assert total_score(proposals) == pytest.approx(brute_force_optimum(helpers, seekers, weights))


@pytest.mark.parametrize("seed", range(40))
def test_optimal_against_linear_programming_on_medium_instances(seed):
    rng = random.Random(10_000 + seed)
    helpers, seekers = random_instance(rng, rng.randint(5, 25), rng.randint(10, 60),
                                       max_capacity=rng.randint(1, 4))
    weights = random_weights(rng) if seed % 2 else Weights()
    proposals = match(helpers, seekers, weights)
    assert_admissible(helpers, seekers, weights, proposals)
    assert total_score(proposals) == pytest.approx(lp_optimum(helpers, seekers, weights))


def test_beats_greedy_where_greedy_is_short_sighted():
    # Seeker 1 is slightly better with helper 10, but seeker 2 can only go to helper 10:
    # greedy takes (10, 1) and leaves 2 alone; the optimum gives 1 to helper 20.
    both = frozenset({"lundi-matin"})
    helpers = [Helper(10, 1, frozenset({"sante-mentale", "cancer"}), "Lyon", both),
               Helper(20, 1, frozenset({"sante-mentale"}), "Lyon", both)]
    seekers = [Seeker(1, frozenset({"sante-mentale", "cancer"}), "Lyon", both),
               Seeker(2, frozenset({"cancer"}), "Lyon", both,
                      excluded_helpers=frozenset({20}))]
    greedy = greedy_match(helpers, seekers)
    best = match(helpers, seekers)
    assert [(p.helper_id, p.seeker_id) for p in greedy] == [(10, 1)]
    assert [(p.helper_id, p.seeker_id) for p in best] == [(10, 2), (20, 1)]
    assert total_score(best) == 5.0 + 5.0 > total_score(greedy) == 8.0


# --- Constraints on larger random instances (property-based) -------------------------------

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_constraint_holds_and_is_no_worse_than_greedy(instance):
    helpers, seekers, weights = instance
    proposals = match(helpers, seekers, weights)
    assert_admissible(helpers, seekers, weights, proposals)
    greedy = greedy_match(helpers, seekers, weights)
    assert_admissible(helpers, seekers, weights, greedy)
    best, baseline = total_score(proposals), total_score(greedy)
    assert best >= baseline - 1e-9
    assert baseline >= best / 2 - 1e-9            # greedy is a ½-approximation, not worse


@settings(max_examples=60, deadline=None)
@given(instances(max_helpers=15, max_seekers=40))
def test_no_admissible_pair_is_left_on_the_table(instance):
    """Maximality: no unmatched seeker has a positive allowed pair with a helper that has room."""
    helpers, seekers, weights = instance
    proposals = match(helpers, seekers, weights)
    matched = {p.seeker_id for p in proposals}
    used = Counter(p.helper_id for p in proposals)
    for s in seekers:
        if s.id in matched:
            continue
        for h in helpers:
            if used[h.id] < h.capacity and compatible(h, s) is None:
                assert score(h, s, weights)[0] <= 0


def test_every_constraint_holds_at_benchmark_size():
    rng = random.Random(2026)
    helpers, seekers = random_instance(rng, 500, 2000, max_capacity=4)
    helpers = [Helper(h.id, max(h.capacity, 1), h.experiences, h.site, h.availability,
                      h.department) for h in helpers]
    proposals = match(helpers, seekers)
    assert_admissible(helpers, seekers, Weights(), proposals)
    assert total_score(proposals) >= total_score(greedy_match(helpers, seekers))
    assert len(proposals) > 500     # not a trivial instance


# --- Explanations ---------------------------------------------------------------------------

def test_explanation_is_french_and_sums_to_the_score():
    h = Helper(1, 2, frozenset({"sante-mentale", "retour-emploi", "cancer"}), "Lyon",
               frozenset({"lundi-matin", "mardi-apres-midi", "jeudi-matin", "mercredi-soir"}))
    s = Seeker(2, frozenset({"sante-mentale", "retour-emploi"}), "Lyon",
               frozenset({"lundi-matin", "mardi-apres-midi", "jeudi-matin", "mercredi-soir"}))
    value, explanation = score(h, s, Weights())
    assert explanation == (
        ("2 expériences partagées : retour à l'emploi, santé mentale", 6.0),
        ("Même site : Lyon", 1.0),
        ("4 créneaux communs (3 comptés) : lundi matin, mardi après-midi, mercredi soir, jeudi "
         + "matin", 3.0),
    )
    assert value == 10.0 == sum(points for _, points in explanation)
    [proposal] = match([h], [s])
    assert (proposal.score, proposal.explanation) == (value, explanation)


def test_explanation_singular_and_zero_components_left_out():
    h = Helper(1, 1, frozenset({"cancer"}), "Lyon", frozenset({"vendredi-matin"}))
    s = Seeker(2, frozenset({"cancer"}), "Grenoble", frozenset({"vendredi-matin"}))
    value, explanation = score(h, s, Weights(site=5.0))
    assert explanation == (("1 expérience partagée : cancer", 3.0),
                           ("1 créneau commun : vendredi matin", 1.0))
    assert value == 4.0
    value, explanation = score(h, s, Weights(experience=0.0))
    assert explanation == (("1 créneau commun : vendredi matin", 1.0),)


@pytest.mark.parametrize("code, label", [("sante-mentale", "santé mentale"),
                                         ("retour-emploi", "retour à l'emploi"),
                                         ("inconnu-apres-sante", "inconnu après santé"),
                                         ("Santé mentale", "Santé mentale"),
                                         ("Après-cancer", "Après-cancer")])
def test_experience_labels(code, label):
    assert experience_label(code) == label


def test_slot_labels():
    assert slot_label("mardi-apres-midi") == "mardi après-midi"
    assert slot_label("lundi-matin") == "lundi matin"
    assert slot_label("creneau-special") == "creneau special"


def test_compatibility_reasons_are_french():
    slot = frozenset({"lundi-matin"})
    h = Helper(7, 1, frozenset(), "Lyon", slot, department="RH")
    s = Seeker(8, frozenset(), "Lyon", slot, department="RH")
    assert compatible(h, s) is None
    assert "place" in compatible(Helper(7, 0, frozenset(), "Lyon", slot), s)
    assert "exclu" in compatible(h, Seeker(8, frozenset(), None, slot,
                                           excluded_helpers=frozenset({7})))
    assert "service" in compatible(h, Seeker(8, frozenset(), None, slot, department="RH",
                                             exclude_same_department=True))
    assert compatible(h, Seeker(8, frozenset(), None, slot, department=None,
                                exclude_same_department=True)) is None
    assert "créneau" in compatible(h, Seeker(8, frozenset(), None,
                                             frozenset({"mardi-matin"})))


def test_only_positive_scores_are_proposed():
    slot = frozenset({"lundi-matin"})
    h = Helper(1, 3, frozenset({"cancer"}), None, slot)
    s = Seeker(2, frozenset({"cancer"}), None, slot)
    assert match([h], [s], Weights(experience=0.0, availability=0.0)) == []
    assert match([h], [s], Weights(experience=-1.0, availability=0.5)) == []
    assert len(match([h], [s], Weights(experience=0.0, availability=0.5))) == 1


# --- Determinism, empty and bad input ---------------------------------------------------------

def test_deterministic_whatever_the_input_order():
    rng = random.Random(7)
    helpers, seekers = random_instance(rng, 40, 150, max_capacity=3)
    # Many ties: only availability counts, capped at one slot.
    weights = Weights(experience=0.0, site=0.0, availability=1.0, max_common_slots=1)
    for w in (Weights(), weights):
        first = match(helpers, seekers, w)
        for _ in range(5):
            rng.shuffle(helpers)
            rng.shuffle(seekers)
            assert match(list(helpers), tuple(seekers), w) == first
            assert match(helpers, seekers, w) == first
        assert greedy_match(helpers, seekers, w) == greedy_match(helpers[::-1], seekers[::-1], w)


def test_empty_inputs():
    rng = random.Random(3)
    helpers, seekers = random_instance(rng, 5, 5)
    assert match([], seekers) == []
    assert match(helpers, []) == []
    assert match([], []) == []
    assert greedy_match([], seekers) == [] == greedy_match(helpers, [])
    assert match([Helper(1, 0, frozenset({"cancer"}), None, frozenset({"lundi-matin"}))],
                 [Seeker(2, frozenset({"cancer"}), None, frozenset({"lundi-matin"}))]) == []
    assert match(iter(helpers), (s for s in seekers)) == match(helpers, seekers)


def test_duplicate_ids_and_bad_weights_are_refused():
    slot = frozenset({"lundi-matin"})
    h = Helper(1, 1, frozenset(), None, slot)
    s = Seeker(1, frozenset(), None, slot)
    with pytest.raises(ValueError):
        match([h, h], [s])
    with pytest.raises(ValueError):
        match([h], [s, s])
    with pytest.raises(ValueError):
        Weights(experience=math.nan)
    with pytest.raises(ValueError):
        Weights(max_common_slots=-1)


def test_capacity_larger_than_the_demand_is_harmless():
    slot = frozenset({"lundi-matin"})
    helpers = [Helper(1, 10**6, frozenset({"cancer"}), None, slot)]
    seekers = [Seeker(i, frozenset({"cancer"}), None, slot) for i in range(1, 4)]
    proposals = match(helpers, seekers)
    assert [p.seeker_id for p in proposals] == [1, 2, 3]
    assert np.isclose(total_score(proposals), 12.0)


def test_the_engine_depends_on_neither_flask_nor_the_database():
    import ast
    from pathlib import Path

    import plugins.binomes.matching as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "collections", "dataclasses", "math", "re", "numpy",
                        "scipy"}
