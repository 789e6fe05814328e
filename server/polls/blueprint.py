from flask import Blueprint

bp = Blueprint("polls", __name__, url_prefix="/reseau")
