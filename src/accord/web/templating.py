"""Jinja2 templates with gettext, localized filters and the context every page needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from accord.intel import timestamps
from accord.sharing.tlp import Tlp
from accord.web import i18n
from accord.web.words import kind_name, role_name, type_name

# TLP 2.0 (FIRST): coloured text on black; the class names are in accord.css.
TLP_CLASS = {
    Tlp.NONE: "tlp-none",
    Tlp.CLEAR: "tlp-clear",
    Tlp.GREEN: "tlp-green",
    Tlp.AMBER: "tlp-amber",
    Tlp.AMBER_STRICT: "tlp-amber",
    Tlp.RED: "tlp-red",
}


TLP_MEANING = {
    Tlp.NONE: i18n.N_("No TLP marking: only the distribution below limits who sees it."),
    Tlp.CLEAR: i18n.N_("Recipients may share it without restriction."),
    Tlp.GREEN: i18n.N_("Recipients may share it within their community, but not publicly."),
    Tlp.AMBER: i18n.N_(
        "Recipients may share it on a need-to-know basis within their organization and "
        "with its clients."
    ),
    Tlp.AMBER_STRICT: i18n.N_(
        "Recipients may share it on a need-to-know basis within their organization only."
    ),
    Tlp.RED: i18n.N_("For the named recipients only: no further disclosure."),
}


def stix_when(stamp: str) -> str:
    try:
        return i18n.when(timestamps.parse(stamp))
    except ValueError:
        return stamp


def tlp_meaning(level: int) -> str:
    return i18n.gettext(TLP_MEANING[Tlp(level)])


def tlp_class(level: int) -> str:
    return TLP_CLASS[Tlp(level)]


def tlp_label(level: int) -> str:
    tlp = Tlp(level)
    return i18n.gettext("No TLP marking") if tlp is Tlp.NONE else tlp.label


def tlp_badge(level: int) -> Markup:
    tlp = Tlp(level)
    return Markup('<span class="tlp {}">{}</span>').format(TLP_CLASS[tlp], tlp_label(level))


def make_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("accord.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    env.filters.update(
        when=i18n.when,
        day=i18n.day,
        ago=i18n.ago,
        number=i18n.number,
        tlp_badge=tlp_badge,
        tlp_label=tlp_label,
        tlp_meaning=tlp_meaning,
        stix_when=stix_when,
        tlp_class=tlp_class,
        type_name=type_name,
        role_name=role_name,
        kind_name=kind_name,
    )
    env.globals.update(languages=i18n.LANGUAGES, Tlp=Tlp)
    return env


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    state = request.app.state.web
    session = request.state.web_session
    language = i18n.current()
    page: dict[str, Any] = {
        "request": request,
        "me": getattr(request.state, "me", None),
        "csrf_token": session.csrf_token,
        "lang": language,
        "html_lang": i18n.HTML_LANG[language],
        "flashes": session.take_flashes(),
        "node_name": state.node_name,
        "path": request.url.path,
    }
    page.update(context or {})
    html = state.templates.get_template(template).render(page)
    return HTMLResponse(html, status_code=status)
