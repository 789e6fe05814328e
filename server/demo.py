"""Demo data: a small fictional network to try Entrepairs (``entrepairs demo``)."""
from __future__ import annotations

import sqlalchemy as sa

from server.accounts import create_account
from server.employers.settings import WELCOME_KEY, set_setting
from server.extensions import db
from tenants import provision, tenant_context
from tenants.registry import Tenant

DEMO_PASSWORD = "reseau-des-pairs-demo-2026"
#: The people who must use two-factor log-in (network roles, référents) have it set up with
#: this key: add it to an authenticator app to log in as them. Demo data only: like the
#: password, it is public.
DEMO_TOTP_SECRET = "ENTREPAIRSDEMOTOTPKEYTWOSIXAAAAA"

EMPLOYERS = [
    ("ville-de-rivebelle", "Ville de Rivebelle", "territoriale", "1000-4999",
     "Bienvenue dans le programme de pair-aidance de la Ville de Rivebelle. "
     "Les permanences ont lieu le mardi à l'Hôtel de ville."),
    ("ch-valmont", "Centre hospitalier de Valmont", "hospitaliere", "1000-4999",
     "Le programme du Centre hospitalier de Valmont accueille les agents de retour "
     "après un arrêt long."),
    ("prefecture-haut-plateau", "Préfecture du Haut-Plateau", "etat", "250-999",
     "Un groupe d'échange se réunit chaque mois en visioconférence."),
]

# (e-mail, name, network roles, memberships)
PEOPLE = [
    ("admin@demo.entrepairs.fr", "Alice Administratrice", ["admin"], []),
    ("animation@demo.entrepairs.fr", "Antoine Animateur", ["animateur"], []),
    ("referente@rivebelle.demo.entrepairs.fr", "Rachida Benali", [],
     ["ville-de-rivebelle:referent"]),
    ("paul.aidant@rivebelle.demo.entrepairs.fr", "Paul Moreau", [],
     ["ville-de-rivebelle:pair-aidant"]),
    ("lea.aidee@rivebelle.demo.entrepairs.fr", "Léa Fontaine", [],
     ["ville-de-rivebelle:pair-aide"]),
    ("marc.membre@rivebelle.demo.entrepairs.fr", "Marc Girard", [],
     ["ville-de-rivebelle:membre"]),
    ("referent@valmont.demo.entrepairs.fr", "Hugo Lambert", [], ["ch-valmont:referent"]),
    ("sophie.aidante@valmont.demo.entrepairs.fr", "Sophie Martin", [],
     ["ch-valmont:pair-aidant"]),
    ("karim.aide@valmont.demo.entrepairs.fr", "Karim Haddad", [], ["ch-valmont:pair-aide"]),
    ("referente@hautplateau.demo.entrepairs.fr", "Claire Dubois", [],
     ["prefecture-haut-plateau:referent"]),
    ("jeanne.aidee@hautplateau.demo.entrepairs.fr", "Jeanne Petit", [],
     ["prefecture-haut-plateau:pair-aide"]),
    # An external peer helper who serves two employers: she sees the space switcher.
    ("nadia.externe@demo.entrepairs.fr", "Nadia Roux", [],
     ["ville-de-rivebelle:pair-aidant", "prefecture-haut-plateau:pair-aidant"]),
]


def demo_logins() -> list[tuple[str, str]]:
    labels = {"admin": "administration du réseau", "animateur": "animation du réseau"}
    out = []
    for email, name, roles, memberships in PEOPLE:
        what = [labels[r] for r in roles] + [m.replace(":", " — ") for m in memberships]
        out.append((email, f"{name} ({', '.join(what)})"))
    return out


def load_demo(if_empty: bool = False) -> bool:
    exists = db.session.execute(
        sa.select(Tenant.id).where(Tenant.slug == EMPLOYERS[0][0])
    ).first()
    if exists:
        if if_empty:
            return False
        raise RuntimeError("Demo data is already loaded.")
    from server.programme.choices import configure, installed_models

    for slug, name, sector, size_band, welcome in EMPLOYERS:
        provision(slug, name, sector, size_band)
        with tenant_context(slug):
            set_setting(WELCOME_KEY, welcome, None)
            for model in installed_models():  # every installed programme model, enabled
                configure(model, enabled=True)
            db.session.commit()
    from server.auth import two_factor

    for email, name, roles, memberships in PEOPLE:
        user = create_account(email, name, DEMO_PASSWORD, roles, memberships)
        if two_factor.required_for(user):
            two_factor.enable(user, DEMO_TOTP_SECRET, None)
            db.session.commit()
    from server.library.demo import load_library

    load_library("animation@demo.entrepairs.fr")
    from server.polls.demo import load as load_polls

    load_polls("animation@demo.entrepairs.fr", "marc.membre@rivebelle.demo.entrepairs.fr")
    from server.eclubs.demo import load as load_eclubs

    load_eclubs("animation@demo.entrepairs.fr", "marc.membre@rivebelle.demo.entrepairs.fr")
    from server.practices.demo import load as load_practices

    load_practices("animation@demo.entrepairs.fr")
    return True
