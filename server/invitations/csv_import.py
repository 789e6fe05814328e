"""Reading a file of people to invite: columns e-mail, nom, rôle; UTF-8 with or without BOM;
comma or semicolon."""
from __future__ import annotations

import csv
import io

from server.invitations.service import Candidate, parse_role, plain

MAX_ROWS = 500
MAX_BYTES = 1024 * 1024

HEADERS = {
    "email": {"e-mail", "email", "courriel", "mail", "adresse e-mail", "adresse email",
              "adresse mail"},
    "nom": {"nom", "nom complet", "prenom nom", "nom et prenom"},
    "role": {"role"},
}


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message says why, in French."""


def read_candidates(data: bytes) -> list[Candidate]:
    if not data or not data.strip():
        raise FileProblem("Le fichier est vide.")
    if len(data) > MAX_BYTES:
        raise FileProblem("Le fichier est trop gros (1 Mo au plus).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem("Le fichier n'est pas encodé en UTF-8. Dans votre tableur, "
                          "enregistrez-le au format « CSV UTF-8 ».") from exc
    if "\x00" in text:
        raise FileProblem("Ce fichier n'est pas un fichier CSV (texte). Enregistrez votre "
                          "tableau au format « CSV UTF-8 ».")
    first_line = text.lstrip("\r\n").splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise FileProblem(f"Le fichier CSV est mal formé : {exc}.") from exc
    rows_with_lines = [(n, row) for n, row in enumerate(rows, start=1)
                       if any(cell.strip() for cell in row)]
    columns = _columns(rows_with_lines[0][1])
    body = rows_with_lines[1:]
    if not body:
        raise FileProblem("Le fichier ne contient aucune personne sous la ligne d'en-tête.")
    if len(body) > MAX_ROWS:
        raise FileProblem(f"Le fichier contient {len(body)} lignes : {MAX_ROWS} au plus par "
                          "import. Découpez-le en plusieurs fichiers.")
    candidates = []
    for line, row in body:
        cells = {name: row[index].strip() if index < len(row) else ""
                 for name, index in columns.items()}
        candidates.append(Candidate(email=cells["email"], display_name=cells["nom"],
                                    role=parse_role(cells["role"]), role_text=cells["role"],
                                    line=line))
    return candidates


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        key = plain(title)
        for name, accepted in HEADERS.items():
            if key in accepted and name not in found:
                found[name] = index
    missing = [label for name, label in (("email", "e-mail"), ("nom", "nom"), ("role", "rôle"))
               if name not in found]
    if missing:
        raise FileProblem(
            "La première ligne doit donner le nom des colonnes : e-mail, nom, rôle. "
            f"Colonne{'s' if len(missing) > 1 else ''} introuvable{'s' if len(missing) > 1 else ''}"
            f" : {', '.join(missing)}.")
    return found
