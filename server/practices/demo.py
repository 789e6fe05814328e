"""Demo best practices (``entrepairs demo``): one published, one waiting for review, written by
référents of two demo employers and anonymised by the real pipeline (run here, not queued)."""
from __future__ import annotations

from server.extensions import db

REPORTS = [
    ("ville-de-rivebelle", "referente@rivebelle.demo.entrepairs.fr", True, dict(
        title="Des binômes formés en deux demi-journées",
        model="binomes", programme_since=2022, show_employer_name=False, figures=[],
        what_worked="Nous avons formé six pair-aidants en deux demi-journées, avec Paul Moreau "
                    "comme premier pair-aidant. Chaque binôme se retrouve une heure par mois, "
                    "sur le temps de travail, dans une salle choisie par le pair-aidé. Les "
                    "pair-aidés pouvaient joindre Paul au 06 12 34 56 78.",
        difficulties="Trouver des créneaux communs entre des services aux horaires décalés ; "
                     "rassurer les encadrants sur la confidentialité des échanges.",
        advice="Commencez avec des volontaires, écrivez le cadre avant de recruter, et faites "
               "un bilan à trois mois avec les binômes.")),
    ("ch-valmont", "referent@valmont.demo.entrepairs.fr", False, dict(
        title="Une permanence mensuelle ouverte à tous les agents",
        model="permanences", programme_since=2024, show_employer_name=True, figures=[],
        what_worked="Une permanence d'une demi-journée par mois, sans inscription, tenue par "
                    "Sophie Martin dans un bureau discret près du self. Les agents viennent "
                    "d'abord poser une question pratique, puis reviennent pour parler de leur "
                    "situation. Le bouche-à-oreille a fait le reste.",
        difficulties="Les premiers mois, très peu de visites : il a fallu l'annoncer en réunion "
                     "de service.",
        advice="Choisissez un lieu où l'on peut entrer sans être vu.")),
]


def load(animateur_email: str) -> None:
    from server.auth.models import User
    from server.practices import service
    from tenants import tenant_context

    animateur = User.by_email(animateur_email)
    published = []
    for slug, author_email, publish, values in REPORTS:
        author = User.by_email(author_email)
        with tenant_context(slug):
            report = service.create(dict(values), author_id=author.id)
            report.anonymisation = service.anonymise(report)
            report.anonymised_version = report.text_version
            shared = service.submit(report, by_user_id=author.id, text_version=None)
            if publish:
                published.append(shared.id)
            db.session.commit()
    for practice_id in published:
        shared = service.find_shared(practice_id)
        service.review(shared, "publier", "", by_user_id=animateur.id, version=shared.version)
    db.session.commit()
