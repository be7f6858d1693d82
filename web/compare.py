"""Compare two periods: the changes and their confidence intervals."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("compare", __name__)
