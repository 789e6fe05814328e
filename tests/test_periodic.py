"""Plugins' periodic jobs: RQ's cron scheduler → one fan-out per period → one job per employer
that enabled the model."""
from rq import SimpleWorker

from server.jobs import enqueue, queue, redis_connection
from server.periodic import cron_scheduler, fan_out, periodic_jobs
from tests.fixtures.factories import create_employer


def _enable(app, slug, name="binomes"):
    from server.programme.choices import configure
    from tenants import tenant_context

    with app.app_context(), tenant_context(slug):
        configure(name, enabled=True)
        app.extensions["sqlalchemy"].session.commit()


def _queued_functions(app):
    with app.app_context():
        return [job.args[1] for job in queue(app).get_jobs()]


def _drain(app):
    with app.app_context():
        SimpleWorker([queue(app)], connection=redis_connection(app)).work(burst=True)


def test_binomes_declares_a_daily_reminder_job(app):
    jobs = {name: job for name, job in periodic_jobs(app) if name == "binomes"}
    assert jobs["binomes"].interval == 24 * 3600


def test_the_cron_scheduler_enqueues_a_fan_out_per_periodic_job(app):
    _drain(app)
    with app.app_context():
        scheduler = cron_scheduler(app)
        scheduler.enqueue_jobs()
    # One fan-out per periodic job of the installed plugins (binômes, permanences...).
    assert _queued_functions(app) == ["server.periodic:fan_out"] * len(periodic_jobs(app))
    _drain(app)


def test_fan_out_enqueues_for_employers_that_enabled_the_model_once_per_period(app):
    _drain(app)
    on, off = create_employer(app), create_employer(app)
    _enable(app, on.slug)
    path = "plugins.binomes.jobs:remind_idle_binomes"
    interval = 7919  # a period of this test's own, so other tests' locks do not interfere
    with app.app_context():
        job = enqueue(fan_out, "binomes", path, interval, tenant=None)
    _drain(app)
    job.refresh()
    chosen = job.return_value()
    assert on.slug in chosen and off.slug not in chosen
    with app.app_context():
        again = enqueue(fan_out, "binomes", path, interval, tenant=None)
    _drain(app)
    again.refresh()
    assert again.return_value() == []  # the same period is not fanned out twice
