"""Invitations: the référent's page (one by one, or a CSV file with a preview), resending and
revoking, and the public page a link opens."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from server.auth.access import employer_role, public
from server.auth.models import EMPLOYER_ROLES, User, normalise_email
from server.auth.passwords import password_problem
from server.auth.views import begin_login
from server.extensions import db, limiter, login_limit
from server.invitations import csv_import, service
from server.invitations.blueprint import bp
from server.invitations.forms import (
    ConfirmImportForm,
    ExistingHelpedForm,
    ExistingMemberForm,
    ImportForm,
    InvitationActionForm,
    InviteForm,
    NewHelpedForm,
    NewMemberForm,
    SignedInHelpedForm,
    SignedInMemberForm,
)
from server.participation.consent import (
    CRITERIA,
    HELPED_ROLE,
    ConsentOutdated,
    consent_for_display,
    enrol,
)
from server.participation.forms import CRITERIA_FIELDS
from tenants import tenant_context

MANAGE = "/e/<tenant>/programme/invitations"
#: Where a problem of the single form is shown.
FIELD_OF_PROBLEM = {"email": "email", "doublon": "email", "membre": "email",
                    "invitation": "email", "nom": "display_name", "role": "role"}


def _manage_page(form=None, import_form=None, preview=None, status=200):
    return render_template(
        "invitations/manage.html", form=form or InviteForm(),
        import_form=import_form or ImportForm(), preview=preview,
        confirm_form=ConfirmImportForm(), action_form=InvitationActionForm(),
        invitations=service.listing(), days=current_app.config["INVITATION_DAYS"]), status


@bp.route(MANAGE, methods=["GET", "POST"])
@employer_role("referent")
def manage():
    if request.method == "GET":
        return _manage_page()
    action = request.form.get("action")
    if action == "inviter":
        return _invite_one()
    if action == "apercu":
        return _preview_file()
    if action == "confirmer":
        return _confirm_file()
    abort(400)


def _invite_one():
    form = InviteForm()
    if not form.validate_on_submit():  # only the CSRF token can fail here
        return _manage_page(form=form, status=400)
    role = form.role.data if form.role.data in EMPLOYER_ROLES else None
    candidate = service.Candidate(email=form.email.data or "",
                                  display_name=form.display_name.data or "", role=role)
    created = service.create([candidate], current_user.id)
    if not created:
        db.session.rollback()
        for kind, message in candidate.problems.items():
            getattr(form, FIELD_OF_PROBLEM[kind]).errors.append(message)
        if "role" in candidate.problems:
            form.role.errors[-1] = "Choisissez le rôle de la personne dans le programme."
        return _manage_page(form=form, status=409 if _only_conflicts(candidate) else 400)
    db.session.commit()
    service.send_links(created)
    flash(f"L'invitation est envoyée à {candidate.email}. Le lien est valable "
          f"{current_app.config['INVITATION_DAYS']} jours.", "success")
    return redirect(url_for("invitations.manage"))


def _only_conflicts(candidate) -> bool:
    return set(candidate.problems) <= {"membre", "invitation"}


def _preview_file():
    import_form = ImportForm()
    upload = request.files.get("file")
    if not import_form.validate_on_submit():
        return _manage_page(import_form=import_form, status=400)
    if upload is None or not upload.filename:
        import_form.file.errors.append("Choisissez un fichier CSV à importer.")
        return _manage_page(import_form=import_form, status=400)
    try:
        candidates = csv_import.read_candidates(upload.read(csv_import.MAX_BYTES + 1))
    except csv_import.FileProblem as exc:
        import_form.file.errors.append(str(exc))
        return _manage_page(import_form=import_form, status=400)
    service.check_candidates(candidates)
    db.session.rollback()  # reading only
    return _manage_page(preview=_preview(candidates, upload.filename))


def _preview(candidates, filename: str) -> dict:
    return {
        "filename": filename,
        "rows": candidates,
        "valid": sum(1 for c in candidates if c.ok),
        "invalid": sum(1 for c in candidates if not c.ok),
        "payload": json.dumps([dict(c.as_row(), ligne=c.line) for c in candidates],
                              ensure_ascii=False),
    }


def _confirm_file():
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        return _manage_page(status=400)
    try:
        rows = json.loads(form.rows.data or "")
        candidates = [
            service.Candidate(email=str(r["email"]), display_name=str(r["nom"]),
                              role=service.parse_role(str(r["role"] or "")),
                              role_text=str(r["role"] or ""), line=int(r["ligne"]))
            for r in rows]
    except (ValueError, TypeError, KeyError):
        flash("L'aperçu envoyé est illisible : importez le fichier à nouveau.", "error")
        return _manage_page(status=400)
    if not candidates or len(candidates) > csv_import.MAX_ROWS:
        abort(400)
    created = service.create(candidates, current_user.id)
    if not created:
        db.session.rollback()
        flash("Aucune invitation n'a été créée : aucune ligne n'est valable (voir l'aperçu "
              "ci-dessous). Corrigez le fichier et importez-le à nouveau.", "error")
        return _manage_page(preview=_preview(candidates, "fichier importé"), status=400)
    db.session.commit()
    service.send_links(created)
    skipped = [c for c in candidates if not c.ok]
    message = (f"{len(created)} invitation{'s' if len(created) > 1 else ''} "
               f"créée{'s' if len(created) > 1 else ''} et envoyée{'s' if len(created) > 1 else ''}.")
    if skipped:
        lines = ", ".join(str(c.line) for c in skipped)
        message += (f" {len(skipped)} ligne{'s' if len(skipped) > 1 else ''} "
                    f"non importée{'s' if len(skipped) > 1 else ''} à cause d'un problème "
                    f"(ligne{'s' if len(skipped) > 1 else ''} {lines}).")
    flash(message, "success")
    return redirect(url_for("invitations.manage"))


@bp.route(MANAGE + "/<int:invitation_id>/renvoyer", methods=["POST"])
@employer_role("referent")
def resend(invitation_id: int):
    form = InvitationActionForm()
    invitation = service.find_in_space(invitation_id, lock=True)
    if invitation is None:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    try:
        token = service.resend(invitation)
    except service.NotPending:
        db.session.rollback()
        flash("Cette invitation est déjà acceptée ou annulée : elle ne peut plus être renvoyée.",
              "error")
        return redirect(url_for("invitations.manage"))
    email = invitation.email
    db.session.commit()
    service.send_links([(invitation, token)])
    flash(f"Un nouveau lien est envoyé à {email}. L'ancien lien ne fonctionne plus.", "success")
    return redirect(url_for("invitations.manage"))


@bp.route(MANAGE + "/<int:invitation_id>/annuler", methods=["GET", "POST"])
@employer_role("referent")
def revoke(invitation_id: int):
    form = InvitationActionForm()
    invitation = service.find_in_space(invitation_id, lock=request.method == "POST")
    if invitation is None:
        abort(404)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            service.revoke(invitation)
        except service.NotPending:
            db.session.rollback()
            flash("Cette invitation est déjà acceptée ou annulée.", "error")
            return redirect(url_for("invitations.manage"))
        email = invitation.email
        db.session.commit()
        flash(f"L'invitation de {email} est annulée : son lien ne fonctionne plus.", "success")
        return redirect(url_for("invitations.manage"))
    if invitation.status not in ("pending", "expired"):
        flash("Cette invitation est déjà acceptée ou annulée.", "error")
        return redirect(url_for("invitations.manage"))
    return render_template("invitations/revoke.html", invitation=invitation, form=form)


# --- the link ---------------------------------------------------------------------------------

GONE = {
    "unknown": (404, "Ce lien d'invitation n'est pas valable",
                "Il a peut-être été remplacé par un lien plus récent : ouvrez le dernier message "
                "d'invitation reçu. Sinon, demandez à la personne qui vous a invité de vous "
                "envoyer une nouvelle invitation."),
    "expired": (410, "Ce lien d'invitation a expiré",
                "Demandez à la personne qui vous a invité de vous renvoyer l'invitation : vous "
                "recevrez un nouveau lien."),
    "accepted": (410, "Cette invitation a déjà servi",
                 "Un lien d'invitation ne sert qu'une fois. Connectez-vous pour retrouver "
                 "votre espace."),
    "revoked": (410, "Cette invitation a été annulée",
                "Si vous pensez que c'est une erreur, contactez la personne qui vous a invité."),
}


def _gone(state: str):
    status, title, message = GONE[state]
    return render_template("invitations/gone.html", title=title, message=message,
                           state=state), status


def _form_class(mode: str, helped: bool):
    return {
        ("new", True): NewHelpedForm, ("new", False): NewMemberForm,
        ("existing", True): ExistingHelpedForm, ("existing", False): ExistingMemberForm,
        ("signed-in", True): SignedInHelpedForm, ("signed-in", False): SignedInMemberForm,
    }[(mode, helped)]


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
@limiter.limit(login_limit, methods=["POST"])
def accept(token: str):
    link = service.resolve(token)
    if link.state != "ok":
        return _gone(link.state)
    invitation = {"email": link.invitation.email, "name": link.invitation.display_name,
                  "role": link.invitation.role, "role_label": link.invitation.role_label,
                  "expires_at": link.invitation.expires_at, "employer": link.tenant.name,
                  "slug": link.tenant.slug}
    helped = invitation["role"] == HELPED_ROLE
    if current_user.is_authenticated:
        if normalise_email(current_user.email) != invitation["email"]:
            return render_template("invitations/wrong_account.html", invitation=invitation), 409
        mode = "signed-in"
    else:
        mode = "existing" if User.by_email(invitation["email"]) else "new"
    form = _form_class(mode, helped)()
    if request.method == "GET" and mode == "new":
        form.display_name.data = invitation["name"]
    status = 200
    with tenant_context(invitation["slug"]):
        consent = consent_for_display()
        if request.method == "GET":
            form.consent_version.data = str(consent["version"])
        elif form.validate_on_submit():
            outcome = _join(token, form, mode, helped)
            if isinstance(outcome, int):
                user_id = outcome
            else:
                db.session.rollback()
                if outcome in GONE:
                    return _gone(outcome)
                status = outcome[0]
                consent = consent_for_display()
                form.consent_version.data = str(consent["version"])
        else:
            status = 400
    if status == 200 and request.method == "POST":
        user = db.session.get(User, user_id)
        home = url_for("employers.home", tenant=invitation["slug"])
        # Signing in: the second factor first where the account has or needs one.
        response = redirect(home) if mode == "signed-in" else begin_login(user, home)
        flash(f"Bienvenue dans l'espace de {invitation['employer']}, {user.display_name}.",
              "success")
        return response
    return render_template("invitations/accept.html", form=form, invitation=invitation,
                           consent=consent, mode=mode, helped=helped,
                           criteria=[(name, CRITERIA[key]) for name, key in CRITERIA_FIELDS.items()]
                           ), status


def _join(token: str, form, mode: str, helped: bool):
    """Inside the employer's context, in one transaction: the account (new, or the existing
    one's password checked), the role, the consent, the invitation used. Returns the account
    id, a state of ``GONE``, or (status,) after putting the message on the form."""
    link = service.resolve(token, lock=True)  # a second submission waits, then finds it used
    if link.state != "ok":
        return link.state
    invitation = link.invitation
    if mode == "new":
        user = User(email=invitation.email, display_name=form.display_name.data.strip())
        problem = password_problem(form.password.data, user)  # not the person's own name
        if problem:
            form.password.errors.append(problem)
            return (400,)
        user.set_password(form.password.data)
        db.session.add(user)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            form.form_errors.append("Un compte vient d'être créé pour cette adresse : "
                                    "rechargez la page et saisissez son mot de passe.")
            return (409,)
    elif mode == "existing":
        user = User.authenticate(invitation.email, form.current_password.data)
        if user is None:
            form.current_password.errors.append("Mot de passe incorrect.")
            return (401,)
    else:
        user = db.session.get(User, current_user.id)
    criteria = [key for name, key in CRITERIA_FIELDS.items() if helped and form[name].data]
    try:
        enrol(user, invitation.role, consent_version=_int(form.consent_version.data),
              criteria=criteria, needs=form.needs.data if helped else None,
              preferences=form.preferences.data if helped else None)
    except ConsentOutdated:
        form.consent.errors.append("Le texte du consentement a changé pendant que vous le "
                                   "lisiez. Lisez la nouvelle version ci-dessous, puis "
                                   "cochez à nouveau la case.")
        form.consent.data = False
        return (409,)
    invitation.accepted_at = datetime.now(UTC)
    invitation.accepted_by = user.id
    db.session.commit()
    return user.id


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

