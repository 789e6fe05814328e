"""French labels of the audit log's actions and kinds of record, for its pages and CSV.

A code missing here is shown as it is: the log never hides an entry for want of a label.
Plugins label their own kinds of record with ``ProgrammeModel.audit_labels``."""
from __future__ import annotations

from flask import current_app

ACTIONS = {
    "read": "Consultation",
    "export": "Export",
    "create": "Création",
    "update": "Modification",
    "delete": "Suppression",
    "save": "Enregistrement",
    "validate": "Validation",
    "configure": "Configuration",
    "decide": "Décision",
    "assess": "Évaluation",
    "invite": "Invitation",
    "resend": "Nouvel envoi",
    "revoke": "Révocation",
    "publish": "Publication",
    "consent": "Consentement",
    "withdraw": "Retrait",
    "request": "Demande",
    "answer": "Réponse",
    "report": "Compte rendu",
    "cancel": "Annulation",
    "remove_proposal": "Retrait d'une proposition",
    "discard": "Abandon",
    "book": "Réservation",
    "cancel_booking": "Annulation d'une réservation",
    "cancel_series": "Annulation d'une série",
    "register": "Inscription",
    "cancel_registration": "Désinscription",
    "remove_participant": "Retrait d'un participant",
    "close": "Clôture",
    "attendance": "Présences",
    "start": "Démarrage",
    "log_meeting": "Rencontre notée",
    "login": "Connexion",
    "login_failed": "Échec de connexion",
    "logout": "Déconnexion",
    "access_refused": "Accès refusé",
    "erase": "Effacement",
    # Access security (server/auth/events.py, server/auth/access.py)
    "access.refused": "Accès refusé",
    "login.succeeded": "Connexion",
    "login.password_accepted": "Mot de passe accepté, second facteur attendu",
    "login.failed": "Échec de connexion",
    "login.locked": "Compte verrouillé après des échecs",
    "login.refused_locked": "Connexion refusée : compte verrouillé",
    "login.second_factor_failed": "Échec du second facteur",
    "password.changed": "Mot de passe changé",
    "password.confirmation_failed": "Mot de passe de confirmation incorrect",
    "second_factor.enabled": "Second facteur activé",
    "second_factor.disabled": "Second facteur désactivé",
    "second_factor.recovery_codes_renewed": "Codes de secours renouvelés",
    "second_factor.reset": "Second facteur réinitialisé par un administrateur",
    "account.unlocked": "Compte déverrouillé par un administrateur",
    # Single sign-on (server/sso)
    "login.sso_accepted": "Connexion unique acceptée",
    "login.sso_failed": "Échec de la connexion unique",
    "login.sso_pending": "Connexion unique en attente du référent",
    "login.sso_refused": "Connexion unique refusée (identité refusée)",
    "sso.config_updated": "Connexion unique configurée",
    "sso.identity_linked": "Identité associée à un membre",
    "sso.identity_refused": "Identité refusée",
    "sso.identity_unlinked": "Identité dissociée",
    "api_token.issued": "Jeton d'API délivré",
    # Shared best practices (server/practices)
    "submit": "Soumission au réseau",
    "anonymise": "Anonymisation demandée",
    "review": "Relecture",
}

OBJECTS = {
    "audit_event": "Journal d'audit",
    "sso_config": "Connexion unique",
    "practice_report": "Retour d'expérience",
    "shared_practice": "Bonne pratique partagée",
    "profile": "Profil",
    "participants": "Liste des participants",
    "participation": "Participation et consentement",
    "consent_version": "Texte du consentement",
    "space_setting": "Paramètre de l'espace",
    "framing_version": "Fiche de cadrage",
    "programme_model": "Modèle du programme",
    "peer_helper": "Fiche de pair-aidant",
    "peer_helper_mission": "Fiche de mission",
    "peer_helper_training": "Formation ou supervision",
    "survey_questions": "Questions d'un questionnaire",
    "survey_results": "Résultats des questionnaires",
    "dashboard": "Tableau de bord",
    "invitation": "Invitation",
    "calendar_feed": "Lien d'agenda",
    "account": "Compte",
    "tenant": "Espace employeur",
    "network_role": "Rôle dans le réseau",
    "endpoint": "Page ou adresse de l'API",
    # Personal-data rights (server/personal_data)
    "personal_data_export": "Copie de ses données personnelles",
    "erasure_request": "Demande d'effacement",
    "erasure_preview": "Aperçu d'un effacement",
    "retention_settings": "Durées de conservation",
}


def _plugin_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for plugin in current_app.extensions.get("entrepairs.plugins", {}).values():
        labels.update(getattr(plugin, "audit_labels", None) or {})
    return labels


def action_label(code: str) -> str:
    return ACTIONS.get(code, code)


def object_label(code: str, plugin_labels: dict[str, str] | None = None) -> str:
    if code in OBJECTS:
        return OBJECTS[code]
    plugin_labels = _plugin_labels() if plugin_labels is None else plugin_labels
    return plugin_labels.get(code, code)


def object_labels(codes) -> dict[str, str]:
    """``{code: label}`` for ``codes``, sorted by label."""
    plugin_labels = _plugin_labels()
    pairs = {code: object_label(code, plugin_labels) for code in codes}
    return dict(sorted(pairs.items(), key=lambda item: item[1].casefold()))
