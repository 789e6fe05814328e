"""docker/: the compose file against the Compose Specification, and every command the
containers run checked against the project itself.

No Docker engine is needed: the compose file is validated with ``jsonschema`` against the
official Compose Specification schema (shipped in the ``check-jsonschema`` test dependency, see
docs/operations.md), the Dockerfile is read, and the commands it and the compose file name are
resolved in the project: the ``entrepairs`` Click commands and their options, gunicorn's
application target, the files the image copies and the ports it exposes. The entrypoint script
runs for real with a stand-in ``entrepairs`` to show what each role does.
"""
from __future__ import annotations

import copy
import importlib.metadata
import importlib.resources
import json
import os
import re
import secrets
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import click
import jsonschema
import pytest
import yaml
from flask.cli import FlaskGroup, ScriptInfo

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
COMPOSE_FILE = DOCKER / "compose.yaml"
DOCKERFILE = DOCKER / "Dockerfile"
ENTRYPOINT = DOCKER / "entrypoint.sh"
APP_SERVICES = ("web", "worker")  # built from docker/Dockerfile; the others are stock images


# --- helpers ------------------------------------------------------------------------------

def compose_schema() -> dict:
    """The Compose Specification's JSON schema, as vendored by check-jsonschema."""
    resource = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads((resource / "compose-spec.json").read_text(encoding="utf-8"))


def schema_errors(document) -> list[str]:
    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in validator.iter_errors(document)]


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions, pending = [], ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        if full:
            keyword, _, rest = full.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    assert not pending, "Dockerfile ends on a continuation line"
    return instructions


def dockerfile_values(keyword: str) -> list[str]:
    return [rest for kw, rest in dockerfile_instructions() if kw == keyword]


def exec_form(keyword: str) -> list[str]:
    values = dockerfile_values(keyword)
    assert len(values) == 1, f"expected one {keyword} in the Dockerfile"
    argv = json.loads(values[0])  # exec form: signals reach the process, no shell
    assert isinstance(argv, list) and all(isinstance(a, str) for a in argv)
    return argv


def copies() -> list[tuple[list[str], list[str], str]]:
    """(flags, sources, destination) of each COPY/ADD."""
    result = []
    for kw, rest in dockerfile_instructions():
        if kw in ("COPY", "ADD"):
            words = shlex.split(rest)
            flags = [w for w in words if w.startswith("--")]
            paths = [w for w in words if not w.startswith("--")]
            result.append((flags, paths[:-1], paths[-1]))
    return result


def command_of(service: str) -> list[str]:
    command = load_compose()["services"][service]["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def container_port(mapping) -> int:
    if isinstance(mapping, dict):
        return int(mapping["target"])
    # [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]; the host part may hold ${VAR:-x}.
    return int(str(mapping).rsplit(":", 1)[-1].split("/")[0])


def bind_port(argv: list[str]) -> int:
    for i, word in enumerate(argv):
        if word in ("--bind", "-b"):
            return int(argv[i + 1].rsplit(":", 1)[1])
        if word.startswith("--bind="):
            return int(word.rsplit(":", 1)[1])
    raise AssertionError(f"no --bind in {argv}")


def entrypoint_commands() -> list[list[str]]:
    """The ``entrepairs ...`` command lines the entrypoint script runs."""
    lines = ENTRYPOINT.read_text(encoding="utf-8").splitlines()
    return [shlex.split(line) for line in lines if re.match(r"\s*entrepairs\s", line)]


def entrepairs_command_lines() -> list[list[str]]:
    lines = [command_of(s) for s in APP_SERVICES if command_of(s)[0] == "entrepairs"]
    return lines + entrypoint_commands()


def parse_entrepairs(app, argv: list[str]) -> click.Command:
    """Resolve ``entrepairs ARGS...`` the way the console script does, and parse (without
    running) the final command's options and arguments. Returns that command."""
    assert argv[0] == "entrepairs"
    group = FlaskGroup(create_app=lambda: app, name="entrepairs")
    words = list(argv[1:])
    with click.Context(group, info_name="entrepairs", obj=ScriptInfo(create_app=lambda: app)) \
            as ctx:
        command, name = group, "entrepairs"
        while isinstance(command, click.Group):
            assert words, f"{argv}: {name} needs a subcommand"
            name = words.pop(0)
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{argv}: no command {name!r} under {command.name!r}"
            ctx = click.Context(sub, info_name=name, parent=ctx)
            command = sub
        with command.make_context(name, words, parent=ctx.parent):
            pass  # a UsageError (unknown option, missing argument) fails the test here
    return command


# --- the compose file against the Compose Specification -----------------------------------

def test_the_schema_is_the_compose_specification():
    schema = compose_schema()
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert schema["title"] == "Compose Specification"
    assert {"services", "volumes", "networks"} <= set(schema["properties"])


def test_compose_file_is_valid_against_the_compose_specification():
    assert schema_errors(load_compose()) == []


def _unknown_top_level_key(doc):
    doc["servics"] = doc.pop("services")


def _unknown_service_key(doc):
    doc["services"]["web"]["entry_point"] = ["sh"]


def _bad_depends_on_condition(doc):
    doc["services"]["worker"]["depends_on"]["web"]["condition"] = "service_ready"


def _healthcheck_test_not_a_command(doc):
    doc["services"]["postgres"]["healthcheck"]["test"] = {"cmd": "pg_isready"}


def _volume_not_a_mapping(doc):
    doc["volumes"] = ["pgdata"]


@pytest.mark.parametrize("breakage", [
    _unknown_top_level_key, _unknown_service_key, _bad_depends_on_condition,
    _healthcheck_test_not_a_command, _volume_not_a_mapping,
])
def test_a_broken_copy_of_the_compose_file_is_rejected(breakage):
    broken = copy.deepcopy(load_compose())
    breakage(broken)
    assert schema_errors(broken), f"{breakage.__name__} passed the schema"


# --- what the compose file declares -------------------------------------------------------

def test_services_images_and_dependencies():
    compose = load_compose()
    services = compose["services"]
    assert set(services) == {"web", "worker", "postgres", "redis"}
    assert services["postgres"]["image"].split(":")[1].split(".")[0] == "16"
    assert services["redis"]["image"].split(":")[1].split(".")[0] == "7"
    for name in APP_SERVICES:
        build = services[name]["build"]
        context = (COMPOSE_FILE.parent / build["context"]).resolve()
        assert context == ROOT
        assert (context / build["dockerfile"]).resolve() == DOCKERFILE
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
    # The worker starts after the web container has run the migrations.
    assert services["worker"]["depends_on"]["web"]["condition"] == "service_healthy"
    for name in ("web", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")
    # PostgreSQL keeps its data in a named volume.
    mounts = [str(v).split(":") for v in services["postgres"]["volumes"]]
    assert ["pgdata", "/var/lib/postgresql/data"] in mounts and "pgdata" in compose["volumes"]


def test_app_services_run_in_production_with_a_required_secret():
    for name in APP_SERVICES:
        env = load_compose()["services"][name]["environment"]
        assert env["ENTREPAIRS_ENV_NAME"] == "production"
        # ${VAR:?message}: compose refuses to start without it; no default secret anywhere.
        assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]+\}", env["SECRET_KEY"])
        assert re.fullmatch(r"postgresql://[^@]+@postgres:5432/\w+", env["DATABASE_URL"])
        assert env["REDIS_URL"].startswith("redis://redis:")
    roles = {n: load_compose()["services"][n]["environment"]["CONTAINER_ROLE"]
             for n in APP_SERVICES}
    assert roles == {"web": "web", "worker": "worker"}


def test_entrepairs_variables_name_real_settings():
    from server.config import Defaults

    for name in APP_SERVICES:
        for key in load_compose()["services"][name]["environment"]:
            if key.startswith("ENTREPAIRS_"):
                assert hasattr(Defaults, key.removeprefix("ENTREPAIRS_")), key


# --- the Dockerfile -----------------------------------------------------------------------

def test_dockerfile_base_image_and_user():
    bases = [rest.split()[0] for rest in dockerfile_values("FROM")]
    assert bases and all(base == "python:3.11-slim" for base in bases)
    users = dockerfile_values("USER")
    assert users, "the image must not run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    assert re.search(rf"useradd\b.*\b{re.escape(user)}\b", " ".join(dockerfile_values("RUN")))


def test_dockerfile_copies_only_existing_project_files():
    dev_paths = ("tests", "bench", "docs", ".venv", "instance", ".git", ".ci", "scripts")
    sources_seen = []
    for flags, sources, _dest in copies():
        if any(flag.startswith("--from") for flag in flags):
            continue  # from another build stage
        for source in sources:
            path = ROOT / source
            assert path.exists(), f"COPY {source}: not in the repository"
            assert source.split("/")[0] not in dev_paths, f"COPY {source}: a development file"
            sources_seen.append(source.rstrip("/"))
    # The packages pyproject.toml installs are all there.
    for needed in ("pyproject.toml", "server", "tenants", "plugins", "migrations"):
        assert needed in sources_seen


def test_dockerfile_installs_the_project_without_extras():
    runs = " ".join(dockerfile_values("RUN"))
    assert re.search(r"pip install \.(\s|$)", runs)
    assert "[test]" not in runs and "[dev]" not in runs and "-e ." not in runs


def test_entrypoint_is_copied_executable_and_valid_shell():
    entrypoint = exec_form("ENTRYPOINT")
    destinations = {dest: (flags, sources) for flags, sources, dest in copies()}
    assert entrypoint[0] in destinations, "ENTRYPOINT is not a file the image copies"
    flags, sources = destinations[entrypoint[0]]
    assert sources == ["docker/entrypoint.sh"]
    assert "--chmod=0755" in flags or os.access(ENTRYPOINT, os.X_OK)
    assert ENTRYPOINT.stat().st_mode & stat.S_IXUSR, "docker/entrypoint.sh is not executable"
    assert ENTRYPOINT.read_text().startswith("#!/bin/sh\n")
    assert b"\r\n" not in ENTRYPOINT.read_bytes()
    subprocess.run(["sh", "-n", str(ENTRYPOINT)], check=True)
    assert ENTRYPOINT.read_text().rstrip().endswith('exec "$@"')


def test_ports_agree_between_dockerfile_gunicorn_compose_and_healthcheck():
    exposed = {int(p.split("/")[0]) for rest in dockerfile_values("EXPOSE") for p in rest.split()}
    web = load_compose()["services"]["web"]
    published = {container_port(p) for p in web["ports"]}
    health = " ".join(web["healthcheck"]["test"])
    health_ports = {int(p) for p in re.findall(r"//(?:127\.0\.0\.1|localhost):(\d+)/", health)}
    assert exposed == published == health_ports == {bind_port(command_of("web"))}
    assert bind_port(exec_form("CMD")) in exposed
    assert command_of("web")[0] == exec_form("CMD")[0] == "gunicorn"


# --- the commands exist in the project ----------------------------------------------------

def test_entrepairs_is_the_projects_console_script():
    (script,) = importlib.metadata.entry_points(group="console_scripts", name="entrepairs")
    assert script.value == "server.cli:main"
    assert script.load() is __import__("server.cli", fromlist=["main"]).main


def test_the_containers_run_entrepairs_commands():
    lines = [" ".join(argv) for argv in entrepairs_command_lines()]
    assert "entrepairs worker" in lines
    assert "entrepairs db upgrade network@head" in lines
    assert "entrepairs tenants migrate --no-progress" in lines


def test_every_entrepairs_command_line_parses(app):
    for argv in entrepairs_command_lines():
        parse_entrepairs(app, argv)


def test_an_unknown_command_or_option_would_be_caught(app):
    with pytest.raises(AssertionError, match="no command"):
        parse_entrepairs(app, ["entrepairs", "tenants", "migrat"])
    with pytest.raises(click.UsageError):
        parse_entrepairs(app, ["entrepairs", "tenants", "migrate", "--no-progres"])


def test_gunicorn_target_builds_the_app_from_the_compose_environment(app, monkeypatch):
    """gunicorn's own loader on the compose target, with the compose environment (its
    ${...} placeholders replaced by this suite's services)."""
    from gunicorn.util import import_app

    from server.config import ConfigurationError

    target = command_of("web")[-1]
    assert target == exec_form("CMD")[-1] == "server:create_app()"
    for key in [k for k in os.environ if k.startswith("ENTREPAIRS_")]:
        monkeypatch.delenv(key)
    env = load_compose()["services"]["web"]["environment"]
    for key, value in env.items():
        if "${" not in str(value):
            monkeypatch.setenv(key, str(value))
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("REDIS_URL", app.config["REDIS_URL"])

    built = import_app(target)
    assert built.config["ENV_NAME"] == "production"
    assert built.config["SESSION_COOKIE_SECURE"] is True

    # Without SECRET_KEY the production configuration refuses to start.
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        import_app(target)


# --- the entrypoint, run for real ---------------------------------------------------------

@pytest.fixture
def fake_entrepairs(tmp_path):
    """A stand-in ``entrepairs`` on PATH that records its arguments; FAIL_ON=<word> makes the
    call whose arguments contain that word exit 1."""
    log = tmp_path / "calls.log"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "entrepairs"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{log}"\n'
        'case " $* " in *" ${FAIL_ON:-@none@} "*) exit 1;; esac\n'
    )
    script.chmod(0o755)
    return bin_dir, log


def run_entrypoint(bin_dir: Path, *command: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "CONTAINER_ROLE", "FAIL_ON")}
    path = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), base["PATH"]])
    return subprocess.run(["sh", str(ENTRYPOINT), *command], env={**base, "PATH": path, **env},
                          capture_output=True, text=True, timeout=60, check=False)


def calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_entrypoint_migrates_for_the_web_role_then_execs(fake_entrepairs):
    bin_dir, log = fake_entrepairs
    done = run_entrypoint(bin_dir, "echo", "started", CONTAINER_ROLE="web")
    assert done.returncode == 0, done.stderr
    assert calls(log) == ["db upgrade network@head", "tenants migrate --no-progress"]
    assert done.stdout.strip() == "started"


def test_entrypoint_treats_gunicorn_as_web_when_no_role_is_set(fake_entrepairs, tmp_path):
    bin_dir, log = fake_entrepairs
    gunicorn = bin_dir / "gunicorn"
    gunicorn.write_text("#!/bin/sh\necho gunicorn \"$@\"\n")
    gunicorn.chmod(0o755)
    done = run_entrypoint(bin_dir, "gunicorn", "server:create_app()")
    assert done.returncode == 0, done.stderr
    assert len(calls(log)) == 2 and done.stdout.strip() == "gunicorn server:create_app()"


def test_entrypoint_does_not_migrate_for_the_worker(fake_entrepairs):
    bin_dir, log = fake_entrepairs
    done = run_entrypoint(bin_dir, "entrepairs", "worker", CONTAINER_ROLE="worker")
    assert done.returncode == 0, done.stderr
    assert calls(log) == ["worker"]


def test_entrypoint_stops_when_a_tenant_migration_fails(fake_entrepairs):
    bin_dir, log = fake_entrepairs
    done = run_entrypoint(bin_dir, "echo", "started", CONTAINER_ROLE="web", FAIL_ON="tenants")
    assert done.returncode != 0
    assert calls(log) == ["db upgrade network@head", "tenants migrate --no-progress"]
    assert "started" not in done.stdout


def test_entrypoint_waits_for_a_reachable_postgresql(fake_entrepairs, database_url):
    bin_dir, _log = fake_entrepairs
    done = run_entrypoint(bin_dir, "true", CONTAINER_ROLE="worker", DATABASE_URL=database_url)
    assert done.returncode == 0, done.stderr


def test_entrypoint_gives_up_on_an_unreachable_postgresql(fake_entrepairs):
    bin_dir, log = fake_entrepairs
    done = run_entrypoint(bin_dir, "echo", "started", CONTAINER_ROLE="web", DB_WAIT_SECONDS="0",
                          DATABASE_URL="postgresql://nobody:x@127.0.0.1:9/none")
    assert done.returncode != 0 and "not reachable" in done.stderr
    assert calls(log) == [] and "started" not in done.stdout
