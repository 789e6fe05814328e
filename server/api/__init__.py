"""The JSON API under /api/v1/, described at /api/v1/openapi.json."""
from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from flask_smorest import Api

from server.api.schemas import ErrorSchema
from server.extensions import csrf

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def check_json_body():
    """Writes carry JSON of a bounded size, or no body at all."""
    if request.method not in WRITE_METHODS:
        return None
    length = request.content_length
    has_body = bool(length) or request.headers.get("Transfer-Encoding") == "chunked"
    if not has_body:
        return None
    if request.mimetype != "application/json":
        raise UnsupportedMediaType()
    if length is not None and length > current_app.config["API_MAX_JSON_BYTES"]:
        raise RequestEntityTooLarge()
    return None


class EntrepairsApi(Api):
    # The document describes the errors server/errors.py really sends, not flask-smorest's.
    ERROR_SCHEMA = ErrorSchema

    def _register_pagination_header(self):
        # X-Pagination carries JSON: OpenAPI says so with `content`; a `schema` would mean
        # the "key,value,…" serialisation of an object.
        from flask_smorest.pagination import PaginationMetadataSchema

        self.spec.components.header("PAGINATION", {
            "description": "Pagination metadata",
            "content": {"application/json": {"schema": PaginationMetadataSchema}},
        }, lazy=True)


def register_api(app) -> None:
    """One ``Api`` per application (flask-smorest keeps per-app state on it)."""
    from server.api import agenda, employer, invitations, me, tokens

    api = EntrepairsApi(app)
    app.extensions["entrepairs.api"] = api
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "Jeton ep_… (POST /api/v1/auth/tokens)"}
    )
    api.spec.components.security_scheme(
        "cookie", {"type": "apiKey", "in": "cookie", "name": "session"}
    )
    for blp in (tokens.blp, me.blp, employer.blp, invitations.blp, agenda.blp):
        csrf.exempt(blp)  # cookie-authenticated writes are checked in enforce_access
        api.register_blueprint(blp)
