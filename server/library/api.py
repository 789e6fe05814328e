"""Library API: /api/v1/reseau/ressources. Members read published resources; animateurs and
network admins also read drafts and archives, create and change resources."""
from __future__ import annotations

from flask import abort, url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import Conflict, Forbidden, UnprocessableEntity

from server.api import check_json_body
from server.api.pagination import SelectPage
from server.auth.access import network_role, signed_in
from server.extensions import db
from server.library import service
from server.library.models import AUDIENCES, KINDS, STATUSES, THEMES, TOOLS, WORKFLOW_KINDS
from tenants.registry import SECTORS

blp = Blueprint("api_library", __name__, url_prefix="/api/v1/reseau/ressources",
                description="Bibliothèque de ressources du réseau")
blp.before_request(check_json_body)
SECURITY = [{"bearer": []}, {"cookie": []}]
EDITORS = ("animateur", "admin")


class LibraryAttachmentSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    media_type = fields.String()
    size = fields.Integer()
    url = fields.Function(lambda a: url_for("library.download", resource_id=a.resource_id,
                                            attachment_id=a.id))


class LibraryResourceSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(KINDS)})
    kind_label = fields.String()
    title = fields.String()
    summary = fields.String()
    body = fields.String()
    themes = fields.List(fields.String(metadata={"enum": list(THEMES)}))
    audience = fields.String(metadata={"enum": list(AUDIENCES)})
    published_on = fields.Date()
    status = fields.String(metadata={"enum": list(STATUSES)})
    tool = fields.String(allow_none=True, metadata={"enum": list(TOOLS)})
    version = fields.Integer(metadata={"description": "Send it back with a change (409 when "
                                                      "someone changed the resource meanwhile)."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    url = fields.Function(lambda r: url_for("library.show", resource_id=r.id))
    attachments = fields.List(fields.Nested(LibraryAttachmentSchema))


class LibraryListArgsSchema(Schema):
    q = fields.String(load_default="", metadata={"description": "French words; accents "
                                                  "are ignored. Best matches first."})
    theme = fields.String(load_default="", metadata={"enum": list(THEMES)})
    kind = fields.String(load_default="", metadata={"enum": list(KINDS)})
    status = fields.String(load_default="", metadata={"enum": list(STATUSES),
                                                      "description": "Editors only."})
    model = fields.String(load_default="", metadata={
        "description": "Employers' best practices of this programme model: one of the "
                       "models installed on this server (binomes, groupes, permanences, "
                       "interventions by default) or autre; 422 otherwise."})
    sector = fields.String(load_default="", metadata={
        "enum": list(SECTORS), "description": "Employers' best practices of this sector."})


_TEXT = validate.Length(max=200_000)


class LibraryResourceWriteSchema(Schema):
    kind = fields.String(required=True, validate=validate.Length(max=40))
    title = fields.String(required=True, validate=_TEXT)
    summary = fields.String(required=True, validate=_TEXT)
    body = fields.String(load_default="", validate=_TEXT)
    themes = fields.List(fields.String(validate=validate.Length(max=100)), load_default=list,
                         validate=validate.Length(max=50))
    audience = fields.String(load_default="tous", validate=validate.Length(max=40))
    published_on = fields.String(required=True, validate=validate.Length(max=40),
                                 metadata={"description": "aaaa-mm-jj or jj/mm/aaaa"})
    tool = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))


class LibraryResourcePatchSchema(LibraryResourceWriteSchema):
    kind = fields.String(validate=validate.Length(max=40))
    title = fields.String(validate=_TEXT)
    summary = fields.String(validate=_TEXT)
    body = fields.String(validate=_TEXT)
    themes = fields.List(fields.String(validate=validate.Length(max=100)),
                         validate=validate.Length(max=50))
    audience = fields.String(validate=validate.Length(max=40))
    published_on = fields.String(validate=validate.Length(max=40))
    tool = fields.String(allow_none=True, validate=validate.Length(max=40))
    status = fields.String(validate=validate.OneOf(list(STATUSES), error="Cet état n'existe "
                                                   "pas : brouillon, publie ou archive."))
    version = fields.Integer(required=True, strict=True)


def _invalid(errors: dict[str, str]):
    exc = UnprocessableEntity()
    exc.data = {"messages": {"json": {k: [v] for k, v in errors.items()}}}
    raise exc


def _require_reader() -> None:
    if not service.is_reader(current_user):
        raise Forbidden()


@blp.route("")
class Resources(MethodView):
    @signed_in
    @blp.doc(security=SECURITY)
    @blp.arguments(LibraryListArgsSchema, location="query")
    @blp.response(200, LibraryResourceSchema(many=True))
    @blp.paginate(SelectPage, page_size=20, max_page_size=100)
    def get(self, args):
        """Published resources (and, for editors, drafts and archives), searched and filtered."""
        _require_reader()
        filters, errors = service.clean_filters(args, current_user)
        if errors:
            exc = UnprocessableEntity()
            exc.data = {"messages": {"query": {k: [v] for k, v in errors.items()}}}
            raise exc
        return service.listing(filters, current_user)

    @network_role(*EDITORS)
    @blp.doc(security=SECURITY)
    @blp.arguments(LibraryResourceWriteSchema)
    @blp.response(201, LibraryResourceSchema)
    def post(self, data):
        """Create a resource, as a draft (animateurs and network admins)."""
        values, errors = service.clean(data)
        if errors:
            _invalid(errors)
        resource = service.create(values, by_user_id=current_user.id)
        db.session.commit()
        return resource


@blp.route("/<int:resource_id>")
class ResourceItem(MethodView):
    @signed_in
    @blp.doc(security=SECURITY)
    @blp.response(200, LibraryResourceSchema)
    def get(self, resource_id: int):
        """One resource, with its attachments."""
        _require_reader()
        resource = service.find_visible(resource_id, current_user)
        if resource is None:
            abort(404)
        return resource

    @network_role(*EDITORS)
    @blp.doc(security=SECURITY)
    @blp.arguments(LibraryResourcePatchSchema)
    @blp.response(200, LibraryResourceSchema)
    def patch(self, data, resource_id: int):
        """Change some fields and/or the status (``publie``, ``archive``, ``brouillon``),
        naming the ``version`` the change is made on."""
        resource = service.find_visible(resource_id, current_user, lock=True)
        if resource is None:
            abort(404)
        version = data.pop("version")
        status = data.pop("status", None)
        if data and resource.kind in WORKFLOW_KINDS:
            db.session.rollback()
            exc = Conflict()
            exc.api_code = "practice_text_locked"
            exc.api_message = service.PRACTICE_LOCKED
            exc.api_message_en = ("An employer's best practice is written by the employer, "
                                  "anonymised and reviewed: its text cannot be changed here.")
            raise exc
        values = {}
        if data:
            merged = {**service.as_form_data(resource), **data}
            merged["published_on"] = data.get("published_on", resource.published_on)
            values, errors = service.clean(merged)
            if errors:
                db.session.rollback()
                _invalid(errors)
        try:
            service.check_version(resource, version)
            if data:
                service.update(resource, values, version=version)
                version = resource.version
            if status is not None:
                service.set_status(resource, status, version=version)
        except service.Stale as stale:
            db.session.rollback()
            exc = Conflict()
            exc.api_code = "stale_version"
            exc.api_message = (f"Quelqu'un a modifié cette ressource entre-temps (version "
                               f"{stale.current}) : rien n'a été enregistré. Relisez-la et "
                               "renvoyez votre modification avec la nouvelle version.")
            exc.api_message_en = (f"The resource changed meanwhile (version {stale.current}); "
                                  "nothing was saved.")
            raise exc from None
        db.session.commit()
        return resource
