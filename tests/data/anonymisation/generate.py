"""Generate the anonymisation test corpus: French experience reports with planted personal data.

    .venv/bin/python -m tests.data.anonymisation.generate      # rewrites corpus.json

Deterministic (fixed seed). Each report has the employer's name, its member list, an optional
label, the text, and the ground truth: every planted span (start, end, kind, value). Kinds:
``courriel``, ``telephone``, ``nir``, ``siret``, ``adresse``, ``membre`` (a person of the member
list), ``personne`` (anyone else: colleagues, doctors, trainers), ``employeur``, and ``garder``
(words that must survive: cities, organisations of the field).

About a fifth of the first names drawn for people are *not* in the shipped list
``server/anonymisation/prenoms.txt`` (the OUTSIDE_LIST pool), so the recall measures the NER
model and the other detectors too, not the list alone."""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

from stdnum import luhn
from stdnum.fr import nir as std_nir

SEED = 5_2026
N_REPORTS = 240
HERE = Path(__file__).parent

FIRST_IN_LIST = """Claire Karim Sophie Nathalie Isabelle Julien Thomas Nicolas Camille Léa Hugo
    Mathilde Mehdi Fatima Aïcha Mamadou Sandrine Stéphane Valérie Christophe Amélie Antoine
    Élodie Jérôme Hélène Laurent Martine Pascal Yasmine Youssef Agnès Benoît Céline Damien
    Émilie Florence Guillaume Inès Jean-Baptiste Marie-Claire Anne-Sophie Jean-Pierre Loïc Manon
    Olivier Patricia Quentin Romain Sylvie Thierry Vincent Zoé Rose Pierre Marine Claude Martin
    Clément Aurore Jade Ange Aimé Gaëlle Erwan Nadia Samir Khadija Ousmane Awa Joao Elena""".split()
OUTSIDE_LIST = """Gwenola Anouk Maïwenn Tanguy Ludivine Prosper Kenza Ilona Soraya Idriss Anissa
    Wassim Malo Ewen Bérénice Rodrigue Hippolyte Octave Faustine Ysé Marius Eulalie Firmin Noam
    Léandre Salomé-Anne Violaine Ghislain Ernestine Honorine""".split()
SURNAMES_DISTINCT = """Dubois Lefèvre Garnier Mercier Faure Dupont Bonnet Girard Morel Fournier
    Gauthier Perrin Roussel Bertrand Moulin Vidal Caron Picard Renaud Aubert Leclerc Barbier
    Martinez Garcia Ferreira Diallo Traoré Benali Haddad Nguyen Kerbrat Benhamou Lemoine Lacroix
    Huet Guérin Boyer Rolland Deschamps Marchal Rousseau-Lemaire Belkacem Ouedraogo Kowalski
    Le Gall Da Silva N'Diaye Le Goff Poulain Tessier Schmitt Lopes Mallet Hamon Besson""".split(
    "\n")
SURNAMES_DISTINCT = [s for line in SURNAMES_DISTINCT for s in
                     re.findall(r"(?:Le |Da |N')?[\w\-]+", line.strip())]
COMPOUND_FIRST = ["Jean-Marc", "Marie-Hélène", "Anne-Laure", "Jean-Luc", "Pierre-Yves"]
SURNAMES_COMMON_WORDS = """Petit Blanc Roux Lebrun Boulanger Marchand Fontaine Berger Chevalier
    Meunier Legrand Brun Masson Charpentier Noël Rivière Bonheur Lamour Carré Vasseur""".split()
ALL_SURNAMES = SURNAMES_DISTINCT + SURNAMES_COMMON_WORDS

EMPLOYERS = [
    ("Centre hospitalier de Valence", "hospitalier", "1 000 à 5 000 agents"),
    ("Mairie de Brest", "territorial", "1 000 à 5 000 agents"),
    ("Conseil départemental du Gard", "territorial", "plus de 5 000 agents"),
    ("Université de Lille", "enseignement supérieur", "plus de 5 000 agents"),
    ("Métropole de Rouen", "territorial", "1 000 à 5 000 agents"),
    ("CHU de Poitiers", "hospitalier", "plus de 5 000 agents"),
    ("Communauté de communes du Val d'Amboise", "territorial", "moins de 250 agents"),
    ("Préfecture de la Marne", "État", "250 à 1 000 agents"),
    ("Rectorat de Dijon", "État", "plus de 5 000 agents"),
    ("Ville de Saint-Nazaire", "territorial", "1 000 à 5 000 agents"),
    ("EHPAD Les Glycines", "médico-social", "moins de 250 agents"),
    ("Direction départementale des territoires de l'Aude", "État", "250 à 1 000 agents"),
]
CITIES = ["Paris", "Lyon", "Nantes", "Rennes", "Toulouse", "Bordeaux", "Lille", "Marseille",
          "Montpellier", "Grenoble", "Limoges", "Metz"]
ORGS = ["Mission Handicap", "CAP EMPLOI", "la MDPH", "l'Agefiph", "le FIPHFP", "Handicap",
        "la médecine de prévention", "le CSE", "France Travail", "Handi-Pacte"]
PLACES = ["Saint-Étienne", "Val-de-Marne", "Bretagne", "Île-de-France", "Nouvelle-Aquitaine",
          "Clermont-Ferrand", "Seine-Saint-Denis", "Hauts-de-France", "Aix-en-Provence"]
TOOLS = ["Teams", "Zoom", "Excel", "LinkedIn", "Duoday", "Handi-Pacte", "Entrepairs", "Covid",
         "la Semaine européenne pour l'emploi des personnes handicapées", "Octobre rose"]
ROLES = ["pair-aidante", "pair-aidant", "référente handicap", "référent handicap",
         "psychologue du travail", "conseillère en prévention", "assistante sociale",
         "chargé de mission", "cheffe de service", "formatrice", "ergonome", "infirmière"]
DISABILITIES = ["une maladie chronique", "un trouble bipolaire", "une sclérose en plaques",
                "une surdité", "un handicap moteur", "des troubles dys", "un cancer",
                "une dépression", "un diabète", "une malvoyance",
                "un trouble du spectre autistique",
                "une fibromyalgie", "une épilepsie"]
SITUATIONS = ["un retour après un long arrêt", "une reconversion", "un aménagement de poste",
              "l'annonce d'un diagnostic", "une demande de RQTH", "un temps partiel thérapeutique",
              "un changement de service", "une période d'isolement"]
DURATIONS = ["six mois", "un an", "deux ans", "trois mois", "dix-huit mois", "quelques semaines"]
MODELS = ["binômes", "groupes de parole", "permanences", "interventions en équipe"]
TITLES_F = ["Mme", "Madame", "Dr", "Docteure"]
TITLES_M = ["M.", "Monsieur", "Dr", "Docteur"]
VOIES = ["rue", "avenue", "boulevard", "allée", "place", "impasse", "chemin", "quai"]
STREET_NAMES = ["de la République", "Victor-Hugo", "des Tilleuls", "du Général-Leclerc",
                "Jean Jaurès", "de l'Église", "des Lilas", "Pasteur", "du Port", "des Écoles",
                "Gambetta", "de Verdun"]
POSTCODES = [("75012", "Paris"), ("69003", "Lyon"), ("44000", "Nantes"), ("35000", "Rennes"),
             ("29200", "Brest"), ("26000", "Valence"), ("59000", "Lille"), ("86000", "Poitiers")]
MAIL_DOMAINS = ["mairie-brest.fr", "ch-valence.fr", "gard.fr", "univ-lille.fr", "gmail.com",
                "orange.fr", "laposte.net", "ac-dijon.fr", "rouen.fr"]

# Sentences. Placeholders: {M} member "Prénom Nom", {MR} "NOM Prénom", {MT} title + surname,
# {MS} distinctive surname alone, {MF} member first name alone; {P} other person "Prénom Nom",
# {PF} first name alone, {PT} title + surname, {PD} doctor, {PH} hyphenated name; {EMAIL},
# {PHONE}, {NIR}, {SIRET}, {ADDR}, {EMP}; {CITY} and {ORG} must survive. Lower-case slots are
# plain vocabulary.
CONTEXT = [
    "En {PLACE}, peu d'employeurs publics avaient testé le modèle des {model}.",
    "- {MF} : coordination ; - {P} : supervision ; - {PF} : première pair-aidante.",
    "Le comité de pilotage réunit {M}, {PT} et la Direction des Ressources Humaines.",
    "Pendant la crise du {TOOL}, les rencontres se sont faites en visio.",
    "Nous sommes partis d'un constat simple : les agents vivant avec {disability} restaient seuls.",
    "Le programme (piloté par {MR}) concerne aujourd'hui une trentaine d'agents.",
    "Notre programme de {model} a démarré il y a {duration} à {EMP}.",
    "{EMP} a lancé la pair-aidance en lien avec {ORG} de {CITY}.",
    "Le projet est porté par {M}, {role}, avec l'appui de {ORG}.",
    "Au départ, {MR} a réuni une dizaine d'agents volontaires.",
    "C'est {MT} qui a eu l'idée, après {situation}.",
    "{M} coordonne le dispositif depuis {duration}.",
    "Nous avons été accompagnés par {P}, consultante, et par {ORG}.",
    "La direction, représentée par {MT}, a validé le projet en comité.",
    "Le programme s'adresse aux agents vivant avec {disability} ou confrontés à {situation}.",
    "À {CITY}, {ORG} nous a mis en relation avec {P}.",
    "{P} nous a aidés à écrire la charte de confidentialité.",
    "Tout est parti d'une rencontre entre {MF} et {PF} lors d'un e-club.",
]
WORKED = [
    "« {PF} m'a redonné envie de revenir », raconte un agent du service technique.",
    "Chez {PF}, l'effet a été net : plus d'arrêt depuis {duration}.",
    "Les échanges sur {TOOL} ont permis à {PF} de garder le lien.",
    "En Île-de-France comme en {PLACE}, la demande est forte.",
    "{P} (psychologue) a co-animé les séances avec {MF}.",
    "{PFU}, UNE AGENTE DU SERVICE ENFANCE, A PRIS LA PAROLE EN PREMIER.",
    "Les pair-aidants ont été formés par l'équipe de {PD} à {CITY}.",
    "Le témoignage de {PH} a été diffusé lors de {TOOL}.",
    "Dans le binôme de {MF}, les rencontres avaient lieu au café, loin du bureau.",
    "{PF}, qui vit avec {disability}, a été accompagné par {MF} pendant {duration}.",
    "Le binôme formé par {P} et {M} a très bien fonctionné.",
    "{PF} dit que ces échanges lui ont permis de reprendre confiance.",
    "Grâce à {PT}, le retour au travail s'est fait progressivement.",
    "La formation assurée par {P} a été très appréciée des pair-aidants.",
    "Selon {PD}, médecin du travail, l'effet sur l'absentéisme est visible.",
    "Les permanences tenues par {MS} chaque mardi attirent du monde.",
    "{PH} a partagé son expérience de {situation} devant le groupe.",
    "Avec {PF} et {PF}, nous avons animé trois ateliers à {CITY}.",
    "Le témoignage de {MF} lors de la réunion de service a libéré la parole.",
    "{MT} a suivi la formation de {ORG} et la recommande.",
    "Les agents accompagnés, comme {PF}, parlent d'un vrai soutien.",
    "Notre formatrice, {P}, a su adapter les supports.",
    "Le groupe de parole animé par {MF} se réunit tous les quinze jours.",
    "{PT}, ergonome, a proposé des aménagements simples et efficaces.",
    "Quand {PF} est revenue après {situation}, {MF} l'a accueillie.",
]
DIFFICULTIES = [
    "Le service de {MT} a connu une réorganisation en plein milieu du programme.",
    "Petit à petit, les rencontres se sont espacées, et {PF} a préféré arrêter.",
    "Le tableau de suivi sous {TOOL} contenait des données trop détaillées.",
    "À {PLACE}, l'éloignement des sites a compliqué les rencontres.",
    "Des collègues de {P} ont posé des questions indiscrètes.",
    "Le départ de {M} a fragilisé l'équipe pendant {duration}.",
    "Certains managers, dont {PT}, craignaient une charge de travail supplémentaire.",
    "{PF} a eu du mal à trouver sa place dans le binôme.",
    "Nous avons manqué de temps dédié, malgré le soutien de {MT}.",
    "La confidentialité a été un sujet : {P} s'est inquiété de ce qui serait partagé.",
    "Le lien avec {ORG} a mis du temps à se construire.",
    "Il a fallu rassurer {PH} sur l'usage des informations recueillies.",
    "Le suivi de {MS} par la médecine de prévention a été interrompu par la crise sanitaire.",
    "{MR} regrette que les pair-aidants n'aient pas été mieux reconnus.",
    "Les horaires de {PF}, en équipe de nuit, rendaient les rencontres difficiles.",
    ("Un dossier a circulé avec le numéro de sécurité sociale {NIR}, ce qui n'aurait pas dû "
     "arriver."),
    "Le prestataire (SIRET {SIRET}) a facturé des séances non réalisées.",
]
ADVICE = [
    "Lancez-vous ! Et demandez à {PF} ou à {MF} comment ils ont fait.",
    "Utilisez les fiches outils du réseau, notamment celle sur la confidentialité.",
    "Ne pas hésiter à solliciter le médecin du travail, {PD}, dès le départ.",
    "Notre conseil : impliquer très tôt {ORG} et la médecine de prévention.",
    "Prévoir une supervision régulière, comme celle que propose {PD}.",
    "Il faut du temps dégagé pour les pair-aidants ; {M} insiste beaucoup là-dessus.",
    "Nous recommandons de lire le guide d'Handi-Pacte avant de commencer.",
    "Faire témoigner des agents comme {PF} aide à convaincre la direction.",
    "Ne pas négliger la formation initiale : {P} propose un module de deux jours.",
    "Associer le CSE dès le début évite bien des malentendus.",
    "Demandez conseil à {MT}, qui connaît bien les {model}.",
    "Mettre en place une charte signée par chacun, comme l'a fait {PH}.",
]
CONTACT = [
    "Courrier : {M}, {ADDR}.",
    "Tél. {PHONE} – courriel {EMAIL}",
    "Pour en savoir plus, écrivez à {EMAIL} ou appelez le {PHONE}.",
    "Contact : {M}, {EMAIL}, {PHONE}.",
    "Les rencontres ont lieu au {ADDR}.",
    "{MF} répond aux questions au {PHONE} (ligne directe).",
    "Adresse du service : {ADDR}. Courriel : {EMAIL}.",
    "Vous pouvez joindre {P} au {PHONE} ou par courriel ({EMAIL}).",
    "Le prestataire de formation (SIRET {SIRET}) est situé {ADDR}.",
    "Envoyez vos questions à {EMAIL}.",
    "{MT} est joignable au {PHONE}, du lundi au jeudi.",
]


class Report:
    def __init__(self, rng: random.Random, index: int):
        self.rng = rng
        self.index = index
        name, sector, size = rng.choice(EMPLOYERS)
        self.employer_name = name
        self.employer_label = (f"un employeur du secteur {sector}, tranche {size}"
                               if index % 2 == 0 else None)
        self.members = [self._person(distinct=i < 2) for i in range(rng.randint(3, 6))]
        self.text = ""
        self.planted: list[dict] = []

    def _person(self, distinct: bool = False, outside: float = 0.0) -> tuple[str, str, str]:
        rng = self.rng
        first = (rng.choice(OUTSIDE_LIST) if rng.random() < outside
                 else rng.choice(FIRST_IN_LIST))
        last = rng.choice(SURNAMES_DISTINCT if distinct else ALL_SURNAMES)
        gender = "F" if first.endswith(("e", "a", "ine")) and first not in ("Claude",) else "M"
        return first, last, gender

    def add(self, s: str, kind: str | None = None) -> None:
        if kind:
            self.planted.append({"start": len(self.text), "end": len(self.text) + len(s),
                                 "kind": kind, "value": s})
        self.text += s

    def _title(self, gender: str) -> str:
        return self.rng.choice(TITLES_F if gender == "F" else TITLES_M)

    def fill(self, template: str) -> None:
        rng = self.rng
        pos = 0
        for m in re.finditer(r"\{(\w+)\}", template):
            self.add(template[pos:m.start()])
            pos = m.end()
            slot = m.group(1)
            if slot in ("M", "MR", "MT", "MS", "MF"):
                first, last, gender = rng.choice(self.members)
                if slot == "M":
                    self.add(f"{first} {last}", "membre")
                elif slot == "MR":
                    self.add(f"{last.upper()} {first}", "membre")
                elif slot == "MT":
                    self.add(self._title(gender) + " ")
                    self.add(last, "membre")
                elif slot == "MS":
                    first, last, gender = rng.choice(self.members[:2])
                    self.add(last, "membre")
                elif slot == "MF":
                    self.add(first, "membre")
            elif slot in ("P", "PF", "PFU", "PT", "PD", "PH"):
                first, last, gender = self._person(outside=0.2)
                if slot == "P":
                    self.add(f"{first} {last}", "personne")
                elif slot == "PF":
                    self.add(first, "personne")
                elif slot == "PFU":
                    self.add(first.upper(), "personne")
                elif slot == "PT":
                    self.add(self._title(gender) + " ")
                    self.add(last, "personne")
                elif slot == "PD":
                    self.add(rng.choice(["le Dr ", "la Docteure ", "le docteur ", "Dr "]))
                    self.add(last if rng.random() < 0.6 else f"{first} {last}", "personne")
                elif slot == "PH":
                    other = rng.choice(SURNAMES_DISTINCT)
                    self.add(f"{first} {last}-{other}" if rng.random() < 0.5
                             else f"{rng.choice(COMPOUND_FIRST)} {last}", "personne")
            elif slot == "EMAIL":
                first, last, _ = (rng.choice(self.members) if rng.random() < 0.6
                                  else self._person())
                local = rng.choice([f"{first}.{last}", f"{first[0]}{last}", "pair-aidance",
                                    f"{last}.{first[0]}", "contact.handicap"])
                local = re.sub(r"[^a-z.\-]", "", _ascii(local).lower()) or "contact"
                self.add(f"{local}@{rng.choice(MAIL_DOMAINS)}", "courriel")
            elif slot == "PHONE":
                self.add(_phone(rng), "telephone")
            elif slot == "NIR":
                self.add(_nir(rng), "nir")
            elif slot == "SIRET":
                self.add(_siret(rng), "siret")
            elif slot == "ADDR":
                code, city = rng.choice(POSTCODES)
                number = rng.choice(["", " bis", " ter"]) if rng.random() < 0.3 else ""
                addr = (f"{rng.randint(1, 180)}{number} {rng.choice(VOIES)} "
                        f"{rng.choice(STREET_NAMES)}")
                addr += rng.choice([f", {code} {city}", f" {code} {city}", "",
                                    f", BP {rng.randint(10, 999)}, {code} {city.upper()} CEDEX"])
                self.add(addr, "adresse")
            elif slot == "EMP":
                self.add(self.employer_name, "employeur")
            elif slot == "CITY":
                self.add(rng.choice(CITIES), "garder")
            elif slot == "PLACE":
                self.add(rng.choice(PLACES), "garder")
            elif slot == "TOOL":
                self.add(rng.choice(TOOLS), "garder")
            elif slot == "ORG":
                self.add(rng.choice(ORGS), "garder")
            else:
                self.add(rng.choice({"model": MODELS, "duration": DURATIONS, "role": ROLES,
                                     "disability": DISABILITIES,
                                     "situation": SITUATIONS}[slot]))
        self.add(template[pos:])

    def build(self) -> dict:
        rng = self.rng
        sections = [("Contexte", CONTEXT, 2, 4), ("Ce qui a marché", WORKED, 3, 5),
                    ("Difficultés", DIFFICULTIES, 1, 3), ("Conseils", ADVICE, 1, 3),
                    ("Contact", CONTACT, 1, 2)]
        for heading, pool, lo, hi in sections:
            if rng.random() < 0.5:
                self.add(f"{heading}\n")
            for template in rng.sample(pool, rng.randint(lo, hi)):
                self.fill(template)
                self.add(" " if rng.random() < 0.7 else "\n")
            self.add("\n\n")
        _fix_capitals(self)
        return {"id": self.index, "employer_name": self.employer_name,
                "employer_label": self.employer_label,
                "known_people": [f"{f} {s}" for f, s, _ in self.members],
                "text": self.text, "planted": self.planted}


def _fix_capitals(report: Report) -> None:
    """Templates may start a sentence with "le Dr": capitalise the first letter of a sentence
    (outside planted spans, which keep their case)."""
    chars = list(report.text)
    for m in re.finditer(r"(^|[.!?]\s+|\n)([a-zàâéèêîôûç])", report.text):
        chars[m.start(2)] = m.group(2).upper()
    report.text = "".join(chars)


def _ascii(s: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))


def _phone(rng: random.Random) -> str:
    digits = [rng.choice("1234567") if rng.random() < 0.5 else rng.choice("67")]
    digits += [f"{rng.randint(0, 99):02d}" for _ in range(4)]
    sep = rng.choice([" ", ".", "-", "", " "])
    style = rng.randint(0, 4)
    if style == 0:
        return f"+33 {digits[0]} " + " ".join(digits[1:])
    if style == 1:
        return f"0033 {digits[0]}{sep}" + sep.join(digits[1:])
    if style == 2:
        return f"+33 (0){digits[0]}{sep or ' '}" + (sep or " ").join(digits[1:])
    return f"0{digits[0]}{sep}" + sep.join(digits[1:])


def _nir(rng: random.Random) -> str:
    body = (f"{rng.choice('12')}{rng.randint(50, 99):02d}{rng.randint(1, 12):02d}"
            f"{rng.choice(['75', '69', '44', '2A', '2B', '13', '59'])}"
            f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}")
    key = std_nir.calc_check_digits(body)
    full = body + key
    if rng.random() < 0.5:
        return " ".join([full[0], full[1:3], full[3:5], full[5:7], full[7:10], full[10:13],
                         full[13:]])
    return full


def _siret(rng: random.Random) -> str:
    siren = "".join(str(rng.randint(0, 9)) for _ in range(8))
    siren += luhn.calc_check_digit(siren)
    nic = f"{rng.randint(1, 9999):04d}"
    siret = siren + nic + luhn.calc_check_digit(siren + nic)
    if rng.random() < 0.5:
        return f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
    return siret


def generate(n: int = N_REPORTS, seed: int = SEED) -> list[dict]:
    rng = random.Random(seed)
    return [Report(rng, i).build() for i in range(n)]


def main() -> None:
    corpus = generate()
    lines = ",\n".join(json.dumps(report, ensure_ascii=False) for report in corpus)
    (HERE / "corpus.json").write_text(f"[\n{lines}\n]\n", encoding="utf-8")
    print(f"{len(corpus)} reports, {sum(len(r['planted']) for r in corpus)} planted spans")


if __name__ == "__main__":
    main()
