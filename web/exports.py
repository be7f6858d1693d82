"""Exports: CSV tables, GEXF and GraphML for Gephi, SVG/PNG maps, a printable report."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("exports", __name__)
