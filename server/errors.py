"""One error shape. Pages get a French error page; the API gets

    {"error": {"status": 404, "code": "not_found", "message": "…", "message_en": "…",
               "details": {...}}}

and no error ever leaves as a bare 500 traceback."""
from __future__ import annotations

from flask import g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from server.auth.access import is_api_request

#: status → (code, French message, English message)
MESSAGES = {
    400: ("bad_request", "La requête est invalide.", "The request is invalid."),
    401: ("authentication_required", "Vous devez vous connecter.", "Authentication required."),
    403: ("forbidden", "Vous n'avez pas accès à cette page.", "You may not access this resource."),
    404: ("not_found", "Cette page n'existe pas ou vous n'y avez pas accès.",
          "Not found, or you do not have access to it."),
    405: ("method_not_allowed", "Cette action n'est pas possible ici.",
          "Method not allowed on this resource."),
    409: ("conflict", "Cette action est en conflit avec l'état actuel.",
          "Conflict with the current state."),
    413: ("payload_too_large", "Les données envoyées sont trop volumineuses.",
          "The request body is too large."),
    415: ("unsupported_media_type", "Envoyez les données au format JSON (application/json).",
          "Send the body as JSON (application/json)."),
    422: ("validation_error", "Certaines données sont invalides.", "Some fields are invalid."),
    429: ("too_many_requests", "Trop de tentatives. Patientez une minute avant de réessayer.",
          "Too many attempts. Wait a minute and try again."),
    500: ("server_error", "Une erreur est survenue de notre côté. Réessayez plus tard.",
          "Something went wrong on our side. Try again later."),
    503: ("unavailable", "Le service est momentanément indisponible.",
          "The service is temporarily unavailable."),
}

#: Specific causes that a client may want to tell apart (code → French, English).
SPECIFIC = {
    "invalid_token": ("Ce jeton d'accès est invalide, expiré ou révoqué.",
                      "This access token is invalid, expired or revoked."),
    "malformed_authorization": ("L'en-tête Authorization doit être « Bearer <jeton> ».",
                                "The Authorization header must be 'Bearer <token>'."),
    "invalid_credentials": ("Adresse e-mail ou mot de passe incorrect.",
                            "Wrong e-mail address or password."),
    "malformed_json": ("Le corps de la requête n'est pas du JSON valide.",
                       "The request body is not valid JSON."),
    "csrf_failed": ("Le formulaire a expiré ou n'est pas valide. Rechargez la page et réessayez.",
                    "The CSRF token is missing or invalid."),
}


def api_error(status: int, code: str | None = None, details=None, message=None,
              message_en=None):
    base_code, fr, en = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    if code in SPECIFIC:
        fr, en = SPECIFIC[code]
    body = {
        "status": status,
        "code": code or base_code,
        "message": message or fr,
        "message_en": message_en or en,
    }
    if details:
        body["details"] = details
    response = jsonify({"error": body})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="entrepairs"'
    return response


def handle_http_exception(exc: HTTPException):
    status = exc.code or 500
    if status == 403:  # refused by a view itself (the access rules log their own)
        from server.auth.access import record_refusal

        record_refusal(403, "view")
    if is_api_request():
        code = None
        details = None
        if isinstance(exc, CSRFError):
            code = "csrf_failed"
        elif status == 401:
            code = g.get("auth_error")
        data = getattr(exc, "data", None) or {}
        if status == 422 and "messages" in data:
            details = data["messages"]
        elif status == 400 and "messages" in data:
            code = "malformed_json"
            details = data["messages"]
        custom = getattr(exc, "api_code", None)
        if custom:
            code = custom
        response = api_error(status, code, details, message=getattr(exc, "api_message", None),
                             message_en=getattr(exc, "api_message_en", None))
        if getattr(exc, "valid_methods", None):  # a 405 names what is allowed (RFC 9110)
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response
    if isinstance(exc, CSRFError):
        message = SPECIFIC["csrf_failed"][0]
    else:
        message = MESSAGES.get(status, MESSAGES[500])[1]
    return render_template("errors/error.html", status=status, message=message), status


def handle_unexpected(exc: Exception):
    from flask import current_app

    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return handle_http_exception(InternalServerError())


def handle_unavailable(exc: Exception):
    """PostgreSQL (or Redis) away: 503 with a French page or the JSON error, never a 500. The
    pool recovers by itself (``pool_pre_ping``); the client may try again shortly."""
    from flask import current_app

    from server.extensions import db

    current_app.logger.warning("Service unavailable on %s %s: %s", request.method, request.path,
                               exc.__class__.__name__)
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: nothing to roll back
        current_app.logger.debug("rollback after an unreachable database failed")
    if is_api_request():
        response = api_error(503)
    else:
        # Rendered for an anonymous visitor: loading the account would need the database.
        g._login_user = current_app.login_manager.anonymous_user()
        try:
            body = render_template("errors/error.html", status=503, message=MESSAGES[503][1])
        except Exception:  # noqa: BLE001 — any failure here must still give the 503 page
            body = f"<!doctype html><html lang=\"fr\"><title>Service indisponible</title>" \
                   f"<h1>Service indisponible</h1><p>{MESSAGES[503][1]} Réessayez dans " \
                   f"quelques instants.</p></html>"
        response = current_app.make_response((body, 503))
    response.headers["Retry-After"] = "5"
    response.headers["Cache-Control"] = "no-store"
    return response


def release_session(exc: BaseException | None = None) -> None:
    """``teardown_appcontext``: end the request's session. If PostgreSQL went away after the
    response was made, the rollback that closing does fails; the connection is then dropped
    (the pool opens a new one) instead of the error escaping the request after its response."""
    from sqlalchemy.exc import DBAPIError

    from server.extensions import db

    try:
        db.session.remove()
    except DBAPIError as error:
        if not database_unreachable(error):
            raise
        db.session().invalidate()
        db.session.remove()


def init_app(app) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from sqlalchemy.exc import DBAPIError

    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
    for unavailable in (DBAPIError, RedisConnectionError, RedisTimeoutError):
        app.register_error_handler(unavailable, _only_when_unreachable)


def _only_when_unreachable(exc: Exception):
    """Database errors that say the server is unreachable (connection refused, closed, shut
    down) become 503; any other database error stays a bug (500)."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError) and not database_unreachable(exc):
        return handle_unexpected(exc)
    return handle_unavailable(exc)


def database_unreachable(exc) -> bool:
    import psycopg

    if exc.connection_invalidated:
        return True
    orig = getattr(exc, "orig", None)
    if isinstance(orig, (psycopg.OperationalError, psycopg.InterfaceError)):
        return True
    # 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, class 08: connection
    sqlstate = getattr(orig, "sqlstate", None) or ""
    return sqlstate.startswith("08") or sqlstate in ("57P01", "57P02", "57P03")
