"""Accord: federated information exchange over STIX 2.1 / TAXII 2.1."""

__version__ = "0.1.0"
__all__ = ["__version__"]
