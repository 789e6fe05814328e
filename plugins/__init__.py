"""Programme-model plugins (binômes, groupes, permanences, interventions). Each subclasses
``plugins.base.ProgrammeModel`` and is declared in the ``entrepairs.plugins`` entry-point group."""
