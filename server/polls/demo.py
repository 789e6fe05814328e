"""Demo topics and one open poll for ``entrepairs demo``."""
from __future__ import annotations

from datetime import timedelta

from server.auth.models import User
from server.extensions import db
from server.polls import service

TOPICS = [
    ("Pair-aidance et télétravail", "Comment garder le lien entre pair-aidant et pair-aidé "
     "quand l'un des deux travaille à distance ?", "kept"),
    ("Former les pair-aidants", "Quelles formations proposer avant la première mission, "
     "et qui les finance ?", "kept"),
    ("Reconnaître le temps consacré à la pair-aidance", "Les missions se font souvent en plus "
     "du travail habituel : comment les inscrire dans la fiche de poste ?", "kept"),
    ("Pair-aidance et retour après un arrêt long", "Plusieurs employeurs cherchent des "
     "exemples d'accompagnement au retour.", "proposed"),
]


def load(animateur_email: str, member_email: str) -> None:
    """Topics proposed by a member, three kept by the animateur, and an approval poll that
    opened today and closes in two weeks."""
    staff = User.by_email(animateur_email)
    member = User.by_email(member_email)
    kept = []
    for title, reason, status in TOPICS:
        topic = service.propose(member.id, title, reason)
        if status == "kept":
            service.keep(topic, staff.id)
            kept.append(topic.id)
    now = service.now()
    poll = service.open_poll(service.PollDraft(
        title="Thème du prochain e-club", method="approval", max_choices=2, scope="person",
        opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=14),
        results_during_vote=True, topic_ids=kept), staff.id)
    db.session.commit()
    try:
        service.schedule_close(poll)
    except RuntimeError:  # no Redis configured: the periodic sweep closes it instead
        pass
