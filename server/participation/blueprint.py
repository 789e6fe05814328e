from flask import Blueprint

#: A person's own participation, and the référent's view of participants and consent text.
bp = Blueprint("participation", __name__, url_prefix="/e/<tenant>")
