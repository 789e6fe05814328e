"""Binding tenant tables to the current employer's schema.

The session asks for its engine through ``get_bind`` when it opens a connection; we answer with
the same engine (same pool) carrying ``schema_translate_map={"tenant": <schema>}``. SQLAlchemy
renders schema names at execution time, so compiled statements stay cached across tenants.
"""
from __future__ import annotations

from flask_sqlalchemy.session import Session as FlaskSession

from tenants.context import TENANT_SCHEMA, current_schema

#: (engine id, schema) -> (engine, engine with the translate map). Option engines share the
#: parent's pool, so keeping one per employer costs a small object each.
_bound: dict[tuple[int, str], tuple[object, object]] = {}


def engine_for_schema(engine, schema: str):
    key = (id(engine), schema)
    cached = _bound.get(key)
    if cached is None or cached[0] is not engine:
        cached = (engine, engine.execution_options(schema_translate_map={TENANT_SCHEMA: schema}))
        _bound[key] = cached
    return cached[1]


class TenantScopedSession(FlaskSession):
    """Flask-SQLAlchemy's session, bound to the current tenant's schema."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is not None:
            return bind
        engine = super().get_bind(mapper=mapper, clause=clause, **kwargs)
        return engine_for_schema(engine, current_schema())
