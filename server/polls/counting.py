"""Counting ballots. Pure functions: no database, no Flask.

Approval: each ballot is a set of options; an option's score is the number of ballots naming it.
Ranked: each ballot lists options from most to least preferred (options it leaves out rank
together below every listed one); counted by the Schulze method (M. Schulze, « A new monotonic,
clone-independent, reversal symmetric, and Condorcet-consistent single-winner election method »,
Social Choice and Welfare 36, 2011), with ties reported as ties, never broken.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ApprovalResult:
    options: tuple
    ballots: int
    #: option → number of ballots that approved it.
    scores: dict
    #: Tiers from best to worst; options of one tier have the same score (a tie).
    ranking: tuple[tuple, ...]

    @property
    def winners(self) -> tuple:
        return self.ranking[0] if self.ranking else ()


@dataclass(frozen=True)
class SchulzeResult:
    options: tuple
    ballots: int
    #: d[i][j]: ballots preferring options[i] to options[j].
    pairwise: tuple[tuple[int, ...], ...]
    #: p[i][j]: strength of the strongest path from options[i] to options[j].
    strongest: tuple[tuple[int, ...], ...]
    #: Tiers from best to worst; options of one tier are tied (neither beats the other).
    ranking: tuple[tuple, ...] = field(default=())

    @property
    def winners(self) -> tuple:
        return self.ranking[0] if self.ranking else ()


def count_approval(options: Sequence[Hashable], ballots: Iterable[Iterable[Hashable]]
                   ) -> ApprovalResult:
    """Scores of ``options`` over ``ballots`` (each a collection of options, duplicates and
    unknown options already refused by the caller)."""
    options = tuple(options)
    known = set(options)
    scores = {o: 0 for o in options}
    total = 0
    for ballot in ballots:
        total += 1
        for choice in set(ballot):
            if choice not in known:
                raise ValueError(f"unknown option {choice!r}")
            scores[choice] += 1
    levels = sorted({s for s in scores.values()}, reverse=True)
    ranking = tuple(tuple(o for o in options if scores[o] == level) for level in levels)
    return ApprovalResult(options=options, ballots=total, scores=scores, ranking=ranking)


def pairwise_preferences(options: Sequence[Hashable],
                         ballots: Iterable[Sequence[Hashable]]) -> tuple[list[list[int]], int]:
    """The matrix d and the number of ballots. A ballot ranks the options it lists in order;
    the options it leaves out are tied below all of them."""
    index = {o: i for i, o in enumerate(options)}
    n = len(options)
    d = [[0] * n for _ in range(n)]
    total = 0
    for ballot in ballots:
        total += 1
        positions = [index[o] for o in ballot]
        if len(set(positions)) != len(positions):
            raise ValueError("an option is ranked twice")
        listed = set(positions)
        unlisted = [i for i in range(n) if i not in listed]
        for rank, i in enumerate(positions):
            for j in positions[rank + 1:]:
                d[i][j] += 1
            for j in unlisted:
                d[i][j] += 1
    return d, total


def strongest_paths(d: Sequence[Sequence[int]]) -> list[list[int]]:
    """Schulze's widest paths (a Floyd–Warshall variant) over the links d[i][j] > d[j][i]."""
    n = len(d)
    p = [[d[i][j] if i != j and d[i][j] > d[j][i] else 0 for j in range(n)] for i in range(n)]
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            pji = p[j][i]
            if not pji:
                continue
            row_j, row_i = p[j], p[i]
            for k in range(n):
                if k != i and k != j:
                    via = pji if pji < row_i[k] else row_i[k]
                    if via > row_j[k]:
                        row_j[k] = via
    return p


def rank_by_paths(options: Sequence[Hashable], p: Sequence[Sequence[int]]) -> tuple[tuple, ...]:
    """Tiers: each tier holds the remaining options that no remaining option beats
    (i beats j when p[i][j] > p[j][i]; Schulze proves this relation transitive)."""
    remaining = list(range(len(options)))
    tiers = []
    while remaining:
        top = [i for i in remaining
               if not any(p[j][i] > p[i][j] for j in remaining if j != i)]
        if not top:  # impossible for a transitive relation; keep the rest together, honestly
            top = list(remaining)
        tiers.append(tuple(options[i] for i in top))
        remaining = [i for i in remaining if i not in top]
    return tuple(tiers)


def count_schulze(options: Sequence[Hashable], ballots: Iterable[Sequence[Hashable]]
                  ) -> SchulzeResult:
    options = tuple(options)
    d, total = pairwise_preferences(options, ballots)
    p = strongest_paths(d)
    return SchulzeResult(options=options, ballots=total,
                         pairwise=tuple(tuple(r) for r in d),
                         strongest=tuple(tuple(r) for r in p),
                         ranking=rank_by_paths(options, p))
