"""Fixtures of the CLI tests: a fresh database per test on every backend."""

from tests.cli.support import cli, pg_database, ready

__all__ = ["cli", "pg_database", "ready"]
