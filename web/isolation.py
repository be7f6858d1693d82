"""Isolated teams: ranked, with reasons and a small ego map per team."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("isolation", __name__)
