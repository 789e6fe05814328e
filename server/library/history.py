"""The history of peer support, from the timeline of the e-club of 12 September 2025
(« Rétrospective historique — des années 90 à nos jours »). The text follows the slide as extracted in the seed; only the English word « disability »
became « en situation de handicap » and « ère » « Première »."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    #: As shown: a year or a span of years.
    when: str
    #: Machine-readable start year, for ``<time datetime>``.
    year: int
    text: str


EVENTS: tuple[Event, ...] = (
    Event("1993", 1993, "Création du Groupement français des personnes handicapées (GFPH), "
          "qui promeut la personnalisation."),
    Event("2001 à 2005", 2001, "Le programme de mobilité de santé porté par l'IMEA."),
    Event("2007", 2007, "Première expérience d'entraide de pairs et santé mentale avec "
          "l'équipe MARSS."),
    Event("2011", 2011, "Expérimentation internationale du programme « Un chez-soi d'abord », "
          "qui intègre des pairs dans ses équipes."),
    Event("2012", 2012, "Création de programmes de ressources de pairs par le CCOMO."),
    Event("2014", 2014, "Dispositif « Une réponse accompagnée pour tous » : son article 3 prévoit "
          "le soutien par les pairs."),
    Event("2021", 2021, "Lancement du projet SPaP « Encadrement et participation de "
          "personnes en situation de handicap »."),
)
