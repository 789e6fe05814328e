"""The control of benchmark 3: the same API view and the same queries in a bare
single-schema Flask + Flask-SQLAlchemy + Flask-Login app (no tenancy, no extra extensions).

Tables live in a schema ``bare`` of the benchmark's database: ``account`` and ``account_role``
(what the Entrepairs user loader reads), ``profile`` (what the employer API pages through).
"""
from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from flask import Flask, abort, jsonify, request
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from flask_sqlalchemy import SQLAlchemy
from marshmallow import Schema, fields
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

SCHEMA = "bare"


class Base(DeclarativeBase):
    metadata = sa.MetaData(schema=SCHEMA)


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()


class User(UserMixin, db.Model):
    __tablename__ = "account"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    display_name: Mapped[str] = mapped_column(sa.String(120))
    active: Mapped[bool] = mapped_column(default=True)
    session_version: Mapped[int] = mapped_column(default=1)
    roles: Mapped[list[Role]] = relationship(lazy="selectin")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class Role(db.Model):
    __tablename__ = "account_role"
    user_id: Mapped[int] = mapped_column(sa.ForeignKey(f"{SCHEMA}.account.id"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(20), primary_key=True)


class Profile(db.Model):
    __tablename__ = "profile"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    site: Mapped[str | None] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(20), default="active")
    joined_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                server_default=sa.func.now())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())


class ProfileSchema(Schema):  # same fields as server.api.schemas.ProfileSchema
    id = fields.Integer()
    display_name = fields.String()
    site = fields.String(allow_none=True)
    status = fields.String()
    joined_at = fields.DateTime()


@login_manager.user_loader
def load_user(user_id: str):
    # Same query shape as Entrepairs' loader: the account and its roles (selectin).
    uid, version = (int(part) for part in user_id.split(":"))
    user = db.session.execute(
        sa.select(User).options(selectinload(User.roles)).where(User.id == uid)
    ).scalar_one_or_none()
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def create_bare_app(database_url: str, secret_key: str, engine_options: dict) -> Flask:
    app = Flask("bare")
    app.config.update(SECRET_KEY=secret_key, SQLALCHEMY_DATABASE_URI=database_url,
                      SQLALCHEMY_ENGINE_OPTIONS=dict(engine_options),
                      SESSION_COOKIE_SECURE=False)
    db.init_app(app)
    login_manager.init_app(app)

    @app.post("/login")
    def login():
        from argon2 import PasswordHasher

        data = request.get_json()
        user = db.session.execute(
            sa.select(User).where(User.email == data["email"])).scalar_one_or_none()
        if user is None or not PasswordHasher().verify(user.password_hash, data["password"]):
            abort(401)
        login_user(user)
        return jsonify(ok=True)

    @app.get("/api/people")
    @login_required
    def people():
        if "referent" not in {r.role for r in current_user.roles}:
            abort(403)
        page = max(1, request.args.get("page", 1, type=int))
        page_size = min(200, max(1, request.args.get("page_size", 50, type=int)))
        query = sa.select(Profile).order_by(Profile.id)
        total = db.session.execute(
            sa.select(sa.func.count()).select_from(query.order_by(None).subquery())).scalar_one()
        items = db.session.execute(
            query.limit(page_size).offset((page - 1) * page_size)).scalars().all()
        response = jsonify(ProfileSchema(many=True).dump(items))
        response.headers["X-Pagination"] = json.dumps(
            {"total": total, "total_pages": -(-total // page_size), "page": page})
        return response

    return app


def populate(engine, email: str, password: str, people: int) -> None:
    """Create the bare schema with one référent and ``people`` profiles."""
    from argon2 import PasswordHasher

    with engine.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
        Base.metadata.create_all(c)
        uid = c.execute(sa.insert(User).values(
            email=email, password_hash=PasswordHasher().hash(password), display_name="Référente",
            active=True, session_version=1).returning(User.id)).scalar_one()
        c.execute(sa.insert(Role).values(user_id=uid, role="referent"))
        c.execute(sa.insert(Profile), [
            {"user_id": 1000 + i, "display_name": f"Personne {i}", "site": "Siège",
             "status": "active"} for i in range(people)])
