"""WSGI factories for gunicorn in benchmark 3 (configuration from the environment)."""
from __future__ import annotations

import os

SECRET = "bench-secret-" + "x" * 40


def entrepairs():
    from bench.common import bench_config
    from server import create_app

    return create_app(bench_config(os.environ["BENCH_DATABASE_URL"]))


def bare():
    from bench.bare_app import create_bare_app
    from server.config import Defaults

    # Same engine options as Entrepairs (pool_pre_ping, pool size): a deployment setting,
    # not tenancy.
    return create_bare_app(os.environ["BENCH_DATABASE_URL"], SECRET,
                           Defaults.SQLALCHEMY_ENGINE_OPTIONS)
