from flask import Blueprint

#: The référent's invitations (/e/<tenant>/programme/invitations) and the public link
#: (/invitation/<token>).
bp = Blueprint("invitations", __name__)
