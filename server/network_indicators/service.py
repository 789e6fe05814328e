"""Reading the stored network indicators (the page, its CSV and the API read only these)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from server.extensions import db
from server.network_indicators.models import IndicatorCell, IndicatorRun

#: A run pending or running for longer than this is considered lost (a worker died).
STALE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class TableInfo:
    title: str
    #: What the numbers are, in words (for captions and the CSV).
    unit: str
    summary: str


TABLES = {
    "programmes": TableInfo(
        "Programmes par modèle", "programmes",
        "Nombre d'employeurs ayant activé chaque modèle de pair-aidance, par fonction publique."),
    "personnes": TableInfo(
        "Personnes inscrites par rôle", "inscriptions",
        "Pair-aidants et pair-aidés inscrits dans les espaces employeurs, par fonction publique. "
        "Une personne inscrite dans deux rôles ou chez deux employeurs compte deux fois."),
    "activite": TableInfo(
        "Activité des programmes", "selon la ligne",
        "Binômes actifs, séances et rencontres tenues et autres indicateurs des modèles, sur "
        "les douze derniers mois, par fonction publique. Les lignes ne s'additionnent pas "
        "entre elles."),
    "satisfaction": TableInfo(
        "Réponses aux questionnaires de satisfaction", "réponses",
        "Nombre de réponses anonymes aux questionnaires, sur les douze derniers mois."),
    "satisfaction_moyenne": TableInfo(
        "Note moyenne de satisfaction", "note sur 5",
        "Note moyenne sur 5, montrée quand le nombre de réponses est publié et atteint au "
        "moins 5."),
}


@dataclass
class StoredTable:
    key: str
    info: TableInfo
    columns: list = field(default_factory=list)  # [(key, label)]
    rows: list = field(default_factory=list)  # [(key, label, [cell, ...])]

    @property
    def chart_rows(self) -> list[tuple[str, float]]:
        """Published totals by row (for the chart), margins left out."""
        out = []
        for key, label, cells in self.rows:
            if key == "_total":
                continue
            total = cells[-1]
            if total.value is not None:
                value = total.value
                out.append((label, int(value) if value == int(value) else value))
        return out

    @property
    def hidden(self) -> int:
        return sum(1 for _, _, cells in self.rows for c in cells if c.value is None)


def latest_done() -> IndicatorRun | None:
    return db.session.execute(
        sa.select(IndicatorRun).where(IndicatorRun.status == "done")
        .order_by(IndicatorRun.finished_at.desc(), IndicatorRun.id.desc()).limit(1)
    ).scalar_one_or_none()


def in_progress() -> IndicatorRun | None:
    since = datetime.now(UTC) - STALE_AFTER
    return db.session.execute(
        sa.select(IndicatorRun).where(IndicatorRun.status.in_(("pending", "running")),
                                      IndicatorRun.requested_at >= since)
        .order_by(IndicatorRun.id.desc()).limit(1)).scalar_one_or_none()


def tables_of(run: IndicatorRun | None) -> list[StoredTable]:
    if run is None:
        return []
    cells = db.session.execute(
        sa.select(IndicatorCell).where(IndicatorCell.run_id == run.id)
        .order_by(IndicatorCell.id)).scalars().all()
    tables: dict[str, StoredTable] = {}
    rows: dict[tuple, list] = {}
    for cell in cells:
        info = TABLES.get(cell.table_key)
        if info is None:
            continue
        table = tables.setdefault(cell.table_key, StoredTable(cell.table_key, info))
        if (cell.column_key, cell.column_label) not in table.columns:
            table.columns.append((cell.column_key, cell.column_label))
        row = rows.get((cell.table_key, cell.row_key))
        if row is None:
            row = rows[(cell.table_key, cell.row_key)] = []
            table.rows.append((cell.row_key, cell.row_label, row))
        row.append(cell)
    return [tables[k] for k in TABLES if k in tables]


def rules() -> dict:
    config = current_app.config
    return {"min_people": int(config["NETWORK_INDICATORS_MIN_PEOPLE"]),
            "min_employers": int(config["NETWORK_INDICATORS_MIN_EMPLOYERS"]),
            "max_share": float(config["NETWORK_INDICATORS_MAX_SHARE"])}


def _fr(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def to_csv(run: IndicatorRun, tables: list[StoredTable]) -> bytes:
    """The published cells only (UTF-8 with a BOM and semicolons, as French Excel opens it)."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(["Tableau", "Ligne", "Colonne", "Valeur", "Unité"])
    for table in tables:
        for _key, label, cells in table.rows:
            for cell in cells:
                if cell.value is not None:
                    w.writerow([table.info.title, label, cell.column_label, _fr(cell.value),
                                table.info.unit])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
