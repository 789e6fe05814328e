"""Loading programme-model plugins from the ``entrepairs.plugins`` entry points, restricted to
the ``PLUGINS`` allow-list. Anything wrong stops start-up with a message naming the plugin.

For each plugin, in the allow-list's order: check its declaration, add its revisions to the
tenant migrations, mount its pages at ``/e/<tenant>/<name>/`` and its API at
``/api/v1/e/<tenant>/<name>``, then call its ``init()``. Its pages and API answer 404 in an
employer space that has not enabled it (``enforce_access``)."""
from __future__ import annotations

from importlib.metadata import entry_points

from plugins.base import ProgrammeModel

GROUP = "entrepairs.plugins"


class PluginError(RuntimeError):
    pass


def _add_version_location(path) -> None:
    import migrations
    from tenants.migrator import script_directory
    from tenants.provisioning import tenant_heads

    location = str(path)
    if location not in migrations.PLUGIN_VERSION_LOCATIONS:
        migrations.PLUGIN_VERSION_LOCATIONS.append(location)
        script_directory.cache_clear()
        tenant_heads.cache_clear()


def _mount(app, plugin: ProgrammeModel) -> None:
    if plugin.blueprint is not None:
        app.register_blueprint(plugin.blueprint, url_prefix=f"/e/<tenant>/{plugin.name}")
    if plugin.api_blueprint is not None:
        from server.extensions import csrf

        csrf.exempt(plugin.api_blueprint)  # cookie-authenticated writes: see enforce_access
        app.extensions["entrepairs.api"].register_blueprint(
            plugin.api_blueprint, url_prefix=f"/api/v1/e/<tenant>/{plugin.name}")


def plugin_for_blueprint(app, blueprint: str | None) -> ProgrammeModel | None:
    """The plugin owning a blueprint (pages or API), if any."""
    if blueprint is None:
        return None
    return app.extensions.get("entrepairs.plugin_blueprints", {}).get(blueprint.split(".")[0])


def load_plugins(app) -> dict[str, ProgrammeModel]:
    wanted = list(app.config["PLUGINS"])
    available: dict[str, list] = {}
    for ep in entry_points(group=GROUP):
        available.setdefault(ep.name, []).append(ep)
    loaded: dict[str, ProgrammeModel] = {}
    blueprints: dict[str, ProgrammeModel] = {}
    for name in wanted:
        candidates = available.get(name, [])
        if not candidates:
            raise PluginError(f"Plugin {name!r} is enabled in PLUGINS but is not installed.")
        if len({ep.value for ep in candidates}) > 1:
            raise PluginError(f"Plugin {name!r} is declared more than once: " +
                              ", ".join(sorted(ep.value for ep in candidates)))
        if name in loaded:
            raise PluginError(f"Plugin {name!r} is listed twice in PLUGINS.")
        try:
            cls = candidates[0].load()
        except Exception as exc:
            raise PluginError(f"Plugin {name!r} cannot be imported: {exc}") from exc
        if not (isinstance(cls, type) and issubclass(cls, ProgrammeModel)):
            raise PluginError(f"Plugin {name!r} is not a subclass of plugins.base.ProgrammeModel.")
        problems = cls.check()
        if cls.name != name:
            problems.append(f"its `name` is {cls.name!r}, not its entry-point name")
        if problems:
            raise PluginError(f"Plugin {name!r} is malformed: " + "; ".join(problems) + ".")
        plugin = cls(app)
        if cls.migrations is not None:
            _add_version_location(cls.migrations)
        _mount(app, plugin)
        for blp in (cls.blueprint, cls.api_blueprint):
            if blp is not None:
                blueprints[blp.name] = plugin
        plugin.init()
        loaded[name] = plugin
    app.extensions["entrepairs.plugins"] = loaded
    app.extensions["entrepairs.plugin_blueprints"] = blueprints
    return loaded
