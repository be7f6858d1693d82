"""Data: upload exports, see ingest runs and their reports, start analysis, follow job progress."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("data", __name__)
