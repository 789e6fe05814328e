from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from server.api import check_json_body

from server.api.schemas import MeSchema
from server.auth.access import signed_in
from server.auth.views import spaces_of

blp = Blueprint("api_me", __name__, url_prefix="/api/v1/me", description="La personne connectée")
blp.before_request(check_json_body)


@blp.route("")
@signed_in
class Me(MethodView):
    @blp.doc(security=[{"bearer": []}, {"cookie": []}])
    @blp.response(200, MeSchema)
    def get(self):
        """Who you are, your network roles and your employer spaces."""
        return {
            "id": current_user.id,
            "email": current_user.email,
            "display_name": current_user.display_name,
            "network_roles": sorted(current_user.network_role_names()),
            "spaces": spaces_of(current_user),
        }
