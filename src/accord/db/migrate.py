"""Alembic driven from code: `accord init` and the tests migrate to head through here."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", "accord.db:migrations")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    command.upgrade(alembic_config(engine), "head")


def check(engine: Engine) -> None:
    """Raise if the models and the migrations disagree (alembic check)."""
    command.check(alembic_config(engine))
