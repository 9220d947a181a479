"""Accord's benchmark: objects/s through POST /api/v1/objects vs the raw insert ceiling.

Run `python -m bench --help`; bench/README.md says what each figure means.
"""

from bench.data import bundles, generate
from bench.report import Figure
from bench.runner import Config, run

__all__ = ["Config", "Figure", "bundles", "generate", "run"]
