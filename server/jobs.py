"""Background work on RQ. One way to enqueue: ``enqueue(func, *args, tenant=slug)``.

A job names its employer explicitly; the worker validates it against the registry and runs
the function inside ``tenant_context(slug)`` with an application context, so a job for one
employer can only ever read that employer's schema.

When Redis does not answer (within ``REDIS_TIMEOUT`` seconds), ``enqueue`` keeps the job in
PostgreSQL (``network.deferred_job``) instead of failing the request, and tells the person
that it will be done as soon as possible. ``drain_deferred`` moves those jobs to RQ once
Redis answers again; ``entrepairs worker`` runs it at start and then every
``DEFERRED_JOBS_DRAIN_SECONDS`` (docs/operations.md, "When Redis is down").

Every job gets RQ's ``Retry`` (``JOB_RETRY_INTERVALS``): a failure, or a work horse killed in
the middle of a job, runs it again with the same job id, which jobs use as their
idempotency key (``server/mail.py``).
"""
from __future__ import annotations

import importlib
import os
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import current_app, g, has_app_context, has_request_context
from flask.json.tag import TaggedJSONSerializer
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry as RedisRetry
from rq import Queue, Retry
from rq.job import Job
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db

#: The application the worker process runs jobs in (set by ``entrepairs worker``).
_worker_app = None

#: What a person reads when the work of their action waits for Redis.
DEFERRED_NOTICE = ("Le service d'envoi est momentanément indisponible : les courriels et "
                   "calculs liés à cette action seront traités dès que possible.")

#: Redis errors that mean "not reachable now" (as opposed to a bug in the call).
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)

#: Flask's tagged JSON keeps bytes (e-mail attachments), tuples and datetimes.
_tagged = TaggedJSONSerializer()


class DeferredJob(db.Model):
    """A job enqueued while Redis was unreachable, waiting for ``drain_deferred``."""

    __tablename__ = "deferred_job"
    __table_args__ = {"schema": "network"}

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    #: The RQ job id it gets once moved; moving twice never runs it twice.
    job_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The employer it runs for (``None``: the network).
    tenant_slug: Mapped[str | None] = mapped_column(sa.String(40))
    #: ``module:qualname`` of the function.
    func_path: Mapped[str] = mapped_column(sa.String(255))
    #: Arguments in Flask's tagged JSON (bytes, tuples and datetimes survive).
    args: Mapped[list] = mapped_column(JSONB)
    kwargs: Mapped[dict] = mapped_column(JSONB)
    #: When it must run (``None``: as soon as possible).
    run_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), index=True)


def redis_connection(app=None) -> Redis:
    app = app or current_app
    conn = app.extensions.get("entrepairs.redis")
    if conn is None:
        url = app.config.get("REDIS_URL")
        if not url:
            raise RuntimeError("No Redis: set REDIS_URL (or use `make run`).")
        timeout = app.config["REDIS_TIMEOUT"]
        # One retry without back-off: it replaces a pooled connection that a Redis restart
        # closed, without making a request wait through redis-py's default ten retries.
        conn = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                              retry=RedisRetry(NoBackoff(), 1))
        app.extensions["entrepairs.redis"] = conn
    return conn


def queue(app=None) -> Queue:
    app = app or current_app
    return Queue(app.config["RQ_QUEUE"], connection=redis_connection(app))


def _path(func) -> str:
    return f"{func.__module__}:{func.__qualname__}"


def _retry(app) -> Retry | None:
    intervals = list(app.config["JOB_RETRY_INTERVALS"])
    return Retry(max=len(intervals), interval=intervals) if intervals else None


def enqueue(func, *args, tenant: str | None, delay: timedelta | None = None,
            at: datetime | None = None, **kwargs):
    """Run ``func(*args, **kwargs)`` in the background, for ``tenant`` (a slug) or for the
    network (``tenant=None``, said explicitly), now, after ``delay`` or at ``at`` (aware).

    Returns the RQ job, or the ``DeferredJob`` kept in PostgreSQL when Redis is down."""
    if delay is not None and at is not None:
        raise ValueError("enqueue: give delay or at, not both")
    if delay is not None:
        at = datetime.now(timezone.utc) + delay
    job_id = uuid.uuid4().hex
    try:
        return _push(current_app, job_id, tenant, _path(func), args, kwargs, at)
    except REDIS_DOWN:
        current_app.logger.warning("Redis unreachable: job %s kept in PostgreSQL", _path(func))
        return _defer(job_id, tenant, _path(func), args, kwargs, at)


def _push(app, job_id, tenant, path, args, kwargs, at):
    q = queue(app)
    call = {"args": (tenant, path, args, kwargs), "job_id": job_id, "retry": _retry(app)}
    if at is not None and at > datetime.now(timezone.utc):
        return q.enqueue_at(at, run_job, **call)
    return q.enqueue_call(run_job, **call)


def _defer(job_id, tenant, path, args, kwargs, at) -> DeferredJob:
    import json

    row = {"job_id": job_id, "tenant_slug": tenant, "func_path": path,
           "args": json.loads(_tagged.dumps(list(args))),
           "kwargs": json.loads(_tagged.dumps(kwargs)), "run_at": at}
    insert = sa.insert(DeferredJob).values(**row).returning(DeferredJob.id)
    caller = _writing_transaction()
    if caller is not None:
        # The caller's change is not committed yet: the job commits (or rolls back) with it.
        row["id"] = caller.execute(insert).scalar_one()
    else:
        with db.engine.begin() as connection:
            row["id"] = connection.execute(insert).scalar_one()
    _tell_the_person()
    return DeferredJob(**row)


def _tell_the_person() -> None:
    """Once per page request: the work of this action waits for Redis. API clients get the
    job's normal answer (the work is not lost, only late)."""
    if not has_request_context() or g.get("entrepairs_jobs_deferred"):
        return
    from flask import flash

    from server.auth.access import is_api_request

    g.entrepairs_jobs_deferred = True
    if not is_api_request():
        flash(DEFERRED_NOTICE, "info")


def _writing_transaction():
    """The session's connection when its transaction has written something, else ``None``
    (no transaction, read-only, or inside an after-commit hook)."""
    session = db.session()
    transaction = session.get_transaction()
    if transaction is None or not transaction.is_active:
        return None
    if session.new or session.dirty or session.deleted:
        session.flush()
    connection = session.connection()
    written = connection.execute(sa.text("SELECT txid_current_if_assigned()")).scalar()
    return connection if written is not None else None


def is_deferred(job) -> bool:
    """Whether ``enqueue`` kept this job in PostgreSQL (Redis was down)."""
    return isinstance(job, DeferredJob)


def drain_deferred(app=None, batch: int = 100) -> int:
    """Move the jobs kept in PostgreSQL to RQ, oldest first. Returns how many moved; stops
    (leaving the rest) as soon as Redis fails again. Safe to run in several processes at
    once (rows are locked with SKIP LOCKED) and to interrupt (a job already in RQ under its
    id is not pushed again)."""
    app = app or current_app
    moved = 0
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
        try:
            redis_connection(app).ping()
        except REDIS_DOWN:
            return 0
        while True:
            with engine.begin() as connection:
                rows = connection.execute(
                    sa.select(DeferredJob.__table__).order_by(DeferredJob.id).limit(batch)
                    .with_for_update(skip_locked=True)).mappings().all()
                if not rows:
                    return moved
                done = []
                for row in rows:
                    try:
                        if not Job.exists(row["job_id"], connection=redis_connection(app)):
                            _push(app, row["job_id"], row["tenant_slug"], row["func_path"],
                                  tuple(_tagged.loads(_json(row["args"]))),
                                  _tagged.loads(_json(row["kwargs"])), row["run_at"])
                    except REDIS_DOWN:
                        break
                    done.append(row["id"])
                if done:
                    connection.execute(sa.delete(DeferredJob).where(DeferredJob.id.in_(done)))
                moved += len(done)
                if len(done) < len(rows):
                    return moved


def _json(value) -> str:
    import json

    return json.dumps(value)


def deferred_count(app=None) -> int:
    app = app or current_app
    with app.app_context():
        return app.extensions["sqlalchemy"].session.execute(
            sa.select(sa.func.count()).select_from(DeferredJob)).scalar_one()


def _resolve(path: str):
    module, _, name = path.partition(":")
    target = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def run_job(tenant: str | None, path: str, args, kwargs):
    """What the worker executes: the function inside its employer's context."""
    from tenants import tenant_context

    func = _resolve(path)
    app = current_app._get_current_object() if has_app_context() else _get_worker_app()
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        _forget_inherited_connections(app, db)
        try:
            if tenant is None:
                return func(*args, **kwargs)
            with tenant_context(tenant):
                return func(*args, **kwargs)
        finally:
            db.session.remove()


def current_job_id() -> str | None:
    """The RQ id of the job running now (the same across its retries), else ``None``."""
    from rq import get_current_job

    job = get_current_job()
    return job.id if job is not None else None


def _forget_inherited_connections(app, db) -> None:
    """RQ runs each job in a forked work horse: pooled connections inherited from the parent
    belong to the parent and must not be used (nor closed) here."""
    pid = os.getpid()
    if app.extensions.get("entrepairs.pid") != pid:
        db.engine.dispose(close=False)
        app.extensions["entrepairs.pid"] = pid


def _get_worker_app():
    global _worker_app
    if _worker_app is None:
        from server import create_app

        _worker_app = create_app()
    return _worker_app


def set_worker_app(app) -> None:
    global _worker_app
    _worker_app = app


def drain_forever(app) -> None:
    """``entrepairs worker``'s companion process: every ``DEFERRED_JOBS_DRAIN_SECONDS``,
    move the jobs kept in PostgreSQL to RQ. Errors (PostgreSQL away too) wait for the next
    turn."""
    import time

    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose(close=False)  # the parent's connections
    while True:
        time.sleep(app.config["DEFERRED_JOBS_DRAIN_SECONDS"])
        try:
            moved = drain_deferred(app)
        except Exception:
            app.logger.exception("Moving the deferred jobs to Redis failed; next turn")
            continue
        if moved:
            app.logger.info("%d deferred job(s) moved to Redis", moved)


def _redis_answers(app) -> bool:
    try:
        return bool(redis_connection(app).ping())
    except REDIS_DOWN:
        return False


def run_worker(app, burst: bool = False) -> None:
    """RQ's worker (with its scheduler of delayed jobs and retries), started again when Redis
    goes away and comes back: RQ's own loop quits at a lost connection. Returns when asked to
    stop (SIGTERM, SIGINT) or, with ``burst``, when the queue is empty."""
    import signal
    import sys
    import time

    from rq import Worker

    while True:
        worker = Worker([queue(app)], connection=redis_connection(app))
        try:
            worker.work(burst=burst, with_scheduler=True)
        except REDIS_DOWN:
            pass  # RQ quits on a lost connection: wait for Redis below, then start again
        if burst or worker._shutdown_requested_date is not None:  # RQ's mark of SIGTERM/SIGINT
            return
        app.logger.warning("Redis unreachable: the worker starts again when it answers")
        # Between two RQ workers, a stop request ends the command (its companions with it).
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
        time.sleep(1)
        while not _redis_answers(app):
            time.sleep(2)
        try:
            drain_deferred(app)
        except Exception:
            app.logger.exception("Moving the deferred jobs to Redis failed; the companion retries")
