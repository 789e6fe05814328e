"""`make run`: the whole system on http://127.0.0.1:5000 with demo data.

Starts the embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set, applies the
migrations, loads the demo once, then runs the web server and an RQ worker (with its
scheduler) as child processes until Ctrl-C, and stops everything cleanly.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
HOST, PORT = "127.0.0.1", int(os.environ.get("PORT", "5000"))


def prepare(env: dict) -> None:
    """Migrations and demo data, in this process."""
    from flask_migrate import upgrade

    from server import create_app
    from server.demo import DEMO_PASSWORD, demo_logins, load_demo
    from tenants import migrate_all

    os.environ.update(env)
    app = create_app()
    with app.app_context():
        upgrade(revision="network@head")
        migrate_all(progress=False)
        load_demo(if_empty=True)
    print(f"\nEntrepairs tourne sur http://{HOST}:{PORT}/\n")
    print(f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :")
    for login, label in demo_logins():
        print(f"  {login:45} {label}")
    print("\nCtrl-C pour tout arrêter.\n", flush=True)


def main() -> int:
    from server.embedded import ensure_services

    services = ensure_services(INSTANCE)
    env = {**os.environ, **services["env"]}
    env.setdefault("ENTREPAIRS_SESSION_COOKIE_SECURE", "false")
    env.setdefault("ENTREPAIRS_REMEMBER_COOKIE_SECURE", "false")
    prepare(env)
    bin_dir = Path(sys.executable).parent
    children = [
        subprocess.Popen([str(bin_dir / "flask"), "--app", "server:create_app", "run",
                          "--host", HOST, "--port", str(PORT), "--no-reload"], env=env),
        subprocess.Popen([str(bin_dir / "entrepairs"), "worker"], env=env),
    ]
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        for handle in services["handles"]:
            for method in ("shutdown", "cleanup"):
                if hasattr(handle, method):
                    try:
                        getattr(handle, method)()
                    except Exception:
                        pass
                    break
        print("Entrepairs est arrêté.")
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
