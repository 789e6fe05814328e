from marshmallow import Schema, fields, validate


class TokenRequestSchema(Schema):
    # Looked up as written: a malformed address is wrong credentials (401), like any other.
    email = fields.String(required=True, validate=validate.Length(min=1, max=254),
                          metadata={"format": "email"})
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024))
    name = fields.String(load_default="API", validate=validate.Length(min=1, max=100))
    code = fields.String(load_only=True, load_default=None, validate=validate.Length(max=40),
                         metadata={"description": (
                             "Second factor (a 6-digit TOTP code or a recovery code), required "
                             "for accounts that use two-factor log-in.")})


class TokenSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class IssuedTokenSchema(TokenSchema):
    token = fields.String(metadata={"description": "Shown once; send it as `Authorization: Bearer …`."})


class SpaceSchema(Schema):
    slug = fields.String()
    name = fields.String()
    roles = fields.List(fields.String())


class MeSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    display_name = fields.String()
    network_roles = fields.List(fields.String())
    spaces = fields.List(fields.Nested(SpaceSchema))


class EmployerSchema(Schema):
    slug = fields.String()
    name = fields.String()
    roles = fields.List(fields.String())
    welcome = fields.String()


class ProfileSchema(Schema):
    id = fields.Integer()
    display_name = fields.String()
    site = fields.String(allow_none=True)
    status = fields.String()
    joined_at = fields.DateTime()


class WelcomeSchema(Schema):
    welcome = fields.String(required=True, validate=validate.Length(max=2000))


class ErrorBodySchema(Schema):
    status = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "Stable, for programs"})
    message = fields.String(required=True, metadata={"description": "French, for people"})
    message_en = fields.String(required=True)
    details = fields.Dict(metadata={"description": "Per-field messages, or what blocked"})


class ErrorSchema(Schema):
    """The one error shape (server/errors.py), documented for every error response."""

    error = fields.Nested(ErrorBodySchema, required=True)
