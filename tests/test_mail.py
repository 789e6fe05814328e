"""E-mail goes through a real SMTP server, from a background job; without one it is kept in the
network outbox that network admins read."""
from rq.job import JobStatus

from server import mail
from tests.fixtures.factories import create_user, login
from tests.fixtures.mail import html_of, run_jobs, text_of
from tests.invitation_helpers import new_email


def _message(to: str) -> mail.Message:
    return mail.Message(to=to, subject="Votre rendez-vous de mardi",
                        text="Bonjour,\nVous avez un rendez-vous mardi à 14 h.\n",
                        html="<p>Bonjour,</p><p>Vous avez un rendez-vous mardi à 14 h.</p>")


def test_a_message_is_sent_by_a_job_over_smtp_in_plain_text_and_html(app, mailbox):
    to = new_email()
    with app.app_context():
        job = mail.send(_message(to), tenant=None)
    assert mailbox.to(to) == []  # nothing leaves before the worker runs
    run_jobs(app)
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED and job.return_value() == "sent"
    (received,) = mailbox.to(to)
    assert received["Subject"] == "Votre rendez-vous de mardi"
    assert received["To"] == to and "entrepairs" in received["From"]
    assert received["Message-ID"]
    assert "rendez-vous mardi à 14 h" in text_of(received)
    assert "<p>Vous avez un rendez-vous mardi à 14 h.</p>" in html_of(received)


def test_an_unreachable_smtp_server_fails_the_job_instead_of_losing_the_message(app, mailbox):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    app.config["MAIL_PORT"] = closed_port
    with app.app_context():
        job = mail.send(_message(new_email()), tenant=None)
    run_jobs(app)
    job.refresh()
    assert job.get_status() == JobStatus.FAILED
    assert "ConnectionRefusedError" in job.latest_result().exc_string


def test_without_smtp_server_messages_are_kept_in_the_outbox_for_network_admins(app):
    assert not app.config.get("MAIL_SERVER")
    to = new_email()
    with app.app_context():
        mail.send(_message(to), tenant=None)
    run_jobs(app)
    admin, member = create_user(app, network_roles=["admin"]), create_user(app)
    client = app.test_client()
    login(client, admin)
    page = client.get("/reseau/courriels").get_data(as_text=True)
    assert to in page and "Votre rendez-vous de mardi" in page
    other = app.test_client()
    login(other, member)
    assert other.get("/reseau/courriels").status_code == 403
