"""Employer-space API: /api/v1/e/<tenant>/..."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, g
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from server.api import check_json_body

from server.api.pagination import SelectPage
from server.api.schemas import EmployerSchema, ProfileSchema, WelcomeSchema
from server.audit import record, record_access
from server.auth.access import employer_role
from server.employers.models import Profile
from server.employers.settings import WELCOME_KEY, get_setting, set_setting
from server.extensions import db
from tenants import current_tenant

blp = Blueprint("api_employer", __name__, url_prefix="/api/v1/e/<tenant>",
                description="Un espace employeur")
blp.before_request(check_json_body)
SECURITY = [{"bearer": []}, {"cookie": []}]


def _employer_payload():
    tenant = current_tenant()
    return {
        "slug": tenant.slug,
        "name": tenant.name,
        "roles": sorted(g.employer_roles),
        "welcome": get_setting(WELCOME_KEY, ""),
    }


@blp.route("/")
@employer_role()
class Employer(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, EmployerSchema)
    def get(self):
        """The employer space as you see it."""
        return _employer_payload()


@blp.route("/welcome")
@employer_role("referent")
class Welcome(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(WelcomeSchema)
    @blp.response(200, EmployerSchema)
    def put(self, data):
        """Change the space's welcome message (référents)."""
        set_setting(WELCOME_KEY, data["welcome"].strip(), current_user.id)
        record("update", "space_setting", WELCOME_KEY)
        db.session.commit()
        return _employer_payload()


@blp.route("/people")
@employer_role("referent")
class People(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, ProfileSchema(many=True))
    @blp.paginate(SelectPage, page_size=50, max_page_size=200)
    def get(self):
        """People of the programme: names, sites and statuses only."""
        record_access("read", "participants", api=True)
        return sa.select(Profile).order_by(Profile.id)


@blp.route("/people/<int:profile_id>")
@employer_role("referent")
class Person(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, ProfileSchema)
    def get(self, profile_id: int):
        """One person of the programme."""
        profile = db.session.get(Profile, profile_id)
        if profile is None:
            abort(404)
        record_access("read", "profile", profile.id)
        return profile
