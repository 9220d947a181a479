"""Accord's benchmark: REST and TAXII objects/s, bulk import, the raw insert ceiling, medallion.

Run `python -m bench --help`; bench/README.md says what each figure means.
"""

from bench.data import bundles, generate
from bench.report import Figure
from bench.runner import Config, run

__all__ = ["Config", "Figure", "bundles", "generate", "run"]
