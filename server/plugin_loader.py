"""Loading programme-model plugins from the ``entrepairs.plugins`` entry points, restricted to
the ``PLUGINS`` allow-list. Anything wrong stops start-up with a message naming the plugin."""
from __future__ import annotations

from importlib.metadata import entry_points

from plugins.base import ProgrammeModel

GROUP = "entrepairs.plugins"


class PluginError(RuntimeError):
    pass


def load_plugins(app) -> dict[str, ProgrammeModel]:
    wanted = list(app.config["PLUGINS"])
    available: dict[str, list] = {}
    for ep in entry_points(group=GROUP):
        available.setdefault(ep.name, []).append(ep)
    loaded: dict[str, ProgrammeModel] = {}
    for name in wanted:
        candidates = available.get(name, [])
        if not candidates:
            raise PluginError(f"Plugin {name!r} is enabled in PLUGINS but is not installed.")
        if len({ep.value for ep in candidates}) > 1:
            raise PluginError(f"Plugin {name!r} is declared more than once: " +
                              ", ".join(sorted(ep.value for ep in candidates)))
        if name in loaded:
            raise PluginError(f"Plugin {name!r} is listed twice in PLUGINS.")
        cls = candidates[0].load()
        if not (isinstance(cls, type) and issubclass(cls, ProgrammeModel)):
            raise PluginError(f"Plugin {name!r} is not a subclass of plugins.base.ProgrammeModel.")
        problems = cls.check()
        if cls.name != name:
            problems.append(f"its `name` is {cls.name!r}, not its entry-point name")
        if problems:
            raise PluginError(f"Plugin {name!r} is malformed: " + "; ".join(problems) + ".")
        plugin = cls(app)
        plugin.init()
        loaded[name] = plugin
    app.extensions["entrepairs.plugins"] = loaded
    return loaded
