"""Background work on RQ. One way to enqueue: ``enqueue(func, *args, tenant=slug)``.

A job names its employer explicitly; the worker validates it against the registry and runs
the function inside ``tenant_context(slug)`` with an application context, so a job for one
employer can only ever read that employer's schema.
"""
from __future__ import annotations

import importlib
import os
from datetime import timedelta

from flask import current_app, has_app_context
from redis import Redis
from rq import Queue

#: The application the worker process runs jobs in (set by ``entrepairs worker``).
_worker_app = None


def redis_connection(app=None) -> Redis:
    app = app or current_app
    conn = app.extensions.get("entrepairs.redis")
    if conn is None:
        url = app.config.get("REDIS_URL")
        if not url:
            raise RuntimeError("No Redis: set REDIS_URL (or use `make run`).")
        conn = Redis.from_url(url)
        app.extensions["entrepairs.redis"] = conn
    return conn


def queue(app=None) -> Queue:
    app = app or current_app
    return Queue(app.config["RQ_QUEUE"], connection=redis_connection(app))


def _path(func) -> str:
    return f"{func.__module__}:{func.__qualname__}"


def enqueue(func, *args, tenant: str | None, delay: timedelta | None = None, **kwargs):
    """Run ``func(*args, **kwargs)`` in the background, for ``tenant`` (a slug) or for the
    network (``tenant=None``, said explicitly)."""
    q = queue()
    call = (run_job, (tenant, _path(func), args, kwargs))
    if delay is not None:
        return q.enqueue_in(delay, call[0], *call[1])
    return q.enqueue(call[0], *call[1])


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

