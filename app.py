"""Bridgework: organisational network analysis. ``create_app`` is the application factory.

Run it with the Flask CLI: ``flask --app app demo``, ``flask --app app run``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure the app.

    :param test_config: settings that override every other layer (tests).
    """
    from web import api
    from web import auth
    from web import cli
    from web import compare
    from web import compress
    from web import data
    from web import errors
    from web import exports
    from web import isolation
    from web import liaison
    from web import nav
    from web import store
    from web import teams
    from web import views
    from web.settings import defaults

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(defaults(app.instance_path))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("BRIDGEWORK")
    else:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    store.init_app(app)
    errors.init_app(app)
    nav.init_app(app)
    for module in (views, api, liaison, isolation, teams, compare, data, exports):
        app.register_blueprint(module.bp)
    cli.init_app(app)
    auth.init_app(app)  # login everywhere, roles, CSRF, security headers, audit, `user` commands
    compress.init_app(app)  # gzip for clients that accept it (runs before the hooks above)
    return app
