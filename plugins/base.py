"""The base class of a programme-model plugin.

A plugin is a subclass of ``ProgrammeModel`` exposed through the ``entrepairs.plugins``
entry-point group and enabled by name in the ``PLUGINS`` configuration allow-list. It imports
from ``plugins.base`` and ``server.signals`` only.
"""
from __future__ import annotations

import re

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


class ProgrammeModel:
    #: Entry-point name, also the namespace of the plugin's blueprint, templates and tables.
    name: str = ""
    #: French label shown to people ("Binômes").
    label: str = ""
    #: One sentence saying what the model is.
    description: str = ""

    def __init__(self, app):
        self.app = app

    def init(self) -> None:
        """Connect to signals and register what the plugin brings. Called once at start-up."""

    @classmethod
    def check(cls) -> list[str]:
        """What is wrong with this plugin's declaration, as sentences (empty when valid)."""
        problems = []
        if not NAME_RE.match(cls.name or ""):
            problems.append("its `name` must be lowercase letters, digits or underscores")
        if not cls.label:
            problems.append("it has no French `label`")
        return problems
