"""Demo resources of the library (``entrepairs demo``): guides, tool sheets, news, a replay
and the history of peer support, written after the e-club of 12 September 2025."""
from __future__ import annotations

from datetime import date

from server.extensions import db
from server.library import service

RESOURCES = [
    dict(kind="guide", status="publie", published_on=date(2025, 6, 2),
         title="Guide pour expérimenter la pair-aidance entre agents en situation de handicap "
               "au sein de son administration",
         summary="Les étapes pour lancer une expérimentation : définir le cadre, choisir le "
                 "modèle, recruter et former les pair-aidants, suivre et ajuster le dispositif.",
         body="La pair-aidance s'inscrit dans une stratégie globale de maintien dans l'emploi "
              "et de prévention de la désinsertion professionnelle.\n\n"
              "Elle repose sur une reconnaissance institutionnelle, un cadre structurant et une "
              "coopération entre pair-aidants, acteurs RH, référents handicap, services de "
              "santé au travail et encadrants.\n\n"
              "Le guide propose des fiches outils pour chaque étape, à commencer par la "
              "définition du cadre du projet.",
         themes=["pair-aidance", "cadre-projet", "maintien-emploi"], audience="referents"),
    dict(kind="fiche-outil", status="publie", published_on=date(2025, 6, 2), tool="cadrage",
         title="Fiche outil #1 — Définition du cadre du projet",
         summary="Une série de questions pour préciser les contours, les objectifs et les "
                 "résultats attendus de l'accompagnement : les 5 principales problématiques "
                 "et les 8 éléments positifs sur lesquels s'appuyer.",
         body="Listez les principales problématiques que rencontrent les agents en situation "
              "de handicap dans votre administration, puis les éléments positifs sur lesquels "
              "le programme peut s'appuyer.\n\n"
              "Précisez ensuite les objectifs, les résultats attendus et le lien avec votre "
              "politique handicap et de maintien dans l'emploi.",
         themes=["cadre-projet", "pair-aidance"], audience="referents"),
    dict(kind="fiche-outil", status="publie", published_on=date(2025, 9, 12),
         title="Choisir ses pair-aidants : critères de sélection",
         summary="Expérience vécue, capacité de recul, motivation à transmettre, compétences "
                 "relationnelles, écoute, disponibilité, formation éventuelle.",
         body="Pair-aidant interne ou externe, fiche de mission et temps dédié, besoins de "
              "formation, de supervision et de travail pluridisciplinaire : les questions à "
              "se poser avant de lancer un appel à volontaires.",
         themes=["pair-aidants", "pair-aidance"], audience="referents"),
    dict(kind="actualite", status="publie", published_on=date(2025, 9, 12),
         title="Actualités du FIPHFP présentées à l'e-club de septembre",
         summary="Mot d'introduction du directeur territorial au handicap Auvergne-Rhône-Alpes "
                 "du FIPHFP et point sur les conventions en cours.",
         themes=["fiphfp"], audience="tous"),
    dict(kind="replay", status="publie", published_on=date(2025, 9, 12),
         title="Replay de l'e-club « La pair-aidance en pratique »",
         summary="La pair-aidance, un nouvel outil d'accompagnement par et pour les agents en "
                 "situation de handicap, avec l'exemple de la Ville de Paris.",
         body="Pourquoi la pair-aidance en emploi : soutien à la personne, maintien dans "
              "l'emploi, prévention des risques psychosociaux, qualité de vie et des "
              "conditions de travail.",
         themes=["pair-aidance", "risques-psychosociaux", "qvct"], audience="tous"),
    dict(kind="histoire", status="publie", published_on=date(2025, 9, 12),
         title="Histoire de la pair-aidance, de 1993 à 2021",
         summary="Des années 90 à nos jours : les étapes de la pair-aidance en France, du "
                 "GFPH au projet SPaP.",
         themes=["histoire", "pair-aidance"], audience="tous"),
    dict(kind="guide", status="brouillon", published_on=date(2026, 1, 15),
         title="Évaluer son programme de pair-aidance",
         summary="Brouillon : indicateurs de suivi, questionnaires de satisfaction et bilan "
                 "annuel du dispositif.",
         themes=["evaluation"], audience="referents"),
]


def load_library(author_email: str) -> None:
    """Add the demo resources, written by the account ``author_email``."""
    from server.auth.models import User

    author = User.by_email(author_email)
    for spec in RESOURCES:
        spec = dict(spec)
        status = spec.pop("status")
        values, errors = service.clean({**spec, "body": spec.get("body", "")})
        if errors:
            raise ValueError(errors)
        resource = service.create(values, by_user_id=author.id if author else None)
        resource.status = status
    db.session.commit()
