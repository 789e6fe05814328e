"""Survey kinds and their default questions, invitations from signals, answering and results.

Receivers run inside the sender's transaction and never commit."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from server import clock, signals
from server.extensions import db
from server.surveys.models import SurveyAnswered, SurveyInvitation, SurveyResponse, SurveyVersion

#: Below this number of answers, results are not shown (anonymity).
MIN_ANSWERS = 5
SCALE = (1, 2, 3, 4, 5)
SCALE_LABELS = {1: "Pas du tout satisfait", 2: "Peu satisfait", 3: "Moyennement satisfait",
                4: "Satisfait", 5: "Très satisfait"}
MAX_QUESTIONS = 6
QUESTION_MAX_LENGTH = 200
COMMENT_MAX_LENGTH = 1000
#: How long an invitation stays open.
OPEN_DAYS = 60
FOLLOW_UP_DAYS = 30
#: Roles of the people asked for their opinion.
SURVEYED_ROLES = ("pair-aide", "pair-aidant")
NOT_ENOUGH = "Pas assez de réponses pour préserver l'anonymat"


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    intro: str
    questions: tuple[str, ...] = field(default=())


KINDS: dict[str, Kind] = {k.key: k for k in (
    Kind("apres-seance", "Après une séance",
         "Quelques questions sur la séance ou la rencontre qui vient d'avoir lieu.",
         ("La séance a-t-elle répondu à vos attentes ?",
          "Vous êtes-vous senti écouté ou écoutée ?",
          "La durée et le format de la séance vous ont-ils convenu ?")),
    Kind("suivi-30-jours", "Un mois après l'entrée dans le programme",
         "Vous participez au programme depuis un mois : qu'en pensez-vous ?",
         ("Êtes-vous satisfait ou satisfaite du programme jusqu'ici ?",
          "Savez-vous à qui vous adresser en cas de besoin ?",
          "Les informations reçues à votre arrivée étaient-elles claires ?")),
    Kind("fin-accompagnement", "À la fin d'un accompagnement",
         "Votre accompagnement vient de se terminer : votre avis aide à l'améliorer.",
         ("L'accompagnement vous a-t-il aidé ou aidée ?",
          "La relation était-elle d'égal à égal ?",
          "Recommanderiez-vous la pair-aidance à un ou une collègue ?")),
)}


class Refused(Exception):
    """An answer that cannot be recorded; ``message`` is French, ``status`` the HTTP status."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def now() -> datetime:
    return datetime.now(timezone.utc)


# --- questions ----------------------------------------------------------------------------

def ensure_defaults(connection=None) -> None:
    """Version 1 of every kind, with the default questions (idempotent, race-safe)."""
    table = SurveyVersion.__table__
    (connection or db.session).execute(
        pg_insert(table).values([{"kind": k.key, "number": 1, "questions": list(k.questions)}
                                 for k in KINDS.values()])
        .on_conflict_do_nothing(index_elements=["kind", "number"]))


def current_version(kind: str) -> SurveyVersion:
    version = db.session.execute(
        sa.select(SurveyVersion).where(SurveyVersion.kind == kind)
        .order_by(SurveyVersion.number.desc()).limit(1)).scalar_one_or_none()
    if version is None:
        ensure_defaults()
        return current_version(kind)
    return version


def versions_of(kind: str) -> list[SurveyVersion]:
    return list(db.session.execute(sa.select(SurveyVersion).where(SurveyVersion.kind == kind)
                                   .order_by(SurveyVersion.number.desc())).scalars())


def validate_questions(texts: list[str]) -> tuple[list[str], str | None]:
    questions = [t.replace("\r\n", " ").replace("\n", " ").strip() for t in texts]
    questions = [q for q in questions if q]
    if not questions:
        return questions, "Saisissez au moins une question."
    if len(questions) > MAX_QUESTIONS:
        return questions, (f"Saisissez {MAX_QUESTIONS} questions au plus : vous en avez saisi "
                           f"{len(questions)}.")
    for number, q in enumerate(questions, start=1):
        if len(q) > QUESTION_MAX_LENGTH:
            return questions, (f"La question {number} doit faire {QUESTION_MAX_LENGTH} "
                               f"caractères au plus (elle en fait {len(q)}).")
    return questions, None


def save_questions(kind: str, questions: list[str], by_user_id: int | None,
                   expected_number: int | None) -> SurveyVersion:
    """Write the next version. ``expected_number`` is the version the form was opened on: a
    colleague's newer version refuses the save (409) instead of being overwritten."""
    current = current_version(kind)
    if expected_number != current.number:
        raise Refused(409, "Une autre personne a modifié ces questions pendant que vous les "
                           "modifiiez. Rien n'a été enregistré : voici les questions à jour.")
    version = SurveyVersion(kind=kind, number=current.number + 1, questions=questions,
                            created_by=by_user_id)
    db.session.add(version)
    db.session.flush()
    return version


# --- invitations --------------------------------------------------------------------------

def invite(profile_ids, kind: str, model: str | None = None,
           available_from: datetime | None = None) -> int:
    """Invite people to answer ``kind``. A person who already has an open invitation of the same
    kind about the same model is not invited again (no flood after each meeting)."""
    start = available_from or now()
    created = 0
    for profile_id in sorted({int(p) for p in profile_ids or () if p is not None}):
        if kind == "suivi-30-jours":
            stmt = pg_insert(SurveyInvitation.__table__).values(
                profile_id=profile_id, kind=kind, model=model, available_from=start,
                expires_at=start + timedelta(days=OPEN_DAYS)).on_conflict_do_nothing()
            created += db.session.execute(stmt).rowcount
            continue
        pending = db.session.execute(
            sa.select(SurveyInvitation.id)
            .outerjoin(SurveyAnswered, SurveyAnswered.invitation_id == SurveyInvitation.id)
            .where(SurveyInvitation.profile_id == profile_id, SurveyInvitation.kind == kind,
                   SurveyInvitation.model.is_not_distinct_from(model),
                   SurveyInvitation.expires_at > now(),
                   SurveyAnswered.invitation_id.is_(None)).limit(1)).scalar()
        if pending is None:
            db.session.add(SurveyInvitation(profile_id=profile_id, kind=kind, model=model,
                                            available_from=start,
                                            expires_at=start + timedelta(days=OPEN_DAYS)))
            created += 1
    db.session.flush()
    return created


def _on_session_held(sender, **kw):
    invite(kw.get("participants") or (), "apres-seance", model=sender)


def _on_engagement_ended(sender, **kw):
    invite(kw.get("participants") or (), "fin-accompagnement", model=sender)


def _on_person_enrolled(profile, role=None, **kw):
    if role in SURVEYED_ROLES:
        joined = profile.joined_at or now()
        invite([profile.id], "suivi-30-jours",
               available_from=joined + timedelta(days=FOLLOW_UP_DAYS))


def _on_employer_provisioned(sender, connection=None, **kw):
    from tenants.context import schema_for

    if connection is None:
        ensure_defaults()
    else:
        ensure_defaults(connection.execution_options(
            schema_translate_map={"tenant": schema_for(sender.slug)}))


def connect_signals() -> None:
    """Module-level receivers: connecting again (several apps in one process) is a no-op."""
    signals.session_held.connect(_on_session_held)
    signals.engagement_ended.connect(_on_engagement_ended)
    signals.person_enrolled.connect(_on_person_enrolled)
    signals.employer_provisioned.connect(_on_employer_provisioned)


def open_invitations(profile_id: int) -> list[SurveyInvitation]:
    """What the person can answer now."""
    moment = now()
    return list(db.session.execute(
        sa.select(SurveyInvitation)
        .outerjoin(SurveyAnswered, SurveyAnswered.invitation_id == SurveyInvitation.id)
        .where(SurveyInvitation.profile_id == profile_id,
               SurveyInvitation.available_from <= moment, SurveyInvitation.expires_at > moment,
               SurveyAnswered.invitation_id.is_(None))
        .order_by(SurveyInvitation.available_from, SurveyInvitation.id)).scalars())


def answered_count(profile_id: int) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(SurveyAnswered)
        .join(SurveyInvitation, SurveyInvitation.id == SurveyAnswered.invitation_id)
        .where(SurveyInvitation.profile_id == profile_id)).scalar_one()


# --- answering ----------------------------------------------------------------------------

def invitation_for(invitation_id: int, profile_id: int | None, lock: bool = False):
    query = sa.select(SurveyInvitation).where(SurveyInvitation.id == invitation_id)
    if lock:
        query = query.with_for_update()
    invitation = db.session.execute(query).scalar_one_or_none()
    if invitation is None:
        raise Refused(404, "Ce questionnaire n'existe pas.")
    if profile_id is None or invitation.profile_id != profile_id:
        raise Refused(403, "Ce questionnaire ne vous est pas adressé : vous ne pouvez répondre "
                           "qu'aux questionnaires de la page « Mes questionnaires ».")
    if db.session.get(SurveyAnswered, invitation.id) is not None:
        raise Refused(409, "Vous avez déjà répondu à ce questionnaire : une seule réponse est "
                           "possible, et elle ne peut plus être modifiée (elle est anonyme).")
    moment = now()
    if invitation.available_from > moment:
        raise Refused(409, "Ce questionnaire n'est pas encore ouvert.")
    if invitation.expires_at <= moment:
        raise Refused(410, "Ce questionnaire est clos : le délai pour y répondre est passé.")
    return invitation


def validate_answer(form, questions: list[str]) -> tuple[dict, dict]:
    errors: dict[str, str] = {}
    scores = []
    for number in range(1, len(questions) + 1):
        raw = (form.get(f"q{number}") or "").strip()
        if not raw:
            errors[f"q{number}"] = f"Choisissez une réponse à la question {number}, de 1 à 5."
            continue
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value not in SCALE:
            errors[f"q{number}"] = (f"La réponse à la question {number} doit être un nombre "
                                    "entier de 1 à 5.")
        else:
            scores.append(value)
    comment = (form.get("comment") or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = (f"Le commentaire doit faire {COMMENT_MAX_LENGTH} caractères au "
                             f"plus (il en fait {len(comment)}).")
    return {"scores": scores, "comment": comment or None}, errors


def record_answer(invitation: SurveyInvitation, version: SurveyVersion, values: dict) -> None:
    """Write the anonymous answer and the 'has answered' mark. Caller commits."""
    db.session.add(SurveyAnswered(invitation_id=invitation.id))
    scores = values["scores"]
    db.session.add(SurveyResponse(kind=invitation.kind, model=invitation.model,
                                  version_id=version.id, answered_on=clock.today(),
                                  scores=scores, mean_score=sum(scores) / len(scores),
                                  comment=values["comment"]))
    db.session.flush()
    signals.survey_answered.send(invitation.kind, model=invitation.model)


# --- results ------------------------------------------------------------------------------

@dataclass
class VersionResult:
    version: SurveyVersion
    count: int
    #: (question, mean) — empty when below the threshold.
    means: list[tuple[str, float]]
    #: [(score, how many)] over all questions, for the chart.
    distribution: list[tuple[int, int]]
    comments: list[str]

    @property
    def shown(self) -> bool:
        return self.count >= MIN_ANSWERS


def results(kind: str, start: date | None = None, end: date | None = None) -> list[VersionResult]:
    """Per version of ``kind``, aggregated; nothing but the count below ``MIN_ANSWERS``."""
    where = [SurveyResponse.kind == kind]
    if start is not None:
        where.append(SurveyResponse.answered_on >= start)
    if end is not None:
        where.append(SurveyResponse.answered_on <= end)
    counts = dict(db.session.execute(
        sa.select(SurveyResponse.version_id, sa.func.count()).where(*where)
        .group_by(SurveyResponse.version_id)).all())
    out = []
    for version in versions_of(kind):
        count = counts.get(version.id, 0)
        if not count:
            continue
        means, distribution, comments = [], [], []
        if count >= MIN_ANSWERS:
            elem = sa.func.jsonb_array_elements(SurveyResponse.scores).table_valued(
                "value", with_ordinality="position").render_derived()
            rows = db.session.execute(
                sa.select(elem.c.position, sa.func.avg(elem.c.value.cast(sa.Integer)))
                .select_from(SurveyResponse).join(elem, sa.true())
                .where(*where, SurveyResponse.version_id == version.id)
                .group_by(elem.c.position).order_by(elem.c.position)).all()
            by_position = {int(p): float(m) for p, m in rows}
            means = [(q, round(by_position.get(i, 0.0), 2))
                     for i, q in enumerate(version.questions, start=1)]
            dist = dict(db.session.execute(
                sa.select(elem.c.value.cast(sa.Integer), sa.func.count())
                .select_from(SurveyResponse).join(elem, sa.true())
                .where(*where, SurveyResponse.version_id == version.id)
                .group_by(elem.c.value.cast(sa.Integer))).all())
            distribution = [(s, dist.get(s, 0)) for s in SCALE]
            # Sorted, not in the order given: the order could say who wrote what.
            comments = sorted(db.session.execute(
                sa.select(SurveyResponse.comment)
                .where(*where, SurveyResponse.version_id == version.id,
                       SurveyResponse.comment.is_not(None))).scalars(), key=str.casefold)
        out.append(VersionResult(version, count, means, distribution, comments))
    return out


def satisfaction(start: date | None, end: date | None) -> list[dict]:
    """Per kind: answers and mean score over the period (mean None below the threshold)."""
    where = []
    if start is not None:
        where.append(SurveyResponse.answered_on >= start)
    if end is not None:
        where.append(SurveyResponse.answered_on <= end)
    rows = {r.kind: r for r in db.session.execute(
        sa.select(SurveyResponse.kind, sa.func.count().label("n"),
                  sa.func.avg(SurveyResponse.mean_score).label("mean"))
        .where(*where).group_by(SurveyResponse.kind)).all()}
    out = []
    for kind in KINDS.values():
        row = rows.get(kind.key)
        count = row.n if row else 0
        mean = round(float(row.mean), 2) if row and count >= MIN_ANSWERS else None
        out.append({"kind": kind.key, "label": kind.label, "count": count, "mean": mean})
    return out
