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
        return api_error(status, code, details, message=getattr(exc, "api_message", None),
                         message_en=getattr(exc, "api_message_en", None))
    if isinstance(exc, CSRFError):
        message = SPECIFIC["csrf_failed"][0]
    else:
        message = MESSAGES.get(status, MESSAGES[500])[1]
    return render_template("errors/error.html", status=status, message=message), status


def handle_unexpected(exc: Exception):
    from flask import current_app

    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return handle_http_exception(InternalServerError())


def init_app(app) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
