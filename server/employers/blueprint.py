from flask import Blueprint

#: Every page of an employer space lives under /e/<tenant>/.
bp = Blueprint("employers", __name__, url_prefix="/e/<tenant>")
