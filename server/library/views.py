"""Pages of the library: the list with search and filters, a resource, writing and publishing
(animateurs and network admins), attachments, the history of peer support, and starting one's
own copy of an interactive tool sheet."""
from __future__ import annotations

import math

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from server.auth.access import network_role, signed_in
from server.extensions import db
from server.library import files, history, service
from server.library.blueprint import bp
from server.library.forms import CopyForm, ResourceForm, StatusForm, UploadForm
from server.library.models import KINDS, STATUSES, THEMES, TOOLS, WORKFLOW_KINDS
from tenants.registry import SECTORS

PER_PAGE = 10
EDITORS = ("animateur", "admin")
STALE_MESSAGE = ("Quelqu'un a modifié cette ressource pendant que vous la modifiiez (elle est "
                 "maintenant à la version {current}). Vos changements n'ont pas été "
                 "enregistrés : ils sont toujours dans le formulaire. Relisez la ressource, "
                 "puis enregistrez à nouveau.")
STALE_STATUS = ("Quelqu'un a modifié cette ressource depuis que vous l'avez ouverte : rien n'a "
                "été changé. Relisez-la, puis recommencez.")


def _require_reader() -> None:
    if not service.is_reader(current_user):
        abort(403)


def _visible_or_404(resource_id: int, *, lock: bool = False):
    resource = service.find_visible(resource_id, current_user, lock=lock)
    if resource is None:
        abort(404)
    return resource


@bp.url_value_preprocessor
def _allow_uploads(endpoint, values):
    """Runs before the CSRF check reads the form: only the upload form may carry a file
    larger than the application's ``MAX_CONTENT_LENGTH``."""
    if endpoint == "library.attachments" and request.method == "POST":
        request.max_content_length = service.max_upload() + 64 * 1024


@bp.errorhandler(413)
def _too_large(exc):
    if request.endpoint == "library.attachments" and service.is_editor(current_user):
        resource = service.find_visible(request.view_args.get("resource_id", 0), current_user)
        if resource is not None:
            return _attachments_page(resource, UploadForm(formdata=None),
                                     _too_large_message(), 413)
        return render_template("errors/error.html", status=413,
                               message=_too_large_message()), 413
    from server.errors import handle_http_exception

    return handle_http_exception(exc)


def _too_large_message() -> str:
    return (f"Le fichier dépasse la taille maximale de "
            f"{service.size_label(service.max_upload())} : il n'a pas été enregistré. "
            "Réduisez-le (par exemple en compressant les images) ou déposez-le en plusieurs "
            "parties.")


# --- the list --------------------------------------------------------------------------------

@bp.route("/")
@signed_in
def index():
    _require_reader()
    filters, errors = service.clean_filters(request.args, current_user)
    page_text = request.args.get("page") or "1"
    page = int(page_text) if page_text.isdigit() and 0 < len(page_text) < 7 else 0
    if page < 1:
        errors["page"] = "Le numéro de page doit être un nombre entier à partir de 1."
        page = 1
    items, total = service.page_of(service.listing(filters, current_user), page, PER_PAGE)
    pages = max(1, math.ceil(total / PER_PAGE))
    args = {k: v for k, v in vars(filters).items() if v}
    return render_template(
        "library/index.html", items=items, total=total, page=page, pages=pages,
        filters=filters, errors=errors, args=args, kinds=KINDS, themes=THEMES,
        models=service.practice_models(), sectors=SECTORS,
        statuses=STATUSES, editor=service.is_editor(current_user),
    ), 400 if errors else 200


@bp.route("/histoire")
@signed_in
def history_page():
    _require_reader()
    return render_template("library/history.html", events=history.EVENTS)


# --- one resource ----------------------------------------------------------------------------

@bp.route("/<int:resource_id>")
@signed_in
def show(resource_id: int):
    _require_reader()
    resource = _visible_or_404(resource_id)
    return _show_page(resource)


def _show_page(resource, copy_form=None, status: int = 200):
    if resource.kind == "bonne-pratique":
        from server.practices.service import published_for_resource

        shared = published_for_resource(resource.id)
        if shared is not None:
            return practice_page(shared, resource=resource, status=status)
    spaces = service.referent_spaces(current_user) if resource.tool else []
    if copy_form is None:
        copy_form = CopyForm()
    copy_form.space.choices = [("", "Choisissez un espace")] + [
        (s["slug"], s["name"]) for s in spaces]
    return render_template(
        "library/show.html", resource=resource, editor=service.is_editor(current_user),
        status_form=StatusForm(formdata=None, version=resource.version), copy_form=copy_form,
        spaces=spaces, tools=TOOLS, size_label=service.size_label,
        paragraphs=[p.strip() for p in resource.body.split("\n\n") if p.strip()],
    ), status


@bp.route("/nouvelle", methods=["GET", "POST"])
@network_role(*EDITORS)
def new():
    form = ResourceForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            values, errors = service.clean(form.raw())
            if not errors:
                resource = service.create(values, by_user_id=current_user.id)
                db.session.commit()
                flash("La ressource est enregistrée comme brouillon : seule l'équipe "
                      "d'animation la voit tant qu'elle n'est pas publiée.", "success")
                return redirect(url_for("library.show", resource_id=resource.id))
            form.show_errors(errors)
        status = 400
    return render_template("library/edit.html", form=form, resource=None), status


@bp.route("/<int:resource_id>/modifier", methods=["GET", "POST"])
@network_role(*EDITORS)
def edit(resource_id: int):
    resource = _visible_or_404(resource_id, lock=request.method == "POST")
    if resource.kind in WORKFLOW_KINDS:
        db.session.rollback()
        flash(service.PRACTICE_LOCKED, "error")
        return redirect(url_for("library.show", resource_id=resource_id))
    form = ResourceForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            values, errors = service.clean(form.raw())
            version = int(form.version.data) if (form.version.data or "").isdigit() else None
            if not errors:
                try:
                    service.update(resource, values, version=version)
                except service.Stale as stale:
                    db.session.rollback()
                    form.form_errors.append(STALE_MESSAGE.format(current=stale.current))
                    form.version.data = str(stale.current)
                    status = 409
                    resource = _visible_or_404(resource_id)
                else:
                    db.session.commit()
                    flash("Vos modifications sont enregistrées.", "success")
                    return redirect(url_for("library.show", resource_id=resource_id))
            else:
                form.show_errors(errors)
    else:
        form.load(service.as_form_data(resource))
        form.version.data = str(resource.version)
    return render_template("library/edit.html", form=form, resource=resource), status


@bp.route("/<int:resource_id>/etat", methods=["POST"])
@network_role(*EDITORS)
def change_status(resource_id: int):
    resource = _visible_or_404(resource_id, lock=True)
    form = StatusForm()
    action = request.form.get("action", "")
    if not form.validate() or action not in service.ACTIONS:
        abort(400)
    new_status, message = service.ACTIONS[action]
    version_text = form.version.data or ""
    try:
        service.set_status(resource, new_status,
                           version=int(version_text) if version_text.isdigit() else None)
    except service.Stale:
        db.session.rollback()
        flash(STALE_STATUS, "error")
        return redirect(url_for("library.show", resource_id=resource_id))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("library.show", resource_id=resource_id))


# --- attachments -----------------------------------------------------------------------------

def _attachments_page(resource, form, error: str | None = None, status: int = 200):
    if error:
        form.file.errors = [error]
    return render_template("library/attachments.html", resource=resource, form=form,
                           size_label=service.size_label,
                           max_label=service.size_label(service.max_upload()),
                           remove_form=StatusForm(formdata=None)), status


@bp.route("/<int:resource_id>/pieces-jointes", methods=["GET", "POST"])
@network_role(*EDITORS)
def attachments(resource_id: int):
    resource = _visible_or_404(resource_id)
    form = UploadForm()
    if not form.is_submitted():
        return _attachments_page(resource, form)
    if not form.validate():
        return _attachments_page(resource, form, status=400)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _attachments_page(resource, form, "Choisissez un fichier à déposer.", 400)
    data = upload.read(service.max_upload() + 1)
    try:
        attachment = service.add_attachment(resource, upload.filename, data,
                                            by_user_id=current_user.id)
    except service.TooLarge:
        return _attachments_page(resource, form, _too_large_message(), 413)
    except files.Refused as refused:
        db.session.rollback()
        return _attachments_page(resource, form, f"{refused} Rien n'a été enregistré.", 400)
    flash(f"Le fichier « {attachment.filename} » est ajouté à la ressource.", "success")
    return redirect(url_for("library.attachments", resource_id=resource_id))


@bp.route("/<int:resource_id>/pieces-jointes/<int:attachment_id>/supprimer", methods=["POST"])
@network_role(*EDITORS)
def remove_attachment(resource_id: int, attachment_id: int):
    resource = _visible_or_404(resource_id)
    attachment = service.find_attachment(resource, attachment_id)
    if attachment is None:
        abort(404)
    if not StatusForm().validate():
        abort(400)
    name = attachment.filename
    service.remove_attachment(attachment)
    flash(f"Le fichier « {name} » est retiré de la ressource.", "success")
    return redirect(url_for("library.attachments", resource_id=resource_id))


@bp.route("/<int:resource_id>/pieces-jointes/<int:attachment_id>")
@signed_in
def download(resource_id: int, attachment_id: int):
    """The file, as the type found in its content, always as a download."""
    _require_reader()
    resource = _visible_or_404(resource_id)
    attachment = service.find_attachment(resource, attachment_id)
    if attachment is None:
        abort(404)
    path = files.path_of(attachment.storage_key)
    if not path.is_file():
        current_app.logger.error("Attachment %s has no stored file", attachment.id)
        abort(404)
    response = send_file(path, mimetype=attachment.media_type, as_attachment=True,
                         download_name=attachment.filename, conditional=True, etag=False,
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Stricter than the app's policy (server/security_headers.py keeps it): nothing runs.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; sandbox; frame-ancestors 'none'")
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- interactive tool sheets -----------------------------------------------------------------

#: Tool → endpoint of the employer space that holds it.
TOOL_ENDPOINTS = {"cadrage": "programme.framing_sheet"}


@bp.route("/<int:resource_id>/copie", methods=["POST"])
@signed_in
def start_copy(resource_id: int):
    """A référent starts their own copy of a tool sheet in one of their employer spaces."""
    _require_reader()
    resource = _visible_or_404(resource_id)
    form = CopyForm()
    if not form.validate():
        abort(400)
    try:
        name, tool, number = service.start_copy(resource, form.space.data or "", current_user)
    except service.CopyRefused as refused:
        form.space.errors = [str(refused)]
        return _show_page(resource, form, 400)
    if number is None:
        flash(f"Votre fiche de cadrage pour « {name} » est prête : remplissez-la en suivant "
              "la fiche outil, puis enregistrez-la.", "success")
    else:
        flash(f"L'espace « {name} » a déjà une fiche de cadrage (version {number}) : elle n'a "
              "pas été remplacée. Vous la retrouvez ci-dessous pour la compléter.", "success")
    return redirect(url_for(TOOL_ENDPOINTS[tool], tenant=form.space.data))


def practice_page(shared, *, resource=None, comment_error: str | None = None,
                  comment_body: str = "", useful_error: str | None = None, status: int = 200):
    """A published best practice: its library resource, its context and figures, the
    employers' "utile" marks and the comments."""
    from server.practices import service as practices

    resource = resource or _visible_or_404(shared.resource_id)
    spaces = service.referent_spaces(current_user)  # read once: the forms and the marks
    return render_template(
        "library/practice.html", resource=resource, shared=shared,
        editor=service.is_editor(current_user),
        status_form=StatusForm(formdata=None, version=resource.version),
        model_label=practices.model_label(shared.model), sections=practices.SECTIONS,
        comments=practices.comments(shared), useful_count=practices.useful_count(shared),
        spaces=spaces, marked=practices.marked_spaces(shared, [s["slug"] for s in spaces]),
        comment_error=comment_error, comment_body=comment_body, useful_error=useful_error,
        comment_max=practices.COMMENT_MAX,
        paragraphs=lambda text: [p.strip() for p in (text or "").split("\n\n") if p.strip()],
    ), status
