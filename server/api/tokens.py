"""API bearer tokens: issued for an e-mail and password, listed, revoked."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from flask import abort, current_app
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from server.api import check_json_body

from server.api.schemas import IssuedTokenSchema, TokenRequestSchema, TokenSchema
from server.auth import two_factor
from server.auth.access import public, signed_in
from server.auth.models import ApiToken, User
from server.extensions import db, limiter, login_limit

blp = Blueprint("api_tokens", __name__, url_prefix="/api/v1/auth/tokens",
                description="Jetons d'accès à l'API")
blp.before_request(check_json_body)


@blp.route("")
class Tokens(MethodView):
    @signed_in
    @blp.doc(security=[{"bearer": []}, {"cookie": []}])
    @blp.response(200, TokenSchema(many=True))
    def get(self):
        """Your tokens (active and revoked)."""
        return db.session.execute(
            sa.select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id)
        ).scalars().all()

    @public
    @blp.arguments(TokenRequestSchema)
    @blp.response(201, IssuedTokenSchema)
    @limiter.limit(login_limit)
    def post(self, data):
        """Issue a token for an e-mail and password. The token is shown only in this answer."""
        user = User.authenticate(data["email"], data["password"])
        if user is None:
            _refuse("invalid_credentials")
        # A token is a way in: the second factor is asked here as on the log-in page.
        two_factor.check_for_token(user, data.get("code"), _refuse)
        token, secret = ApiToken.issue(user, data["name"], current_app.config["API_TOKEN_DAYS"])
        db.session.commit()
        token.token = secret  # shown once, never stored
        return token


def _refuse(code: str, message: str | None = None, message_en: str | None = None):
    from werkzeug.exceptions import Unauthorized

    exc = Unauthorized()
    exc.api_code = code
    exc.api_message, exc.api_message_en = message, message_en
    raise exc


@blp.route("/<int:token_id>")
@signed_in
class Token(MethodView):
    @blp.doc(security=[{"bearer": []}, {"cookie": []}])
    @blp.response(204)
    def delete(self, token_id: int):
        """Revoke one of your tokens (it stops working at once)."""
        token = db.session.get(ApiToken, token_id)
        if token is None or token.user_id != current_user.id:
            abort(404)
        if token.revoked_at is None:
            token.revoked_at = datetime.now(timezone.utc)
            db.session.commit()
        return None
