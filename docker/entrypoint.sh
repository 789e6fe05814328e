#!/bin/sh
# Entrepairs container entrypoint.
#
# 1. Waits for PostgreSQL (DATABASE_URL) to accept connections, up to DB_WAIT_SECONDS (60).
# 2. For the web role only (CONTAINER_ROLE=web, or a gunicorn command when CONTAINER_ROLE is
#    unset): migrates the shared schema, then every employer schema. A failed tenant migration
#    stops the container with the failing employers named in the log; the command is
#    resumable, so a restart after the fix skips the schemas already at head.
# 3. Replaces itself with the given command (gunicorn, `entrepairs worker`, any `entrepairs ...`).
set -eu

role="${CONTAINER_ROLE:-}"
if [ -z "$role" ] && [ "${1:-}" = "gunicorn" ]; then
    role=web
fi

if [ -n "${DATABASE_URL:-}" ]; then
    python - <<'PY'
import os
import re
import sys
import time

import psycopg

url = re.sub(r"^postgres(?:ql)?(?:\+\w+)?://", "postgresql://", os.environ["DATABASE_URL"])
deadline = time.monotonic() + float(os.environ.get("DB_WAIT_SECONDS", "60"))
while True:
    try:
        psycopg.connect(url, connect_timeout=3).close()
        break
    except psycopg.OperationalError as exc:
        if time.monotonic() > deadline:
            sys.exit(f"entrypoint: PostgreSQL is not reachable: {exc}")
        print("entrypoint: waiting for PostgreSQL...", file=sys.stderr, flush=True)
        time.sleep(2)
PY
fi

if [ "$role" = "web" ]; then
    echo "entrypoint: migrating the shared schema (network)" >&2
    entrepairs db upgrade network@head
    echo "entrypoint: migrating the employer schemas" >&2
    entrepairs tenants migrate --no-progress
fi

exec "$@"
