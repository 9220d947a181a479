"""The web interface at `/`: server-rendered pages (Jinja2, htmx), in three languages."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from jinja2 import Environment
from starlette.staticfiles import StaticFiles

from accord.organizations.models import Node
from accord.web import i18n
from accord.web.secret import SECRET_ENV, resolve_secret
from accord.web.sessions import SessionStore
from accord.web.templating import make_environment
from accord.web.throttle import SignInThrottle

__all__ = ["WebState", "mount"]

log = logging.getLogger("accord.web")
STATIC = Path(__file__).with_name("static")


@dataclass
class WebState:
    sessions: SessionStore | None  # None: no signing key (see secret.py); pages say so
    throttle: SignInThrottle
    templates: Environment
    node_name: str


def mount(app: FastAPI) -> None:
    """Add the web pages and their static files to the application."""
    from accord.web.views import router  # noqa: PLC0415  (views import this package)

    state = app.state
    secret = resolve_secret(state.settings, state.db.engine.url)
    if secret is None:
        log.error("the web interface needs %s with PostgreSQL: its pages answer 503", SECRET_ENV)
    i18n.load_all()
    with state.db.read() as session:
        node = session.get(Node, state.local_node_id)
        node_name = node.name if node is not None else state.settings.node_name
    state.web = WebState(
        sessions=SessionStore(secret) if secret else None,
        throttle=SignInThrottle(),
        templates=make_environment(),
        node_name=node_name,
    )
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
