"""Periodic work: RQ's cron scheduler enqueues, at each interval, one network job per plugin
periodic job; that job fans out one tenant job per active employer that enabled the model.

``entrepairs worker`` runs the cron scheduler beside the worker. Several workers may each run
one: a Redis key per job and interval lets only the first fan-out of a period through."""
from __future__ import annotations

import time

import sqlalchemy as sa
from flask import current_app

from server.jobs import _path, enqueue, redis_connection, run_job


def network_periodic_jobs() -> list:
    """Periodic jobs of the network itself (no employer), declared like a plugin's."""
    from plugins.base import PeriodicJob
    from server.network_indicators.aggregate import SCHEDULE_INTERVAL, aggregate
    from server.personal_data import retention
    from server.polls.jobs import SWEEP_INTERVAL, sweep_due_polls

    return [PeriodicJob(sweep_due_polls, SWEEP_INTERVAL,
                        "clôture des sondages dont le travail différé s'est perdu"),
            PeriodicJob(aggregate, SCHEDULE_INTERVAL, "calcul des indicateurs du réseau"),
            PeriodicJob(retention.apply_everywhere, retention.INTERVAL,
                        "durées de conservation des données personnelles")]


def periodic_jobs(app) -> list[tuple[str | None, object]]:
    """(plugin name, PeriodicJob) for every loaded plugin, then (None, PeriodicJob) for the
    network's own periodic jobs."""
    return [(name, job) for name, plugin in app.extensions.get("entrepairs.plugins", {}).items()
            for job in plugin.periodic_jobs] + [(None, job) for job in network_periodic_jobs()]


def fan_out(plugin_name: str, func_path: str, interval: int) -> list[str]:
    """Enqueue ``func_path`` for every active employer that enabled ``plugin_name``, once per
    ``interval``. Returns the employers' slugs."""
    from server.jobs import _resolve
    from server.programme.models import ProgrammeModelChoice
    from tenants import tenant_context
    from tenants.registry import Tenant

    slot = int(time.time() // interval)
    lock = f"{current_app.config['RQ_QUEUE']}:periodic:{func_path}:{slot}"
    if not redis_connection().set(lock, "1", nx=True, ex=interval):
        return []
    if plugin_name is None:  # a network job: once per period, for no employer
        enqueue(_resolve(func_path), tenant=None)
        return []
    db = current_app.extensions["sqlalchemy"]
    slugs = db.session.execute(
        sa.select(Tenant.slug).where(Tenant.status == "active").order_by(Tenant.slug)
    ).scalars().all()
    func = _resolve(func_path)
    chosen = []
    for slug in slugs:
        with tenant_context(slug):
            enabled = db.session.execute(
                sa.select(ProgrammeModelChoice.enabled).where(
                    ProgrammeModelChoice.name == plugin_name)).scalar()
        if enabled:
            enqueue(func, tenant=slug)
            chosen.append(slug)
    return chosen


def cron_scheduler(app):
    """An RQ ``CronScheduler`` with one entry per plugin periodic job."""
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=redis_connection(app), name=f"entrepairs-{id(app)}")
    for plugin_name, job in periodic_jobs(app):
        path = _path(job.func)
        scheduler.register(
            run_job, queue_name=app.config["RQ_QUEUE"],
            args=(None, _path(fan_out), (plugin_name, path, job.interval), {}),
            interval=job.interval, name=f"{plugin_name or 'réseau'}: {job.description or path}")
    return scheduler


def run_cron(app) -> None:
    """The cron scheduler, started again after Redis goes away and comes back (RQ's own loop
    stops at the first connection error)."""
    from server.jobs import REDIS_DOWN

    while True:
        try:
            cron_scheduler(app).start()
            return
        except REDIS_DOWN:
            app.logger.warning("Cron scheduler: Redis unreachable, starting again in 5 s")
            time.sleep(5)
