"""Security headers on every response.

A strict Content-Security-Policy (scripts, styles and images from this site
only: no inline scripts, styles or event handlers), no framing, no MIME
sniffing, no referrer to other sites, no powerful browser features, and
``Cache-Control: no-store`` on everything but static files, because pages,
JSON and downloads carry personal data. ``Strict-Transport-Security`` is
added when the request came over HTTPS.
"""

from __future__ import annotations

from flask import Flask
from flask import Response
from flask import request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = "max-age=31536000"


def secure(response: Response) -> Response:
    """Add the security headers (and ``no-store`` unless the response is a static file)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    """Add :func:`secure` to every response of ``app``."""
    app.after_request(secure)
