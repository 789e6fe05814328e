"""Single sign-on pages: the référent's settings and decisions (``/e/<tenant>/connexion-unique``)
and the log-in through an employer's provider (``/connexion/employeur…``)."""
from __future__ import annotations

import hmac
import time
from datetime import datetime, timezone

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from server.audit import record_network_change
from server.auth import lockout, two_factor
from server.auth.access import employer_role, public
from server.auth.events import log_auth_event
from server.auth.models import EMPLOYER_ROLES, Membership, User
from server.auth.views import PENDING, _safe_next, begin_login, home_for, locked_message
from server.extensions import db, limiter, login_limit
from server.sso import client
from server.sso.forms import DecisionForm, LinkForm, SsoConfigForm
from server.sso.models import SsoConfig, SsoIdentity
from tenants import current_tenant
from tenants.registry import Tenant

bp = Blueprint("sso", __name__)

#: Session key of a log-in sent to a provider: employer, state, nonce, PKCE verifier, next page.
SESSION_KEY = "sso_login"
#: Time allowed at the provider before the answer must come back.
PENDING_SECONDS = 10 * 60


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --- logging in through the employer's provider ------------------------------------------------

def _enabled(tenant_filter) -> tuple[Tenant, SsoConfig] | None:
    row = db.session.execute(
        sa.select(Tenant, SsoConfig).join(SsoConfig, SsoConfig.tenant_id == Tenant.id)
        .where(tenant_filter, Tenant.status == "active", SsoConfig.enabled.is_(True))
    ).first()
    return (row[0], row[1]) if row else None


def _problem(title: str, message: str, status: int, tenant: Tenant | None = None):
    return render_template("sso/problem.html", title=title, message=message,
                           tenant=tenant), status


FAILED = ("Votre employeur n'a pas confirmé votre identité : la connexion n'a pas abouti. "
          "Réessayez ; si le problème continue, prévenez le référent ou la référente de votre "
          "employeur, ou connectez-vous avec votre adresse e-mail et votre mot de passe.")


@bp.route("/connexion/employeur")
@public
def choose():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    rows = db.session.execute(
        sa.select(Tenant.slug, Tenant.name, SsoConfig.label)
        .join(SsoConfig, SsoConfig.tenant_id == Tenant.id)
        .where(Tenant.status == "active", SsoConfig.enabled.is_(True))
        .order_by(Tenant.name)
    ).all()
    return render_template("sso/choose.html", employers=rows,
                           next_url=_safe_next(request.args.get("next")))


@bp.route("/connexion/employeur/<slug>")
@public
@limiter.limit(login_limit)
def start(slug: str):
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    found = _enabled(Tenant.slug == slug)
    if found is None:
        abort(404)  # unknown employer or no single sign-on: one answer
    tenant, config = found
    try:
        started = client.authorization_request(config, url_for("sso.callback", _external=True))
    except client.ProviderError as exc:
        log_auth_event("login.sso_failed", None, tenant=tenant.id, reason=exc.reason)
        return _problem("Connexion impossible pour le moment",
                        f"Le service de connexion de {tenant.name} ne répond pas. Réessayez plus "
                        "tard, ou connectez-vous avec votre adresse e-mail et votre mot de passe.",
                        502, tenant)
    session.pop(PENDING, None)  # a half-finished password log-in does not carry over
    session[SESSION_KEY] = {"tenant": tenant.id, "state": started.state, "nonce": started.nonce,
                            "verifier": started.code_verifier, "since": time.time(),
                            "next": _safe_next(request.args.get("next"))}
    return redirect(started.url)


@bp.route("/connexion/employeur/retour")
@public
@limiter.limit(login_limit)
def callback():
    pending = session.pop(SESSION_KEY, None)
    if (not isinstance(pending, dict)
            or time.time() - pending.get("since", 0) > PENDING_SECONDS):
        log_auth_event("login.sso_failed", None, reason="no_pending_login")
        return _problem("Connexion expirée",
                        "Votre connexion a expiré ou n'a pas commencé sur cet appareil. "
                        "Recommencez depuis la page de connexion.", 400)
    state = request.args.get("state") or ""
    if not hmac.compare_digest(state.encode(), str(pending.get("state", "")).encode()):
        log_auth_event("login.sso_failed", None, tenant=pending.get("tenant"), reason="state")
        return _problem("Connexion refusée",
                        "Cette réponse ne correspond pas à la connexion commencée sur cet "
                        "appareil. Recommencez depuis la page de connexion.", 400)
    found = _enabled(Tenant.id == pending.get("tenant"))
    if found is None:
        abort(404)  # switched off (or suspended) in the meantime
    tenant, config = found
    if request.args.get("error"):
        log_auth_event("login.sso_failed", None, tenant=tenant.id, reason="provider_refused")
        return _problem("Connexion annulée",
                        f"La connexion avec le compte de {config.label} a été annulée ou "
                        "refusée. Vous pouvez recommencer, ou vous connecter avec votre adresse "
                        "e-mail et votre mot de passe.", 400, tenant)
    code = request.args.get("code") or ""
    if not code or len(code) > 2000:
        log_auth_event("login.sso_failed", None, tenant=tenant.id, reason="no_code")
        return _problem("Connexion refusée", FAILED, 400, tenant)
    try:
        claims = client.exchange_code(config, url_for("sso.callback", _external=True), code,
                                      pending["verifier"], pending["nonce"])
    except client.ProviderError as exc:
        log_auth_event("login.sso_failed", None, tenant=tenant.id, reason=exc.reason)
        return _problem("Connexion refusée", FAILED, 400, tenant)
    return _after_provider(tenant, config, claims, pending.get("next"))


def _claim_text(claims: dict, name: str, limit: int) -> str | None:
    value = claims.get(name)
    return value.strip()[:limit] or None if isinstance(value, str) else None


def _after_provider(tenant: Tenant, config: SsoConfig, claims: dict, next_url: str | None):
    """The provider has proven who this is: log in, or wait for (or respect) the référent's
    decision."""
    issuer = client.normalise_issuer(config.issuer)
    identity = db.session.execute(
        sa.select(SsoIdentity).where(SsoIdentity.tenant_id == tenant.id,
                                     SsoIdentity.issuer == issuer,
                                     SsoIdentity.subject == claims["sub"]).with_for_update()
    ).scalar_one_or_none()
    if identity is None:
        identity = SsoIdentity(tenant_id=tenant.id, issuer=issuer, subject=claims["sub"],
                               status="pending")
        db.session.add(identity)
    identity.email = _claim_text(claims, "email", 254)
    identity.name = _claim_text(claims, "name", 200)
    identity.last_seen_at = _now()
    db.session.commit()
    if identity.status == "pending":
        log_auth_event("login.sso_pending", None, tenant=tenant.id, identity=identity.id)
        return render_template("sso/pending.html", tenant=tenant)
    if identity.status == "refused":
        log_auth_event("login.sso_refused", None, tenant=tenant.id, identity=identity.id)
        return _problem("Connexion refusée",
                        f"Le référent ou la référente de {tenant.name} n'a pas associé ce compte "
                        "à un compte Entrepairs. Pour en savoir plus, adressez-vous à lui ou "
                        "à elle.", 403, tenant)
    user = db.session.get(User, identity.user_id) if identity.user_id else None
    member = user is not None and db.session.execute(
        sa.select(sa.literal(True)).where(Membership.user_id == user.id,
                                          Membership.tenant_id == tenant.id).limit(1)
    ).scalar() is not None
    if not member or not user.active:
        log_auth_event("login.sso_failed", user.id if user else None, tenant=tenant.id,
                       identity=identity.id, reason="not_member" if user else "no_account")
        return _problem("Connexion refusée",
                        f"Ce compte n'est plus associé à un compte Entrepairs de {tenant.name}. "
                        "Adressez-vous au référent ou à la référente de votre employeur.",
                        403, tenant)
    if lockout.is_locked(user):
        log_auth_event("login.refused_locked", user.id, method="sso")
        return _problem("Compte verrouillé", locked_message(user.locked_until), 401, tenant)
    log_auth_event("login.sso_accepted", user.id, tenant=tenant.id, identity=identity.id)
    # The provider is the first factor only: where a second one is needed, the code step
    # follows, as after a password.
    return begin_login(user, next_url, first_factor="sso")


# --- the référent's page ----------------------------------------------------------------------

def _config() -> SsoConfig | None:
    return db.session.execute(
        sa.select(SsoConfig).where(SsoConfig.tenant_id == current_tenant().id)
    ).scalar_one_or_none()


def _members() -> list[dict]:
    """The employer's members, one entry per person with their roles, for the link select."""
    rows = db.session.execute(
        sa.select(User.id, User.display_name, User.email, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == current_tenant().id, User.active.is_(True))
        .order_by(User.display_name, User.id, Membership.role)
    ).all()
    people: dict[int, dict] = {}
    for row in rows:
        person = people.setdefault(row.id, {"id": row.id, "name": row.display_name,
                                            "email": row.email, "roles": []})
        person["roles"].append(EMPLOYER_ROLES[row.role])
    return list(people.values())


def _identities() -> dict[str, list]:
    rows = db.session.execute(
        sa.select(SsoIdentity, User.display_name)
        .outerjoin(User, User.id == SsoIdentity.user_id)
        .where(SsoIdentity.tenant_id == current_tenant().id)
        .order_by(SsoIdentity.last_seen_at.desc(), SsoIdentity.id)
    ).all()
    grouped: dict[str, list] = {"pending": [], "linked": [], "refused": []}
    for identity, account_name in rows:
        grouped[identity.status].append({"identity": identity, "account": account_name})
    return grouped


def _render(form: SsoConfigForm, config: SsoConfig | None, status: int = 200,
            link_errors: dict | None = None):
    return render_template(
        "sso/settings.html", form=form, config=config, identities=_identities(),
        members=_members(), link_errors=link_errors or {},
        errors=bool(link_errors), callback_url=url_for("sso.callback", _external=True),
    ), status


def _saved_form(config: SsoConfig | None) -> SsoConfigForm:
    """The settings as saved (the secret never goes back to the page)."""
    form = SsoConfigForm(formdata=None, obj=config, has_secret=config is not None)
    form.client_secret.data = ""
    return form


@bp.route("/e/<tenant>/connexion-unique", methods=["GET", "POST"])
@employer_role("referent")
def settings():
    config = _config()
    if request.method == "GET":
        return _render(_saved_form(config), config)
    form = SsoConfigForm(has_secret=config is not None)
    if not form.validate():
        return _render(form, config, 400)
    created = config is None
    if created:
        config = SsoConfig(tenant_id=current_tenant().id)
        db.session.add(config)
    new_secret = (form.client_secret.data or "").strip()
    config.issuer = client.normalise_issuer(form.issuer.data)
    config.client_id = form.client_id.data.strip()
    config.label = form.label.data.strip()
    config.enabled = bool(form.enabled.data)
    if new_secret:
        config.client_secret = two_factor.encrypt(new_secret)
    config.updated_at = _now()
    config.updated_by = current_user.id
    db.session.flush()
    record_network_change("sso.config_updated", "sso_config", config.id,
                          tenant=current_tenant().id, enabled=config.enabled,
                          secret_changed=bool(new_secret), created=created)
    db.session.commit()
    flash("La connexion unique est enregistrée"
          + (" et proposée sur la page de connexion." if config.enabled
             else " ; elle n'est pas proposée tant qu'elle n'est pas activée."), "success")
    return redirect(url_for("sso.settings"))


#: What a failed check tells the référent, by ``ProviderError.reason``.
CHECK_FAILURES = {
    "dns": "le nom du fournisseur est introuvable. Vérifiez l'adresse de l'émetteur.",
    "private_address": "l'adresse du fournisseur n'est pas une adresse publique d'internet.",
    "discovery": "le document de découverte (/.well-known/openid-configuration) ne répond "
                 "pas ou n'est pas lisible.",
    "discovery_issuer": "le fournisseur annonce un autre émetteur que celui saisi : copiez "
                        "exactement l'adresse qu'il annonce.",
    "discovery_endpoints": "les adresses annoncées par le fournisseur ne sont pas toutes en "
                           "https.",
    "jwks": "ses clés de signature ne répondent pas ou ne sont pas lisibles.",
}


@bp.route("/e/<tenant>/connexion-unique/verification", methods=["POST"])
@employer_role("referent")
def check():
    """Ask the provider what a log-in will ask it (discovery, signing keys) and say how it
    went. The client id and secret can only be proven by a real log-in: the page says so."""
    config = _config()
    if config is None:
        abort(404)
    if not DecisionForm().validate():
        abort(400)
    try:
        provider = client.discover(config.issuer)
        keys = client.key_set(provider)
    except client.ProviderError as exc:
        flash("La vérification a échoué : " + CHECK_FAILURES.get(
            exc.reason, "le fournisseur a répondu de façon inattendue."), "error")
    else:
        count = len(keys.keys)
        flash(f"Le fournisseur répond : découverte lue, {count} clé{'s' if count > 1 else ''} "
              "de signature. L'identifiant et le secret client ne se vérifient que par une "
              "vraie connexion : essayez-la depuis la page de connexion.", "success")
    return redirect(url_for("sso.settings"))


def _identity(identity_id: int) -> SsoIdentity:
    identity = db.session.execute(
        sa.select(SsoIdentity).where(SsoIdentity.id == identity_id,
                                     SsoIdentity.tenant_id == current_tenant().id)
        .with_for_update()
    ).scalar_one_or_none()
    if identity is None:
        abort(404)  # another employer's identity is not there at all
    return identity


def _identity_label(identity: SsoIdentity) -> str:
    return identity.name or identity.email or "cette personne"


def _decide(identity: SsoIdentity, status: str, user_id: int | None, action: str,
            logged_user: int | None, message: str):
    """Record the référent's decision on ``identity``, log it, say it, back to the page."""
    identity.user_id = user_id
    identity.status = status
    identity.decided_at = _now()
    identity.decided_by = current_user.id
    db.session.commit()
    log_auth_event(action, logged_user, tenant=current_tenant().id, identity=identity.id,
                   by=current_user.id)
    flash(message.format(who=_identity_label(identity)), "success")
    return redirect(url_for("sso.settings"))


@bp.route("/e/<tenant>/connexion-unique/identites/<int:identity_id>/associer", methods=["POST"])
@employer_role("referent")
def link(identity_id: int):
    identity = _identity(identity_id)
    form = LinkForm()
    members = {m["id"] for m in _members()}
    error = None
    if not form.validate():
        error = (form.user_id.errors or ["Le formulaire a expiré. Rechargez la page et "
                                         "réessayez."])[0]
    else:
        try:
            user_id = int(form.user_id.data)
        except (TypeError, ValueError):
            user_id = None
        if user_id not in members:
            error = "Choisissez une personne de votre espace dans la liste."
    if identity.status == "linked":
        error = "Cette identité est déjà associée : dissociez-la d'abord."
    if error is not None:
        db.session.rollback()
        config = _config()
        return _render(_saved_form(config), config, 400, link_errors={identity_id: error})
    return _decide(identity, "linked", user_id, "sso.identity_linked", user_id,
                   "L'identité de {who} est associée : cette personne peut maintenant se "
                   "connecter avec le compte de son employeur.")


@bp.route("/e/<tenant>/connexion-unique/identites/<int:identity_id>/refuser", methods=["POST"])
@employer_role("referent")
def refuse(identity_id: int):
    identity = _identity(identity_id)
    if not DecisionForm().validate() or identity.status != "pending":
        abort(400)
    return _decide(identity, "refused", None, "sso.identity_refused", None,
                   "La demande de {who} est refusée.")


@bp.route("/e/<tenant>/connexion-unique/identites/<int:identity_id>/dissocier", methods=["POST"])
@employer_role("referent")
def unlink(identity_id: int):
    identity = _identity(identity_id)
    if not DecisionForm().validate() or identity.status != "linked":
        abort(400)
    return _decide(identity, "pending", None, "sso.identity_unlinked", identity.user_id,
                   "L'identité de {who} est dissociée : elle ne permet plus de se connecter "
                   "et attend une nouvelle décision.")
