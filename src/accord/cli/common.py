"""What every command shares: settings, the database, one-line errors on bad input."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from accord.db import Database, make_engine
from accord.errors import AccordError
from accord.identity.service import find_user, principal_for_user
from accord.organizations.service import local_node
from accord.settings import Settings, SettingsError
from accord.sharing.principal import Principal

P = ParamSpec("P")
R = TypeVar("R")

# A missing table, not a missing database or server: those also say "does not exist".
_NOT_INITIALIZED = re.compile(r'no such table|relation "[^"]*" does not exist')
# What a shell reports for a command killed by SIGPIPE (128 + 13).
BROKEN_PIPE_STATUS = 141


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def say(message: str) -> None:
    """Messages for people go to standard error; standard output is for scripts."""
    typer.echo(message, err=True)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn expected failures into one clear line and a non-zero exit."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (AccordError, SettingsError) as exc:
            raise fail(getattr(exc, "detail", str(exc))) from None
        except (OperationalError, ProgrammingError) as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            if _NOT_INITIALIZED.search(reason):
                reason = "the database is not initialized: run `accord init`"
            raise fail(f"database: {reason}") from None
        except BrokenPipeError:
            # The reader stopped reading (`accord export | head`): that is its choice, not
            # an error to report. Stop quietly, with the status `cat` would have.
            _silence_stdout()
            raise typer.Exit(BROKEN_PIPE_STATUS) from None
        except OSError as exc:
            raise fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None

    return wrapper


def _silence_stdout() -> None:
    """Point standard output at the null device, so the final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def settings() -> Settings:
    return Settings.from_env()


@contextmanager
def database() -> Iterator[Database]:
    db = Database(make_engine(settings().database_url))
    try:
        yield db
    finally:
        db.dispose()


def principal_of(db: Database, email: str) -> Principal:
    with db.read() as session:
        user = find_user(session, email)
        if not user.is_active:
            raise fail(f"user {email} is disabled")
        return principal_for_user(session, user, local_node(session).id)


def out(text: str) -> None:
    """The one value a script captures, alone on standard output."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
