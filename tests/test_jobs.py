"""Background jobs run on a real Redis with a real RQ worker, inside their employer's context."""
from rq import SimpleWorker
from rq.job import JobStatus

from server.jobs import enqueue, queue, redis_connection
from tests import jobs_fixtures
from tests.fixtures.factories import create_employer, create_user


def _work(app):
    """Run the queued jobs in this process, as `entrepairs worker --burst` would."""
    with app.app_context():
        SimpleWorker([queue(app)], connection=redis_connection(app)).work(burst=True)


def test_a_job_for_employer_a_reads_a_schema_and_never_b(app):
    a, b = create_employer(app), create_employer(app)
    create_user(app, employer=a, role="pair-aide", name="Agnès de A")
    create_user(app, employer=b, role="pair-aide", name="Bruno de B")
    with app.app_context():
        job_a = enqueue(jobs_fixtures.names_in_my_schema, tenant=a.slug)
        job_b = enqueue(jobs_fixtures.names_in_my_schema, tenant=b.slug)
        probe = enqueue(jobs_fixtures.read_other_schema_through_the_models, b.slug, tenant=a.slug)
    _work(app)
    for job in (job_a, job_b, probe):
        job.refresh()
        assert job.get_status() == JobStatus.FINISHED, job.latest_result()
    assert job_a.return_value() == {"tenant": a.slug, "names": ["Agnès de A"]}
    assert job_b.return_value() == {"tenant": b.slug, "names": ["Bruno de B"]}
    assert probe.return_value() == ["Agnès de A"]


def test_a_job_enqueued_from_inside_another_employer_runs_for_the_one_it_names(app):
    from tenants import tenant_context

    a, b = create_employer(app), create_employer(app)
    with app.app_context(), tenant_context(b.slug):
        job = enqueue(jobs_fixtures.names_in_my_schema, tenant=a.slug)
    _work(app)
    job.refresh()
    assert job.return_value()["tenant"] == a.slug


def test_a_job_for_a_suspended_employer_fails_without_running(app):
    from tenants.provisioning import set_status

    ref = create_employer(app)
    with app.app_context():
        job = enqueue(jobs_fixtures.names_in_my_schema, tenant=ref.slug)
        set_status(ref.slug, "suspended")
    _work(app)
    job.refresh()
    assert job.get_status() == JobStatus.FAILED
    assert "TenantNotFound" in job.latest_result().exc_string


def test_a_network_job_runs_without_any_employer(app):
    with app.app_context():
        job = enqueue(jobs_fixtures.network_job, tenant=None)
    _work(app)
    job.refresh()
    assert job.return_value() == "réseau"


def test_the_worker_command_runs_queued_jobs_in_a_forked_work_horse(app):
    """`entrepairs worker --burst` forks a work horse per job, with a fresh connection pool."""
    ref = create_employer(app)
    create_user(app, employer=ref, role="pair-aidant", name="Fanny Fork")
    with app.app_context():
        job = enqueue(jobs_fixtures.names_in_my_schema, tenant=ref.slug)
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    job.refresh()
    assert job.return_value() == {"tenant": ref.slug, "names": ["Fanny Fork"]}
