"""Anonymisation of the experience reports employers share with the network (issue #5).

    from server.anonymisation import anonymise, employer_label, preview_html

    result = anonymise(text, known_people=["Claire Dubois", ...], employer_name="Mairie de Nantes",
                       employer_label=employer_label("territorial", "1 000 à 5 000 agents"))
    result.text            # what may leave the employer's schema
    result.replacements    # (start, end, kind, original, replacement), in order
    preview_html(result)   # the author's preview, escaped, with <mark> on each replacement
    result.as_dict()       # to store with the draft (in the employer's schema: it has originals)

Pure functions, no database, no Flask: the best-practice workflow calls them from its RQ job.
The first call loads the spaCy model (``load_model()`` to warm a worker up). See
docs/anonymisation.md."""
from server.anonymisation.people import load_model
from server.anonymisation.pipeline import (
                                           LABELS,
                                           TOKENS,
                                           Replacement,
                                           Result,
                                           anonymise,
                                           detect,
                                           employer_label,
)
from server.anonymisation.preview import preview_html

__all__ = ["LABELS", "TOKENS", "Replacement", "Result", "anonymise", "detect", "employer_label",
           "load_model", "preview_html"]
