"""GET /api/v1/reseau/indicateurs: the stored, protected network indicators."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from server.api import check_json_body
from server.auth.access import network_role
from server.network_indicators import service
from server.network_indicators.views import ROLES

blp = Blueprint("api_network_indicators", __name__, url_prefix="/api/v1/reseau/indicateurs",
                description="Indicateurs du réseau, protégés par le secret statistique")
blp.before_request(check_json_body)


class IndicatorRunSchema(Schema):
    id = fields.Integer()
    finished_at = fields.DateTime()
    employers_read = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date()


class IndicatorCellSchema(Schema):
    column = fields.String(metadata={"description": "Clé de la colonne (`_total` : ensemble)"})
    value = fields.Float(allow_none=True, metadata={
        "description": "Valeur publiée ; null quand la case est couverte par le secret "
                       "statistique"})
    suppressed = fields.Boolean()
    reason = fields.String(allow_none=True, metadata={
        "description": "`primary` (la case ne respecte pas les règles) ou `secondary` "
                       "(masquée pour qu'une autre ne puisse pas être recalculée)"})


class IndicatorRowSchema(Schema):
    key = fields.String()
    label = fields.String()
    cells = fields.List(fields.Nested(IndicatorCellSchema))


class IndicatorColumnSchema(Schema):
    key = fields.String()
    label = fields.String()


class IndicatorTableSchema(Schema):
    key = fields.String()
    title = fields.String()
    unit = fields.String()
    summary = fields.String()
    columns = fields.List(fields.Nested(IndicatorColumnSchema))
    rows = fields.List(fields.Nested(IndicatorRowSchema))


class IndicatorRulesSchema(Schema):
    min_people = fields.Integer()
    min_employers = fields.Integer()
    max_share = fields.Float()


class IndicatorsSchema(Schema):
    run = fields.Nested(IndicatorRunSchema, allow_none=True)
    in_progress = fields.Boolean()
    rules = fields.Nested(IndicatorRulesSchema)
    tables = fields.List(fields.Nested(IndicatorTableSchema))


def document() -> dict:
    run = service.latest_done()
    tables = service.tables_of(run)
    return {
        "run": None if run is None else {
            "id": run.id, "finished_at": run.finished_at, "employers_read": run.employers_read,
            "period_start": run.period_start, "period_end": run.period_end},
        "in_progress": service.in_progress() is not None,
        "rules": service.rules(),
        "tables": [{
            "key": t.key, "title": t.info.title, "unit": t.info.unit, "summary": t.info.summary,
            "columns": [{"key": k, "label": label} for k, label in t.columns],
            "rows": [{"key": key, "label": label, "cells": [
                {"column": c.column_key, "value": c.value, "suppressed": c.value is None,
                 "reason": c.reason} for c in cells]} for key, label, cells in t.rows],
        } for t in tables],
    }


@blp.route("")
@network_role(*ROLES)
class Indicators(MethodView):
    @blp.doc(security=[{"bearer": []}, {"cookie": []}])
    @blp.response(200, IndicatorsSchema)
    def get(self):
        """The last computed network indicators: published cells and hidden ones (null)."""
        return document()
