"""THE registry of pages: every HTML page of Entrepairs, in each state worth seeing, with who is
looking at it. The accessibility, keyboard and small-screen tests run on every entry, and
``test_registry.py`` fails when a page route of the app is missing here — so every new page joins
this list.

An entry gives
- ``name``: shown in the test id;
- ``path(world)``: the URL path, built from the fixture data of ``conftest.World``;
- ``who``: ``None`` (anonymous) or a key of ``World.people`` (``admin``, ``animateur``,
  ``referent``, ``pair-aidant``, ``pair-aide``, ``membre``, ``deux-espaces``);
- ``prepare(page, world)``: optional steps taken in the browser after loading, to reach a state
  (submit a form empty to show its errors...); they assert that the state is reached;
- ``status``: the HTTP status of the last page load, checked by every test.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import expect

from server import clock

PEOPLE = ("admin", "animateur", "referent", "pair-aidant", "pair-aide", "membre", "deux-espaces")


@dataclass(frozen=True)
class Entry:
    name: str
    path: Callable
    who: str | None = None
    prepare: Callable | None = None
    status: int = 200
    #: Needs an installed programme model (``world.model``); fails when there is none.
    needs_model: bool = False


#: What the registry made for each world (the browser tests and the fault tests build
#: different worlds, in different databases): (id(world), name) → that data.
_WORLD_DATA: dict = {}


def _made(world, name: str) -> dict:
    return _WORLD_DATA.setdefault((id(world), name), {})


def submit(page, button_name: str) -> None:
    """Press a form's button inside <main> and wait for the page it leads to."""
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=button_name).click()


def shows_errors(page, *messages: str) -> None:
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    for message in messages:
        expect(summary).to_contain_text(message)


# --- states ----------------------------------------------------------------------------------

def login_empty(page, world):
    submit(page, "Se connecter")
    shows_errors(page, "Saisissez votre adresse e-mail.", "Saisissez votre mot de passe.")


def login_wrong_password(page, world):
    # A fresh address each time: five failures in a row would lock an account (and an
    # unknown address answers the same way as a known one).
    from tests.fixtures.factories import unique

    email = f"{unique('inconnu')}@exemple.fr"
    main = page.locator("main")
    main.get_by_label("Adresse e-mail").fill(email)
    main.get_by_label("Mot de passe").fill("pas-le-bon-mot-de-passe")
    submit(page, "Se connecter")
    shows_errors(page, "Adresse e-mail ou mot de passe incorrect.")
    # The address is kept, the password is not.
    expect(main.get_by_label("Adresse e-mail")).to_have_value(email)
    expect(main.get_by_label("Mot de passe")).to_have_value("")


def space_switcher_shows(page, world):
    switcher = page.get_by_label("Espace employeur")
    expect(switcher).to_be_visible()
    expect(switcher.locator("option")).to_have_count(2)


def no_space_switcher(page, world):
    expect(page.get_by_label("Espace employeur")).to_have_count(0)


def employers_empty(page, world):
    submit(page, "Créer l'espace")
    shows_errors(page, "Saisissez le nom de l'employeur.", "Saisissez un identifiant.")


def employers_bad_slug(page, world):
    main = page.locator("main")
    main.get_by_label("Nom de l'employeur").fill("Mairie d'Essai")
    main.get_by_label("Identifiant dans les adresses").fill("Mairie d'Essai")
    submit(page, "Créer l'espace")
    shows_errors(page, "L'identifiant doit faire de 2 à 40 caractères")
    expect(main.get_by_label("Nom de l'employeur")).to_have_value("Mairie d'Essai")


def welcome_too_long(page, world):
    page.locator("main").get_by_label("Message d'accueil de l'espace").fill("a" * 2001)
    submit(page, "Enregistrer")
    shows_errors(page, "2000 caractères au plus")


def welcome_saved(page, world):
    from tests.browser.conftest import WELCOME

    page.locator("main").get_by_label("Message d'accueil de l'espace").fill(WELCOME)
    submit(page, "Enregistrer")
    expect(page.locator(".notices")).to_contain_text("Le message d'accueil est enregistré.")


def welcome_shows(page, world):
    expect(page.locator("main")).to_contain_text("Votre référente vous répond")


def summary_shows(page, world):
    expect(page.locator("main table caption")).to_contain_text("par rôle")


def no_summary(page, world):
    expect(page.locator("main table")).to_have_count(0)


def both(*steps):
    def run(page, world):
        for step in steps:
            step(page, world)
    return run


def space(world) -> str:
    return f"/e/{world.employer.slug}/"


# --- the registry ----------------------------------------------------------------------------

PAGES: list[Entry] = [
    # Public pages
    Entry("accueil public", lambda w: "/"),
    Entry("connexion", lambda w: "/connexion"),
    Entry("connexion, envoyée vide", lambda w: "/connexion", prepare=login_empty, status=400),
    Entry("connexion, mauvais mot de passe", lambda w: "/connexion",
          prepare=login_wrong_password, status=401),
    Entry("accessibilité", lambda w: "/accessibilite"),
    Entry("accessibilité, connecté", lambda w: "/accessibilite", who="pair-aide"),
    Entry("mentions légales", lambda w: "/mentions-legales"),
    Entry("données personnelles", lambda w: "/donnees-personnelles"),
    # Choosing a space
    Entry("mes espaces, un espace", lambda w: "/espaces", who="membre",
          prepare=no_space_switcher),
    Entry("mes espaces, deux espaces", lambda w: "/espaces", who="deux-espaces",
          prepare=space_switcher_shows),
    Entry("mes espaces, aucun espace", lambda w: "/espaces", who="animateur"),
    # Network space
    Entry("réseau, administration", lambda w: "/reseau/", who="admin"),
    Entry("réseau, animation", lambda w: "/reseau/", who="animateur"),
    Entry("employeurs", lambda w: "/reseau/employeurs", who="admin"),
    Entry("employeurs, envoyé vide", lambda w: "/reseau/employeurs", who="admin",
          prepare=employers_empty, status=400),
    Entry("employeurs, identifiant invalide", lambda w: "/reseau/employeurs", who="admin",
          prepare=employers_bad_slug, status=400),
    Entry("employeurs, refusé à l'animation", lambda w: "/reseau/employeurs", who="animateur",
          status=403),
    # Employer space
    Entry("espace employeur, référent", space, who="referent",
          prepare=both(welcome_shows, summary_shows)),
    Entry("espace employeur, pair-aidant", space, who="pair-aidant", prepare=no_summary),
    Entry("espace employeur, pair-aidé", space, who="pair-aide",
          prepare=both(welcome_shows, no_summary)),
    Entry("espace employeur, membre de deux espaces", space, who="deux-espaces",
          prepare=space_switcher_shows),
    Entry("espace employeur, sans message d'accueil",
          lambda w: f"/e/{w.other_employer.slug}/", who="deux-espaces"),
    Entry("paramètres", lambda w: f"/e/{w.employer.slug}/parametres", who="referent"),
    Entry("paramètres, message trop long", lambda w: f"/e/{w.employer.slug}/parametres",
          who="referent", prepare=welcome_too_long, status=400),
    Entry("paramètres, enregistrés", lambda w: f"/e/{w.employer.slug}/parametres",
          who="referent", prepare=welcome_saved),
    Entry("paramètres, refusés à un membre", lambda w: f"/e/{w.employer.slug}/parametres",
          who="membre", status=403),
    # Programme models (référents)
    Entry("modèles du programme", lambda w: f"/e/{w.employer.slug}/programme/modeles",
          who="referent"),
    Entry("modèles du programme, refusés à un pair-aidant",
          lambda w: f"/e/{w.employer.slug}/programme/modeles", who="pair-aidant", status=403),
    Entry("paramètres d'un modèle",
          lambda w: f"/e/{w.employer.slug}/programme/modeles/{w.model}", who="referent",
          needs_model=True),
    Entry("paramètres d'un modèle inconnu",
          lambda w: f"/e/{w.employer.slug}/programme/modeles/modele-inconnu", who="referent",
          status=404),
    # Errors
    Entry("page introuvable", lambda w: "/cette-page-n-existe-pas", status=404),
    Entry("page introuvable, connecté", lambda w: "/cette-page-n-existe-pas", who="admin",
          status=404),
    Entry("espace d'un autre employeur", lambda w: f"/e/{w.other_employer.slug}/",
          who="membre", status=404),
]

#: Routes that answer POST only (no page of their own): each redirects to a page of the registry,
#: or answers an error page that the registry already shows.
POST_ONLY = {
    "auth.logout": "redirects to the login page",
    "network.employer_status": "redirects to the employers page",
}

#: GET routes outside /api/ that are not HTML pages, with what they answer instead.
NOT_PAGES = {
    "pages.health": "JSON health check for load balancers",
}

assert len({entry.name for entry in PAGES}) == len(PAGES), "registry names must be unique"
assert all(entry.who in (None, *PEOPLE) for entry in PAGES), "unknown person in the registry"


# --- the référent's workspace: programme overview, framing sheet, peer helpers ------------------

def _programme(world, rest: str = "") -> str:
    return f"/e/{world.employer.slug}/programme{rest}"


def _ensure_framing_version(page, world) -> None:
    """Version 1 of the framing sheet exists (saved through the form if needed)."""
    page.goto(_programme(world, "/cadre/versions"))
    if page.locator("main").get_by_role("link", name="Version 1", exact=True).count() == 0:
        page.goto(_programme(world, "/cadre"))
        page.locator("main").get_by_label("Problématique 1").fill("Isolement des agents")
        submit(page, "Enregistrer le brouillon")


def _ensure_peer_helper(page, world) -> None:
    """Peer helper no. 1 of the main space exists (added through the form if needed)."""
    listing = _programme(world, "/pair-aidants")
    page.goto(listing)
    if page.locator(f'main a[href="{listing}/1"]').count() == 0:
        page.goto(listing + "/nouveau")
        main = page.locator("main")
        main.get_by_label("Une personne extérieure", exact=False).check()
        main.get_by_label("Nom et prénom").fill("Sam Extérieur")
        main.get_by_label("Organisation", exact=True).fill("Association Pairs")
        submit(page, "Ajouter le candidat")
        assert page.url.endswith(listing + "/1"), page.url


def _then_open(ensure, rest: str, *steps):
    """Reach the state: make the data exist, open ``rest`` in the programme, take ``steps``."""
    def run(page, world):
        ensure(page, world)
        page.goto(_programme(world, rest))
        for step in steps:
            step(page, world)
    return run


def framing_too_long(page, world):
    page.locator("main").get_by_label("Objectifs").fill("o" * 3001)
    submit(page, "Enregistrer le brouillon")
    shows_errors(page, "Le texte des objectifs doit faire 3000 caractères au plus")
    expect(page.locator("main").get_by_label("Objectifs")).to_have_value("o" * 3001)


def framing_saved(page, world):
    page.locator("main").get_by_label("Problématique 2").fill(unique("Problème"))
    submit(page, "Enregistrer le brouillon")
    expect(page.locator(".notices")).to_contain_text("La fiche est enregistrée")


def peer_new_empty(page, world):
    submit(page, "Ajouter le candidat")
    shows_errors(page, "Choisissez un pair-aidant interne ou externe.")


def mission_bad_dates(page, world):
    main = page.locator("main")
    main.get_by_label("Début de la mission").fill("01/05/2026")
    main.get_by_label("Fin de la mission").fill("01/04/2026")
    submit(page, "Enregistrer la fiche de mission")
    shows_errors(page, "La fin de la mission doit être postérieure à son début.")


def training_empty(page, world):
    submit(page, "Ajouter la séance")
    shows_errors(page, "Saisissez l'intitulé.", "Saisissez la date.")


from tests.fixtures.factories import unique  # noqa: E402  (used by framing_saved)

PAGES += [
    Entry("programme, vue d'ensemble", lambda w: _programme(w, "/"), who="referent"),
    Entry("programme, refusé à un membre", lambda w: _programme(w, "/"), who="membre",
          status=403),
    Entry("cadre du projet", lambda w: _programme(w, "/cadre"), who="referent"),
    Entry("cadre du projet, texte trop long", lambda w: _programme(w, "/cadre"),
          who="referent", prepare=framing_too_long, status=400),
    Entry("cadre du projet, enregistré", lambda w: _programme(w, "/cadre"), who="referent",
          prepare=framing_saved),
    Entry("cadre du projet, refusé à un pair-aidant", lambda w: _programme(w, "/cadre"),
          who="pair-aidant", status=403),
    Entry("cadre du projet, historique", lambda w: _programme(w, "/cadre/versions"),
          who="referent", prepare=_then_open(_ensure_framing_version, "/cadre/versions")),
    Entry("cadre du projet, une version", lambda w: _programme(w, "/cadre/versions/1"),
          who="referent", prepare=_then_open(_ensure_framing_version, "/cadre/versions/1")),
    Entry("cadre du projet, version imprimable", lambda w: _programme(w, "/cadre/imprimer"),
          who="referent", prepare=_then_open(_ensure_framing_version, "/cadre/imprimer")),
    Entry("pair-aidants", lambda w: _programme(w, "/pair-aidants"), who="referent"),
    Entry("pair-aidants, refusés à un pair-aidé", lambda w: _programme(w, "/pair-aidants"),
          who="pair-aide", status=403),
    Entry("pair-aidants, ajout", lambda w: _programme(w, "/pair-aidants/nouveau"),
          who="referent"),
    Entry("pair-aidants, ajout envoyé vide", lambda w: _programme(w, "/pair-aidants/nouveau"),
          who="referent", prepare=peer_new_empty, status=400),
    Entry("pair-aidant, fiche", lambda w: _programme(w, "/pair-aidants/1"), who="referent",
          prepare=_then_open(_ensure_peer_helper, "/pair-aidants/1")),
    Entry("pair-aidant, critères de sélection",
          lambda w: _programme(w, "/pair-aidants/1/criteres"), who="referent",
          prepare=_then_open(_ensure_peer_helper, "/pair-aidants/1/criteres")),
    Entry("pair-aidant, fiche de mission", lambda w: _programme(w, "/pair-aidants/1/mission"),
          who="referent", prepare=_then_open(_ensure_peer_helper, "/pair-aidants/1/mission")),
    Entry("pair-aidant, fiche de mission, dates incohérentes",
          lambda w: _programme(w, "/pair-aidants/1/mission"), who="referent",
          prepare=_then_open(_ensure_peer_helper, "/pair-aidants/1/mission",
                             mission_bad_dates), status=400),
    Entry("pair-aidant, fiche de mission imprimable",
          lambda w: _programme(w, "/pair-aidants/1/mission/imprimer"), who="referent",
          prepare=_then_open(_ensure_peer_helper, "/pair-aidants/1/mission/imprimer")),
    Entry("pair-aidant, formation et supervision",
          lambda w: _programme(w, "/pair-aidants/1/formations"), who="referent",
          prepare=_then_open(_ensure_peer_helper, "/pair-aidants/1/formations")),
    Entry("pair-aidant, formation envoyée vide",
          lambda w: _programme(w, "/pair-aidants/1/formations"), who="referent",
          prepare=_then_open(_ensure_peer_helper, "/pair-aidants/1/formations",
                             training_empty), status=400),
]

assert len({entry.name for entry in PAGES}) == len(PAGES), "registry names must be unique"


# --- binômes (plugins/binomes) -------------------------------------------------------------------
# The main space enables the model and gets one published matching (run no. 1) proposing binôme
# no. 1 (Paul Pair with Inès Aidée), made once per session through the real forms, each person in
# a browser context of their own.

import re as _re  # noqa: E402

_BINOMES_DONE: set[str] = set()


def _form_post(context, page_path: str, action: str, data: dict) -> str:
    """Post a form like the browser would (CSRF token from the page); the final URL."""
    html = context.request.get(page_path).text()
    token = _re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    response = context.request.post(action, form={"csrf_token": token, **data})
    assert response.ok, f"{action}: {response.status} {response.text()[:300]}"
    return response.url


def _ensure_binomes(page, world) -> None:
    if world.employer.slug in _BINOMES_DONE:
        return
    from tests.browser.conftest import log_in

    base = "/".join(page.url.split("/")[:3])
    space_ = f"/e/{world.employer.slug}"
    contexts = {}
    try:
        for who in ("referent", "pair-aidant", "pair-aide"):
            contexts[who] = page.context.browser.new_context(base_url=base)
            log_in(contexts[who].new_page(), world.people[who])
        referent = contexts["referent"]
        models = referent.request.get(f"{space_}/programme/modeles").text()
        match = _re.search(r'name="modele" value="binomes">\s*<input type="hidden" '
                           r'name="version" value="(\d+)"', models)
        if 'value="activer"' in models.split('value="binomes"', 1)[1].split("</form>", 1)[0]:
            _form_post(referent, f"{space_}/programme/modeles", f"{space_}/programme/modeles",
                       {"modele": "binomes", "version": match.group(1), "action": "activer"})
        for who, path, data in (
                ("pair-aidant", "/binomes/profil/pair-aidant",
                 {"experiences": "Santé mentale", "availability": "lundi-matin",
                  "capacity": "2", "site": "Hôtel de ville", "version": "0"}),
                ("pair-aide", "/binomes/profil/pair-aide",
                 {"looking_for": "Santé mentale", "availability": "lundi-matin",
                  "site": "Hôtel de ville", "version": "0"})):
            _form_post(contexts[who], space_ + path, space_ + path, data)
        runs = f"{space_}/binomes/appariements"
        run_url = _form_post(referent, runs, runs, {})
        assert run_url.endswith(f"{runs}/1"), run_url
        _form_post(referent, f"{runs}/1", f"{runs}/1/publier", {"version": "1"})
    finally:
        for context in contexts.values():
            context.close()
    _BINOMES_DONE.add(world.employer.slug)


def _binomes(world, rest: str = "/") -> str:
    return f"/e/{world.employer.slug}/binomes{rest}"


def _binomes_then_open(rest: str, *steps):
    def run(page, world):
        _ensure_binomes(page, world)
        page.goto(_binomes(world, rest))
        for step in steps:
            step(page, world)
    return run


def binome_answer_buttons(page, world):
    expect(page.locator("main").get_by_role("button", name="Accepter ce binôme")).to_be_visible()


def helper_profile_empty(page, world):
    main = page.locator("main")
    for box in main.locator('input[name="experiences"]:checked').all():
        box.uncheck()
    main.get_by_label("Nombre de binômes au plus").fill("0")
    submit(page, "Enregistrer mon profil")
    shows_errors(page, "Cochez au moins une expérience que vous pouvez partager.",
                 "Saisissez un nombre de binômes entre 1 et 10.")


PAGES += [
    Entry("binômes, accueil du référent", lambda w: _binomes(w), who="referent",
          prepare=_binomes_then_open("/"), needs_model=True),
    Entry("binômes, accueil d'un pair-aidé", lambda w: _binomes(w), who="pair-aide",
          prepare=_binomes_then_open("/"), needs_model=True),
    Entry("binômes, profil de pair-aidant", lambda w: _binomes(w, "/profil/pair-aidant"),
          who="pair-aidant", prepare=_binomes_then_open("/profil/pair-aidant"),
          needs_model=True),
    Entry("binômes, profil de pair-aidant envoyé incomplet",
          lambda w: _binomes(w, "/profil/pair-aidant"), who="pair-aidant",
          prepare=_binomes_then_open("/profil/pair-aidant", helper_profile_empty), status=400,
          needs_model=True),
    Entry("binômes, profil de pair-aidé", lambda w: _binomes(w, "/profil/pair-aide"),
          who="pair-aide", prepare=_binomes_then_open("/profil/pair-aide"), needs_model=True),
    Entry("binômes, appariements", lambda w: _binomes(w, "/appariements"), who="referent",
          prepare=_binomes_then_open("/appariements"), needs_model=True),
    Entry("binômes, appariements refusés à un pair-aidant",
          lambda w: _binomes(w, "/appariements"), who="pair-aidant",
          prepare=_binomes_then_open("/appariements"), status=403, needs_model=True),
    Entry("binômes, un appariement publié", lambda w: _binomes(w, "/appariements/1"),
          who="referent", prepare=_binomes_then_open("/appariements/1"), needs_model=True),
    Entry("binômes, un binôme vu par le pair-aidé", lambda w: _binomes(w, "/binomes/1"),
          who="pair-aide", prepare=_binomes_then_open("/binomes/1", binome_answer_buttons),
          needs_model=True),
    Entry("binômes, un binôme vu par le référent", lambda w: _binomes(w, "/binomes/1"),
          who="referent", prepare=_binomes_then_open("/binomes/1"), needs_model=True),
    Entry("binômes, un binôme introuvable pour un membre", lambda w: _binomes(w, "/binomes/1"),
          who="membre", prepare=_binomes_then_open("/binomes/1"), status=404,
          needs_model=True),
]

POST_ONLY.update({
    "binomes.remove_proposal": "redirects to the matching run (or shows it with the error)",
    "binomes.publish": "redirects to the matching run (or shows it with the error)",
    "binomes.discard": "redirects to the matching run (or shows it with the error)",
    "binomes.answer": "redirects to the binôme's page (or shows it with the error)",
    "binomes.start": "redirects to the binôme's page (or shows it with the error)",
    "binomes.close": "redirects to the binôme's page (or shows it with the error)",
    "binomes.log_meeting": "redirects to the binôme's page (or shows it with the errors)",
})

assert len({entry.name for entry in PAGES}) == len(PAGES), "registry names must be unique"


# --- invitations, consent and participation --------------------------------------------------



def _invitation(world, role: str, email: str | None = None):
    """An invitation made for the registry (once per session): (id, link path)."""
    made_invitations = _made(world, "invitations")
    key = (role, email)
    if key not in made_invitations:
        from tests.invitation_helpers import make_invitation

        invitation_id, link, _ = make_invitation(world.app, world.employer, role=role, email=email,
                                                 name="Camille Registre")
        made_invitations[key] = (invitation_id, link)
    return made_invitations[key]


def invite_empty(page, world):
    submit(page, "Envoyer l'invitation")
    shows_errors(page, "Adresse e-mail manquante.", "Nom manquant.", "Choisissez le rôle")


def invitations_preview(page, world):
    content = ("e-mail;nom;rôle\n"
               "nouvelle.personne@exemple.fr;Nora Nouvelle;pair-aidé\n"
               "pas-une-adresse;Paul Faux;directeur\n").encode()
    page.locator("main").get_by_label("Fichier CSV").set_input_files(
        {"name": "personnes.csv", "mimeType": "text/csv", "buffer": content})
    submit(page, "Voir l'aperçu")
    expect(page.locator("main table caption").first).to_contain_text("problèmes éventuels")
    expect(page.locator("main")).to_contain_text("Rôle inconnu « directeur »")


def accept_empty(page, world):
    submit(page, "Rejoindre l'espace")
    shows_errors(page, "Choisissez un mot de passe.", "Cochez la case de consentement",
                 "Confirmez que vous participez de votre plein gré.")


def shows_password_of_existing_account(page, world):
    expect(page.locator("main")).to_contain_text("Un compte Entrepairs existe déjà")


def consent_given(page, world):
    """The pair-aidé of the registry gives their consent once, through the page."""
    main = page.locator("main")
    if main.get_by_role("button", name="Donner mon consentement").count():
        for box in main.locator("input[type=checkbox]").all():
            box.check()
        submit(page, "Donner mon consentement")
    expect(main).to_contain_text("Vous avez donné votre consentement le")


def consent_text_empty(page, world):
    page.locator("main").get_by_label("Texte du consentement").fill("")
    submit(page, "Publier cette version")
    shows_errors(page, "Saisissez le texte du consentement.")


PAGES.extend([
    Entry("invitations", lambda w: _programme(w, "/invitations"), who="referent"),
    Entry("invitations, envoyée vide", lambda w: _programme(w, "/invitations"), who="referent",
          prepare=invite_empty, status=400),
    Entry("invitations, aperçu d'un fichier", lambda w: _programme(w, "/invitations"),
          who="referent", prepare=invitations_preview),
    Entry("invitations, refusées à un pair-aidant", lambda w: _programme(w, "/invitations"),
          who="pair-aidant", status=403),
    Entry("annuler une invitation",
          lambda w: _programme(w, f"/invitations/{_invitation(w, 'membre')[0]}/annuler"),
          who="referent"),
    Entry("invitation, nouveau compte de pair-aidé", lambda w: _invitation(w, "pair-aide")[1]),
    Entry("invitation, envoyée vide", lambda w: _invitation(w, "pair-aide")[1],
          prepare=accept_empty, status=400),
    Entry("invitation, compte existant",
          lambda w: _invitation(w, "pair-aidant", w.people["membre"].email)[1],
          prepare=shows_password_of_existing_account),
    Entry("invitation, lien inconnu", lambda w: "/invitation/lien-inconnu", status=404),
    Entry("ma participation, pair-aidé", lambda w: f"/e/{w.employer.slug}/ma-participation",
          who="pair-aide", prepare=consent_given),
    Entry("ma participation, membre", lambda w: f"/e/{w.employer.slug}/ma-participation",
          who="membre"),
    Entry("participants", lambda w: _programme(w, "/participants"), who="referent"),
    Entry("participants, refusés à un membre", lambda w: _programme(w, "/participants"),
          who="membre", status=403),
    Entry("texte du consentement", lambda w: _programme(w, "/consentement"), who="referent"),
    Entry("texte du consentement, vide", lambda w: _programme(w, "/consentement"),
          who="referent", prepare=consent_text_empty, status=400),
    Entry("courriels gardés", lambda w: "/reseau/courriels", who="admin"),
    Entry("courriels gardés, refusés à l'animation", lambda w: "/reseau/courriels",
          who="animateur", status=403),
])

# --- surveys and the programme dashboard -------------------------------------------------------

def _questionnaires(world, rest: str = "") -> str:
    return f"/e/{world.employer.slug}/questionnaires{rest}"


def dashboard_end_before_start(page, world):
    main = page.locator("main")
    main.get_by_label("Date de début").fill("2025-12-31")
    main.get_by_label("Date de fin").fill("2025-01-01")
    submit(page, "Afficher la période")
    shows_errors(page, "La date de fin doit être égale ou postérieure à la date de début.")




def _with_time_spent(world, rest: str) -> str:
    """A programme page once the registry's pair-aidant has held an intervention (made once),
    so that the time charts and tables are drawn."""
    made_intervention = _made(world, "intervention")
    made_time_spent = _made(world, "time_spent")
    if "done" not in made_time_spent:
        from datetime import datetime, timedelta, timezone

        from plugins.interventions.models import Intervention
        from tenants import tenant_context

        _intervention(world)  # enables the model
        app = world.app
        with app.app_context(), tenant_context(world.employer.slug):
            db = app.extensions["sqlalchemy"]
            first = db.session.get(Intervention, made_intervention["id"])
            db.session.add(Intervention(
                kind="comite", title="Comité de maintien", planned_minutes=60,
                starts_at=datetime.now(timezone.utc) - timedelta(days=3),
                helper_id=first.helper_id, status="held", minutes_spent=75,
                audience_size=6, outcome="atteint"))
            db.session.commit()
            db.session.remove()
        made_time_spent["done"] = True
    return _programme(world, rest)


def survey_questions_empty(page, world):
    for field in page.locator("main input[name=question]").all():
        field.fill("")
    submit(page, "Enregistrer une nouvelle version")
    shows_errors(page, "Saisissez au moins une question.")


PAGES.extend([
    Entry("tableau de bord", lambda w: _programme(w, "/tableau-de-bord"), who="referent"),
    Entry("tableau de bord, fin avant début", lambda w: _programme(w, "/tableau-de-bord"),
          who="referent", prepare=dashboard_end_before_start, status=400),
    Entry("tableau de bord, refusé à un pair-aidant", lambda w: _programme(w, "/tableau-de-bord"),
          who="pair-aidant", status=403),
    Entry("mon temps de pair-aidant", lambda w: _programme(w, "/mon-temps"), who="pair-aidant"),
    Entry("tableau de bord, avec du temps consacré",
          lambda w: _with_time_spent(w, "/tableau-de-bord"), who="referent"),
    Entry("mon temps de pair-aidant, avec des heures",
          lambda w: _with_time_spent(w, "/mon-temps"), who="pair-aidant"),
    Entry("mon temps de pair-aidant, fin avant début", lambda w: _programme(w, "/mon-temps"),
          who="pair-aidant", prepare=dashboard_end_before_start, status=400),
    Entry("mes questionnaires", lambda w: _questionnaires(w, "/"), who="pair-aide"),
    Entry("questionnaire inconnu", lambda w: _questionnaires(w, "/999999"), who="pair-aide",
          status=404),
    Entry("résultats des questionnaires", lambda w: _questionnaires(w, "/resultats"),
          who="referent"),
    Entry("questions d'un questionnaire", lambda w: _questionnaires(w, "/questions/apres-seance"),
          who="referent"),
    Entry("questions d'un questionnaire, vides",
          lambda w: _questionnaires(w, "/questions/apres-seance"), who="referent",
          prepare=survey_questions_empty, status=400),
])

NOT_PAGES.update({
    "programme.dashboard_csv": "CSV export of the dashboard (text/csv)",
})

POST_ONLY.update({
    "invitations.resend": "redirects to the invitations page",
})

assert len({entry.name for entry in PAGES}) == len(PAGES), "registry names must be unique"

# --- permanences (plugins/permanences) ----------------------------------------------------------
# The main space enables the model and its pair-aidant offers one slot in three days and the
# same a week later (the space's first slots, no. 1 and 2, a weekly series no. 1), made once
# per session through the real forms.

_PERMANENCES_DONE: set[str] = set()


def _ensure_permanences(page, world) -> None:
    if world.employer.slug in _PERMANENCES_DONE:
        return
    from datetime import timedelta

    from tests.browser.conftest import log_in

    base = "/".join(page.url.split("/")[:3])
    space_ = f"/e/{world.employer.slug}"
    contexts = {}
    try:
        for who in ("referent", "pair-aidant"):
            contexts[who] = page.context.browser.new_context(base_url=base)
            log_in(contexts[who].new_page(), world.people[who])
        referent = contexts["referent"]
        models = referent.request.get(f"{space_}/programme/modeles").text()
        form = models.split('value="permanences"', 1)[1].split("</form>", 1)[0]
        if 'value="activer"' in form:
            version = _re.search(r'name="version" value="(\d+)"', form).group(1)
            _form_post(referent, f"{space_}/programme/modeles", f"{space_}/programme/modeles",
                       {"modele": "permanences", "version": version, "action": "activer"})
        new = f"{space_}/permanences/creneaux/nouveau"
        _form_post(contexts["pair-aidant"], new, new, {
            "date": (clock.today() + timedelta(days=3)).isoformat(), "time": "14:00",
            "duration_minutes": "45", "mode": "place", "location": "Salle 12",
            "repeat_weeks": "2"})
    finally:
        for context in contexts.values():
            context.close()
    _PERMANENCES_DONE.add(world.employer.slug)


def _permanences(world, rest: str = "/") -> str:
    return f"/e/{world.employer.slug}/permanences{rest}"


def _permanences_then_open(rest: str, *steps):
    def run(page, world):
        _ensure_permanences(page, world)
        page.goto(_permanences(world, rest))
        for step in steps:
            step(page, world)
    return run


def slot_form_empty(page, world):
    page.locator("main").get_by_label("Durée en minutes").fill("")
    submit(page, "Proposer le créneau")
    shows_errors(page, "Saisissez la date du créneau", "Saisissez une durée en minutes")


PAGES += [
    Entry("permanences, accueil du référent", lambda w: _permanences(w), who="referent",
          prepare=_permanences_then_open("/"), needs_model=True),
    Entry("permanences, accueil d'un pair-aidé", lambda w: _permanences(w), who="pair-aide",
          prepare=_permanences_then_open("/"), needs_model=True),
    Entry("permanences, accueil d'un pair-aidant", lambda w: _permanences(w),
          who="pair-aidant", prepare=_permanences_then_open("/"), needs_model=True),
    Entry("permanences, proposer un créneau", lambda w: _permanences(w, "/creneaux/nouveau"),
          who="pair-aidant", prepare=_permanences_then_open("/creneaux/nouveau"),
          needs_model=True),
    Entry("permanences, proposer un créneau, envoyé vide",
          lambda w: _permanences(w, "/creneaux/nouveau"), who="pair-aidant",
          prepare=_permanences_then_open("/creneaux/nouveau", slot_form_empty), status=400,
          needs_model=True),
    Entry("permanences, proposer un créneau, refusé à un pair-aidé",
          lambda w: _permanences(w, "/creneaux/nouveau"), who="pair-aide",
          prepare=_permanences_then_open("/creneaux/nouveau"), status=403, needs_model=True),
    Entry("permanences, un créneau vu par un pair-aidé", lambda w: _permanences(w, "/creneaux/1"),
          who="pair-aide", prepare=_permanences_then_open("/creneaux/1"), needs_model=True),
    Entry("permanences, un créneau vu par son pair-aidant",
          lambda w: _permanences(w, "/creneaux/1"), who="pair-aidant",
          prepare=_permanences_then_open("/creneaux/1"), needs_model=True),
    Entry("permanences, annuler une série, confirmation du pair-aidant",
          lambda w: _permanences(w, "/series/1/annuler"), who="pair-aidant",
          prepare=_permanences_then_open("/series/1/annuler"), needs_model=True),
    Entry("permanences, annuler une série, confirmation du référent",
          lambda w: _permanences(w, "/series/1/annuler"), who="referent",
          prepare=_permanences_then_open("/series/1/annuler"), needs_model=True),
    Entry("permanences, annuler une série, date invalide",
          lambda w: _permanences(w, "/series/1/annuler?a_partir_du=31/02/2026"),
          who="pair-aidant", status=400,
          prepare=_permanences_then_open("/series/1/annuler?a_partir_du=31/02/2026"),
          needs_model=True),
    Entry("permanences, annuler une série, refusé à un pair-aidé",
          lambda w: _permanences(w, "/series/1/annuler"), who="pair-aide", status=403,
          prepare=_permanences_then_open("/series/1/annuler"), needs_model=True),
]

POST_ONLY.update({
    "permanences.book": "redirects to the slot's page (or shows it with the error)",
    "permanences.cancel_booking": "redirects to the slot's page (or shows it with the error)",
    "permanences.cancel_slot": "redirects to the slot's page (or shows it with the error)",
})

# --- the core calendar (server/calendar) ----------------------------------------------------------

def _agenda(world, rest: str = "") -> str:
    return f"/e/{world.employer.slug}/agenda{rest}"


def feed_link_created(page, world):
    main = page.locator("main")
    name = ("Remplacer le lien" if main.get_by_role("button", name="Remplacer le lien").count()
            else "Créer mon lien d'abonnement")
    submit(page, name)
    expect(main.get_by_label("Lien d'abonnement")).to_have_value(
        _re.compile(r"/calendrier/.+\.ics$"))


PAGES.extend([
    Entry("mon agenda", lambda w: _agenda(w), who="pair-aidant"),
    Entry("mon agenda, membre", lambda w: _agenda(w), who="membre"),
    Entry("abonnement à mon agenda", lambda w: _agenda(w, "/abonnement"), who="pair-aidant"),
    Entry("abonnement à mon agenda, lien créé", lambda w: _agenda(w, "/abonnement"),
          who="pair-aide", prepare=feed_link_created),
    Entry("mon agenda d'un autre employeur", lambda w: f"/e/{w.other_employer.slug}/agenda",
          who="membre", status=404),
])

NOT_PAGES.update({
    "agenda.event_ics": "one event as an iCalendar file (text/calendar)",
    "agenda.public_feed": "a person's private iCalendar feed (text/calendar)",
})

assert len({entry.name for entry in PAGES}) == len(PAGES), "registry names must be unique"


# --- groupes ouverts (plugins/groupes) -----------------------------------------------------------
# The main space enables the model; its pair-aidant creates group no. 1 (weekly, 3 sessions: the
# first is session no. 1) and the pair-aidé registers, once per session through the real forms.

_GROUPES_DONE: set[str] = set()


def _ensure_groupes(page, world) -> None:
    if world.employer.slug in _GROUPES_DONE:
        return
    from datetime import datetime, timedelta

    from tests.browser.conftest import log_in

    base = "/".join(page.url.split("/")[:3])
    space_ = f"/e/{world.employer.slug}"
    contexts = {}
    try:
        for who in ("referent", "pair-aidant", "pair-aide"):
            contexts[who] = page.context.browser.new_context(base_url=base)
            log_in(contexts[who].new_page(), world.people[who])
        referent = contexts["referent"]
        models = referent.request.get(f"{space_}/programme/modeles").text()
        match = _re.search(r'name="modele" value="groupes">\s*<input type="hidden" '
                           r'name="version" value="(\d+)"', models)
        if 'value="activer"' in models.split('value="groupes"', 1)[1].split("</form>", 1)[0]:
            _form_post(referent, f"{space_}/programme/modeles", f"{space_}/programme/modeles",
                       {"modele": "groupes", "version": match.group(1), "action": "activer"})
        listing = contexts["pair-aidant"].request.get(f"{space_}/groupes/").text()
        if f'href="{space_}/groupes/1"' not in listing:
            first = (datetime.now() + timedelta(days=7)).strftime("%Y-%m-%d 14:00")
            _form_post(contexts["pair-aidant"], f"{space_}/groupes/nouveau",
                       f"{space_}/groupes/nouveau",
                       {"title": "Groupe du jeudi", "theme": "Échanger entre collègues",
                        "place": "Salle 3", "recurrence": "weekly", "first_session": first,
                        "sessions_count": "3", "duration_minutes": "90", "capacity": "8"})
            _form_post(contexts["pair-aide"], f"{space_}/groupes/1",
                       f"{space_}/groupes/1/inscription", {})
    finally:
        for context in contexts.values():
            context.close()
    _GROUPES_DONE.add(world.employer.slug)


def _groupes(world, rest: str = "/") -> str:
    return f"/e/{world.employer.slug}/groupes{rest}"


def _groupes_then_open(rest: str, *steps):
    def run(page, world):
        _ensure_groupes(page, world)
        page.goto(_groupes(world, rest))
        for step in steps:
            step(page, world)
    return run


def group_form_empty(page, world):
    submit(page, "Créer le groupe")
    shows_errors(page, "Saisissez le nom du groupe.", "Saisissez le thème du groupe.")


def group_edit_errors(page, world):
    page.locator("main").get_by_label("Nom du groupe").fill("")
    submit(page, "Enregistrer les modifications")
    shows_errors(page, "Saisissez le nom du groupe.")


PAGES += [
    Entry("groupes, accueil du référent", lambda w: _groupes(w), who="referent",
          prepare=_groupes_then_open("/"), needs_model=True),
    Entry("groupes, accueil d'un pair-aidé", lambda w: _groupes(w), who="pair-aide",
          prepare=_groupes_then_open("/"), needs_model=True),
    Entry("groupes, créer un groupe", lambda w: _groupes(w, "/nouveau"), who="pair-aidant",
          prepare=_groupes_then_open("/nouveau"), needs_model=True),
    Entry("groupes, créer un groupe envoyé vide", lambda w: _groupes(w, "/nouveau"),
          who="pair-aidant", prepare=_groupes_then_open("/nouveau", group_form_empty),
          status=400, needs_model=True),
    Entry("groupes, créer un groupe refusé à un pair-aidé", lambda w: _groupes(w, "/nouveau"),
          who="pair-aide", prepare=_groupes_then_open("/nouveau"), status=403,
          needs_model=True),
    Entry("groupes, un groupe vu par son animateur", lambda w: _groupes(w, "/1"),
          who="pair-aidant", prepare=_groupes_then_open("/1"), needs_model=True),
    Entry("groupes, un groupe vu par un inscrit", lambda w: _groupes(w, "/1"),
          who="pair-aide", prepare=_groupes_then_open("/1"), needs_model=True),
    Entry("groupes, un groupe vu par le référent", lambda w: _groupes(w, "/1"),
          who="referent", prepare=_groupes_then_open("/1"), needs_model=True),
    Entry("groupes, une séance vue par son animateur", lambda w: _groupes(w, "/seances/1"),
          who="pair-aidant", prepare=_groupes_then_open("/seances/1"), needs_model=True),
    Entry("groupes, créer un groupe pour un pair-aidant (référent)",
          lambda w: _groupes(w, "/nouveau"), who="referent",
          prepare=_groupes_then_open("/nouveau"), needs_model=True),
    Entry("groupes, modifier un groupe", lambda w: _groupes(w, "/1/modifier"),
          who="pair-aidant", prepare=_groupes_then_open("/1/modifier"), needs_model=True),
    Entry("groupes, modifier un groupe avec des erreurs", lambda w: _groupes(w, "/1/modifier"),
          who="referent", prepare=_groupes_then_open("/1/modifier", group_edit_errors),
          status=400, needs_model=True),
    Entry("groupes, modifier un groupe refusé à un pair-aidé",
          lambda w: _groupes(w, "/1/modifier"), who="pair-aide",
          prepare=_groupes_then_open("/1/modifier"), status=403, needs_model=True),
    Entry("groupes, clore un groupe (confirmation)", lambda w: _groupes(w, "/1/clore"),
          who="referent", prepare=_groupes_then_open("/1/clore"), needs_model=True),
]

POST_ONLY.update({
    "groupes.register": "redirects to the group's page (or shows it with the error)",
    "groupes.unregister": "redirects to the group's page (or shows it with the error)",
    "groupes.cancel_session": "redirects to the session's page (or shows it with the error)",
    "groupes.remove_participant": "redirects to the group's page (or shows it with the error)",
})

# --- interventions (plugins/interventions) --------------------------------------------------------



def _intervention(world) -> str:
    """The page of an intervention asked of the registry's pair-aidant (made once)."""
    made_intervention = _made(world, "intervention")
    if "id" not in made_intervention:
        from tests.interventions_helpers import registry_intervention

        made_intervention["id"] = registry_intervention(world.app, world.employer,
                                                    world.people["pair-aidant"])
    return f"/e/{world.employer.slug}/interventions/{made_intervention['id']}"


def _interventions(world, rest: str = "/") -> str:
    _intervention(world)  # the model is enabled with it
    return f"/e/{world.employer.slug}/interventions{rest}"


def intervention_request_empty(page, world):
    submit(page, "Envoyer la demande")
    shows_errors(page, "Choisissez le type d'intervention", "Saisissez l'objet")


PAGES.extend([
    Entry("interventions, référent", lambda w: _interventions(w), who="referent"),
    Entry("interventions, pair-aidant", lambda w: _interventions(w), who="pair-aidant"),
    Entry("interventions, refusées à un membre", lambda w: _interventions(w), who="membre",
          status=403),
    Entry("demander une intervention", lambda w: _interventions(w, "/demander"),
          who="referent"),
    Entry("demander une intervention, envoyée vide", lambda w: _interventions(w, "/demander"),
          who="referent", prepare=intervention_request_empty, status=400),
    Entry("une intervention, pair-aidant sollicité", _intervention, who="pair-aidant"),
    Entry("une intervention, référent", _intervention, who="referent"),
])

# --- topic proposals and polls (server/polls) -----------------------------------------------------



def _polls(world) -> dict:
    """Kept topics and four polls (open approval, open ranked with results shown, open with
    results hidden, closed ranked with one ballot), made once through the service."""
    made_polls = _made(world, "polls")
    if not made_polls:
        from datetime import datetime, timedelta, timezone

        from server.extensions import db
        from server.polls import service

        app, now = world.app, datetime.now(timezone.utc)
        with app.app_context():
            staff = world.people["animateur"].id
            kept = []
            for title in ("Pair-aidance et télétravail", "Former les pair-aidants",
                          "Reconnaître le temps de pair-aidance"):
                topic = service.propose(staff, f"{title} {unique('n')}", "Des questions reviennent.")
                service.keep(topic, staff)
                kept.append(topic.id)
            made_polls["topic"] = service.propose(staff, unique("Thème à trier"), "Pourquoi pas.").id

            def poll(method, opens, closes, during=False):
                return service.open_poll(service.PollDraft(
                    title=unique("Thème du prochain e-club"), method=method,
                    max_choices=2 if method == "approval" else None, scope="person",
                    opens_at=now + timedelta(hours=opens), closes_at=now + timedelta(hours=closes),
                    results_during_vote=during, topic_ids=kept), staff).id

            made_polls["approval"] = poll("approval", -1, 240)
            made_polls["ranked"] = poll("schulze", -1, 240, during=True)
            made_polls["hidden"] = poll("approval", -1, 240)
            made_polls["closed"] = poll("schulze", -3, -2)
            db.session.commit()
            closed = db.session.get(service.Poll, made_polls["closed"])
            db.session.add(service.PollBallot(poll_id=closed.id, ballot_key=b"registry" * 4,
                                              choices=[o.id for o in closed.options]))
            db.session.commit()
            service.close(closed.id)
    return made_polls


def _poll(kind: str, rest: str = ""):
    return lambda w: f"/reseau/sondages/{_polls(w)[kind]}{rest}"


def topic_empty(page, world):
    submit(page, "Proposer ce thème")
    shows_errors(page, "Saisissez le thème proposé.", "Expliquez pourquoi ce thème compte.")


def poll_form_empty(page, world):
    submit(page, "Ouvrir le sondage")
    shows_errors(page, "Saisissez l'intitulé du sondage.", "Saisissez la date d'ouverture.")


def same_rank_twice(page, world):
    selects = page.locator("main select")
    selects.nth(0).select_option("1")
    selects.nth(1).select_option("1")
    submit(page, "Voter")
    shows_errors(page, "Deux thèmes ont le même rang")


PAGES.extend([
    Entry("thèmes proposés", lambda w: (_polls(w), "/reseau/themes/")[1], who="membre"),
    Entry("thèmes proposés, envoyé vide", lambda w: "/reseau/themes/", who="membre",
          prepare=topic_empty, status=400),
    Entry("trier un thème", lambda w: f"/reseau/themes/{_polls(w)['topic']}", who="animateur"),
    Entry("trier un thème, refusé à un membre", lambda w: f"/reseau/themes/{_polls(w)['topic']}",
          who="membre", status=403),
    Entry("sondages, membre", lambda w: (_polls(w), "/reseau/sondages/")[1], who="membre"),
    Entry("sondages, animation", lambda w: "/reseau/sondages/", who="animateur"),
    Entry("ouvrir un sondage", lambda w: (_polls(w), "/reseau/sondages/nouveau")[1],
          who="animateur"),
    Entry("ouvrir un sondage, envoyé vide", lambda w: (_polls(w), "/reseau/sondages/nouveau")[1],
          who="animateur", prepare=poll_form_empty, status=400),
    Entry("un sondage par approbation", _poll("approval"), who="membre"),
    Entry("un sondage par classement", _poll("ranked"), who="pair-aide"),
    Entry("un sondage par classement, même rang deux fois", _poll("ranked"), who="pair-aidant",
          prepare=same_rank_twice, status=422),
    Entry("un sondage vu par l'animation", _poll("approval"), who="animateur"),
    Entry("résultats provisoires d'un sondage par classement", _poll("ranked", "/resultats"),
          who="membre"),
    Entry("résultats cachés pendant le vote", _poll("hidden", "/resultats"), who="membre",
          status=409),
    Entry("résultats définitifs, animation", _poll("closed", "/resultats"), who="animateur"),
])

POST_ONLY.update({
    "polls.support": "redirects to the topics page",
    "polls.make_eclub": "redirects to the new e-club's form (or back to the results)",
})

assert len({entry.name for entry in PAGES}) == len(PAGES), "registry names must be unique"

# --- e-clubs (server/eclubs) ---------------------------------------------------------------------
# Made once per world through the service: an upcoming e-club with its agenda and two questions
# (one without its author's name), and a past one with its replay.

_ECLUBS: dict[int, dict] = {}


def _eclubs(world) -> dict:
    key = id(world)
    if key in _ECLUBS:
        return _ECLUBS[key]
    from datetime import datetime, timedelta, timezone

    import sqlalchemy as sa

    from server.eclubs import service
    from server.eclubs.models import EClub

    app = world.app
    db = app.extensions["sqlalchemy"]
    soon = datetime.now(timezone.utc) + timedelta(days=10)
    with app.test_request_context():
        upcoming = service.create_eclub(
            title="Pair-aidance et maintien dans l'emploi", starts_at=soon,
            description="Retours d'expérience des employeurs du réseau.",
            video_url="https://visio.exemple.fr/e-club",
            agenda=[{"title": "Accueil", "speakers": [{"name": "Anis Animateur",
                                                      "role": "animateur du réseau"}]},
                    {"title": "Témoignages", "speakers": [{"name": "Paul Pair",
                                                          "role": "pair-aidant"}]}],
            resources=[{"label": "Guide pour expérimenter la pair-aidance",
                        "url": "https://exemple.fr/guide.pdf"}])
        past = service.create_eclub(title="La pair-aidance, premiers pas", starts_at=soon,
                                    duration_minutes=60)
        db.session.flush()
        past_id, upcoming_id = past.id, upcoming.id
        service.set_after(past_id, {"replay_url": "https://replay.exemple.fr/1",
                                    "summary": "Trois idées à retenir.",
                                    "resources": [{"label": "Diaporama",
                                                   "url": "https://exemple.fr/d.pdf"}]})
        service.ask(upcoming_id, world.people["membre"].id,
                    {"body": "Comment reconnaître le temps des pair-aidants ?", "anonymous": True})
        question = service.ask(upcoming_id, world.people["pair-aide"].id,
                               {"body": "Quelle formation pour commencer ?", "anonymous": False})
        service.support(upcoming_id, question.id, world.people["membre"].id)
        db.session.execute(sa.update(EClub).where(EClub.id == past_id).values(
            starts_at=datetime.now(timezone.utc) - timedelta(days=30)))
        db.session.commit()
        db.session.remove()
    _ECLUBS[key] = {"upcoming": upcoming_id, "past": past_id}
    return _ECLUBS[key]


def _eclub(which: str, rest: str = ""):
    return lambda w: f"/reseau/e-clubs/{_eclubs(w)[which]}{rest}"


def eclub_form_empty(page, world):
    submit(page, "Publier l'e-club")
    shows_errors(page, "Saisissez le titre de l'e-club.", "Saisissez la date de l'e-club",
                 "Saisissez l'heure de début")


def eclub_question_empty(page, world):
    submit(page, "Poser ma question")
    shows_errors(page, "Saisissez votre question.")


PAGES.extend([
    Entry("e-clubs, membre", lambda w: (_eclubs(w), "/reseau/e-clubs/")[1], who="membre"),
    Entry("e-clubs, animation", lambda w: (_eclubs(w), "/reseau/e-clubs/")[1], who="animateur"),
    Entry("un e-club à venir, membre", _eclub("upcoming"), who="membre"),
    Entry("un e-club à venir, question vide", _eclub("upcoming"), who="pair-aide",
          prepare=eclub_question_empty, status=400),
    Entry("un e-club à venir, animation", _eclub("upcoming"), who="animateur"),
    Entry("un e-club passé avec son replay", _eclub("past"), who="pair-aidant"),
    Entry("créer un e-club", lambda w: "/reseau/e-clubs/nouveau", who="animateur"),
    Entry("créer un e-club, envoyé vide", lambda w: "/reseau/e-clubs/nouveau", who="animateur",
          prepare=eclub_form_empty, status=400),
    Entry("créer un e-club, refusé à un membre", lambda w: "/reseau/e-clubs/nouveau",
          who="membre", status=403),
    Entry("modifier un e-club", _eclub("upcoming", "/modifier"), who="animateur"),
    Entry("après la séance d'un e-club", _eclub("past", "/apres-la-seance"), who="animateur"),
    Entry("annuler un e-club", _eclub("upcoming", "/annuler"), who="animateur"),
    Entry("e-club inconnu", lambda w: "/reseau/e-clubs/999999", who="membre", status=404),
])

POST_ONLY.update({
    "eclubs.register": "redirects to the e-club's page (or shows it with the reason)",
    "eclubs.unregister": "redirects to the e-club's page (or shows it with the reason)",
    "eclubs.support": "redirects to the e-club's questions (or shows it with the reason)",
    "eclubs.answered": "redirects to the e-club's questions (or shows it with the reason)",
    "eclubs.merge": "redirects to the e-club's questions (or shows the page with the errors)",
})

NOT_PAGES.update({
    "eclubs.feed": "public iCalendar feed of the network's e-clubs (text/calendar)",
})

assert len({entry.name for entry in PAGES}) == len(PAGES), "registry names must be unique"

# --- network indicators (server/network_indicators) --------------------------------------------

_INDICATORS: set = set()


def _indicators(world) -> str:
    """The indicators page, after one computation over the registry's employers."""
    if id(world) not in _INDICATORS:
        from server.network_indicators.aggregate import aggregate

        with world.app.app_context():
            aggregate()
            world.app.extensions["sqlalchemy"].session.remove()
        _INDICATORS.add(id(world))
    return "/reseau/indicateurs/"


def indicators_shown(page, world):
    expect(page.locator("main")).to_contain_text("secret statistique")
    expect(page.locator("main table caption").first).to_contain_text("Programmes par modèle")


def indicators_recomputing(page, world):
    submit(page, "Recalculer")
    expect(page.locator("main")).to_contain_text("Un calcul est en cours")


PAGES.extend([
    Entry("indicateurs du réseau", _indicators, who="animateur", prepare=indicators_shown),
    Entry("indicateurs du réseau, administration", _indicators, who="admin"),
    Entry("indicateurs du réseau, calcul lancé", _indicators, who="animateur",
          prepare=indicators_recomputing),
    Entry("indicateurs du réseau, refusés à un membre", lambda w: "/reseau/indicateurs/",
          who="membre", status=403),
])

POST_ONLY.update({
    "network_indicators.recompute": "enqueues the computation, redirects to the indicators page",
})

NOT_PAGES.update({
    "network_indicators.export_csv": "CSV export of the published network indicators (text/csv)",
})

assert len({entry.name for entry in PAGES}) == len(PAGES), "registry names must be unique"

# --- the network's resource library (server/library) -------------------------------------------



def _library(world, key: str = "fiche") -> str:
    """A published tool sheet that opens the framing sheet, and a draft (made once)."""
    made_library = _made(world, "library")
    if not made_library:
        from datetime import date

        from server.extensions import db
        from server.library import service

        with world.app.app_context():
            for name, status, kind, tool in (("fiche", "publie", "fiche-outil", "cadrage"),
                                             ("brouillon", "brouillon", "guide", None)):
                values, errors = service.clean({
                    "kind": kind, "title": f"Définition du cadre du projet ({name})",
                    "summary": "Préciser les contours, les objectifs et les résultats attendus.",
                    "body": "Premier paragraphe.\n\nSecond paragraphe.",
                    "themes": ["cadre-projet"], "audience": "referents",
                    "published_on": date(2025, 9, 12), "tool": tool})
                assert not errors, errors
                resource = service.create(values, by_user_id=world.people["animateur"].id)
                resource.status = status
                db.session.commit()
                made_library[name] = resource.id
    return f"/reseau/ressources/{made_library[key]}"


def library_new_empty(page, world):
    submit(page, "Enregistrer le brouillon")
    shows_errors(page, "Choisissez le type de ressource.", "Saisissez un titre.")


def library_upload_refused(page, world):
    page.locator("main").get_by_label("Fichier").set_input_files(files=[{
        "name": "guide.pdf", "mimeType": "application/pdf",
        "buffer": b"%PDF-1.4\n<html><script>alert(1)</script></html>"}])
    submit(page, "Ajouter le document")
    shows_errors(page, "contient une page web ou un script")


def library_copy_offered(page, world):
    expect(page.locator("main").get_by_role("button", name="Démarrer ma fiche")).to_be_visible()


PAGES.extend([
    Entry("bibliothèque, membre", lambda w: "/reseau/ressources/", who="membre"),
    Entry("bibliothèque, animation", lambda w: (_library(w), "/reseau/ressources/")[1],
          who="animateur"),
    Entry("bibliothèque, recherche sans résultat",
          lambda w: "/reseau/ressources/?q=introuvable+xyzzy", who="pair-aide"),
    Entry("bibliothèque, filtre inconnu", lambda w: "/reseau/ressources/?theme=astrologie",
          who="membre", status=400),
    Entry("histoire de la pair-aidance", lambda w: "/reseau/ressources/histoire", who="membre"),
    Entry("une fiche outil, membre", lambda w: _library(w), who="membre"),
    Entry("une fiche outil, référent", lambda w: _library(w), who="referent",
          prepare=library_copy_offered),
    Entry("une fiche outil, animation", lambda w: _library(w), who="animateur"),
    Entry("un brouillon, animation", lambda w: _library(w, "brouillon"), who="animateur"),
    Entry("un brouillon, introuvable pour un membre", lambda w: _library(w, "brouillon"),
          who="membre", status=404),
    Entry("nouvelle ressource", lambda w: "/reseau/ressources/nouvelle", who="animateur"),
    Entry("nouvelle ressource, envoyée vide", lambda w: "/reseau/ressources/nouvelle",
          who="admin", prepare=library_new_empty, status=400),
    Entry("nouvelle ressource, refusée à un membre", lambda w: "/reseau/ressources/nouvelle",
          who="membre", status=403),
    Entry("modifier une ressource", lambda w: _library(w) + "/modifier", who="animateur"),
    Entry("documents joints", lambda w: _library(w) + "/pieces-jointes", who="animateur"),
    Entry("documents joints, fichier refusé", lambda w: _library(w) + "/pieces-jointes",
          who="animateur", prepare=library_upload_refused, status=400),
])

POST_ONLY.update({
    "library.change_status": "publishes, archives or drafts, redirects to the resource",
    "library.remove_attachment": "removes a file, redirects to the attachments page",
    "library.start_copy": "redirects to the référent's framing sheet (or shows the resource "
                          "with the error)",
})

NOT_PAGES.update({
    "library.download": "an attachment, sent as a download (Content-Disposition: attachment)",
})

assert len({entry.name for entry in PAGES}) == len(PAGES), "registry names must be unique"


# --- the audit logs -------------------------------------------------------------------------

def _journal(world) -> str:
    return f"/e/{world.employer.slug}/journal"


def journal_with_entries(page, world):
    """A read of the participants list leaves an entry; the log shows it in its table."""
    page.goto(_programme(world, "/participants"))
    page.goto(_journal(world))
    expect(page.locator("main table")).to_be_visible()
    expect(page.locator("main table")).to_contain_text("Liste des participants")


def journal_bad_date(page, world):
    page.locator("main").get_by_label("Du (facultatif)").fill("2026-03-03")
    submit(page, "Filtrer")
    shows_errors(page, "La date de début doit être une date réelle au format jj/mm/aaaa")


PAGES.extend([
    Entry("journal d'audit", _journal, who="referent", prepare=journal_with_entries),
    Entry("journal d'audit, date invalide", _journal, who="referent", prepare=journal_bad_date,
          status=400),
    Entry("journal d'audit, refusé à un pair-aidant", _journal, who="pair-aidant", status=403),
    Entry("journal d'audit du réseau", lambda w: "/reseau/journal", who="admin"),
    Entry("journal d'audit du réseau, refusé à l'animation", lambda w: "/reseau/journal",
          who="animateur", status=403),
])

NOT_PAGES.update({
    "audit.employer_log_csv": "CSV export of the employer's audit log (text/csv)",
    "audit.network_log_csv": "CSV export of the network's audit log (text/csv)",
})

assert len({entry.name for entry in PAGES}) == len(PAGES), "registry names must be unique"


# --- « Mes sessions » (server/auth/session_views.py) -----------------------------------------

_OTHER_DEVICE = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def sessions_with_another_device(page, world):
    """The same person logged in from a second browser: the page offers to close it."""
    from tests.fixtures.factories import login

    client = world.app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = _OTHER_DEVICE
    login(client, world.people["pair-aidant"])
    page.reload()
    main = page.locator("main")
    expect(main.get_by_role("button", name="Fermer toutes mes autres sessions")).to_be_visible()
    expect(main.locator("tbody tr").filter(has_text="(cette session)")).to_have_count(1)


def sessions_one_closed(page, world):
    sessions_with_another_device(page, world)
    with page.expect_navigation():
        page.locator("main tbody tr").filter(has_text="Firefox sous Windows").first \
            .get_by_role("button").click()
    expect(page.locator(".notices")).to_contain_text("La session est fermée")


PAGES.extend([
    Entry("mes sessions", lambda w: "/compte/sessions", who="membre"),
    Entry("mes sessions, deux appareils", lambda w: "/compte/sessions", who="pair-aidant",
          prepare=sessions_with_another_device),
    Entry("mes sessions, une session fermée", lambda w: "/compte/sessions", who="pair-aidant",
          prepare=sessions_one_closed),
])

POST_ONLY.update({
    "auth.close_session": "closes one of the person's other sessions, redirects to « Mes "
                          "sessions »",
    "auth.close_other_sessions": "closes every other session, redirects to « Mes sessions »",
})

assert len({entry.name for entry in PAGES}) == len(PAGES), "registry names must be unique"


# --- personal data (docs/personal_data.md) ----------------------------------------------------

def _data_space(w, tail: str = "") -> str:
    return f"/e/{w.employer.slug}/donnees-personnelles/{tail}"


def erase_mine_empty(page, world):
    submit(page, "Effacer mes données et fermer mon compte")
    shows_errors(page, "Saisissez votre mot de passe.", "Cochez la case pour confirmer")


def retention_invalid(page, world):
    field = page.locator("main").get_by_label("Réponses aux questionnaires (en jours)")
    field.fill("12")
    submit(page, "Enregistrer les durées")
    shows_errors(page, "doit être compris entre 365 et 3650 jours")
    expect(page.locator("main").get_by_label("Réponses aux questionnaires (en jours)")
           ).to_have_value("12")


def erase_person_preview(page, world):
    page.locator("main").get_by_label("Personne").select_option(label="Marc Membre")
    submit(page, "Voir ce qui sera effacé")
    expect(page.locator("main h2").first).to_contain_text("Marc Membre")
    expect(page.locator("main").get_by_role("button", name="Effacer les données de Marc Membre")
           ).to_be_visible()


PAGES.extend([
    Entry("mes données", lambda w: "/mes-donnees", who="membre"),
    Entry("mes données, deux espaces", lambda w: "/mes-donnees", who="deux-espaces"),
    Entry("effacer mes données", lambda w: "/mes-donnees/effacement", who="pair-aide"),
    Entry("effacer mes données, envoyée vide", lambda w: "/mes-donnees/effacement",
          who="pair-aide", prepare=erase_mine_empty, status=400),
    Entry("données personnelles de l'espace, membre", lambda w: _data_space(w), who="membre"),
    Entry("données personnelles de l'espace, référent", lambda w: _data_space(w),
          who="referent"),
    Entry("durées de conservation", lambda w: _data_space(w, "conservation"), who="referent"),
    Entry("durées de conservation, délai invalide", lambda w: _data_space(w, "conservation"),
          who="referent", prepare=retention_invalid, status=400),
    Entry("durées de conservation, refusées à un membre",
          lambda w: _data_space(w, "conservation"), who="membre", status=403),
    Entry("effacer les données d'une personne", lambda w: _data_space(w, "effacement"),
          who="referent"),
    Entry("effacer les données d'une personne, aperçu", lambda w: _data_space(w, "effacement"),
          who="referent", prepare=erase_person_preview),
])

POST_ONLY.update({
    "personal_data.request_copy": "asks for a copy of one's data, redirects to « Mes données »",
})

NOT_PAGES.update({
    "personal_data.download": "a copy of one's data, sent as a download (JSON or HTML, "
                              "Content-Disposition: attachment)",
})

# --- access security: the second log-in step, « Sécurité du compte » (server/auth) ------------

def _fresh_person(world, **kwargs):
    """A person of their own: failures in these states must not lock a shared person."""
    from tests.fixtures.factories import create_employer, create_user

    employer = kwargs.pop("employer", None) or create_employer(world.app)
    return create_user(world.app, employer=employer, **kwargs)


def _password_step(page, person):
    page.goto("/connexion")
    main = page.locator("main")
    main.get_by_label("Adresse e-mail").fill(person.email)
    main.get_by_label("Mot de passe").fill(person.password)
    submit(page, "Se connecter")


def code_step(page, world):
    _password_step(page, _fresh_person(world, role="referent"))
    expect(page.locator("main h1")).to_have_text("Code de vérification")


def code_step_wrong(page, world):
    code_step(page, world)
    page.locator("main").get_by_label("Code de vérification").fill("000000")
    submit(page, "Valider")
    shows_errors(page, "Ce code n'est pas valide ou a déjà servi.")


def enrol_step(page, world):
    _password_step(page, _fresh_person(world, role="referent", second_factor=False))
    expect(page.locator("main h1")).to_have_text("Activer la double authentification")
    expect(page.locator("main svg[role=img]")).to_have_count(1)


def enrol_step_wrong(page, world):
    enrol_step(page, world)
    page.locator("main").get_by_label("Code à 6 chiffres").fill("12")
    submit(page, "Activer")
    shows_errors(page, "Ce code ne correspond pas.")


def new_recovery_codes(page, world):
    page.locator("main").get_by_label("Votre mot de passe").fill(world.people["admin"].password)
    submit(page, "Créer de nouveaux codes de secours")
    expect(page.locator("main h1")).to_have_text("Vos codes de secours")
    expect(page.locator("main li code")).to_have_count(10)


def change_password_empty(page, world):
    submit(page, "Changer le mot de passe")
    shows_errors(page, "Saisissez votre mot de passe actuel.",
                 "Choisissez un nouveau mot de passe.")


def security_required(page, world):
    expect(page.locator("main")).to_contain_text("ne peut pas être désactivée")


PAGES.extend([
    Entry("connexion, code de vérification", lambda w: "/connexion/code", prepare=code_step),
    Entry("connexion, code de vérification faux", lambda w: "/connexion/code",
          prepare=code_step_wrong, status=401),
    Entry("connexion, activer la double authentification",
          lambda w: "/connexion/double-authentification", prepare=enrol_step),
    Entry("connexion, activer la double authentification, code faux",
          lambda w: "/connexion/double-authentification", prepare=enrol_step_wrong, status=400),
    Entry("sécurité du compte", lambda w: "/compte/securite", who="membre"),
    Entry("sécurité du compte, double authentification obligatoire",
          lambda w: "/compte/securite", who="admin", prepare=security_required),
    Entry("sécurité du compte, nouveaux codes de secours", lambda w: "/compte/securite",
          who="admin", prepare=new_recovery_codes),
    Entry("changer mon mot de passe", lambda w: "/compte/mot-de-passe", who="membre"),
    Entry("changer mon mot de passe, envoyé vide", lambda w: "/compte/mot-de-passe",
          who="membre", prepare=change_password_empty, status=400),
    Entry("activer la double authentification",
          lambda w: "/compte/securite/double-authentification", who="membre"),
])

POST_ONLY.update({
    "auth.disable_second_factor": "redirects to « Sécurité du compte », or shows its errors",
})

assert len({entry.name for entry in PAGES}) == len(PAGES), "registry names must be unique"

# --- shared best practices (server/practices) ------------------------------------------------

_PRACTICE_TEXT = ("Nous avons formé six binômes en deux demi-journées, avec Paul Pair comme "
                  "pair-aidant référent, joignable au 06 12 34 56 78. Les rencontres "
                  "mensuelles ont bien tenu toute l'année.")


def _practice(world, key: str) -> str:
    """Reports of the main space: anonymised draft, waiting for its anonymisation, submitted
    (under review) and published (made once, through the service as the pages would)."""
    made_practices = _made(world, "practices")
    if not made_practices:
        from server.extensions import db
        from server.practices import service
        from tenants import tenant_context

        app, slug = world.app, world.employer.slug
        author = world.people["referent"].id
        values = {"title": "Des binômes formés en deux demi-journées", "model": "autre",
                  "programme_since": 2021, "what_worked": _PRACTICE_TEXT,
                  "difficulties": "Trouver des créneaux communs.", "advice": "Commencez petit.",
                  "figures": [], "show_employer_name": False}
        with app.test_request_context(), tenant_context(slug):
            for name in ("brouillon", "attente", "soumise", "publiee"):
                report = service.create(dict(values, title=f"{values['title']} ({name})"),
                                        author_id=author)
                if name != "attente":
                    report.anonymisation = service.anonymise(report)
                    report.anonymised_version = report.text_version
                if name in ("soumise", "publiee"):
                    shared = service.submit(report, by_user_id=author, text_version=None)
                    made_practices[f"{name}-partagee"] = shared.id
                db.session.commit()
                made_practices[name] = report.id
        with app.app_context():
            shared = service.find_shared(made_practices["publiee-partagee"])
            service.review(shared, "publier", "", by_user_id=world.people["animateur"].id,
                           version=shared.version)
            db.session.commit()
            made_practices["ressource"] = shared.resource_id
    if key == "ressource":
        return f"/reseau/ressources/{made_practices[key]}"
    if key.endswith("-partagee"):
        return f"/reseau/pratiques/{made_practices[key]}"
    return f"/e/{world.employer.slug}/pratiques/{made_practices[key]}"


def practice_new_empty(page, world):
    submit(page, "Enregistrer et lancer l'anonymisation")
    shows_errors(page, "Saisissez un titre", "Décrivez ce qui a fonctionné")


def practice_preview_marks(page, world):
    expect(page.locator("main mark.anonymisation").first).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("06 12 34 56 78")


def practice_review_without_message(page, world):
    submit(page, "Refuser")
    shows_errors(page, "le motif du refus")


def practice_comment_form(page, world):
    main = page.locator("main")
    expect(main.get_by_label("Votre commentaire")).to_be_visible()
    expect(main.get_by_role("button", name="Utile pour")).to_be_visible()


PAGES.extend([
    Entry("bonnes pratiques de l'espace", lambda w: (_practice(w, "brouillon"),
          f"/e/{w.employer.slug}/pratiques/")[1], who="referent"),
    Entry("écrire un retour d'expérience", lambda w: f"/e/{w.employer.slug}/pratiques/nouveau",
          who="referent"),
    Entry("écrire un retour d'expérience, envoyé vide",
          lambda w: f"/e/{w.employer.slug}/pratiques/nouveau", who="referent",
          prepare=practice_new_empty, status=400),
    Entry("retour d'expérience, aperçu anonymisé", lambda w: _practice(w, "brouillon"),
          who="referent", prepare=practice_preview_marks),
    Entry("retour d'expérience, anonymisation en cours", lambda w: _practice(w, "attente"),
          who="referent"),
    Entry("retour d'expérience, soumis", lambda w: _practice(w, "soumise"), who="referent"),
    Entry("modifier un retour d'expérience", lambda w: _practice(w, "brouillon") + "/modifier",
          who="referent"),
    Entry("retours d'expérience, refusés à un pair-aidant",
          lambda w: f"/e/{w.employer.slug}/pratiques/", who="pair-aidant", status=403),
    Entry("relecture des bonnes pratiques", lambda w: (_practice(w, "brouillon"),
          "/reseau/pratiques/")[1], who="animateur"),
    Entry("relecture, filtre inconnu", lambda w: "/reseau/pratiques/?etat=perdu",
          who="animateur", status=400),
    Entry("relecture d'une pratique soumise", lambda w: _practice(w, "soumise-partagee"),
          who="admin"),
    Entry("relecture, refus sans motif", lambda w: _practice(w, "soumise-partagee"),
          who="animateur", prepare=practice_review_without_message, status=422),
    Entry("une bonne pratique publiée, référent", lambda w: _practice(w, "ressource"),
          who="referent", prepare=practice_comment_form),
    Entry("une bonne pratique publiée, membre", lambda w: _practice(w, "ressource"),
          who="membre"),
    Entry("une bonne pratique publiée, animation", lambda w: _practice(w, "ressource"),
          who="animateur"),
])

POST_ONLY.update({
    "practices.take_anonymised": "takes the anonymised text as the author's, redirects to "
                                 "the edit form",
    "practices.restart_anonymisation": "queues the anonymisation again, redirects to the "
                                       "report",
    "practices.submit": "submits the anonymised text, redirects to the report (or shows it "
                        "with the refusal)",
    "practice_review.comment": "adds a comment, redirects to the practice's library page (or "
                               "shows it with the error)",
    "practice_review.remove_comment": "removes a comment, redirects to the practice",
    "practice_review.useful": "marks or unmarks as useful, redirects to the practice",
})

assert len({entry.name for entry in PAGES}) == len(PAGES), "registry names must be unique"

# --- network admins helping a person who cannot log in -----------------------------------------

PAGES.extend([
    Entry("comptes", lambda w: "/reseau/comptes", who="admin"),
    Entry("comptes, résultats", lambda w: "/reseau/comptes?q=exemple.fr", who="admin"),
    Entry("comptes, recherche trop courte", lambda w: "/reseau/comptes?q=ab", who="admin",
          status=400),
    Entry("comptes, refusé à l'animation", lambda w: "/reseau/comptes", who="animateur",
          status=403),
])

POST_ONLY.update({
    "network.unlock_account": "unlocks the account, redirects to the accounts page",
    "network.reset_second_factor": "resets the second factor, redirects to the accounts page",
})

assert len({entry.name for entry in PAGES}) == len(PAGES), "registry names must be unique"


# --- single sign-on (server/sso/) ---------------------------------------------------------------

def _sso(world, tail: str = "") -> str:
    """The main space's single sign-on page, with a configured provider (https: nothing is
    called to show the pages) and one identity in each state (made once per world)."""
    made_sso = _made(world, "sso")
    if not made_sso:
        from server.auth import two_factor
        from server.extensions import db
        from server.sso.models import SsoConfig, SsoIdentity

        app, employer = world.app, world.employer
        with app.app_context():
            db.session.add(SsoConfig(tenant_id=employer.id,
                                     issuer="https://connexion.rivebelle.example",
                                     client_id="entrepairs",
                                     client_secret=two_factor.encrypt("secret-du-registre"),
                                     label="la Ville de Rivebelle", enabled=True))
            for subject, status, user in (
                    ("agent-1", "pending", None), ("agent-2", "refused", None),
                    ("agent-3", "linked", world.people["membre"].id)):
                db.session.add(SsoIdentity(
                    tenant_id=employer.id, issuer="https://connexion.rivebelle.example",
                    subject=subject, status=status, user_id=user,
                    email=f"{subject}@rivebelle.example", name=f"Agent {subject[-1]}"))
            db.session.commit()
            db.session.remove()
        made_sso["done"] = True
    return f"/e/{world.employer.slug}/connexion-unique{tail}"


def sso_settings_empty(page, world):
    main = page.locator("main")
    for label in ("Adresse du fournisseur d'identité (issuer)", "Identifiant client",
                  "Nom affiché sur le bouton de connexion"):
        main.get_by_label(label).fill("")
    submit(page, "Enregistrer")
    shows_errors(page, "Saisissez l'adresse du fournisseur d'identité.",
                 "Saisissez l'identifiant client.",
                 "Saisissez le nom affiché sur le bouton de connexion.")


def sso_offered(page, world):
    expect(page.locator("main")).to_contain_text("Se connecter avec le compte de la Ville de "
                                                 "Rivebelle")


PAGES.extend([
    Entry("connexion unique, référent", lambda w: _sso(w), who="referent"),
    Entry("connexion unique, erreurs du formulaire", lambda w: _sso(w), who="referent",
          prepare=sso_settings_empty, status=400),
    Entry("connexion unique, refusée à un membre", lambda w: _sso(w), who="membre",
          status=403),
    Entry("connexion unique, refusée à un pair-aidant", lambda w: _sso(w), who="pair-aidant",
          status=403),
    Entry("connexion avec le compte de l'employeur", lambda w: (_sso(w),
          "/connexion/employeur")[1], prepare=sso_offered),
    Entry("connexion par un employeur sans connexion unique",
          lambda w: f"/connexion/employeur/{w.other_employer.slug}", status=404),
    Entry("retour du fournisseur sans connexion commencée",
          lambda w: "/connexion/employeur/retour?code=x&state=y", status=400),
])

POST_ONLY.update({
    "sso.link": "links an identity to a member, redirects to the single sign-on page (or shows "
                "it with the error)",
    "sso.refuse": "refuses a pending identity, redirects to the single sign-on page",
    "sso.unlink": "unlinks an identity, redirects to the single sign-on page",
    "sso.check": "asks the provider for its discovery and keys, redirects to the single "
                 "sign-on page with the result",
})

assert len({entry.name for entry in PAGES}) == len(PAGES), "registry names must be unique"
