"""Demo e-clubs (``entrepairs demo``): the e-club of 12 September 2025 on pair-aidance, past,
with its replay and resources, and an upcoming one with its agenda and two questions."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from server.auth.models import User
from server.eclubs import service
from server.eclubs.models import EClub
from server.extensions import db


def _user_id(email: str) -> int | None:
    return db.session.execute(sa.select(User.id).where(User.email == email)).scalar()


def load(animateur_email: str, member_email: str) -> None:
    """Add the demo e-clubs (the caller commits)."""
    animateur, member = _user_id(animateur_email), _user_id(member_email)
    day = (service.now().astimezone(service.PARIS) + timedelta(days=14)).date()
    upcoming = service.create_eclub(
        title="Pair-aidance : organiser le temps et la mission des pair-aidants",
        starts_at=datetime.combine(day, time(14, 0), tzinfo=service.PARIS),
        duration_minutes=90,
        description="Comment reconnaître le temps consacré à la pair-aidance, rédiger une fiche "
                    "de mission et accompagner les pair-aidants dans la durée.",
        video_url="https://visio.demo.entrepairs.fr/e-club-mission",
        agenda=[
            {"title": "Accueil et tour de table",
             "speakers": [{"name": "Antoine Animateur", "role": "animateur du réseau"}]},
            {"title": "La fiche de mission : retour d'expérience",
             "speakers": [{"name": "Rachida Benali", "role": "référente handicap, Ville de "
                                                              "Rivebelle"},
                          {"name": "Paul Moreau", "role": "pair-aidant"}]},
            {"title": "À vos questions", "speakers": []},
        ],
        resources=[{"label": "Fiche outil n° 1 — Définition du cadre du projet",
                    "url": "https://demo.entrepairs.fr/ressources/fiche-outil-1.pdf"}],
        created_by=animateur)
    past = service.create_eclub(
        title="La pair-aidance entre agents en situation de handicap",
        starts_at=datetime.combine(day, time(10, 0), tzinfo=service.PARIS),
        duration_minutes=120,
        description="Définitions, modèles (binôme, groupe ouvert, permanence, interventions) et "
                    "critères de participation.",
        agenda=[{"title": "Histoire de la pair-aidance (1993–2021)",
                 "speakers": [{"name": "Antoine Animateur", "role": "animateur du réseau"}]}],
        created_by=animateur)
    db.session.flush()
    service.set_after(past.id, {
        "replay_url": "https://replay.demo.entrepairs.fr/e-club-2025-09-12",
        "summary": "Trois idées à retenir : cadrer le projet, choisir le modèle, former et "
                   "accompagner les pair-aidants.",
        "resources": [{"label": "Guide pour expérimenter la pair-aidance entre agent.e.s",
                       "url": "https://demo.entrepairs.fr/ressources/guide-pair-aidance.pdf"}]})
    # The past e-club took place on 12 September 2025 (moved there once created).
    db.session.execute(sa.update(EClub).where(EClub.id == past.id).values(
        starts_at=datetime(2025, 9, 12, 10, 0, tzinfo=service.PARIS)))
    if member is not None:
        service.ask(upcoming.id, member, {"body": "Combien d'heures par mois prévoir pour un "
                                                  "pair-aidant ?", "anonymous": False})
        service.ask(upcoming.id, member, {"body": "Comment en parler à son équipe sans "
                                                  "dévoiler sa situation ?", "anonymous": True})
