"""Languages: Babel catalogs, the language of a request, and localized formatting.

The catalogs are committed as .po files and compiled in memory at start-up, so there is
no build step and no binary file in the repository.
"""

from __future__ import annotations

import io
from contextvars import ContextVar, Token
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources

from babel import Locale
from babel.dates import format_date, format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from starlette.requests import Request

# Code -> the language's own name (never translated: people look for their own).
LANGUAGES: dict[str, str] = {"en": "English", "ru": "Русский", "zh": "中文"}
DEFAULT_LANGUAGE = "en"
BABEL_LOCALES = {"en": "en", "ru": "ru", "zh": "zh_Hans_CN"}
HTML_LANG = {"en": "en", "ru": "ru", "zh": "zh-Hans"}
LANGUAGE_COOKIE = "accord_lang"

_current: ContextVar[str] = ContextVar("accord_web_language", default=DEFAULT_LANGUAGE)


def po_text(language: str) -> str:
    path = resources.files("accord.web").joinpath(
        "translations", language, "LC_MESSAGES", "messages.po"
    )
    return path.read_text("utf-8")


@cache
def translations(language: str) -> NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    catalog = read_po(io.StringIO(po_text(language)), locale=BABEL_LOCALES[language])
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def load_all() -> None:
    """Compile every catalog now, so that a broken one stops the start, not a request."""
    for language in LANGUAGES:
        translations(language)


def activate(language: str) -> Token[str]:
    return _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def deactivate(token: Token[str]) -> None:
    _current.reset(token)


def current() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def from_accept_language(header: str) -> str | None:
    """The best of our languages in an Accept-Language header, by its q-values."""
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, position, primary))
    return min(choices)[2] if choices else None


def negotiate(request: Request) -> str:
    """The person's chosen language (cookie), else the browser's, else English."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return from_accept_language(request.headers.get("accept-language", "")) or DEFAULT_LANGUAGE


def _locale() -> Locale:
    return Locale.parse(BABEL_LOCALES[_current.get()])


def when(moment: datetime | None) -> str:
    """A date and time, localized, in UTC (staff of several countries read the same page)."""
    if moment is None:
        return ""
    text = format_datetime(moment.astimezone(UTC), "medium", tzinfo=UTC, locale=_locale())
    return f"{text} UTC"


def day(moment: datetime | None) -> str:
    return "" if moment is None else format_date(moment.astimezone(UTC), "long", locale=_locale())


def ago(moment: datetime, now: datetime | None = None) -> str:
    delta: timedelta = moment - (now or datetime.now(UTC))
    return format_timedelta(delta, add_direction=True, locale=_locale())


def number(value: int) -> str:
    return format_decimal(value, locale=_locale())
