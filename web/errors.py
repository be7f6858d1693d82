"""One error renderer: JSON under ``/api/``, an HTML page elsewhere."""

from __future__ import annotations

from flask import Flask
from flask import Response
from flask import jsonify
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException

from graph.errors import StoreError


def error_body(messages: list[str], status: int) -> dict[str, object]:
    """The single JSON error shape."""
    return {"ok": False, "error": "; ".join(messages), "errors": messages, "status": status}


def _render(messages: list[str], status: int, title: str) -> tuple[Response | str, int]:
    if request.path.startswith("/api/"):
        return jsonify(error_body(messages, status)), status
    return render_template(
        "errors/error.html", title=title, messages=messages, status=status
    ), status


def init_app(app: Flask) -> None:
    """Register the handlers for our errors and HTTP errors."""

    @app.errorhandler(StoreError)
    def store_error(err: StoreError):  # noqa: ANN202 - Flask handler
        return _render([str(err)], err.status, type(err).__name__)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):  # noqa: ANN202 - Flask handler
        return _render([err.description or err.name], err.code or 500, err.name)
