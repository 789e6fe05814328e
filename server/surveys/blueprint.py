from flask import Blueprint

#: A person's questionnaires, and the référent's results and questions.
bp = Blueprint("surveys", __name__, url_prefix="/e/<tenant>/questionnaires")
