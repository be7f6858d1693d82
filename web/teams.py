"""Team and person pages: ties, roles, brokerage, risk and recommended introductions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("teams", __name__)
