"""Liaison matrix: business units × IT teams, and the people and ties behind each cell."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("liaison", __name__)
