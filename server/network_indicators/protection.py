"""Statistical disclosure control of a table of counts and its margins (no database).

A table has rows and columns; the totals ("Ensemble") are cells too. Each cell knows its
value, the distinct people it counts and what each employer contributed to it.

1. **Primary suppression** (``primary_reasons``): a cell is published only if it counts at least
   ``min_people`` distinct people, comes from at least ``min_employers`` employers, and no
   employer contributes more than ``max_share`` of its value.
2. **Secondary suppression** (``protect``): in every line (a row or a column, with its total)
   that holds exactly one suppressed cell, the smallest other publishable cell is suppressed
   too, until no line holds a lone suppressed cell. Then an exact check: a suppressed cell is
   recomputable from the published ones iff its unit vector lies in the row space of the
   additivity constraints restricted to the suppressed cells (``determined``); while one is,
   the smallest publishable cell sharing a line with it is suppressed and the loop starts again.
   It ends: with every cell suppressed nothing is determined.
3. **Zeros protect nothing**: a hidden zero is easy to guess (no employer in that column), so
   both steps also run as if hidden zeros were published: a line whose only hidden non-zero
   cell sits beside hidden zeros gets another cell hidden, and no hidden non-zero cell may be
   recomputable from the published cells plus the hidden zeros. (A publishable cell is never
   zero: a zero comes from no employer.)
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TOTAL = "_total"
PRIMARY = "primary"
SECONDARY = "secondary"


@dataclass(frozen=True)
class Rules:
    min_people: int = 11
    min_employers: int = 3
    #: Largest share of a cell's value one employer may contribute (0.85: 85 %).
    max_share: float = 0.85


@dataclass
class Cell:
    value: float
    #: Distinct people behind the value.
    people: int
    #: Employer (any key) → its part of the value. Never stored, never shown.
    contributions: dict = field(default_factory=dict)


@dataclass
class Table:
    """Cells keyed ``(row, column)``, totals included (``TOTAL`` as row or column key).

    ``row_totals``: each row has a total column (the row's sum). ``column_totals``: each
    column has a total row (the column's sum); off when rows are unlike quantities."""

    rows: list
    columns: list
    cells: dict
    row_totals: bool = True
    column_totals: bool = True

    def lines(self) -> list[tuple[tuple, list[tuple]]]:
        """Additivity constraints: (total cell, its part cells)."""
        out = []
        row_keys = list(self.rows) + ([TOTAL] if self.column_totals else [])
        col_keys = list(self.columns) + ([TOTAL] if self.row_totals else [])
        if self.row_totals:
            for r in row_keys:
                out.append(((r, TOTAL), [(r, c) for c in self.columns]))
        if self.column_totals:
            for c in col_keys:
                out.append(((TOTAL, c), [(r, c) for r in self.rows]))
        return out

    def keys(self) -> list[tuple]:
        row_keys = list(self.rows) + ([TOTAL] if self.column_totals else [])
        col_keys = list(self.columns) + ([TOTAL] if self.row_totals else [])
        return [(r, c) for r in row_keys for c in col_keys]


def _sum_cells(cells: list[Cell], people: int) -> Cell:
    contributions: dict = {}
    for cell in cells:
        for who, part in cell.contributions.items():
            contributions[who] = contributions.get(who, 0) + part
    return Cell(sum(c.value for c in cells), people, contributions)


def with_totals(rows: list, columns: list, cells: dict, people: dict | None = None,
                column_totals: bool = True) -> Table:
    """A table from its inner cells, its totals computed. ``people`` gives the distinct people
    of a total cell when known (a person may sit in two inner cells); otherwise the sum."""
    people = people or {}
    cells = dict(cells)
    for r in rows:
        parts = [cells[(r, c)] for c in columns]
        cells[(r, TOTAL)] = _sum_cells(parts, people.get((r, TOTAL), sum(p.people for p in parts)))
    if column_totals:
        for c in list(columns) + [TOTAL]:
            parts = [cells[(r, c)] for r in rows]
            cells[(TOTAL, c)] = _sum_cells(parts, people.get((TOTAL, c),
                                                              sum(p.people for p in parts)))
    return Table(list(rows), list(columns), cells, row_totals=True, column_totals=column_totals)


def primary_reasons(cell: Cell, rules: Rules) -> list[str]:
    """Why a cell may not be published (empty: it may)."""
    reasons = []
    if cell.people < rules.min_people:
        reasons.append("people")
    employers = [v for v in cell.contributions.values() if v]
    if len(employers) < rules.min_employers:
        reasons.append("employers")
    if cell.value and employers and max(employers) > rules.max_share * cell.value:
        reasons.append("dominance")
    return reasons


def constraint_matrix(table: Table, keys: list[tuple]) -> np.ndarray:
    """One row per line: +1 for the total, -1 for each part (A x = 0)."""
    index = {k: i for i, k in enumerate(keys)}
    lines = table.lines()
    matrix = np.zeros((len(lines), len(keys)))
    for n, (total, parts) in enumerate(lines):
        matrix[n, index[total]] += 1
        for p in parts:
            matrix[n, index[p]] -= 1
    return matrix


def determined(table: Table, suppressed: set) -> list[tuple]:
    """Suppressed cells whose value follows exactly from the published cells."""
    keys = table.keys()
    hidden = [k for k in keys if k in suppressed]
    if not hidden:
        return []
    matrix = constraint_matrix(table, keys)
    columns = [keys.index(k) for k in hidden]
    sub = matrix[:, columns]
    sub = sub[np.any(sub != 0, axis=1)]
    rank = np.linalg.matrix_rank(sub) if len(sub) else 0
    out = []
    for i, key in enumerate(hidden):
        unit = np.zeros((1, len(hidden)))
        unit[0, i] = 1
        stacked = np.vstack([sub, unit]) if len(sub) else unit
        if np.linalg.matrix_rank(stacked) == rank:
            out.append(key)
    return out


def exposed_cells(table: Table, status: dict) -> list[tuple]:
    """Hidden cells that can be recomputed: from the published cells, or from the published
    cells and the hidden zeros (a zero is easy to guess, so it must not be what protects a
    small figure)."""
    hidden = {k for k, reason in status.items() if reason is not None}
    return determined(table, hidden) or determined(
        table, {k for k in hidden if table.cells[k].value})


def protect(table: Table, rules: Rules = Rules()) -> dict:
    """``{cell key: None | "primary" | "secondary"}`` for every cell of the table."""
    keys = table.keys()
    status = {k: (PRIMARY if primary_reasons(table.cells[k], rules) else None) for k in keys}
    lines = table.lines()

    def value(k):
        return (table.cells[k].value, str(k))

    def suppress_smallest(candidates) -> bool:
        free = [k for k in candidates if status[k] is None]
        if not free:
            return False
        status[min(free, key=value)] = SECONDARY
        return True

    while True:
        changed = True
        while changed:
            changed = False
            for total, parts in lines:
                line = [total, *parts]
                hidden = [k for k in line if status[k] is not None]
                nonzero = [k for k in hidden if table.cells[k].value]
                lone = hidden if len(hidden) == 1 else nonzero if len(nonzero) == 1 else None
                if lone:
                    changed |= suppress_smallest(k for k in line if k != lone[0])
        exposed = exposed_cells(table, status)
        if not exposed:
            return status
        target = exposed[0]
        neighbours = [k for total, parts in lines if target in (total, *parts)
                      for k in (total, *parts) if k != target]
        # Every neighbour already hidden yet the cell is exposed: hide the smallest cell.
        if not suppress_smallest(neighbours) and not suppress_smallest(keys):
            return status
