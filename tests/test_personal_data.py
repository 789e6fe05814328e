"""Personal-data rights and retention (docs/personal_data.md): a person's copy of their data
from every space, erasure everywhere or in one space, retention periods applied by the
scheduled job, and who may use each page."""
from __future__ import annotations

import html
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from server import clock
from tests.binomes_helpers import Person, accepted_binome, space as binomes_space
from tests.fixtures.app import csrf_token
from tests.fixtures.factories import create_employer, create_user, login, PASSWORD
from tests.fixtures.mail import run_jobs, text_of

NOTE_OF_HELPER = "Note écrite par Paul après la première rencontre"
NOTE_OF_SEEKER = "Note écrite par Inès : la rencontre m'a fait du bien"
NEEDS_IN_B = "Aménagement de poste demandé dans le second espace"
OTHER_NEEDS = "Besoin déclaré par une autre personne, qui ne doit pas sortir"


def _db(app):
    return app.extensions["sqlalchemy"]


def _sql(app, statement: str, **params):
    with app.app_context():
        db = _db(app)
        try:
            result = db.session.execute(sa.text(statement), params)
            rows = result.all() if result.returns_rows else result.rowcount
            db.session.commit()
            return rows
        finally:
            db.session.remove()


def _enrol_helped(app, ref, user_id: int, needs: str) -> None:
    from server.auth.models import User
    from server.participation.consent import CRITERIA, HELPED_ROLE, enrol
    from tenants import tenant_context

    with app.app_context(), tenant_context(ref.slug):
        db = _db(app)
        enrol(db.session.get(User, user_id), HELPED_ROLE, consent_version=1,
              criteria=list(CRITERIA), needs=needs)
        db.session.commit()


def _log_meeting(p: Person, binome_id: int, note: str) -> None:
    response = p.api("post", f"/binomes/{binome_id}/meetings", json={
        "held_on": (clock.today() - timedelta(days=3)).isoformat(), "duration_minutes": 45,
        "format": "Par téléphone", "note": note})
    assert response.status_code == 201, response.json


@pytest.fixture(autouse=True)
def export_dir(app, tmp_path, monkeypatch):
    """Copies of people's data are written under the test's own directory."""
    monkeypatch.setitem(app.config, "PERSONAL_DATA_EXPORT_DIR", str(tmp_path / "copies"))
    return tmp_path / "copies"


class World:
    pass


@pytest.fixture
def world(app):
    """Employer A runs binômes: Paul (pair-aidant) and Inès (pair-aidée) form a binôme and both
    write a note. Paul is also a pair-aidé of employer B, where he stated needs; Bérénice, of
    B too, stated hers."""
    w = World()
    w.s = binomes_space(app)
    w.a, w.paul, w.ines = w.s.ref, w.s.helper, w.s.seeker
    w.binome_id = accepted_binome(w.s)
    _log_meeting(w.paul, w.binome_id, NOTE_OF_HELPER)
    _log_meeting(w.ines, w.binome_id, NOTE_OF_SEEKER)
    w.b = create_employer(app)
    _enrol_helped(app, w.b, w.paul.account.id, NEEDS_IN_B)
    w.berenice = create_user(app, name="Bérénice Autre")
    _enrol_helped(app, w.b, w.berenice.id, OTHER_NEEDS)
    return w


def _request_copy(client) -> None:
    response = client.post("/mes-donnees/copie",
                           data={"csrf_token": csrf_token(client, "/mes-donnees")})
    assert response.status_code == 302


def _ready_export(app, user_id: int):
    from server.personal_data.models import DataExport

    with app.app_context():
        db = _db(app)
        try:
            return db.session.execute(sa.select(DataExport).where(
                DataExport.user_id == user_id).order_by(DataExport.id.desc())).scalars().first()
        finally:
            db.session.remove()


# --- the copy of one's data ----------------------------------------------------------------------

def test_the_copy_holds_a_persons_data_from_both_spaces_and_nothing_of_anyone_else(
        app, world, mailbox):
    client = world.paul.client
    _request_copy(client)
    assert "Une copie est en préparation" in client.get("/mes-donnees").get_data(as_text=True)
    run_jobs(app)

    export = _ready_export(app, world.paul.account.id)
    assert export.status == "ready" and export.spaces == 2
    assert export.expires_at - export.ready_at == timedelta(days=7)
    (message,) = mailbox.to(world.paul.account.email)
    assert message["Subject"] == "Votre copie de vos données est prête"
    assert "/mes-donnees" in text_of(message)

    page = client.get("/mes-donnees").get_data(as_text=True)
    url = f"/mes-donnees/copies/{export.id}/donnees.json"
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.data)
    text = response.get_data(as_text=True)
    employers = {s["employer"]: s["sections"] for s in data["spaces"]}
    assert set(employers) == {world.a.name, world.b.name}
    assert data["network"]["Votre compte"][0]["Adresse e-mail"] == world.paul.account.email
    assert data["network"]["Vos sessions de connexion"], "Paul's log-in session is missing"
    in_a, in_b = employers[world.a.name], employers[world.b.name]
    assert in_a["Binômes — Votre profil de pair-aidant"][0]["Service"] == "Finances"
    (binome,) = in_a["Binômes — Vos binômes"]
    assert binome["Autre membre"] == "Inès Pair-Aidée" and binome["Votre rôle"] == "pair-aidant"
    notes = {m["Note (lisible par les deux membres du binôme)"]
             for m in in_a["Binômes — Rencontres de vos binômes et leurs notes"]}
    assert notes == {NOTE_OF_HELPER, NOTE_OF_SEEKER}  # the pair's notes, readable by both
    assert in_b["Participation et consentement"][0]["Vos besoins"] == NEEDS_IN_B
    # Nothing of another person: not Inès's declarations or address, not Bérénice's needs.
    for foreign in ("Culture", world.ines.account.email, OTHER_NEEDS, world.berenice.email,
                    "Bérénice"):
        assert foreign not in text

    summary = client.get(f"/mes-donnees/copies/{export.id}/donnees.html")
    assert summary.status_code == 200 and summary.mimetype == "text/html"
    body = html.unescape(summary.get_data(as_text=True))
    assert f"Espace {world.a.name}" in body and f"Espace {world.b.name}" in body
    assert NEEDS_IN_B in body and OTHER_NEEDS not in body

    # Someone else asking for Paul's copy: nothing there.
    assert world.ines.client.get(url).status_code == 404


def test_an_expired_copy_is_deleted_and_gone(app, world):
    from server.personal_data import export as exports

    _request_copy(world.paul.client)
    run_jobs(app)
    item = _ready_export(app, world.paul.account.id)
    with app.app_context():
        files = [exports.path_of(item.storage_key, fmt) for fmt in ("json", "html")]
    assert all(f.exists() for f in files)
    _sql(app, "UPDATE network.personal_data_export SET expires_at = now() - interval '1 minute'"
              " WHERE id = :id", id=item.id)
    with app.app_context():
        assert exports.expire_exports() >= 1
        _db(app).session.remove()
    assert not any(f.exists() for f in files)
    assert _ready_export(app, world.paul.account.id).status == "expired"
    response = world.paul.client.get(f"/mes-donnees/copies/{item.id}/donnees.json")
    assert response.status_code == 410


def test_my_data_pages_need_a_signed_in_person(app):
    client = app.test_client()
    for path in ("/mes-donnees", "/mes-donnees/effacement", "/mes-donnees/copies/1/donnees.json"):
        response = client.get(path)
        assert response.status_code == 302 and "/connexion" in response.headers["Location"]


# --- erasure -----------------------------------------------------------------------------------

def _aggregates(app) -> list:
    return _sql(app, "SELECT r.id, r.status, r.employers_read, c.table_key, c.row_key, "
                     "c.column_key, c.value::text FROM network.indicator_run r "
                     "LEFT JOIN network.indicator_cell c ON c.run_id = r.id ORDER BY 1, 4, 5, 6")


def test_erasing_everything_anonymises_every_schema_and_keeps_the_other_persons_history(
        app, world, mailbox):
    from server.network_indicators.aggregate import aggregate

    with app.app_context():
        aggregate()
        _db(app).session.remove()
    aggregates = _aggregates(app)
    assert aggregates, "no stored aggregate: the comparison below would prove nothing"
    paul = world.paul.account
    client = world.paul.client

    # The wrong password or no confirmation: nothing is asked.
    token = csrf_token(client, "/mes-donnees/effacement")
    refused = client.post("/mes-donnees/effacement", data={"csrf_token": token,
                                                           "password": "pas-le-bon"})
    assert refused.status_code == 400
    page = html.unescape(refused.get_data(as_text=True))
    assert "Ce mot de passe n'est pas le bon." in page
    assert "Cochez la case pour confirmer l'effacement." in page
    assert _sql(app, "SELECT count(*) FROM network.erasure_request WHERE subject_id = :id",
                id=paul.id)[0][0] == 0

    done = client.post("/mes-donnees/effacement", data={
        "csrf_token": token, "password": PASSWORD, "confirm": "y"})
    assert done.status_code == 200
    assert "Votre demande d'effacement est enregistrée" in done.get_data(as_text=True)
    assert client.get("/mes-donnees").status_code == 302  # logged out
    run_jobs(app)

    (message,) = mailbox.to(paul.email)
    assert message["Subject"] == "Vos données ont été effacées"
    assert "Profil remplacé par « Personne effacée »" in text_of(message)
    # The account: closed, address and name gone, no way in.
    (account,) = _sql(app, "SELECT email, display_name, active FROM network.account "
                           "WHERE id = :id", id=paul.id)
    assert account.email.endswith("@entrepairs.invalid") and not account.active
    assert account.display_name == "Compte effacé"
    for table in ("membership", "account_session", "api_token"):
        assert _sql(app, f"SELECT count(*) FROM network.{table} WHERE user_id = :id",
                    id=paul.id)[0][0] == 0, table
    retry = app.test_client()
    response = retry.post("/connexion", data={"csrf_token": csrf_token(retry),
                                              "email": paul.email, "password": PASSWORD})
    assert response.status_code != 302
    # Employer A: placeholder profile, declarations and Paul's note gone, Inès's note kept.
    a, b = world.a.schema, world.b.schema
    (profile,) = _sql(app, f'SELECT id, user_id, display_name FROM "{a}".profile '
                           "WHERE id = :id", id=world.paul.profile_id)
    assert profile.user_id < 0 and profile.display_name == "Personne effacée"
    assert _sql(app, f'SELECT count(*) FROM "{a}".binomes_helper')[0][0] == 0
    notes = {r.body for r in _sql(app, f'SELECT body FROM "{a}".binomes_meeting_note')}
    assert notes == {NOTE_OF_SEEKER}
    (binome,) = _sql(app, f'SELECT status, close_reason FROM "{a}".binomes_binome')
    assert (binome.status, binome.close_reason) == ("closed", "depart")
    page = world.ines.page(f"/binomes/{world.binome_id}")
    assert page.status_code == 200
    shown = html.unescape(page.get_data(as_text=True))
    assert "Personne effacée" in shown and NOTE_OF_SEEKER in shown
    assert "Paul Pair-Aidant" not in shown and NOTE_OF_HELPER not in shown
    # Employer B: the participation counts, without what Paul stated; Bérénice's untouched.
    rows = _sql(app, f'SELECT p.user_id, pa.needs, pa.status FROM "{b}".participation pa '
                     f'JOIN "{b}".profile p ON p.id = pa.profile_id ORDER BY pa.id')
    assert [(r.user_id > 0, r.needs, r.status) for r in rows] == [
        (False, None, "left"), (True, OTHER_NEEDS, "active")]
    # The report holds counts only, and the network's published figures did not move.
    (report,) = _sql(app, "SELECT status, report FROM network.erasure_request "
                          "WHERE subject_id = :id", id=paul.id)
    assert report.status == "done"
    assert set(report.report) == {world.a.name, world.b.name, "Réseau"}
    assert report.report[world.a.name]["Notes de rencontre écrites par la personne supprimées"] == 1
    assert _aggregates(app) == aggregates


def test_a_referent_erases_a_person_in_their_space_only(app, world, mailbox):
    referent = world.s.referent
    url = f"/e/{world.a.slug}/donnees-personnelles/effacement"
    page = referent.client.get(url)
    assert page.status_code == 200
    assert "Inès Pair-Aidée" in page.get_data(as_text=True)
    token = csrf_token(referent.client, url)
    nobody = referent.client.post(url, data={"csrf_token": token, "action": "apercu",
                                             "person": "abc"})
    assert nobody.status_code == 400
    assert "Choisissez la personne" in nobody.get_data(as_text=True)
    preview = referent.client.post(url, data={"csrf_token": token, "action": "apercu",
                                              "person": str(world.ines.account.id)})
    assert preview.status_code == 200
    assert "Binômes — Vos binômes" in preview.get_data(as_text=True)
    unconfirmed = referent.client.post(url, data={"csrf_token": token, "action": "effacer",
                                                  "person": str(world.ines.account.id)})
    assert unconfirmed.status_code == 400
    assert _sql(app, "SELECT count(*) FROM network.erasure_request WHERE subject_id = :id",
                id=world.ines.account.id)[0][0] == 0
    done = referent.client.post(url, data={"csrf_token": token, "action": "effacer",
                                           "person": str(world.ines.account.id),
                                           "confirm": "y"})
    assert done.status_code == 302
    run_jobs(app)

    (account,) = _sql(app, "SELECT email, active FROM network.account WHERE id = :id",
                      id=world.ines.account.id)
    assert account.active and account.email == world.ines.account.email  # other spaces go on
    assert _sql(app, "SELECT count(*) FROM network.membership WHERE user_id = :id",
                id=world.ines.account.id)[0][0] == 0
    a = world.a.schema
    assert _sql(app, f'SELECT count(*) FROM "{a}".binomes_seeker')[0][0] == 0
    assert {r.body for r in _sql(app, f'SELECT body FROM "{a}".binomes_meeting_note')} == {
        NOTE_OF_HELPER}
    (message,) = mailbox.to(world.ines.account.email)
    assert world.a.name in text_of(message)
    logged = {(r.action, r.actor_id) for r in _sql(
        app, f'SELECT action, actor_id FROM "{a}".audit_event '
             "WHERE object_type = 'erasure_request'")}
    assert logged == {("request", referent.account.id), ("erase", None)}
    report = referent.client.get(url).get_data(as_text=True)
    assert "Effectué" in report and "Profils de pair-aidé supprimés : 1" in report
    # Paul's binôme page now shows the placeholder for Inès.
    assert "Personne effacée" in world.paul.page(
        f"/binomes/{world.binome_id}").get_data(as_text=True)


def test_erasure_pages_refuse_other_roles_and_other_employers(app, world):
    url = f"/e/{world.a.slug}/donnees-personnelles/effacement"
    assert world.paul.client.get(url).status_code == 403
    assert world.paul.client.post(url, data={
        "csrf_token": csrf_token(world.paul.client, "/mes-donnees"), "action": "effacer",
        "person": str(world.ines.account.id), "confirm": "y"}).status_code == 403
    outsider = create_user(app, employer=world.b, role="referent")
    client = app.test_client()
    login(client, outsider)
    assert client.get(url).status_code == 404
    assert client.get(f"/e/{world.a.slug}/donnees-personnelles/").status_code == 404
    assert client.get(f"/e/{world.a.slug}/donnees-personnelles/conservation").status_code == 404
    assert _sql(app, "SELECT count(*) FROM network.erasure_request WHERE subject_id = :id",
                id=world.ines.account.id)[0][0] == 0


# --- retention -----------------------------------------------------------------------------------

def _past(days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def _retention_world(app):
    """An employer with, for each kind, one record past its default period and one not."""
    from server.auth.models import Membership
    from server.employers.models import Profile
    from server.invitations.models import Invitation
    from server.surveys.models import SurveyResponse
    from server.surveys.service import current_version
    from plugins.binomes.models import Binome, Meeting, MeetingNote
    from tenants import tenant_context

    ref = create_employer(app)
    referent = create_user(app, employer=ref, role="referent")
    old_leaver = create_user(app, employer=ref, role="pair-aide", name="Ancien Départ")
    new_leaver = create_user(app, employer=ref, role="pair-aide", name="Récent Départ")
    with app.app_context(), tenant_context(ref.slug):
        db = _db(app)
        for person, days in ((old_leaver, 400), (new_leaver, 100)):
            db.session.execute(sa.delete(Membership).where(Membership.user_id == person.id))
            db.session.execute(sa.update(Profile).where(Profile.user_id == person.id)
                               .values(status="left"))
        db.session.flush()
        ids = {}
        for days in (800, 100):
            binome = Binome(helper_id=1, seeker_id=2, status="closed", close_reason="autre",
                            closed_at=_past(days))
            db.session.add(binome)
            db.session.flush()
            meeting = Meeting(binome_id=binome.id, held_on=clock.today() - timedelta(days=days + 5),
                              duration_minutes=30, format="Par téléphone", logged_by=1)
            db.session.add(meeting)
            db.session.flush()
            db.session.add(MeetingNote(meeting_id=meeting.id, body=f"Note clôturée il y a {days} j"))
            ids[days] = meeting.id
        version = current_version("apres-seance")
        for days in (1200, 30):
            db.session.add(SurveyResponse(kind="apres-seance", version_id=version.id,
                                          answered_on=clock.today() - timedelta(days=days),
                                          scores=[4, 4, 4], mean_score=4.0))
        for days, email in ((40, "ancienne"), (10, "recente")):
            db.session.add(Invitation(tenant_id=ref.id, email=f"{email}-{ref.slug}@exemple.fr",
                                      display_name="Invitée", role="membre", digest=f"{email}{ref.slug}".ljust(64, "0")[:64],
                                      sent_at=_past(days + 14), expires_at=_past(days)))
        db.session.commit()
    # Leaving dates: set after the ORM's onupdate.
    for person, days in ((old_leaver, 400), (new_leaver, 100)):
        _sql(app, f'UPDATE "{ref.schema}".profile SET updated_at = :at WHERE user_id = :id',
             at=_past(days), id=person.id)
    return ref, referent, old_leaver, new_leaver


def test_the_retention_job_removes_exactly_what_is_past_its_period_and_reports_it(app):
    from server.jobs import enqueue
    from server.personal_data.retention import apply_everywhere

    ref, referent, old_leaver, new_leaver = _retention_world(app)
    s = ref.schema
    with app.app_context():
        enqueue(apply_everywhere, tenant=None)
    run_jobs(app)  # the network job, then the one it enqueued for each employer

    names = {r.display_name for r in _sql(app, f'SELECT display_name FROM "{s}".profile')}
    assert "Ancien Départ" not in names and "Récent Départ" in names
    assert "Personne effacée" in names
    assert {r.body for r in _sql(app, f'SELECT body FROM "{s}".binomes_meeting_note')} == {
        "Note clôturée il y a 100 j"}
    assert _sql(app, f'SELECT count(*) FROM "{s}".binomes_meeting')[0][0] == 2  # counts stay
    days = [r.answered_on for r in _sql(app, f'SELECT answered_on FROM "{s}".survey_response')]
    assert days == [clock.today() - timedelta(days=30)]
    emails = [r.email for r in _sql(app, "SELECT email FROM network.invitation "
                                         "WHERE tenant_id = :t", t=ref.id)]
    assert emails == [f"recente-{ref.slug}@exemple.fr"]
    (run,) = _sql(app, f'SELECT status, removed, periods FROM "{s}".retention_run')
    assert run.status == "done"
    assert {item["key"]: item["count"] for item in run.removed} == {
        "people.left": 1, "surveys.answers": 1, "invitations.ended": 1, "binomes.notes": 1}
    assert run.periods["binomes.notes"] == 730

    client = app.test_client()
    login(client, referent)
    page = client.get(f"/e/{ref.slug}/donnees-personnelles/conservation").get_data(as_text=True)
    assert "Derniers passages" in page and "Notes des binômes clos" in page
    assert "terminé" in page

    # A second run finds nothing more.
    with app.app_context():
        enqueue(apply_everywhere, tenant=None)
    run_jobs(app)
    runs = _sql(app, f'SELECT removed FROM "{s}".retention_run ORDER BY id')
    assert [sum(i["count"] for i in r.removed) for r in runs] == [4, 0]


def test_retention_periods_are_checked_saved_and_shown_on_the_space_page(app):
    ref = create_employer(app)
    referent = create_user(app, employer=ref, role="referent")
    member = create_user(app, employer=ref, role="membre")
    client = app.test_client()
    login(client, referent)
    url = f"/e/{ref.slug}/donnees-personnelles/conservation"
    token = csrf_token(client, url)
    body = {"csrf_token": token, "people-left": "365", "surveys-answers": "12",
            "invitations-ended": "beaucoup", "binomes-notes": "730"}
    refused = client.post(url, data=body)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "doit être compris entre 365 et 3650 jours" in page
    assert "Saisissez un nombre de jours" in page
    assert 'value="beaucoup"' in page  # what was typed is kept
    saved = client.post(url, data={**body, "surveys-answers": "730",
                                   "invitations-ended": "60"})
    assert saved.status_code == 302
    public = client.get(f"/e/{ref.slug}/donnees-personnelles/").get_data(as_text=True)
    assert "730 jours" in public and "60 jours" in public

    other = app.test_client()
    login(other, member)
    assert other.get(url).status_code == 403
    assert other.post(url, data={**body, "csrf_token": csrf_token(other, url.rsplit("/", 1)[0]
                                                                   + "/")}).status_code == 403
    assert other.get(f"/e/{ref.slug}/donnees-personnelles/").status_code == 200


def test_every_models_hooks_read_and_erase_every_person_of_a_full_space(app):
    """Every programme model filled in, then each person's copy read and erased: nothing of a
    living person is left, nothing still to come involves an erased one, counts remain."""
    from server.personal_data import space
    from tests.binomes_helpers import fill_binomes_tables
    from tests.groupes_helpers import fill_groupes_tables
    from tests.interventions_helpers import fill_interventions_tables
    from tests.permanences_helpers import fill_permanences_tables
    from tenants import tenant_context

    ref = create_employer(app)
    for fill in (fill_binomes_tables, fill_groupes_tables, fill_permanences_tables,
                 fill_interventions_tables):
        fill(app, ref)
    s = ref.schema
    meetings = _sql(app, f'SELECT count(*) FROM "{s}".binomes_meeting')[0][0]
    users = [r.user_id for r in _sql(app, f'SELECT user_id FROM "{s}".profile')]
    titles = set()
    with app.app_context():
        for user_id in users:
            with tenant_context(ref.slug):
                copy = space.collect(user_id)
                titles |= set(copy["sections"])
                space.erase(user_id)
                _db(app).session.commit()
    for plugin in app.extensions["entrepairs.plugins"].values():
        assert any(t.startswith(plugin.label + " — ") for t in titles), plugin.name
    assert _sql(app, f'SELECT count(*) FROM "{s}".profile WHERE user_id > 0')[0][0] == 0
    assert _sql(app, "SELECT count(*) FROM network.membership WHERE tenant_id = :t",
                t=ref.id)[0][0] == 0
    for table in ("binomes_helper", "binomes_seeker"):
        assert _sql(app, f'SELECT count(*) FROM "{s}".{table}')[0][0] == 0, table
    assert _sql(app, f'SELECT count(*) FROM "{s}".participation '
                     "WHERE needs IS NOT NULL OR preferences IS NOT NULL")[0][0] == 0
    future = {
        "binômes en cours": f"SELECT count(*) FROM \"{s}\".binomes_binome "
                            "WHERE status IN ('proposed', 'accepted', 'active')",
        "groupes ouverts": f"SELECT count(*) FROM \"{s}\".groupes_groupe WHERE status = 'open'",
        "réservations à venir": f"SELECT count(*) FROM \"{s}\".permanences_booking b JOIN "
                                f"\"{s}\".permanences_slot t ON t.id = b.slot_id "
                                "WHERE b.status = 'booked' AND t.starts_at > now()",
        "interventions à venir": f"SELECT count(*) FROM \"{s}\".interventions_intervention "
                                 "WHERE status IN ('requested', 'accepted') AND starts_at > now()",
    }
    for what, statement in future.items():
        assert _sql(app, statement)[0][0] == 0, what
    assert _sql(app, f'SELECT count(*) FROM "{s}".binomes_meeting')[0][0] == meetings


def _erase_in_space(app, ref, user_id: int) -> dict:
    from server.personal_data import space
    from tenants import tenant_context

    with app.app_context(), tenant_context(ref.slug):
        counts = space.erase(user_id)
        _db(app).session.commit()
    return counts


def test_people_whose_plans_an_erasure_cancels_are_told_once_it_is_done(app, mailbox):
    """A pair-aidant's erasure closes their group and cancels their slots: the people
    registered, waiting, promoted or booked learn it by e-mail, as if the pair-aidant had
    cancelled; nothing is sent for an erasure rolled back."""
    from tests import groupes_helpers, permanences_helpers

    g = groupes_helpers.space(app, members=4)
    first, second, third, fourth = g.members
    group = groupes_helpers.create_group(g.helper, capacity=2)
    for member in (first, second, third):  # the third one waits
        assert member.api("post", f"/groups/{group['id']}/register").status_code in (200, 201)
    # A group of someone else, where the erased member's seat goes to the one waiting.
    other_helper = groupes_helpers.person(app, g.ref, "pair-aidant", "Olga Animatrice")
    other = groupes_helpers.create_group(other_helper, capacity=2, title="Groupe du lundi")
    for member in (first, fourth, third):
        assert member.api("post", f"/groups/{other['id']}/register").status_code in (200, 201)

    p = permanences_helpers.space(app)
    slot = permanences_helpers.offer(p.helper)
    assert p.seeker.api("post", f"/slots/{slot['id']}/book", json={}).status_code == 201

    counts = _erase_in_space(app, g.ref, g.helper.account.id)
    assert counts["Groupes animés par la personne clos"] == 1
    counts = _erase_in_space(app, g.ref, first.account.id)
    assert counts["Inscriptions à des groupes ouverts annulées"] == 1  # the other group only
    counts = _erase_in_space(app, p.ref, p.helper.account.id)
    assert counts["Réservations d'autres personnes annulées avec ces permanences"] == 1
    run_jobs(app)

    subjects = lambda who: [m["Subject"] for m in mailbox.to(who.account.email)]  # noqa: E731
    assert "Séances de groupe annulées : le groupe est clos" in subjects(second)
    assert "Liste d'attente close : le groupe est clos" in subjects(third)
    assert "Une place s'est libérée dans votre groupe" in subjects(third)
    assert "Votre rendez-vous est annulé" in subjects(p.seeker)
    assert subjects(g.helper) == [] and subjects(p.helper) == []

    # An erasure rolled back tells nobody.
    from server.personal_data import space
    from tenants import tenant_context

    helper = permanences_helpers.person(app, p.ref, "pair-aidant", "Hugo Second")
    slot = permanences_helpers.offer(helper)
    assert p.seeker.api("post", f"/slots/{slot['id']}/book", json={}).status_code == 201
    run_jobs(app)  # the booking's confirmation
    before = len(subjects(p.seeker))
    with app.app_context(), tenant_context(p.ref.slug):
        assert space.erase(helper.account.id)
        _db(app).session.rollback()
    run_jobs(app)
    assert len(subjects(p.seeker)) == before
