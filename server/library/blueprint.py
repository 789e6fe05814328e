from flask import Blueprint

bp = Blueprint("library", __name__, url_prefix="/reseau/ressources")
