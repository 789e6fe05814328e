from flask import Blueprint

#: The référent's workspace: framing sheet, models, people.
bp = Blueprint("programme", __name__, url_prefix="/e/<tenant>/programme")
